/**
 * `tlsprop fuzz --target`: our client against a TLS server at host:port.
 *
 * probe (fuzz/probe.ts: versions, suites, groups, schemes, whether it asks
 * for a client certificate) → conversations (fuzz/families.ts: valid
 * handshakes, mutants of what our client sends, state-machine steps,
 * client-certificate faults; coverage first, then random, all from the
 * seed) → run (here: our engine's client over a socket) → judge
 * (fuzz/judge.ts: the expectation from the mutation's rules, and the
 * oracles over every message the target sent) → shrink → save (fuzz/core.ts).
 * A profile (fuzz/profile.ts) disables conversations or rules and marks
 * expected failures; `--save` writes each failing (shrunk) conversation as
 * pcap + key log + transcript JSON.
 */
import fc from 'fast-check';
import { type CryptoProvider, nodeProvider } from '../crypto';
import { TlsClient } from '../engine/client';
import { runClientOverSocket } from '../engine/socket';
import { isRuleId } from '../oracles/catalogue';
import type { ConversationRun } from '../oracles/live';
import type { Transcript } from '../transcript/model';
import { NamedGroup } from '../wire/registry';
import { type ClientBase, type Conversation, validConversation } from './conversation';
import { type Attempt, campaign, type FailureReport, type Judged, runCount } from './core';
import {
  buildConversation,
  type ConvSpec,
  conversationArb,
  coverageExamples,
  disabledNames,
  type PlanContext,
  specText,
} from './families';
import { classifyServerEnd, disabledRules, failsRun, firingHooks, judgeRun, type ProfileStatus, profileStatusOf } from './judge';
import { describeEnd } from './live';
import { suiteName } from './names';
import type { ServerFuzzOptions } from './options';
import { probeTarget, type TargetProfile } from './probe';
import { EMPTY_PROFILE, type Subject } from './profile';
import { type SavedFiles, saveRun } from './save';

const APP_DATA = new TextEncoder().encode('tlsprop fuzz\n');
const RANDOM0 = new Uint8Array(32).fill(7);
/** How long a conversation that must be rejected reads after our TLS 1.3 Finished before writing application data (engine/socket.ts settleMs). */
const SETTLE_MS = 150;

export interface ConversationResult extends Judged {
  conversation: Conversation;
  /** Violations of rules by messages the target sent. */
  targetViolations: string[];
  ms: number;
  /** What the profile said about it (absent: not in the profile). */
  profile?: { status: ProfileStatus; reason: string };
  /** The generated value (replayable with the seed and `run.path`). */
  spec?: ConvSpec;
  /** Files written by --save. */
  saved?: SavedFiles;
}

export interface FuzzResult {
  target: string;
  seed: number;
  profile: TargetProfile;
  sanity: { first: boolean; last: boolean };
  /** Every generated conversation, in order (the shrinking runs are not here). */
  results: ConversationResult[];
  /** One per distinct failure: the original and its shrunk counterexample. */
  failures: FailureReport<ConversationResult>[];
  /** Conversations whose mutation did not fire (they prove nothing and are not counted). */
  skipped: string[];
  /** Names switched off by the profile, with the reason. */
  disabled: string[];
  ms: number;
  /** Time of the generated conversations alone (no probe, sanity or shrinking): the fuzzing rate's denominator. */
  generationMs: number;
  /** Conversations the run generates (given, or the default: one per applicable name and DEFAULT_RANDOM_RUNS more); a replayed path is one of them. */
  runs: number;
}

/** One conversation as run: the judged result, whether its mutation fired, and what --save writes. */
export interface Outcome {
  result: ConversationResult;
  fired: boolean;
  transcript?: Transcript;
  records: { dir: 'sent' | 'received'; raw: Uint8Array }[];
  keylog: string[];
}

function subjectOf(conv: Conversation, rule?: string): Subject {
  const names = conv.subject ? conv.subject.split('+') : [];
  const rules: string[] = [...(conv.expect.rules ?? [])];
  if (rule !== undefined) rules.push(rule);
  return { names, rules };
}

