/**
 * `tlsprop fuzz --target HOST:PORT`: our client against a live TLS server
 * (peer/fuzz.ts): a probe, a sanity handshake first and last, then valid and
 * client-side mutant conversations. Progress lines, a results table and the
 * ladder of each failing conversation; `--json` prints the result as JSON
 * (progress then goes to stderr). Exit 0 when every conversation is
 * conforming and both sanity handshakes worked, 1 otherwise, 2 on usage
 * errors. Only loopback targets unless --allow-remote.
 */
import { testPki } from '../engine/fixtures';
import { STRICTNESS, type Strictness } from '../peer/conversation';
import { type FuzzOptions, type FuzzResult, fuzzTarget, ladderText } from '../peer/fuzz';
import { suiteName } from '../peer/peers';
import { option, parseArgs, UsageError } from './args';
import { readTrustAnchors } from './check';
import { isLoopback, parseTarget, readIdentity } from './connect';
import type { Io } from './main';

export const FUZZ_USAGE = 'fuzz --target HOST:PORT [--seed S] [--count N] [--strictness exact|alert-or-close|any-abort] [--cert C --key K] [--ca CA] [--servername N] [--allow-remote] [--json]';

function intOption(text: string | undefined, name: string, dflt: number, min: number): number {
  if (text === undefined) return dflt;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} needs an integer >= ${min}, got ${JSON.stringify(text)}`);
  return n;
}

/** The results table: one row per conversation. */
export function resultsTable(r: FuzzResult): string[] {
  const rows = r.results.map((x) => [x.run.path ?? '', x.run.verdict, x.alert ?? '-', x.run.rule ?? '-', `${x.ms} ms`, x.run.name]);
  const head = ['path', 'verdict', 'alert', 'rule', 'time', 'conversation'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)];
}

export function fuzzOk(r: FuzzResult): boolean {
  return r.sanity.first && r.sanity.last && r.results.every((x) => x.run.verdict === 'conforming');
}

export async function fuzzCommand(args: string[], io: Io): Promise<number> {
  const p = parseArgs(args, { flags: ['allow-remote', 'json'], options: ['target', 'seed', 'count', 'strictness', 'cert', 'key', 'ca', 'servername', 'timeout'] });
  if (p.positional.length) throw new UsageError(`unexpected argument ${JSON.stringify(p.positional[0])}; usage: tlsprop ${FUZZ_USAGE}`);
  const targetText = option(p, 'target');
  if (targetText === undefined) throw new UsageError(`--target is required; usage: tlsprop ${FUZZ_USAGE}`);
  const target = parseTarget(targetText);
  if (!isLoopback(target.host) && !p.flags.has('allow-remote')) throw new UsageError(`${target.host} is not a loopback address; give --allow-remote to fuzz elsewhere`);
  const host = target.host === 'localhost' ? '127.0.0.1' : target.host;
  const strictness = option(p, 'strictness') ?? 'alert-or-close';
  if (!STRICTNESS.includes(strictness as Strictness)) throw new UsageError(`--strictness must be one of ${STRICTNESS.join(', ')}, got ${JSON.stringify(strictness)}`);
  const seed = intOption(option(p, 'seed'), 'seed', 1, 0);
  const count = intOption(option(p, 'count'), 'count', 20, 1);
  const timeout = intOption(option(p, 'timeout'), 'timeout', 3000, 1);
  const cert = option(p, 'cert');
  const key = option(p, 'key');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--cert and --key go together');
  const json = p.flags.has('json');
  const progress = json ? io.err : io.out;

  const o: FuzzOptions = { host, port: target.port, seed, count, strictness: strictness as Strictness, pki: await testPki(), readTimeoutMs: timeout, onProgress: progress };
  if (cert !== undefined && key !== undefined) o.identity = readIdentity(cert, key);
  const ca = p.options.get('ca');
  if (ca) o.trustAnchors = readTrustAnchors(ca);
  const servername = option(p, 'servername') ?? (target.host === 'localhost' ? 'localhost' : undefined);
  if (servername !== undefined) o.serverName = servername;

  progress(`fuzzing ${host}:${target.port} seed ${seed} count ${count} strictness ${strictness}`);
  const r = await fuzzTarget(o);
  const ok = fuzzOk(r);
  if (json) {
    io.out(
      JSON.stringify(
        {
          target: r.target,
          seed,
          strictness,
          profile: { tls13: r.profile.suites['1.3'].map(suiteName), tls12: r.profile.suites['1.2'].map(suiteName), certificateRequested: r.profile.certificateRequested },
          sanity: r.sanity,
          conversations: r.results.map((x) => ({ ...x.run, ...(x.alert ? { alert: x.alert } : {}), targetViolations: x.targetViolations, ms: x.ms })),
          skipped: r.skipped,
          ok,
        },
        null,
        2,
      ),
    );
    return ok ? 0 : 1;
  }
  for (const l of resultsTable(r)) io.out(l);
  const failing = r.results.filter((x) => x.run.verdict !== 'conforming');
  for (const x of failing) for (const l of ladderText(x.run)) io.out(l);
  const counts = new Map<string, number>();
  for (const x of r.results) counts.set(x.run.verdict, (counts.get(x.run.verdict) ?? 0) + 1);
  io.out(`${r.results.length} conversations in ${r.ms} ms: ${[...counts].map(([k, v]) => `${v} ${k}`).join(', ') || 'none'}; sanity first ${r.sanity.first ? 'ok' : 'FAILED'}, last ${r.sanity.last ? 'ok' : 'FAILED'}${r.skipped.length ? `; ${r.skipped.length} skipped` : ''}`);
  return ok ? 0 : 1;
}
