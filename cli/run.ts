/**
 * `tlsprop run`: the conformance suite against an implementation (suite/run.ts):
 * a TLS server (--target), a TLS client command (--client-cmd), or with
 * neither the built-in default, Node.js's own tls in both roles in this
 * process; `--self` runs the self-test of our own engine and oracles
 * (suite/self.ts). Always writes the four reports (report.json, junit.xml,
 * summary.md, index.html) to --out (default out/). Progress with an ETA goes
 * to stderr; the summary, per target and per failing rule, to stdout.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { testPki } from '../engine/fixtures';
import { clientConversationNames } from '../fuzz/client-families';
import { conversationNames } from '../fuzz/families';
import { STRICTNESS } from '../fuzz/judge';
import { derToPem } from '../pki/pem';
import { runSelf } from '../suite/self';
import { runSuite, type SuiteOptions, type SuiteTarget, type Tier } from '../suite/run';
import type { Side, Strictness } from '../wire/vocabulary';
import { intOption, option, type Parsed, UsageError } from './args';
import { readTrustAnchors } from './check';
import { isLoopback, parseTarget, readIdentity } from './connect';
import { readProfileFile } from './fuzzshared';
import type { Io } from './main';
import { parsePsk } from './psk';
import { exitCode, summaryLines, writeReports } from './reporting';
import { fuzzProgress, Progress, stderrSink } from './style';

function outDir(p: Parsed): string {
  const out = option(p, 'out');
  const report = option(p, 'report');
  if (out !== undefined && report !== undefined && resolve(out) !== resolve(report))
    throw new UsageError('--out and --report are the same option: give one');
  return out ?? report ?? 'out';
}

function hostPort(text: string, what: string, allowRemote: boolean, port0: boolean): { host: string; port: number } {
  const t = port0 && /^[^:]+:0$/.test(text) ? { host: text.slice(0, -2), port: 0 } : parseTarget(text);
  if (!isLoopback(t.host) && !allowRemote)
    throw new UsageError(`${what} ${t.host} is not a loopback address; give --allow-remote to test what you own elsewhere`);
  return { host: t.host === 'localhost' ? '127.0.0.1' : t.host, port: t.port };
}

export async function runCommand(p: Parsed, io: Io): Promise<number> {
  if (p.flags.has('smoke') && p.flags.has('full')) throw new UsageError('--smoke and --full exclude each other');
  const seed = intOption(p, 'seed', Date.now() % 2 ** 31, 0);
  const dir = outDir(p);
  const progressSink = stderrSink(io.tty === true, io.errRaw ?? io.err);
  if (p.flags.has('self')) return await self(p, io, seed, dir);
  for (const o of ['count', 'mutants'])
    if (option(p, o) !== undefined) throw new UsageError(`--${o} is for --self (the in-memory self-test)`);

  const allowRemote = p.flags.has('allow-remote');
  const targetText = option(p, 'target');
  const command = option(p, 'client-cmd');
  const listenText = option(p, 'listen');
  const role = option(p, 'role');
  if (targetText !== undefined && command !== undefined)
    throw new UsageError('--target (a server) and --client-cmd (a client) are two runs: give one');
  if (listenText !== undefined && command === undefined) throw new UsageError('--listen goes with --client-cmd');
  const name = option(p, 'name');
  const targets: SuiteTarget[] = [];
  if (targetText !== undefined) {
    const t = hostPort(targetText, '--target', allowRemote, false);
    targets.push({ kind: 'server', ...t, ...(name !== undefined ? { name } : {}) });
  } else if (command !== undefined) {
    if (!command.trim()) throw new UsageError('--client-cmd is empty');
    const l = hostPort(listenText ?? '127.0.0.1:0', '--listen', allowRemote, true);
    targets.push({ kind: 'client', command, ...l, ...(name !== undefined ? { name } : {}) });
  } else {
    if (role !== undefined && role !== 'server' && role !== 'client')
      throw new UsageError(`--role must be server or client, got ${JSON.stringify(role)}`);
    targets.push({ kind: 'node', roles: role ? [role as Side] : ['server', 'client'] });
  }
  if (role !== undefined && targets[0]!.kind !== 'node')
    throw new UsageError('--role picks a role of the default Node.js target');

  const strictness = option(p, 'strictness') ?? 'alert-or-close';
  if (!STRICTNESS.includes(strictness as Strictness))
    throw new UsageError(`--strictness must be one of ${STRICTNESS.join(', ')}, got ${JSON.stringify(strictness)}`);
  const tier: Tier = p.flags.has('smoke') ? 'smoke' : p.flags.has('full') ? 'full' : 'default';
  const path = option(p, 'path');
  if (path !== undefined && !/^\d+(:\d+)*$/.test(path))
    throw new UsageError(`--path must look like 3 or 3:0:1 (as printed for a failure), got ${JSON.stringify(path)}`);
  const cert = option(p, 'cert');
  const key = option(p, 'key');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--cert and --key go together');
  const pki = await testPki();
  const o: SuiteOptions = {
    targets,
    seed,
    tier,
    strictness: strictness as Strictness,
    outDir: resolve(dir),
    pki,
    jobs: intOption(p, 'jobs', 2, 1),
    argv: p.raw,
    command: 'run',
  };
  const runs = option(p, 'runs');
  if (runs !== undefined) o.runs = intOption(p, 'runs', 0, 1);
  if (path !== undefined) o.path = path;
  if (option(p, 'timeout') !== undefined) o.readTimeoutMs = intOption(p, 'timeout', 3000, 1);
  if (cert !== undefined && key !== undefined) o.identity = readIdentity(cert, key);
  const ca = p.options.get('ca');
  if (ca) o.trustAnchors = readTrustAnchors(ca);
  const sni = option(p, 'servername') ?? (targetText?.startsWith('localhost:') ? 'localhost' : undefined);
  if (sni !== undefined) o.serverName = sni;
  // --psk IDENTITY:HEX: an external PSK the server target knows (a PSK-only server is probed and fuzzed with it)
  const psk = option(p, 'psk');
  if (psk !== undefined) {
    if (targetText === undefined) throw new UsageError('--psk is for --target (a server that knows the key)');
    o.psk = parsePsk(psk);
  }
  if (p.flags.has('cert-faults')) o.certFaults = true;
  const ops = p.options.get('operator');
  if (ops)
    o.only = ops
      .flatMap((v) => v.split(','))
      .map((s) => s.trim())
      .filter((s) => s !== '');
  const profileFile = option(p, 'profile');
  if (profileFile !== undefined) {
    o.profile = readProfileFile(profileFile, [...conversationNames(), ...clientConversationNames()]);
    o.profileFile = profileFile;
  }
  const baseline = option(p, 'baseline');
  const writeCa = option(p, 'write-ca');
  if (writeCa !== undefined) {
    writeFileSync(writeCa, derToPem(pki.root.der));
    io.err(`wrote the test root (${pki.root.spec.subject}) to ${writeCa}`);
  }

  const first = targets[0]!;
  const what =
    first.kind === 'node'
      ? `Node.js ${process.version} tls (OpenSSL ${process.versions.openssl}) in this process: ${first.roles.map((r) => `its ${r}`).join(' and ')}`
      : first.kind === 'server'
        ? `the TLS server at ${targetText}`
        : `the TLS client ${JSON.stringify(command)}`;
  io.out(`tlsprop run: the conformance suite against ${what}`);
  io.out(
    `seed ${seed} (replay with --seed ${seed}), ${tier === 'default' ? 'default size' : tier}${path !== undefined ? `, path ${path}` : ''}`,
  );
  const progress = new Progress(progressSink);
  const feeds = new Map<string, (l: string) => void>();
  const prefix = targets[0]!.kind === 'node';
  o.onProgress = (target, line) => {
    let f = feeds.get(target);
    if (!f) {
      f = fuzzProgress(progress, prefix ? `${target.replace(/^node \S+ tls /, 'node ')}: ` : '');
      feeds.set(target, f);
    }
    f(line);
  };
  const r = await runSuite(o);
  progress.settle();
  const written = writeReports(r.report, {
    dir,
    includeSecrets: p.flags.has('include-secrets'),
    ...(baseline ? { baseline } : {}),
  });
  for (const l of summaryLines(r.report, written, io)) io.out(l);
  const code = exitCode(r.report);
  io.out(`${code === 0 ? 'passed' : 'FAILED'} in ${((r.report.run?.durationMs ?? 0) / 1000).toFixed(1)} s (seed ${seed})`);
  return code;
}

async function self(p: Parsed, io: Io, seed: number, dir: string): Promise<number> {
  for (const o of ['target', 'client-cmd', 'listen', 'role', 'baseline', 'profile'])
    if (option(p, o) !== undefined) throw new UsageError(`--self tests our own engine: --${o} does not apply`);
  const started = Date.now();
  const r = await runSelf({
    smoke: p.flags.has('smoke'),
    ...(option(p, 'count') !== undefined ? { count: intOption(p, 'count', 40, 0) } : {}),
    ...(option(p, 'mutants') !== undefined ? { mutants: intOption(p, 'mutants', 2, 0) } : {}),
    seed,
    out: io.out,
    progress: (s) => io.err(`[run ${((Date.now() - started) / 1000).toFixed(1)}s] ${s}`),
    argv: p.raw,
  });
  const written = writeReports(r.report, { dir, includeSecrets: p.flags.has('include-secrets') });
  const s = r.report.summary;
  io.out('');
  io.out(
    `${s.transcripts} valid transcripts: ${s.verdicts.pass} pass, ${s.verdicts.violation} violation, ${s.verdicts.inconclusive} inconclusive, ${s.verdicts['not-applicable']} not applicable`,
  );
  io.out(
    `${r.mutants} mutants from ${r.operators} operators: ${r.caught} caught with their declared rules, ${r.mutants - r.caught} not (operators that declare no rule check inconclusiveness instead)`,
  );
  io.out(
    `rules: ${s.rulesApplied} of ${s.rules} applied, ${s.rulesProven} proven by a mutant, ${s.rulesPassedByValid} passed by a valid transcript`,
  );
  io.out(`state-machine transitions exercised: ${s.transitionsExercised} of ${s.transitionsTotal}`);
  for (const f of r.failures) io.out(`FAIL ${f}`);
  for (const w of written) io.out(`written: ${w}`);
  io.out(`${r.failures.length ? 'FAILED' : 'passed'} in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${seed})`);
  return r.failures.length ? 1 : 0;
}