/** Run one conversation of our client against the target and judge it. */
export async function runConversation(o: ServerFuzzOptions, conv: Conversation, provider: CryptoProvider): Promise<Outcome> {
  const t0 = Date.now();
  const { host, port } = o.target;
  const target = `${host}:${port}`;
  const wrapped = conv.hooks ? firingHooks(conv.hooks) : undefined;
  const config = wrapped ? { ...conv.client, hooks: wrapped.hooks } : conv.client;
  const client = new TlsClient(config);
  const run = await runClientOverSocket(client, host, port, {
    readTimeoutMs: conv.readTimeoutMs,
    totalTimeoutMs: conv.totalTimeoutMs,
    appData: APP_DATA,
    settleMs: conv.expect.kind === 'reject' ? SETTLE_MS : 0,
  });
  const c = classifyServerEnd(conv.expect, run.end, o.profile.strictness);
  const prof = o.profile.file ?? EMPTY_PROFILE;
  const trust = o.identity.trustAnchors;
  const judged = await judgeRun(run, client, 'client', target, config.provider ?? provider, {
    peer: 'S->C',
    ignoredRules: disabledRules(prof),
    ...(trust ? { trustAnchors: trust } : {}),
  });
  const { transcript, ladder } = judged;
  const targetViolations = judged.peerViolations;
  let verdict = c.verdict;
  let detail = c.detail;
  let rule: string | undefined = conv.expect.rules?.[0];
  if (verdict === 'conforming' && targetViolations.length) {
    verdict = 'flagged';
    detail = `target's messages violate ${targetViolations[0]}`;
    rule = targetViolations[0]!.split(' ')[0];
  } else if (verdict === 'flagged' && targetViolations.length) {
    // our client aborted: what the oracles found in the target's messages names the rule (not the mutation's)
    detail = `${detail}; target's messages violate ${targetViolations[0]}`;
    rule = targetViolations[0]!.split(' ')[0];
  }
  ladder.push(`-- ${describeEnd(run.end)}`);
  const cr: ConversationRun = {
    target,
    role: 'client',
    name: conv.name,
    verdict,
    detail,
    ladder,
    seed: conv.seed,
    path: conv.path,
  };
  if (rule !== undefined && verdict !== 'conforming' && isRuleId(rule)) cr.rule = rule;
  const result: ConversationResult = { run: cr, conversation: conv, targetViolations, ms: Date.now() - t0 };
  if (c.alert !== undefined) result.alert = c.alert;
  const status = profileStatusOf(prof, subjectOf(conv, cr.rule), verdict);
  if (status) result.profile = status;
  const out: Outcome = {
    result,
    fired: wrapped ? wrapped.fired() : true,
    records: run.records.map((r) => ({ dir: r.dir, raw: r.raw })),
    keylog: judged.keylog,
  };
  if (transcript) out.transcript = transcript;
  return out;
}

function baseOf(o: ServerFuzzOptions, provider: CryptoProvider): ClientBase {
  const b: ClientBase = { provider };
  if (o.identity.serverName !== undefined) b.serverName = o.identity.serverName;
  if (o.identity.identity) b.identity = o.identity.identity;
  if (o.identity.trustAnchors) b.trustAnchors = o.identity.trustAnchors;
  return b;
}

/** What a run plans with: the options, the probed target and our client's base. */
export function planContext(o: ServerFuzzOptions, target: TargetProfile, provider: CryptoProvider = nodeProvider()): PlanContext {
  return { o, target, base: baseOf(o, provider) };
}

/** The conversations of a run, without running them (deterministic in seed, runs and the target's profile). */
export async function planConversations(o: ServerFuzzOptions, target: TargetProfile): Promise<Conversation[]> {
  const ctx = planContext(o, target);
  const examples = coverageExamples(ctx);
  const n = runsOf(ctx);
  const specs = [
    ...examples.slice(0, n),
    ...fc.sample(conversationArb(ctx), { seed: o.budget.seed, numRuns: Math.max(0, n - examples.length) }),
  ];
  const out: Conversation[] = [];
  for (const [i, s] of specs.entries()) out.push(await buildConversation(ctx, s, String(i)));
  return out;
}

/** Conversations generated: `runs` when given, else every applicable name once and DEFAULT_RANDOM_RUNS random ones. */
function runsOf(ctx: PlanContext): number {
  return runCount(ctx.o.budget.runs, coverageExamples(ctx).length, ctx.o.budget.randomRuns);
}

/** Run one generated spec live; `path` is its fast-check path. */
export async function runSpec(ctx: PlanContext, spec: ConvSpec, path: string): Promise<Outcome> {
  const conv = await buildConversation(ctx, spec, path);
  const out = await runConversation(ctx.o, conv, ctx.base.provider);
  out.result.spec = spec;
  out.result.run.ladder = [`-- conversation: ${specText(spec)}`, ...out.result.run.ladder];
  return out;
}

