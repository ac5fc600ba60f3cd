/**
 * `tlsprop learn`: learn the handshake state machine (a Mealy machine) of a
 * live TLS server (`--target HOST:PORT`, repeat it for more connections at
 * once, e.g. several server processes) or client (`--listen HOST:PORT
 * --client-cmd CMD`, CMD run once per query), diff it against the RFC
 * machine, replay and save each difference, and write the report
 * (learn/run.ts). `--replay WORD` runs one input word and prints its
 * ladder; `--compare A.json B.json` diffs two learned machines.
 *
 * Exit 0 when the learned machine has no difference from the RFC machine
 * (compare: the machines are equivalent), 1 otherwise, 2 on usage errors or
 * a target that does not complete a valid handshake with our side. Only
 * loopback targets unless --allow-remote.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs as nodeParseArgs } from 'node:util';
import { nodeProvider } from '../crypto';
import { DEFAULT_GROUPS, DEFAULT_SCHEMES, DEFAULT_SUITES, type Identity } from '../engine/config';
import { testPki, untrustedClientIdentity } from '../engine/fixtures';
import { type AlphabetName, alphabet, type InputSymbol, parseAlphabet, type TargetRole } from '../learn/alphabet';
import { compareMachines } from '../learn/compare';
import { DEFAULT_EQUIVALENCE } from '../learn/equivalence';
import type { LearnedJson } from '../learn/learn';
import { fromJson } from '../learn/mealy';
import { ladderLines } from '../learn/report';
import { parseWord, replayWord, saveReplay } from '../learn/replay';
import { type LearnRun, learnAndDiff, SanityError } from '../learn/run';
import { type ClientLauncher, DEFAULT_TIMING, type SulOptions } from '../learn/sul';
import { ClientCommand } from '../fuzz/clientcmd';
import { cipherSuiteNames, codeOf, namedGroups } from '../wire/registry';
import { TLS_VERSIONS, type TlsVersion } from '../wire/vocabulary';
import { UsageError } from './args';
import { readTrustAnchors } from './check';
import { isLoopback, parseTarget, readIdentity } from './connect';
import type { Io } from './main';

export const LEARN_USAGE =
  'learn (--target HOST:PORT [--target ...] | --listen HOST:PORT --client-cmd CMD [--workers N] [--write-ca FILE]) [--version 1.2|1.3] [--cert C --key K] [--ca CA] [--alphabet default|full|FILE] [--budget MINUTES] [--max-queries N] [--report DIR] [--suites NAME,...] [--groups NAME,...] [--servername N] [--app-data TEXT] [--depth K] [--walks N] [--seed S] [--silence-floor MS] [--no-replay] [--replay WORD] [--json] [--allow-remote] | learn --compare A.json B.json';

/** The options of `tlsprop learn` (cli/commands.ts declares the same keys, cli/commands.test.ts checks it). */
export const LEARN_OPTIONS = {
  target: { type: 'string', multiple: true },
  listen: { type: 'string' },
  'client-cmd': { type: 'string' },
  workers: { type: 'string' },
  'write-ca': { type: 'string' },
  version: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  ca: { type: 'string', multiple: true },
  alphabet: { type: 'string' },
  budget: { type: 'string' },
  'max-queries': { type: 'string' },
  report: { type: 'string' },
  suites: { type: 'string' },
  groups: { type: 'string' },
  servername: { type: 'string' },
  'app-data': { type: 'string' },
  depth: { type: 'string' },
  walks: { type: 'string' },
  seed: { type: 'string' },
  'silence-floor': { type: 'string' },
  'no-replay': { type: 'boolean' },
  replay: { type: 'string' },
  compare: { type: 'boolean' },
  json: { type: 'boolean' },
  'allow-remote': { type: 'boolean' },
} as const;

