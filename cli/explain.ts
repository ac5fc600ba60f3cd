/**
 * `tlsprop explain CAPTURE [--keylog FILE] [--trust CA.pem] [--quiet]`:
 * the handshake told the way the MQTT-broker write-up told it, flight by
 * flight (`C->S: Certificate, ClientKeyExchange`), each message with the
 * frame that completed it, and under it the rules it was checked against.
 */
import { symbolOf } from '../oracles/context';
import type { Notice, Verdict } from '../oracles/rule';
import { UsageError, option, parseArgs } from './args';
import { checkFiles, checkOptionsFrom, strengthNote } from './check';
import type { Io } from './main';
import { CheckReport } from './reporting';
import type { Transcript, TranscriptMessage } from '../transcript/model';
import { alertDescriptions, nameOf } from '../wire/registry';

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
  const name = symbolOf(m);
  // RFC 8446 §4.1.4: a HelloRetryRequest is sent as a ServerHello with the special random.
  const wire = name !== m.type ? `, a ${displayName(m.type)} on the wire` : '';
  const alert = m.alert
    ? ` ${m.alert.level === 2 ? 'fatal' : 'warning'}(${nameOf(alertDescriptions, m.alert.description) ?? m.alert.description})`
    : '';
  return `[${m.index}] ${displayName(name)}${alert} (${where}${size}${enc}${wire})`;
}

export interface ExplainOptions {
  /** Also list passing rules under each message (default true). */
  passes?: boolean;
}

/** The ladder of one transcript with the verdicts placed under the messages they are about. */
export function explainLines(
  t: Transcript,
  verdicts: readonly Verdict[],
  opts: ExplainOptions = {},
  notices: readonly Notice[] = [],
): string[] {
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
    lines.push(`${dir}: ${flight.map((m) => displayName(symbolOf(m))).join(', ')}`);
    for (const m of flight) {
      lines.push(`    ${messageLine(m)}`);
      for (const n of notices.filter((x) => x.message === m.index)) lines.push(`        note ${n.kind} (${n.rule}): ${n.detail}`);
      for (const v of byMessage.get(m.index) ?? [])
        lines.push(`        ${MARK[v.status]} ${v.rule}: ${v.detail}${strengthNote(v)}`);
    }
    i = j;
  }
  for (const g of t.gaps) lines.push(`  gap: ${g.reason}`);
  for (const n of notices.filter((x) => x.message === undefined)) lines.push(`  note ${n.kind} (${n.rule}): ${n.detail}`);
  if (general.length) {
    lines.push('  whole connection:');
    for (const v of general) lines.push(`        ${MARK[v.status]} ${v.rule}: ${v.detail}${strengthNote(v)}`);
  }
  return lines;
}

export async function explainCommand(args: string[], io: Io): Promise<number> {
  const p = parseArgs(args, { flags: ['quiet'], options: ['trust', 'at', 'keylog', 'report', 'psk'] });
  if (p.positional.length !== 1) throw new UsageError('expects one capture (or transcript JSON file)');
  const opts = checkOptionsFrom(p);
  let violations = 0;
  let n = 0;
  const reportDir = option(p, 'report');
  const report = reportDir !== undefined ? new CheckReport('explain', args, p.positional) : undefined;
  await checkFiles(p.positional, opts, (c, verdicts, t) => {
    report?.add(c, verdicts, t);
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
    for (const l of explainLines(t, verdicts, { passes: !p.flags.has('quiet') }, c.notices)) io.out(`  ${l}`);
    const notes = c.notices?.length ? `, ${c.notices.length} notice(s)` : '';
    io.out(
      `  ${c.summary.violation} violation(s), ${c.summary.inconclusive} inconclusive, ${c.summary.pass} pass, ${c.summary['not-applicable']} not applicable${notes}`,
    );
    io.out('');
  });
  if (n === 0) io.out('no TLS connection found');
  if (report && reportDir !== undefined) io.err(`reports: ${report.write(reportDir).join(', ')}`);
  return violations > 0 ? 1 : 0;
}