/** Which versions and suites the target accepts, and what else the conversations need to know (fuzz/probe.ts). */
export async function probe(o: ServerFuzzOptions, provider: CryptoProvider = nodeProvider()): Promise<TargetProfile> {
  const ctx = planContext(o, { suites: { '1.2': [], '1.3': [] }, certificateRequested: false }, provider);
  const quiet: ServerFuzzOptions = { ...o, profile: { ...o.profile, file: EMPTY_PROFILE } };
  const withId = o.identity.identity ? { ...ctx, identity: o.identity.identity } : ctx;
  return probeTarget(withId, async (conv) => {
    const { result, transcript } = await runConversation(quiet, conv, provider);
    const c = { verdict: result.run.verdict, detail: result.run.detail ?? '' };
    return transcript ? { c, transcript } : { c };
  });
}

export async function fuzzTarget(o: ServerFuzzOptions): Promise<FuzzResult> {
  const t0 = Date.now();
  const provider = nodeProvider();
  const target = `${o.target.host}:${o.target.port}`;
  const progress = o.output?.onProgress ?? (() => undefined);
  const profile = o.target.known ?? (await probe(o, provider));
  progress(
    `probe: TLS 1.3 [${profile.suites['1.3'].map(suiteName).join(', ')}], TLS 1.2 [${profile.suites['1.2'].map(suiteName).join(', ')}]${profile.certificateRequested ? ', asks for a client certificate' : ''}`,
  );
  const ctx = planContext(o, profile, provider);
  const runs = runsOf(ctx);
  const done = (c: Pick<FuzzResult, 'sanity' | 'results' | 'failures' | 'skipped' | 'generationMs'>): FuzzResult => ({
    target,
    seed: o.budget.seed,
    profile,
    ...c,
    disabled: disabledNames(ctx),
    ms: Date.now() - t0,
    runs,
  });
  // a target that does neither version with the probed suites: nothing runs, and the sanity handshakes count as failed
  if (!profile.suites['1.2'].length && !profile.suites['1.3'].length)
    return done({ sanity: { first: false, last: false }, results: [], failures: [], skipped: [], generationMs: 0 });
  const quiet: ServerFuzzOptions = { ...o, profile: { ...o.profile, file: EMPTY_PROFILE } };
  const c = await campaign<ConvSpec, ConversationResult>(
    {
      arbitrary: conversationArb(ctx),
      examples: coverageExamples(ctx),
      runs: o.budget.path !== undefined ? 1 : runs,
      run: async (spec, path): Promise<Attempt<ConversationResult>> => {
        const out = await runSpec(ctx, spec, path);
        const a: Attempt<ConversationResult> = {
          result: out.result,
          save: (dir, n) =>
            saveRun(dir, {
              path: out.result.run.path ?? 'x',
              name: out.result.conversation.subject ?? out.result.conversation.name,
              role: 'client',
              records: out.records,
              keylog: out.keylog,
              ...(out.transcript ? { transcript: out.transcript } : {}),
              serverPort: o.target.port,
              clientPort: 40000 + (n % 20000),
            }),
        };
        if (!out.fired) a.skip = 'mutation did not fire';
        return a;
      },
      sanity: async (label) => {
        const v = !profile.suites['1.3'].length && profile.suites['1.2'].length ? '1.2' : '1.3';
        const suite = profile.suites[v][0]!;
        const conv = validConversation(ctx, v, suite, NamedGroup.x25519, RANDOM0, true, label, label);
        const { result } = await runConversation(quiet, conv, provider);
        progress(`${label}: ${result.run.verdict} (${result.run.detail ?? ''})`);
        return result.run.verdict === 'conforming' || result.run.verdict === 'flagged';
      },
      failureKey: (r) => `${r.conversation.subject ?? r.conversation.kind} ${r.run.verdict} ${r.run.rule ?? ''}`,
      // same failure: same verdict and rule (the name may shrink, e.g. fewer state steps)
      sameFailure: (a, b) => failsRun(b) && a.run.verdict === b.run.verdict && a.run.rule === b.run.rule,
      shrinkBudget: o.budget.maxShrinkRuns ?? 30,
      maxShrunk: Number.POSITIVE_INFINITY,
      saveEveryFailure: false,
      replayLine: 'counter',
      repath: (r, path) => {
        r.run.path = path;
        r.conversation.path = path;
      },
    },
    {
      seed: o.budget.seed,
      ...(o.budget.path !== undefined ? { path: o.budget.path } : {}),
      ...(o.output?.save !== undefined ? { save: o.output.save } : {}),
      progress,
    },
  );
  return done(c);
}
