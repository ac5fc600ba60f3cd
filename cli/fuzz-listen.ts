/**
 * `tlsprop fuzz --listen HOST:PORT --client-cmd CMD`: tlsprop plays the TLS
 * server and tests a client, running CMD once per conversation
 * (fuzz/client.ts; CMD is run by /bin/sh with `{host}` and `{port}`
 * replaced, see fuzz/clientcmd.ts). Progress lines, a results table, the
 * ladder of each failing conversation (shrunk when possible, with the
 * `--seed S --path P` that replays it) and a summary; `--json` prints the
 * result as JSON (progress then goes to stderr). Exit 0 when every
 * conversation is conforming and both sanity handshakes worked, 1
 * otherwise, 2 on usage errors. Only loopback listen addresses unless
 * --allow-remote. Without --cert/--key our server uses the engine's test
 * PKI; --write-ca writes its root certificate for the client to trust.
 * `--profile FILE.json` (fuzz/profile.ts; names are mutant names) marks
 * expected failures, which then do not fail the run (an expected failure
 * that passes does), and disables mutants or rules; `--save DIR` writes
 * each failure (shrunk when possible) as pcap + key log + transcript JSON,
 * as `fuzz --target` does.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { convertClientRun } from '../suite/convert';
import { commandName, replayBase } from '../suite/run';
import { writeFuzzReport } from './reporting';
import type { Identity } from '../engine/config';
import { testPki } from '../engine/fixtures';
import { type ClientFuzzResult, fuzzClient } from '../fuzz/client';
import { clientConversationNames } from '../fuzz/client-families';
import { acrossFails, DEFAULT_RANDOM_RUNS } from '../fuzz/core';
import { DEFAULT_STRICTNESS, failsRun, STRICTNESS } from '../fuzz/judge';
import { DEFAULT_READ_TIMEOUT_MS } from '../fuzz/timing';
import type { ClientFuzzOptions } from '../fuzz/options';
import type { Strictness } from '../wire/vocabulary';
import { suiteName } from '../fuzz/names';
import { option, parseArgs, UsageError } from './args';
import { parsePsk } from './psk';
import { readTrustAnchors } from './check';
import { isLoopback, parseTarget, readIdentity } from './connect';
import {
  fuzzResultsTable,
  intOption,
  profileLines,
  profileOutcomeLists,
  readProfileFile,
  acrossLines,
  findingLines,
  unexpectedPasses,
  verdictCounts,
} from './fuzzshared';
import type { Io } from './main';

export const FUZZ_LISTEN_USAGE =
  'fuzz --listen HOST:PORT --client-cmd CMD [--cert C --key K] [--ca CA] [--write-ca FILE] [--client-cert-required] [--psk IDENTITY:HEX [--psk-hint TEXT]] [--seed S] [--runs N (default: every applicable mutant once, then 20 random)] [--path P] [--strictness exact|alert-or-close|any-abort] [--timeout MS] [--operator NAME[,NAME]]... [--profile FILE.json] [--save DIR] [--max-shrink N] [--allow-remote] [--json]';

/** Both sanity handshakes worked, something ran, nothing failed but the expected failures, and no expected failure passed. */
export function clientFuzzOk(r: ClientFuzzResult): boolean {
  return (
    r.sanity.first &&
    r.sanity.last &&
    r.results.length > 0 &&
    !r.results.some(failsRun) &&
    unexpectedPasses(r.results).length === 0 &&
    !r.across.some(acrossFails)
  );
}

