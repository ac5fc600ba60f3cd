/**
 * NSS key log format (SSLKEYLOGFILE): `<LABEL> <client_random hex> <secret hex>`
 * per line; `#` comments and blank lines are ignored. Parsing reports the
 * first bad line with its 1-based number.
 */
import { fromHex, toHex } from '../wire/hex';

export const KEYLOG_LABELS = [
  'CLIENT_RANDOM',
  'CLIENT_EARLY_TRAFFIC_SECRET',
  'EARLY_EXPORTER_SECRET',
  'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
  'SERVER_HANDSHAKE_TRAFFIC_SECRET',
  'CLIENT_TRAFFIC_SECRET_0',
  'SERVER_TRAFFIC_SECRET_0',
  'EXPORTER_SECRET',
] as const;
export type KeyLogLabel = (typeof KEYLOG_LABELS)[number];

export interface KeyLogEntry {
  label: KeyLogLabel;
  clientRandom: Uint8Array;
  secret: Uint8Array;
}

export class KeyLogError extends Error {
  override readonly name = 'KeyLogError';
  constructor(
    /** 1-based line number. */
    readonly line: number,
    readonly detail: string,
  ) {
    super(`key log line ${line}: ${detail}`);
  }
}

const HEX = /^[0-9a-fA-F]+$/;

/** Parse a key log; throws KeyLogError for a malformed line. Unknown labels are errors too unless `ignoreUnknownLabels`. */
export function parseKeyLog(text: string, opts: { ignoreUnknownLabels?: boolean } = {}): KeyLogEntry[] {
  const out: KeyLogEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(/\s+/);
    if (parts.length !== 3) throw new KeyLogError(i + 1, `expected 3 fields, got ${parts.length}`);
    const [label, cr, secret] = parts as [string, string, string];
    if (!(KEYLOG_LABELS as readonly string[]).includes(label)) {
      if (opts.ignoreUnknownLabels) continue;
      throw new KeyLogError(i + 1, `unknown label ${JSON.stringify(label)}`);
    }
    if (cr.length !== 64 || !HEX.test(cr)) throw new KeyLogError(i + 1, 'client random must be 32 bytes of hex');
    if (secret.length === 0 || secret.length % 2 !== 0 || !HEX.test(secret))
      throw new KeyLogError(i + 1, 'secret must be hex with an even number of digits');
    const len = secret.length / 2;
    if (label === 'CLIENT_RANDOM' ? len !== 48 : len !== 32 && len !== 48 && len !== 64)
      throw new KeyLogError(i + 1, `${label} secret has unexpected length ${len}`);
    out.push({ label: label as KeyLogLabel, clientRandom: fromHex(cr), secret: fromHex(secret) });
  }
  return out;
}

/** One line per entry, lower-case hex, trailing newline. */
export function formatKeyLog(entries: readonly KeyLogEntry[]): string {
  return entries.map((e) => `${e.label} ${toHex(e.clientRandom)} ${toHex(e.secret)}\n`).join('');
}

/** Secrets of one connection, by label (the last entry wins on duplicates). */
export type KeyLogSecrets = Partial<Record<KeyLogLabel, Uint8Array>>;

/** All secrets logged for a client random. */
export function lookupKeyLog(entries: readonly KeyLogEntry[], clientRandom: Uint8Array): KeyLogSecrets {
  const want = toHex(clientRandom);
  const out: KeyLogSecrets = {};
  for (const e of entries) if (toHex(e.clientRandom) === want) out[e.label] = e.secret;
  return out;
}

/** Entries for one connection in the usual order, skipping absent secrets. */
export function keyLogEntries(clientRandom: Uint8Array, secrets: KeyLogSecrets): KeyLogEntry[] {
  const out: KeyLogEntry[] = [];
  for (const label of KEYLOG_LABELS) {
    const s = secrets[label];
    if (s) out.push({ label, clientRandom, secret: s });
  }
  return out;
}
