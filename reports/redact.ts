/**
 * Secrets never leave through a report unless asked: NSS key-log lines
 * (`CLIENT_RANDOM <hex> <hex>`, `*_TRAFFIC_SECRET*`, `EXPORTER_SECRET`, ...)
 * and PEM private keys found in any string are replaced, and the `keylog`
 * of counterexamples is dropped. `includeSecrets: true` keeps everything.
 */
import type { CoverageReport } from './model';

export const REDACTED_KEYLOG = '[redacted key-log line]';
export const REDACTED_KEY = '[redacted private key]';

const LABEL = '(?:CLIENT_RANDOM|RSA|[A-Z_]*TRAFFIC_SECRET[A-Z_0-9]*|[A-Z_]*EXPORTER_SECRET)';
/** A label followed by one or two long hex fields (one already leaks a secret or half of one). */
const KEYLOG = new RegExp(String.raw`\b${LABEL}[ \t]+[0-9A-Fa-f]{16,}(?:[ \t]+[0-9A-Fa-f]{16,})?`, 'g');
const PEM = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;

export function redactText(s: string): string {
  return s.replace(PEM, REDACTED_KEY).replace(KEYLOG, REDACTED_KEYLOG);
}

/** A deep copy with every string redacted. */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
    return out as T;
  }
  return value;
}

export interface SecretOptions {
  includeSecrets?: boolean;
}

/** The report a writer may print: redacted and without key logs, unless `includeSecrets`. */
export function publishable(report: CoverageReport, opts: SecretOptions = {}): CoverageReport {
  if (opts.includeSecrets) return report;
  const r = redactDeep(report);
  for (const c of r.counterexamples) delete c.keylog;
  return r;
}
