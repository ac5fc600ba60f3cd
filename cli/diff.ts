/**
 * `tlsprop diff --target A --target B [--target C ...]`: differential
 * testing of TLS servers. Each target is probed as the fuzzer probes it;
 * the conversations are generated once, from the seed and from what every
 * target accepts (the intersection of the probes, so that no conversation
 * differs because one target lacks a suite), then each runs against every
 * target (the fuzzer's live conversations: valid handshakes, client-side
 * mutants, state-machine conversations). learn/differential.ts compares
 * what the targets did and groups the conversations where they disagree;
 * the output is the matrix implementation x conversation family and each
 * group with the ladders of one conversation.
 *
 * `tlsprop diff --listen HOST:PORT --client-cmd A --client-cmd B ...` does
 * the same for TLS clients: each command is run once per conversation of
 * the client fuzzer (its coverage conversations, by name).
 *
 * This is the one module that couples the differential comparison to the
 * live conversations (fuzz/target.ts: probe, planContext, runSpec;
 * fuzz/families.ts: the seeded conversations; fuzz/client.ts: fuzzClient).
 *
 * Exit 0 when the targets agree on every comparable conversation, 1 when
 * they disagree, 2 on usage errors.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs as nodeParseArgs } from 'node:util';
import fc from 'fast-check';
import type { Identity } from '../engine/config';
import { testPki } from '../engine/fixtures';
import {
  compareObservations,
  type ConversationObservations,
  type DifferentialResult,
  differentialLines,
  negotiatedOf,
  type Observation,
  type ObservedOutcome,
} from '../learn/differential';
import { fuzzClient } from '../fuzz/client';
import type { Judged } from '../fuzz/core';
import { conversationArb, coverageExamples, specText } from '../fuzz/families';
import { alertName } from '../fuzz/observe';
import type { ClientFuzzOptions, ServerFuzzOptions } from '../fuzz/options';
import type { TargetProfile } from '../fuzz/probe';
import { planContext, probe, runShared, runSpec } from '../fuzz/target';
import type { Transcript } from '../transcript/model';
import { UsageError } from './args';
import { readTrustAnchors } from './check';
import { isLoopback, parseTarget, readIdentity } from './connect';
import { operatorsOf } from './fuzz';
import type { Io } from './main';

export const DIFF_USAGE =
  'diff --target [NAME=]HOST:PORT --target [NAME=]HOST:PORT [--target ...] [--seed S] [--runs N] [--cert C --key K] [--ca CA] [--servername N] [--timeout MS] [--operator NAME[,NAME]]... [--json] [--out FILE] [--allow-remote] | diff --listen HOST:PORT --client-cmd CMD --client-cmd CMD [...] [--write-ca FILE]';

/** The options of `tlsprop diff` (cli/commands.ts declares the same keys, cli/commands.test.ts checks it). */
export const DIFF_OPTIONS = {
  target: { type: 'string', multiple: true },
  listen: { type: 'string' },
  'client-cmd': { type: 'string', multiple: true },
  'write-ca': { type: 'string' },
  seed: { type: 'string' },
  runs: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  ca: { type: 'string', multiple: true },
  servername: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  out: { type: 'string' },
  'allow-remote': { type: 'boolean' },
  operator: { type: 'string', multiple: true },
} as const;

