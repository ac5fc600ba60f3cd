/**
 * `tlsprop explain CAPTURE [--keylog FILE] [--trust CA.pem] [--quiet]`:
 * the handshake told the way the MQTT-broker write-up told it, flight by
 * flight (`C->S: Certificate, ClientKeyExchange`), each message with the
 * frame that completed it, and under it the rules it was checked against.
 */
import type { Verdict } from '../oracles/rule';
import { UsageError, parseArgs } from './args';
import { checkFiles, checkOptionsFrom } from './check';
import type { Io } from './main';
import type { Transcript, TranscriptMessage } from '../transcript/model';

/** `client_key_exchange` -> `ClientKeyExchange`. */
export function displayName(type: string): string {
  return type
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

const MARK: Record<Verdict['status'], string> = {
  pass: 'ok  ',
  violation: 'FAIL',
  inconclusive: '??  ',
  'not-applicable': 'n/a ',
};

function messageLine(m: TranscriptMessage): string {
  const where = m.frame !== undefined ? `frame ${m.frame}` : 'no frame';
  const size = m.raw ? `, ${m.raw.length} bytes` : '';
  const enc = m.encrypted ? ', encrypted' : '';
  const alert = m.alert ? ` ${m.alert.level === 2 ? 'fatal' : 'warning'}(${m.alert.description})` : '';
  return `[${m.index}] ${displayName(m.type)}${alert} (${where}${size}${enc})`;
}

export interface ExplainOptions {
  /** Also list passing rules under each message (default true). */
  passes?: boolean;
}

/** The ladder of one transcript with the verdicts placed under the messages they are about. */
export function explainLines(t: Transcript, verdicts: readonly Verdict[], opts: ExplainOptions = {}): string[] {
  const passes = opts.passes ?? true;
  const shown = (v: Verdict) => v.status === 'violation' || v.status === 'inconclusive' || (passes && v.status === 'pass');
  const byMessage = new Map<number, Verdict[]>();
  const general: Verdict[] = [];
  for (const v of verdicts) {
    if (!shown(v)) continue;
    if (v.message === undefined) general.push(v);
    else byMessage.set(v.message, [...(byMessage.get(v.message) ?? []), v]);
  }
  const lines: string[] = [];
  let i = 0;
  while (i < t.messages.length) {
    const dir = t.messages[i]!.dir;
    let j = i;
    while (j < t.messages.length && t.messages[j]!.dir === dir) j++;
    const flight = t.messages.slice(i, j);
    lines.push(`${dir}: ${flight.map((m) => displayName(m.type)).join(', ')}`);
    for (const m of flight) {
      lines.push(`    ${messageLine(m)}`);
      for (const v of byMessage.get(m.index) ?? []) lines.push(`        ${MARK[v.status]} ${v.rule}: ${v.detail}`);
    }
    i = j;
  }
  for (const g of t.gaps) lines.push(`  gap: ${g.reason}`);
  if (general.length) {
    lines.push('  whole connection:');
    for (const v of general) lines.push(`        ${MARK[v.status]} ${v.rule}: ${v.detail}`);
  }
  return lines;
}

export async function explainCommand(args: string[], io: Io): Promise<number> {
  const p = parseArgs(args, { flags: ['quiet'], options: ['trust', 'at', 'keylog', 'psk'] });
  if (p.positional.length !== 1) throw new UsageError('expects one capture (or transcript JSON file)');
  const opts = checkOptionsFrom(p);
  let violations = 0;
  let n = 0;
  await checkFiles(p.positional, opts, (c, verdicts, t) => {
    n++;
    violations += c.summary.violation;
    const head = [
      `connection ${n}: ${c.client ?? 'client'} -> ${c.server ?? 'server'}`,
      c.version ? `TLS ${c.version}` : undefined,
      c.cipherSuite,
    ]
      .filter(Boolean)
      .join(', ');
    io.out(head);
    for (const l of explainLines(t, verdicts, { passes: !p.flags.has('quiet') })) io.out(`  ${l}`);
    io.out(
      `  ${c.summary.violation} violation(s), ${c.summary.inconclusive} inconclusive, ${c.summary.pass} pass, ${c.summary['not-applicable']} not applicable`,
    );
    io.out('');
  });
  if (n === 0) io.out('no TLS connection found');
  return violations > 0 ? 1 : 0;
}