function num(text: string | undefined, name: string, dflt: number, min: number): number {
  if (text === undefined) return dflt;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} needs a number >= ${min}, got ${JSON.stringify(text)}`);
  return n;
}

function codes(text: string | undefined, what: 'suites' | 'groups'): number[] | undefined {
  if (text === undefined) return undefined;
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((name) => {
      const c = what === 'suites' ? codeOf(cipherSuiteNames, name) : codeOf(namedGroups, name);
      if (c === undefined)
        throw new UsageError(`unknown ${what === 'suites' ? 'cipher suite' : 'group'} ${JSON.stringify(name)}`);
      return c;
    });
}

/** A client command as the launcher of a client target: one process per query, stopped by its process group. */
function commandLauncher(command: string, timeoutMs: number): ClientLauncher {
  return {
    async start(host, port) {
      const c = new ClientCommand({ command, vars: { host, port: String(port) }, timeoutMs });
      return {
        stop: () => c.stop(),
        describe: () => `${c.commandLine} (pid ${c.pid})`,
      };
    },
  };
}

function readJson(file: string): LearnedJson {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  if (typeof v !== 'object' || v === null || (v as { format?: unknown }).format !== 'tlsprop-learned/1')
    throw new UsageError(`${file} is not a learned machine (learned.json of tlsprop learn --report)`);
  return v as LearnedJson;
}

async function compareCommand(files: string[], json: boolean, io: Io): Promise<number> {
  if (files.length !== 2) throw new UsageError('--compare takes two learned.json files');
  const [a, b] = files.map(readJson) as [LearnedJson, LearnedJson];
  const c = compareMachines(fromJson(a.machine), fromJson(b.machine));
  if (json) {
    io.out(JSON.stringify({ a: a.target, b: b.target, ...c }, null, 2));
    return c.equivalent ? 0 : 1;
  }
  io.out(`A: ${a.target} (TLS ${a.version} ${a.role}, ${c.statesA} states)`);
  io.out(`B: ${b.target} (TLS ${b.version} ${b.role}, ${c.statesB} states)`);
  if (c.onlyA.length) io.out(`inputs only in A: ${c.onlyA.join(', ')}`);
  if (c.onlyB.length) io.out(`inputs only in B: ${c.onlyB.join(', ')}`);
  if (c.equivalent) {
    io.out(`equivalent on the ${c.sharedInputs.length} shared inputs`);
    return 0;
  }
  io.out(`${c.disagreements.length} disagreement(s), each with the shortest word that shows it:`);
  for (const [i, d] of c.disagreements.entries()) {
    io.out(`  ${i + 1}. ${d.word.join(' ')}`);
    io.out(`     A: ${d.a.at(-1)}`);
    io.out(`     B: ${d.b.at(-1)}`);
  }
  return 1;
}

function summaryLines(run: LearnRun): string[] {
  const s = run.result.stats;
  const lines = [
    `learned ${s.states} states in ${s.wallSeconds.toFixed(1)} s: ${s.membershipQueries} membership queries (${s.symbols} inputs, ${s.cacheHits} answered from the cache), ${s.equivalenceQueries} equivalence queries (${s.equivalenceTests} test words), ${s.queriesPerSecond.toFixed(1)} queries/s over ${s.workers} connection(s); silence window ${s.silenceMs} ms`,
    run.result.complete
      ? 'the equivalence oracle found no counterexample'
      : 'stopped by the budget: the last hypothesis is reported',
    run.result.deterministic
      ? 'the target answered deterministically'
      : `the target was not deterministic ${run.result.nondeterminism.length} time(s) (the majority was kept)`,
  ];
  for (const f of run.sanity.flagged) lines.push(`in the sanity handshake the target broke ${f.rule}: ${f.detail}`);
  if (!run.differences.length) lines.push('no difference from the RFC machine');
  else lines.push(`${run.differences.length} difference(s) from the RFC machine:`);
  for (const [i, d] of run.differences.entries()) {
    lines.push(
      `  ${i + 1}. ${d.kind} at s${d.state} on ${d.input} -> ${d.output}${d.rules.length ? ` [${d.rules.join(', ')}]` : ''}`,
    );
    lines.push(`     ${d.detail}`);
    lines.push(`     word: ${d.word.join(',')}`);
    if (d.replay?.pcap)
      lines.push(
        `     saved: ${d.replay.pcap} ${d.replay.keylog}${d.replay.reproduced ? '' : ' (the replay answered differently)'}`,
      );
  }
  for (const f of run.diff.freedoms)
    lines.push(`  latitude ${f.freedom.id} (${f.freedom.rfc}) at s${f.state} on ${f.input} -> ${f.output}`);
  if (run.files) lines.push(`report: ${run.files.html} (${run.files.json}, ${run.files.dot})`);
  return lines;
}

export async function learnCommand(args: string[], io: Io): Promise<number> {
  let parsed: ReturnType<typeof nodeParseArgs<{ args: string[]; options: typeof LEARN_OPTIONS; allowPositionals: true }>>;
  try {
    parsed = nodeParseArgs({ args, options: LEARN_OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${e instanceof Error ? e.message : String(e)}; usage: tlsprop ${LEARN_USAGE}`);
  }
  const v = parsed.values;
  const json = v.json === true;
  if (v.compare) return compareCommand(parsed.positionals, json, io);
  if (parsed.positionals.length)
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}; usage: tlsprop ${LEARN_USAGE}`);
  const versionText = v.version ?? '1.2';
  if (!TLS_VERSIONS.includes(versionText as TlsVersion))
    throw new UsageError(`--version must be 1.2 or 1.3, got ${JSON.stringify(versionText)}`);
  const version = versionText as TlsVersion;
  const targets = (v.target ?? []).map((t) => parseTarget(t));
  const role: TargetRole = targets.length ? 'server' : 'client';
  if (!targets.length && (v.listen === undefined || v['client-cmd'] === undefined))
    throw new UsageError(
      `give --target HOST:PORT (a server) or --listen HOST:PORT --client-cmd CMD (a client); usage: tlsprop ${LEARN_USAGE}`,
    );
  if (targets.length && v.listen !== undefined) throw new UsageError('--target and --listen exclude each other');
  const remote = v['allow-remote'] === true;
  for (const t of targets)
    if (!isLoopback(t.host) && !remote)
      throw new UsageError(`${t.host} is not a loopback address; give --allow-remote to learn it`);
  if ((v.cert === undefined) !== (v.key === undefined)) throw new UsageError('--cert and --key go together');
  const provider = nodeProvider();
  const pki = await testPki();
  // our side's identity: given, or (client targets) the engine's test PKI server leaf
  let identity: Identity | undefined = v.cert && v.key ? readIdentity(v.cert, v.key) : undefined;
  if (role === 'client' && !identity) identity = pki.identity('server', 'rsa');
  // a server target that authenticates clients also gets a chain under a root it cannot trust (certificate(untrusted))
  const untrusted = role === 'server' && identity ? await untrustedClientIdentity(pki) : undefined;
  if (v['write-ca'] !== undefined) writeFileSync(v['write-ca'], pki.root.pem);
  const appData = new TextEncoder().encode(v['app-data'] ?? 'tlsprop learn\n');
  const sul: SulOptions = {
    role,
    version,
    provider,
    mapper: {
      suites: codes(v.suites, 'suites') ?? [...DEFAULT_SUITES],
      groups: codes(v.groups, 'groups') ?? [...DEFAULT_GROUPS],
      schemes: [...DEFAULT_SCHEMES],
      ...(identity ? { identity } : {}),
      ...(untrusted ? { untrusted } : {}),
      serverName: v.servername ?? 'localhost',
      appData,
    },
    timing: { ...DEFAULT_TIMING, floorMs: num(v['silence-floor'], 'silence-floor', DEFAULT_TIMING.floorMs, 1) },
  };
  if (role === 'server')
    sul.targets = targets.map((t) => ({ host: t.host === 'localhost' ? '127.0.0.1' : t.host, port: t.port }));
  else {
    const l = /^[^:]+:0$/.test(v.listen!) ? { host: v.listen!.slice(0, -2), port: 0 } : parseTarget(v.listen!);
    if (!isLoopback(l.host) && !remote)
      throw new UsageError(`${l.host} is not a loopback address; give --allow-remote to listen elsewhere`);
    sul.listen = {
      host: l.host === 'localhost' ? '127.0.0.1' : l.host,
      port: l.port,
      workers: num(v.workers, 'workers', 1, 1),
      launcher: commandLauncher(v['client-cmd']!, 60_000),
    };
  }
  const target = role === 'server' ? targets.map((t) => `${t.host}:${t.port}`).join(' ') : v['client-cmd']!;
  const progress = json ? io.err : io.out;

  if (v.replay !== undefined) {
    let word: InputSymbol[];
    try {
      word = parseWord(v.replay);
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
    const run = await replayWord(sul, word);
    if (json) io.out(JSON.stringify({ word, outputs: run.outputs, keylog: run.keylog }, null, 2));
    else for (const l of ladderLines(role, word, run.outputs)) io.out(l);
    if (v.report !== undefined) {
      const saved = saveReplay(v.report, `replay-${word.join('_')}`, run, role, target);
      progress(`saved: ${saved.pcap} ${saved.keylog} ${saved.json}`);
    }
    return 0;
  }

  const alphabetText = v.alphabet ?? 'default';
  let inputs: InputSymbol[];
  if (alphabetText === 'default' || alphabetText === 'full')
    inputs = alphabet(alphabetText as AlphabetName, role, version, identity !== undefined, untrusted !== undefined);
  else {
    let text: string;
    try {
      text = readFileSync(alphabetText, 'utf8');
    } catch (e) {
      throw new UsageError(
        `cannot read --alphabet ${alphabetText}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
      );
    }
    try {
      inputs = parseAlphabet(text, role, version);
    } catch (e) {
      throw new UsageError(`--alphabet ${alphabetText}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const budgetMin = num(v.budget, 'budget', 5, 0.05);
  const maxQueries = v['max-queries'] !== undefined ? num(v['max-queries'], 'max-queries', 0, 1) : undefined;
  progress(
    `learning TLS ${version} ${role} ${target} with ${inputs.length} inputs (${inputs.join(', ')}), budget ${budgetMin} min${role === 'client' ? `, listening on ${sul.listen!.host}:${sul.listen!.port}` : ''}`,
  );
  let run: LearnRun;
  try {
    run = await learnAndDiff({
      target,
      sul,
      inputs,
      budgetMs: budgetMin * 60_000,
      ...(maxQueries !== undefined ? { maxQueries } : {}),
      equivalence: {
        depth: num(v.depth, 'depth', DEFAULT_EQUIVALENCE.depth, 0),
        randomWalks: num(v.walks, 'walks', DEFAULT_EQUIVALENCE.randomWalks, 0),
        seed: num(v.seed, 'seed', DEFAULT_EQUIVALENCE.seed, 0),
      },
      replay: v['no-replay'] !== true,
      ...(v.report !== undefined ? { reportDir: v.report } : {}),
      ...(v.ca ? { trustAnchors: readTrustAnchors(v.ca) } : {}),
      log: progress,
    });
  } catch (e) {
    if (e instanceof SanityError) {
      io.err(`tlsprop learn: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (json)
    io.out(
      JSON.stringify(
        {
          target,
          role,
          version,
          stats: run.result.stats,
          complete: run.result.complete,
          deterministic: run.result.deterministic,
          nondeterminism: run.result.nondeterminism,
          sanity: run.sanity,
          differences: run.differences,
          freedoms: run.diff.freedoms,
          files: run.files,
        },
        null,
        2,
      ),
    );
  else for (const l of summaryLines(run)) io.out(l);
  return run.differences.length ? 1 : 0;
}