function int(text: string | undefined, name: string, dflt: number, min: number): number {
  if (text === undefined) return dflt;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} needs an integer >= ${min}, got ${JSON.stringify(text)}`);
  return n;
}

/** What the targets all accept: the intersection of their probes (the conversations are generated from it). */
export function commonProfile(profiles: readonly TargetProfile[]): TargetProfile {
  const inter = (lists: Array<readonly number[] | undefined>): number[] | undefined => {
    const known = lists.filter((l): l is readonly number[] => l !== undefined);
    if (!known.length) return undefined;
    return known[0]!.filter((x) => known.every((l) => l.includes(x)));
  };
  const out: TargetProfile = {
    suites: {
      '1.2': inter(profiles.map((p) => p.suites['1.2'])) ?? [],
      '1.3': inter(profiles.map((p) => p.suites['1.3'])) ?? [],
    },
    // a conversation that needs a certificate request runs only when every target asks for one
    certificateRequested: profiles.every((p) => p.certificateRequested),
  };
  const groups = inter(profiles.map((p) => p.groups));
  if (groups) out.groups = groups;
  const schemes = inter(profiles.map((p) => p.schemes));
  if (schemes) out.schemes = schemes;
  const chain = [...new Set(profiles.flatMap((p) => p.chainSchemes ?? []))];
  if (chain.length) out.chainSchemes = chain;
  return out;
}

/**
 * The profile one target's conversations are built and judged with: the common profile (the same conversations on
 * the wire for every target), and that target's own client-certificate policy and trust of our test root, which
 * change only what is expected of it (fuzz/families.ts heldToChain, untrustedToo), never what is sent.
 */
export function judgedProfile(common: TargetProfile, own: TargetProfile): TargetProfile {
  const out: TargetProfile = { ...common };
  if (own.clientCertRequired !== undefined) out.clientCertRequired = own.clientCertRequired;
  if (own.testRootTrusted !== undefined) out.testRootTrusted = own.testRootTrusted;
  return out;
}

/** How a conversation ended for the peer under test (its messages in `t` go `peerDir`), from what it sent. */
export function outcomeOf(r: Judged, t: Transcript | undefined, peerDir: 'S->C' | 'C->S'): ObservedOutcome {
  const theirs = t?.messages.filter((m) => m.dir === peerDir) ?? [];
  if (r.alert !== undefined) return `alert(${r.alert})`;
  const alert = theirs.find((m) => m.kind === 'alert' && m.alert && m.alert.level === 2);
  if (alert?.alert) return `alert(${alertName(alert.alert.description)})`;
  if (theirs.some((m) => m.type === 'finished')) return 'completed';
  const end = r.run.ladder.at(-1) ?? '';
  if (/timed out/.test(end)) return 'no-answer';
  if (/reset/.test(end)) return 'reset';
  return 'closed';
}

/** What every server target is run with but its address. */
type ServerBase = Omit<ServerFuzzOptions, 'target'>;

async function serverDiff(
  targets: Array<{ name: string; host: string; port: number }>,
  base: ServerBase,
  runs: number,
  progress: (s: string) => void,
): Promise<DifferentialResult> {
  const names = targets.map((t) => t.name);
  const opts = targets.map((t): ServerFuzzOptions => ({ ...base, target: { host: t.host, port: t.port } }));
  const shared = opts.map((o) => runShared(o));
  const profiles: TargetProfile[] = [];
  for (const [i, o] of opts.entries()) {
    progress(`probing ${names[i]}`);
    profiles.push(await probe(o, shared[i]));
  }
  const common = commonProfile(profiles);
  progress(
    `common to all: TLS 1.2 suites ${common.suites['1.2'].length}, TLS 1.3 suites ${common.suites['1.3'].length}, client certificate ${common.certificateRequested ? 'requested' : 'not requested by all'}`,
  );
  // generated once, from the seed and the common profile; each target runs them with its own context
  const plan = planContext(opts[0]!, common, shared[0]!.provider);
  const specs = [...coverageExamples(plan), ...fc.sample(conversationArb(plan), { seed: base.budget.seed, numRuns: runs })];
  const contexts = opts.map((o, k) => planContext(o, judgedProfile(common, profiles[k]!), shared[k]!.provider));
  const conversations: ConversationObservations[] = [];
  for (const [i, spec] of specs.entries()) {
    const outs = await Promise.all(contexts.map((ctx, k) => runSpec(ctx, spec, String(i), shared[k])));
    const conv = outs[0]!.result.conversation;
    const observations: Observation[] = outs.map((out, k) => {
      const outcome = outcomeOf(out.result, out.transcript, 'S->C');
      const obs: Observation = {
        implementation: names[k]!,
        outcome,
        verdict: out.result.run.verdict,
        ladder: out.result.run.ladder.filter((l) => !l.startsWith('-- conversation:')),
        fired: out.fired,
      };
      if (outcome === 'completed') obs.negotiated = negotiatedOf(out.transcript);
      return obs;
    });
    conversations.push({ index: i, name: conv.name, family: `${conv.kind} ${conv.version}`, spec: specText(spec), observations });
    if ((i + 1) % 10 === 0) progress(`${i + 1}/${specs.length} conversations`);
  }
  return compareObservations(conversations, names);
}

async function clientDiff(
  commands: string[],
  listen: { host: string; port: number },
  base: {
    seed: number;
    pki: Awaited<ReturnType<typeof testPki>>;
    identity: Identity;
    trustAnchors: Uint8Array[];
    timeout: number;
    /** Only these mutation names (valid handshakes stay). */
    only?: readonly string[];
  },
  runs: number,
  progress: (s: string) => void,
): Promise<DifferentialResult> {
  const byName = new Map<string, ConversationObservations>();
  for (const command of commands) {
    progress(`running the client conversations against ${command}`);
    const o: ClientFuzzOptions = {
      target: { host: listen.host, port: listen.port, command },
      identity: { pki: base.pki, identity: base.identity, trustAnchors: base.trustAnchors },
      budget: { seed: base.seed, runs, readTimeoutMs: base.timeout, maxShrinkRuns: 0 },
      profile: { strictness: 'alert-or-close', ...(base.only ? { only: base.only } : {}) },
    };
    const r = await fuzzClient(o);
    for (const res of r.results) {
      const name = res.run.name;
      const c = byName.get(name) ?? {
        index: byName.size,
        name,
        family: name.split('-')[0] ?? name,
        spec: name,
        observations: [],
      };
      // from the transcript, as for servers (the ladder's lines are for people)
      const outcome = outcomeOf(res, res.transcript, 'C->S');
      c.observations.push({ implementation: command, outcome, verdict: res.run.verdict, ladder: res.run.ladder, fired: true });
      byName.set(name, c);
    }
  }
  // a conversation one client did not get (the clients offered different things) is not comparable
  const all = [...byName.values()];
  const complete = all.filter((c) => c.observations.length === commands.length);
  const result = compareObservations(complete, commands);
  for (const c of all.filter((x) => x.observations.length !== commands.length))
    result.notComparable.push({ name: c.name, why: `run against ${c.observations.length} of ${commands.length} clients` });
  return result;
}

export async function diffCommand(args: string[], io: Io): Promise<number> {
  let parsed: ReturnType<typeof nodeParseArgs<{ args: string[]; options: typeof DIFF_OPTIONS; allowPositionals: true }>>;
  try {
    parsed = nodeParseArgs({ args, options: DIFF_OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${e instanceof Error ? e.message : String(e)}; usage: tlsprop ${DIFF_USAGE}`);
  }
  const v = parsed.values;
  if (parsed.positionals.length)
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}; usage: tlsprop ${DIFF_USAGE}`);
  const json = v.json === true;
  const progress = json ? io.err : io.out;
  const seed = int(v.seed, 'seed', 1, 0);
  const runs = int(v.runs, 'runs', 20, 0);
  const timeout = int(v.timeout, 'timeout', 3000, 1);
  const remote = v['allow-remote'] === true;
  const only = operatorsOf(v.operator);
  if ((v.cert === undefined) !== (v.key === undefined)) throw new UsageError('--cert and --key go together');
  const pki = await testPki();
  const trustAnchors = v.ca ? readTrustAnchors(v.ca) : undefined;
  let result: DifferentialResult;
  if (v.target?.length) {
    if (v.target.length < 2) throw new UsageError('give at least two --target to compare');
    // NAME=HOST:PORT names an implementation in the report
    const named = v.target.map((t) => {
      const eq = t.indexOf('=');
      return eq > 0 ? { name: t.slice(0, eq), ...parseTarget(t.slice(eq + 1)) } : { name: t, ...parseTarget(t) };
    });
    const targets = named;
    for (const t of targets)
      if (!isLoopback(t.host) && !remote) throw new UsageError(`${t.host} is not a loopback address; give --allow-remote`);
    const base: ServerBase = {
      identity: {
        pki,
        serverName: v.servername ?? 'localhost',
        ...(v.cert && v.key ? { identity: readIdentity(v.cert, v.key) } : {}),
        ...(trustAnchors ? { trustAnchors } : {}),
      },
      budget: { seed, readTimeoutMs: timeout, maxShrinkRuns: 0 },
      profile: { strictness: 'alert-or-close', ...(only ? { only } : {}) },
    };
    result = await serverDiff(
      targets.map((t) => ({ name: t.name, host: t.host === 'localhost' ? '127.0.0.1' : t.host, port: t.port })),
      base,
      runs,
      progress,
    );
  } else if (v.listen !== undefined && (v['client-cmd']?.length ?? 0) >= 2) {
    const l = /^[^:]+:0$/.test(v.listen) ? { host: v.listen.slice(0, -2), port: 0 } : parseTarget(v.listen);
    if (!isLoopback(l.host) && !remote) throw new UsageError(`${l.host} is not a loopback address; give --allow-remote`);
    if (v['write-ca'] !== undefined) writeFileSync(v['write-ca'], pki.root.pem);
    const identity = v.cert && v.key ? readIdentity(v.cert, v.key) : pki.identity('server', 'rsa');
    result = await clientDiff(
      v['client-cmd']!,
      { host: l.host === 'localhost' ? '127.0.0.1' : l.host, port: l.port },
      { seed, pki, identity, trustAnchors: trustAnchors ?? pki.anchors, timeout, ...(only ? { only } : {}) },
      runs,
      progress,
    );
  } else
    throw new UsageError(`give two or more --target, or --listen with two or more --client-cmd; usage: tlsprop ${DIFF_USAGE}`);
  const lines = differentialLines(result);
  if (v.out !== undefined) writeFileSync(v.out, `${JSON.stringify(result, null, 2)}\n`);
  if (json) io.out(JSON.stringify(result, null, 2));
  else for (const l of lines) io.out(l);
  return result.disagreements.length ? 1 : 0;
}
