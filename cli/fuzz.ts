/**
 * `tlsprop fuzz --target HOST:PORT`: our client against a live TLS server
 * (fuzz/target.ts): a probe, a sanity handshake first and last, then `--runs`
 * generated conversations (valid, client-side mutants, state-machine steps,
 * with `--cert-faults` client-certificate faults). Progress lines (a bar on
 * a terminal), a results table, and the ladder of each failing conversation
 * shrunk to the smallest one that fails the same way, with the seed and path
 * that replay it (`--seed S --path P`). `--profile` marks expected failures
 * and disables conversations or rules; `--save DIR` writes each failure as
 * pcap + key log + transcript JSON; `--json` prints the result as JSON
 * (progress then goes to stderr). Exit 0 when every conversation is
 * conforming or an expected failure, no expected failure passed, and both
 * sanity handshakes worked; 1 otherwise; 2 on usage errors (bad profile
 * included). Only loopback targets unless --allow-remote. `--write-ca FILE`
 * writes the test root (PEM) the certificate-fault conversations chain to,
 * so the target can be told to trust it; without --target that is all.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { convertServerRun } from '../suite/convert';
import { replayBase } from '../suite/run';
import { writeFuzzReport } from './reporting';
import { testPki } from '../engine/fixtures';
import { derToPem } from '../pki/pem';
import { acrossFails, DEFAULT_RANDOM_RUNS } from '../fuzz/core';
import { conversationNames } from '../fuzz/families';
import { DEFAULT_STRICTNESS, failsRun, STRICTNESS } from '../fuzz/judge';
import type { ServerFuzzOptions } from '../fuzz/options';
import { type FuzzResult, fuzzTarget } from '../fuzz/target';
import { DEFAULT_READ_TIMEOUT_MS } from '../fuzz/timing';
import type { Strictness } from '../wire/vocabulary';
import { suiteName } from '../fuzz/names';
import { option, parseArgs, UsageError } from './args';
import { readTrustAnchors } from './check';
import { isLoopback, parseTarget, readIdentity } from './connect';
import { fuzzListenCommand } from './fuzz-listen';
import {
  fuzzResultsTable,
  intOption,
  profileLines,
  profileOutcomeLists,
  readProfileFile,
  findingLines,
  acrossLines,
  unexpectedPasses,
  verdictCounts,
} from './fuzzshared';
import { type Io, processIo } from './main';
import { parsePsk } from './psk';

export const FUZZ_USAGE =
  'fuzz --target HOST:PORT [--seed S] [--runs N (default: every applicable name once, then 20 random)] [--path P] [--operator NAME[,NAME]]... [--profile FILE.json] [--save DIR] [--strictness exact|alert-or-close|any-abort] [--cert C --key K] [--ca CA] [--cert-faults] [--write-ca FILE] [--servername N] [--psk IDENTITY:HEX] [--timeout MS] [--max-shrink N] [--allow-remote] [--json]';

export function fuzzOk(r: FuzzResult): boolean {
  return (
    r.sanity.first &&
    r.sanity.last &&
    !r.results.some(failsRun) &&
    unexpectedPasses(r.results).length === 0 &&
    !r.across.some(acrossFails)
  );
}

/** `--operator a,b --operator c`, checked against the known names. */
export function operatorsOf(values: readonly string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  const known = conversationNames();
  const names = values
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length)
    throw new UsageError(`unknown operator ${unknown.map((u) => JSON.stringify(u)).join(', ')}; known: ${known.join(', ')}`);
  return names;
}

function bar(done: number, total: number): string {
  const w = 30;
  const n = Math.round((done / Math.max(total, 1)) * w);
  return `[${'#'.repeat(n)}${'.'.repeat(w - n)}] ${done}/${total}`;
}