export async function fuzzListenCommand(args: string[], io: Io): Promise<number> {
  const p = parseArgs(args, {
    flags: ['allow-remote', 'json', 'client-cert-required'],
    options: [
      'listen',
      'client-cmd',
      'seed',
      'runs',
      'path',
      'strictness',
      'cert',
      'key',
      'ca',
      'write-ca',
      'timeout',
      'operator',
      'profile',
      'save',
      'max-shrink',
      'report',
      'psk',
      'psk-hint',
    ],
  });
  if (p.positional.length)
    throw new UsageError(`unexpected argument ${JSON.stringify(p.positional[0])}; usage: tlsprop ${FUZZ_LISTEN_USAGE}`);
  const listenText = option(p, 'listen');
  if (listenText === undefined) throw new UsageError(`--listen is required; usage: tlsprop ${FUZZ_LISTEN_USAGE}`);
  const command = option(p, 'client-cmd');
  if (command === undefined || !command.trim())
    throw new UsageError(`--client-cmd is required; usage: tlsprop ${FUZZ_LISTEN_USAGE}`);
  // port 0: a free port, picked when our server starts listening (the probe line shows it)
  const listen = /^[^:]+:0$/.test(listenText) ? { host: listenText.slice(0, -2), port: 0 } : parseTarget(listenText);
  if (!isLoopback(listen.host) && !p.flags.has('allow-remote'))
    throw new UsageError(`${listen.host} is not a loopback address; give --allow-remote to listen elsewhere`);
  const host = listen.host === 'localhost' ? '127.0.0.1' : listen.host;
  const strictness = option(p, 'strictness') ?? DEFAULT_STRICTNESS;
  if (!STRICTNESS.includes(strictness as Strictness))
    throw new UsageError(`--strictness must be one of ${STRICTNESS.join(', ')}, got ${JSON.stringify(strictness)}`);
  const seed = intOption(option(p, 'seed'), 'seed', 1, 0);
  // default: every applicable mutant and offered version once, then DEFAULT_RANDOM_RUNS random conversations
  const runsText = option(p, 'runs');
  const runs = runsText === undefined ? undefined : intOption(runsText, 'runs', 0, 1);
  const timeout = intOption(option(p, 'timeout'), 'timeout', DEFAULT_READ_TIMEOUT_MS, 1);
  const path = option(p, 'path');
  if (path !== undefined && !/^\d+(:\d+)*$/.test(path))
    throw new UsageError(`--path expects a fast-check path like 3:0:1, got ${JSON.stringify(path)}`);
  const cert = option(p, 'cert');
  const key = option(p, 'key');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--cert and --key go together');
  const json = p.flags.has('json');
  const progress = json ? io.err : io.out;

  const pki = await testPki();
  let identity: Identity = pki.identity('server', 'rsa');
  if (cert !== undefined && key !== undefined) identity = readIdentity(cert, key);
  const caOut = option(p, 'write-ca');
  if (caOut !== undefined) writeFileSync(caOut, pki.root.pem);
  const ca = p.options.get('ca');
  const o: ClientFuzzOptions = {
    target: { host, port: listen.port, command },
    identity: { pki, identity, trustAnchors: ca ? readTrustAnchors(ca) : pki.anchors },
    budget: { seed, ...(runs !== undefined ? { runs } : {}), readTimeoutMs: timeout },
    profile: { strictness: strictness as Strictness, clientCertRequired: p.flags.has('client-cert-required') },
    output: { onProgress: progress },
  };
  if (path !== undefined) o.budget.path = path;
  // --psk IDENTITY:HEX: our server knows the client's external PSK (TLS 1.3 external PSK, TLS 1.2 PSK suites)
  const psk = option(p, 'psk');
  if (psk !== undefined) o.identity.psk = parsePsk(psk);
  const hint = option(p, 'psk-hint');
  if (hint !== undefined) {
    if (psk === undefined) throw new UsageError('--psk-hint goes with --psk');
    o.identity.pskHint = new TextEncoder().encode(hint);
  }
  const maxShrink = option(p, 'max-shrink');
  if (maxShrink !== undefined) o.budget.maxShrinkRuns = intOption(maxShrink, 'max-shrink', 20, 0);
  const profileFile = option(p, 'profile');
  if (profileFile !== undefined) o.profile.file = readProfileFile(profileFile, clientConversationNames());
  const reportDir = option(p, 'report');
  // --report: failures are saved beside the reports (their links), unless --save says where
  const save = option(p, 'save') ?? (reportDir !== undefined ? join(reportDir, 'conversations') : undefined);
  if (save !== undefined) o.output = { ...o.output, save };
  const operators = p.options.get('operator');
  if (operators !== undefined)
    o.profile.only = operators
      .flatMap((v) => v.split(','))
      .map((m) => m.trim())
      .filter((m) => m !== '');

  progress(
    `fuzzing client ${JSON.stringify(command)} from ${host}:${listen.port} seed ${seed} runs ${runs ?? `one per applicable mutant + ${DEFAULT_RANDOM_RUNS}`} strictness ${strictness}${path !== undefined ? ` path ${path}` : ''}${profileFile !== undefined ? ` profile ${profileFile}` : ''}`,
  );
  const startedAt = Date.now();
  const r = await fuzzClient(o);
  if (reportDir !== undefined) {
    const label = {
      name: commandName(command),
      role: 'client' as const,
      address: command,
      replayArgs: replayBase(p.raw),
      command: 'fuzz' as const,
    };
    const converted = convertClientRun(r, label, resolve(reportDir));
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
  const ok = clientFuzzOk(r);
  const ups = unexpectedPasses(r.results);
  if (json) {
    io.out(
      JSON.stringify(
        {
          listen: r.listen,
          command: r.command,
          seed,
          strictness,
          profile: {
            versions: r.profile.versions,
            tls13: r.profile.suites['1.3'].map(suiteName),
            tls12: r.profile.suites['1.2'].map(suiteName),
          },
          mutants: r.mutants,
          sanity: r.sanity,
          conversations: r.results.map((x) => ({
            ...x.run,
            ...(x.alert ? { alert: x.alert } : {}),
            ...(x.profile ? { profile: x.profile } : {}),
            ...(x.saved ? { saved: x.saved } : {}),
            clientViolations: x.clientViolations,
            exit: x.command.exitCode,
            ms: x.ms,
          })),
          shrunk: r.shrunk.map((s) => ({
            from: s.from,
            path: s.path,
            runs: s.runs,
            replay: `--seed ${seed} --path ${s.path}`,
            conversation: s.result.run,
            ...(s.result.saved ? { saved: s.result.saved } : {}),
          })),
          findings: r.failures.map((f) => ({
            verdict: f.original.run.verdict,
            ...(f.original.run.rule ? { rule: f.original.run.rule } : {}),
            count: f.count,
            path: f.original.run.path,
            ...(f.shrunk ? { shrunk: { path: f.shrunk.run.path, replay: `--seed ${seed} --path ${f.shrunk.run.path}` } } : {}),
          })),
          across: r.across,
          skipped: r.skipped,
          disabled: r.disabled,
          profileOutcome: profileOutcomeLists(r.results),
          startup: r.startup,
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
  io.out(
    `client start-up (spawn to connection, median): ${Math.round(r.startup.floorMs)} ms; a conversation (spawn to exit, median): ${Math.round(r.startup.conversationMs)} ms (${r.startup.floorMs > 0 ? (r.startup.conversationMs / r.startup.floorMs).toFixed(2) : '?'}x the start-up)`,
  );
  const expected = r.results.filter((x) => x.profile?.status === 'expected-failure').length;
  io.out(
    `${r.results.length} conversations in ${r.ms} ms: ${verdictCounts(r.results)}; sanity first ${r.sanity.first ? 'ok' : 'FAILED'}, last ${r.sanity.last ? 'ok' : 'FAILED'}${r.skipped.length ? `; ${r.skipped.length} skipped` : ''}${expected ? `; ${expected} expected failures` : ''}${ups.length ? `; ${ups.length} unexpected passes` : ''}`,
  );
  return ok ? 0 : 1;
}