export async function fuzzCommand(args: string[], io: Io): Promise<number> {
  // --listen: tlsprop plays the server and tests a client command (cli/fuzz-listen.ts)
  if (args.some((a) => a === '--listen' || a.startsWith('--listen='))) return fuzzListenCommand(args, io);
  const p = parseArgs(args, {
    flags: ['allow-remote', 'json', 'cert-faults'],
    options: [
      'target',
      'seed',
      'count',
      'runs',
      'path',
      'operator',
      'profile',
      'save',
      'max-shrink',
      'strictness',
      'cert',
      'key',
      'ca',
      'servername',
      'timeout',
      'write-ca',
      'jobs',
      'restart-cmd',
      'report',
      'psk',
    ],
  });
  if (p.positional.length)
    throw new UsageError(`unexpected argument ${JSON.stringify(p.positional[0])}; usage: tlsprop ${FUZZ_USAGE}`);
  const pki = await testPki();
  // --write-ca: the test root that the certificate-fault conversations (and our test client certificates) chain to,
  // for the target to trust; alone it only writes the file, with --target the run follows
  const writeCa = option(p, 'write-ca');
  if (writeCa !== undefined) {
    try {
      writeFileSync(writeCa, derToPem(pki.root.der));
    } catch (e) {
      throw new UsageError(`cannot write --write-ca ${writeCa}: ${e instanceof Error ? e.message : String(e)}`);
    }
    io.err(`wrote the test root (${pki.root.spec.subject}) to ${writeCa}: make the target trust it for --cert-faults`);
    if (option(p, 'target') === undefined) return 0;
  }
  const targetText = option(p, 'target');
  if (targetText === undefined) throw new UsageError(`--target is required; usage: tlsprop ${FUZZ_USAGE}`);
  const target = parseTarget(targetText);
  if (!isLoopback(target.host) && !p.flags.has('allow-remote'))
    throw new UsageError(`${target.host} is not a loopback address; give --allow-remote to fuzz elsewhere`);
  const host = target.host === 'localhost' ? '127.0.0.1' : target.host;
  const strictness = option(p, 'strictness') ?? DEFAULT_STRICTNESS;
  if (!STRICTNESS.includes(strictness as Strictness))
    throw new UsageError(`--strictness must be one of ${STRICTNESS.join(', ')}, got ${JSON.stringify(strictness)}`);
  const seed = intOption(option(p, 'seed'), 'seed', 1, 0);
  if (option(p, 'runs') !== undefined && option(p, 'count') !== undefined)
    throw new UsageError('--runs and --count are the same option: give one');
  // default: every applicable name once, then DEFAULT_RANDOM_RUNS random conversations (the count follows the probe)
  const runsText = option(p, 'runs') ?? option(p, 'count');
  const runs = runsText === undefined ? undefined : intOption(runsText, option(p, 'runs') !== undefined ? 'runs' : 'count', 0, 1);
  const timeout = intOption(option(p, 'timeout'), 'timeout', DEFAULT_READ_TIMEOUT_MS, 1);
  const maxShrink = intOption(option(p, 'max-shrink'), 'max-shrink', 30, 0);
  const path = option(p, 'path');
  if (path !== undefined && !/^\d+(:\d+)*$/.test(path))
    throw new UsageError(`--path must look like 3 or 3:0:1 (as printed for a failure), got ${JSON.stringify(path)}`);
  const cert = option(p, 'cert');
  const key = option(p, 'key');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--cert and --key go together');
  const operators = operatorsOf(p.options.get('operator'));
  const json = p.flags.has('json');
  const progress = json ? io.err : io.out;

  const o: ServerFuzzOptions = {
    target: { host, port: target.port },
    identity: { pki },
    budget: { seed, ...(runs !== undefined ? { runs } : {}), readTimeoutMs: timeout, maxShrinkRuns: maxShrink },
    profile: { strictness: strictness as Strictness },
  };
  const jobs = option(p, 'jobs');
  if (jobs !== undefined) o.budget.jobs = intOption(jobs, 'jobs', 1, 1);
  const restart = option(p, 'restart-cmd');
  if (restart !== undefined) {
    if (!restart.trim()) throw new UsageError('--restart-cmd needs a command');
    o.target.restart = restart;
  }
  const profileFile = option(p, 'profile');
  if (profileFile !== undefined) o.profile.file = readProfileFile(profileFile, conversationNames());
  if (operators) o.profile.only = operators;
  if (path !== undefined) o.budget.path = path;
  // --cert-faults: the default now (certificate faults run whenever the target asks for a client certificate); kept for old scripts
  if (cert !== undefined && key !== undefined) o.identity.identity = readIdentity(cert, key);
  const ca = p.options.get('ca');
  if (ca) o.identity.trustAnchors = readTrustAnchors(ca);
  const servername = option(p, 'servername') ?? (target.host === 'localhost' ? 'localhost' : undefined);
  if (servername !== undefined) o.identity.serverName = servername;
  // --psk IDENTITY:HEX: an external PSK the target knows (a PSK-only target is probed and fuzzed with it)
  const psk = option(p, 'psk');
  if (psk !== undefined) o.identity.psk = parsePsk(psk);
  // a progress bar only on a terminal, plain lines otherwise
  const tty = io === processIo && !json && process.stdout.isTTY === true;
  const reportDir = option(p, 'report');
  // --report: failures are saved beside the reports (their links), unless --save says where
  const save = option(p, 'save') ?? (reportDir !== undefined ? join(reportDir, 'conversations') : undefined);
  o.output = { ...(save !== undefined ? { save } : {}) };
  o.output.onProgress = tty
    ? (l) => {
        const m = /^\[(\d+)\/(\d+)\] /.exec(l);
        if (m) process.stdout.write(`\r${bar(Number(m[1]), Number(m[2]))} ${l.slice(m[0].length, m[0].length + 40).padEnd(40)}`);
        else process.stdout.write(`\r${l}\n`);
      }
    : progress;

  progress(
    `fuzzing ${host}:${target.port} seed ${seed} ${path !== undefined ? `path ${path}` : `runs ${runs ?? `one per applicable name + ${DEFAULT_RANDOM_RUNS}`}`} strictness ${strictness}${o.profile.file ? ` profile ${profileFile}` : ''}`,
  );
  const startedAt = Date.now();
  const r = await fuzzTarget(o);
  if (tty) process.stdout.write('\n');
  if (reportDir !== undefined) {
    const address = `${host}:${target.port}`;
    const replayArgs = replayBase(p.raw) || `--target ${address}`;
    const converted = convertServerRun(
      r,
      { name: `server ${address}`, role: 'server', address, replayArgs, command: 'fuzz' },
      resolve(reportDir),
    );
    const lines = writeFuzzReport(
      converted,
      {
        dir: reportDir,
        argv: p.raw,
        seed,
        startedAt,
        ...(o.profile.file ? { profile: o.profile.file } : {}),
        ...(profileFile !== undefined ? { profileFile } : {}),
      },
      io,
    );
    for (const l of lines) io.err(l);
  }
  const ok = fuzzOk(r);
  const ups = unexpectedPasses(r.results);
  if (json) {
    io.out(
      JSON.stringify(
        {
          target: r.target,
          seed,
          runs: r.runs,
          ...(path !== undefined ? { path } : {}),
          strictness,
          profile: {
            tls13: r.profile.suites['1.3'].map(suiteName),
            tls12: r.profile.suites['1.2'].map(suiteName),
            certificateRequested: r.profile.certificateRequested,
            ...(r.profile.clientCertRequired !== undefined ? { clientCertRequired: r.profile.clientCertRequired } : {}),
            ...(r.profile.groups ? { groups: r.profile.groups } : {}),
            ...(r.profile.schemes ? { schemes: r.profile.schemes } : {}),
            // the versions whose handshakes took our --psk (TLS 1.2 PSK suites, TLS 1.3 external PSK)
            ...(r.profile.psk ? { psk: r.profile.psk } : {}),
          },
          sanity: r.sanity,
          conversations: r.results.map((x) => ({
            ...x.run,
            ...(x.alert ? { alert: x.alert } : {}),
            ...(x.profile ? { profile: x.profile } : {}),
            targetViolations: x.targetViolations,
            ms: x.ms,
          })),
          across: r.across,
          failures: r.failures.map((f) => ({
            path: f.original.run.path,
            name: f.original.run.name,
            verdict: f.original.run.verdict,
            ...(f.original.run.rule ? { rule: f.original.run.rule } : {}),
            count: f.count,
            reproduced: f.reproduced,
            shrinkRuns: f.shrinkRuns,
            ...(f.shrunk
              ? {
                  shrunk: {
                    path: f.shrunk.run.path,
                    name: f.shrunk.run.name,
                    ladder: f.shrunk.run.ladder,
                    replay: `--seed ${seed} --path ${f.shrunk.run.path}`,
                  },
                }
              : {}),
            ...((f.shrunk ?? f.original).saved ? { saved: (f.shrunk ?? f.original).saved } : {}),
          })),
          profileOutcome: { ...profileOutcomeLists(r.results), disabled: r.disabled },
          skipped: r.skipped,
          jobs: r.jobs,
          timing: r.timing,
          ...(r.stopped ? { stopped: r.stopped } : {}),
          ok,
        },
        null,
        2,
      ),
    );
    return ok ? 0 : 1;
  }
  for (const l of fuzzResultsTable(r.results)) io.out(l);
  for (const l of findingLines(r.failures)) io.out(l);
  for (const l of acrossLines(r.across)) io.out(l);
  for (const l of profileLines(r.results, r.disabled)) io.out(l);
  const expected = r.results.filter((x) => x.profile?.status === 'expected-failure').length;
  const extra = [
    r.stopped ? `STOPPED after ${r.stopped.after}: ${r.stopped.reason}; ${r.stopped.notRun} not run` : '',
    r.skipped.length ? `${r.skipped.length} skipped` : '',
    expected ? `${expected} expected failure(s)` : '',
    ups.length ? `${ups.length} unexpected pass(es)` : '',
  ].filter((s) => s !== '');
  io.out(
    `${r.results.length} conversations in ${r.ms} ms (${r.jobs} at a time): ${verdictCounts(r.results)}; sanity first ${r.sanity.first ? 'ok' : 'FAILED'}, last ${r.sanity.last ? 'ok' : 'FAILED'}${extra.length ? `; ${extra.join('; ')}` : ''}`,
  );
  return ok ? 0 : 1;
}
