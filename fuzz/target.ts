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
import { availableParallelism } from 'node:os';
import fc from 'fast-check';
import { type CryptoProvider, ecdhGroupOf, generateEcdhKeyPair, nodeProvider } from '../crypto';
import { TlsClient } from '../engine/client';
import type { ClientConfig } from '../engine/config';
import type { EngineHooks } from '../engine/hooks';
import { type ClientSessionStore, newClientSessionStore } from '../engine/session';
import { SocketReader } from '../engine/socket';
import type { TlsServer } from '../engine/server';
import type { WireRecord } from '../engine/types';
import type { ConversationRun } from '../oracles/live';
import type { Verdict } from '../oracles/rule';
import { newCertCache, type ParsedCertCache } from '../pki/parse';
import type { Transcript } from '../transcript/model';
import { concatBytes } from '../wire/hex';
import { ContentType, NamedGroup } from '../wire/registry';
import { type ClientBase, type Conversation, validConversation } from './conversation';
import { type Attempt, campaign, type FailureReport, type Judged, runCount } from './core';
import { connectTo, type ExchangePolicy, exchange, keyUpdatesOf } from './exchange';
import {
  buildConversation,
  type ConvSpec,
  conversationArb,
  coverageExamples,
  disabledBySpec,
  disabledNames,
  type PlanContext,
  specText,
} from './families';
import { DeathGate, targetHealth } from './health';
import {
  type AppRecord,
  appRecordData,
  disabledRules,
  failsRun,
  firingHooks,
  judgeConversation,
  judgeRun,
  type ProfileStatus,
  profileStatusOf,
} from './judge';
import { describeEnd } from './live';
import { suiteName } from './names';
import type { InvalidFrom, Observation } from './observe';
import type { ServerFuzzOptions } from './options';
import { PROBE_HANDSHAKES, probeTarget, type TargetProfile } from './probe';
import { rebindingPsk } from './psk';
import { EMPTY_PROFILE, type Subject } from './profile';
import { type SavedFiles, saveRun } from './save';
import { adapted, ceilings, slowed, type Timing, waitsOf } from './timing';

const APP_DATA = new TextEncoder().encode('tlsprop fuzz\n');
const RANDOM0 = new Uint8Array(32).fill(7);

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
  /** One per distinct failure (verdict and rule): the first, how many, and its shrunk counterexample. */
  failures: FailureReport<ConversationResult>[];
  /** Conversations that prove nothing (the mutation did not fire, the profile disabled it): not counted. */
  skipped: string[];
  /** Names switched off by the profile, with the reason. */
  disabled: string[];
  ms: number;
  /** Time of the generated conversations alone (no probe, sanity or shrinking): the fuzzing rate's denominator. */
  generationMs: number;
  /** Conversations the run generates (given, or the default: one per applicable name and DEFAULT_RANDOM_RUNS more); a replayed path is one of them. */
  runs: number;
  /** Conversations run at once (1: the target serves one connection at a time, or --jobs 1). */
  jobs: number;
  /** The waits the run used once the sanity handshake measured the target (fuzz/timing.ts; `handshakeMs` when a slow target raised it). */
  timing: Timing;
  /** The run stopped early: the target was gone after a conversation and did not come back. */
  stopped?: { after: string; reason: string; notRun: number };
  /** The run-level verdicts over the conversations (oracles/across.ts): the server's randoms and keys never repeat. */
  across: Verdict[];
}

/** One conversation as run: the judged result, whether its mutation fired, and what --save writes. */
export interface Outcome {
  result: ConversationResult;
  fired: boolean;
  /** The conversation ended before its own connection, and why (no ticket or session from the first connection). */
  ended?: string;
  transcript?: Transcript;
  records: { dir: 'sent' | 'received'; raw: Uint8Array }[];
  keylog: string[];
  /** How the conversation ended on the wire (for the target-death check). */
  observation?: Observation;
  /** The connection could not even be made (the target was gone before the conversation). */
  refused?: string;
  /** The exchange on the wire (connection to decision), in ms. */
  wireMs?: number;
  /** While handshaking, the longest the target took for a flight it owed (fuzz/exchange.ts), in ms. */
  slowestFlightMs?: number;
}

/** What the conversations of one run share: the waits, parsed certificates, the provider. */
export interface RunShared {
  provider: CryptoProvider;
  timing: Timing;
  certCache: ParsedCertCache;
}

export function runShared(o: ServerFuzzOptions, provider: CryptoProvider = nodeProvider()): RunShared {
  return { provider, timing: ceilings(o.budget), certCache: newCertCache() };
}

function subjectOf(conv: Conversation, rule?: string, alert?: string): Subject {
  const names = conv.subject ? conv.subject.split('+') : [];
  const rules: string[] =
    conv.expect.kind === 'reject'
      ? [...conv.expect.rules, ...(conv.expect.reactionRules ?? []), ...(conv.expect.completion ?? [])]
      : [...(conv.expect.rules ?? [])];
  if (rule !== undefined) rules.push(rule);
  const s: Subject = { names, rules };
  if (conv.expect.kind === 'reject') s.expectedAlerts = conv.expect.alerts;
  if (alert !== undefined) s.alert = alert;
  return s;
}

/** Our client sends a Certificate in this conversation (the target asks for one and our client has an identity to send). */
function sendsCertificate(conv: Conversation): boolean {
  return conv.client.identity !== undefined || conv.kind === 'cert';
}

/**
 * How the conversation ends once the handshake completed (fuzz/exchange.ts): a valid TLS 1.2 handshake is decided
 * by the target's Finished, a TLS 1.3 one with our certificate by what the target says next, if anything; a
 * mutant's completed handshake is decided by the target's Finished when our invalid input was within the flight
 * it answered (TLS 1.2: always, but for a record after our Finished), else by its answer to our last flight and data.
 */
/** `afterHandshake` of the lengths family: one application data record per entry (fuzz/judge.ts appRecordData). */
function appRecordsOf(records: readonly AppRecord[]): (e: TlsClient | TlsServer) => Promise<WireRecord[]> {
  return async (e) => {
    const out: WireRecord[] = [];
    for (const [i, data] of appRecordData(records).entries()) {
      if (e.terminal) break;
      const padding = records[i]!.padding;
      out.push(...(await e.sendApplicationData(data, padding !== undefined ? { padding } : {})));
    }
    return out;
  };
}

/**
 * `holdFinished`: our flight is split before its ChangeCipherSpec and before the record after it (our Finished), as
 * tlsfuzzer's "with wait" probes do: the peer's answer to our ClientKeyExchange alone, then to our ChangeCipherSpec
 * alone, shows before our Finished.
 */
const ccsAndFinished = (r: WireRecord, i: number, flight: readonly WireRecord[]): boolean =>
  r.raw[0] === ContentType.change_cipher_spec || (i > 0 && flight[i - 1]?.raw[0] === ContentType.change_cipher_spec);

function policyOf(conv: Conversation, timing: Timing, firedAt: () => number | undefined): ExchangePolicy {
  const base = {
    ...waitsOf(timing),
    appData: APP_DATA,
    ...(conv.renegotiate ? { renegotiate: true } : {}),
    ...(conv.keyUpdates ? { afterHandshake: keyUpdatesOf(conv.keyUpdates) } : {}),
    ...(conv.appRecords ? { afterHandshake: appRecordsOf(conv.appRecords) } : {}),
    ...(conv.holdFinished ? { holdFrom: ccsAndFinished } : {}),
  };
  // our KeyUpdates go out with our data once the server's tickets are in (or after quietMs of silence): the server owes
  // nothing but must go on reading, and its answer to our data shows it still reads us under the keys they moved to
  if (conv.expect.kind === 'complete' && (conv.keyUpdates || conv.appRecords)) return { ...base, afterConnect: 'probe' };
  if (conv.expect.kind === 'complete')
    return { ...base, afterConnect: conv.version === '1.3' && sendsCertificate(conv) ? 'listen' : 'stop' };
  const silenceOk = conv.expect.silenceOk === true;
  // an invalid record after our last flight (pipelined after our Finished) is not what the peer's Finished answered:
  // our data after it invites the answer that shows whether the peer read past it; a mutation not fired yet acts on
  // that data (an application data record sealed another way), so it is sent
  if (conv.version === '1.2')
    return {
      ...base,
      silenceOk,
      afterConnect: (_sent, flightBeforeAnswer) => {
        const at = firedAt();
        return at === undefined || at >= flightBeforeAnswer ? 'probe' : 'stop';
      },
    };
  return {
    ...base,
    silenceOk,
    afterConnect: (_sent, flightBeforeAnswer) => {
      const at = firedAt();
      // 0-RTT: the server reads the early data after its flight (RFC 8446 §2.3), so its answer to it may come later
      return at !== undefined && at < flightBeforeAnswer && !conv.zeroRtt ? 'stop' : 'probe';
    },
  };
}

/** The target took `flightMs` for a flight on the ceilings: the run's handshake wait covers it from now on (fuzz/timing.ts). */
function slowDown(o: ServerFuzzOptions, shared: RunShared, flightMs: number, ceiling: Timing): void {
  const t = slowed(shared.timing, flightMs, ceiling);
  if (t === shared.timing) return;
  shared.timing = t;
  o.output?.onProgress?.(
    `timing: the target took ${Math.round(flightMs)} ms for a flight; a handshake now waits ${t.handshakeMs ?? t.answerMs} ms for the next`,
  );
}

/** Run one conversation of our client against the target and judge it. */
export async function runConversation(
  o: ServerFuzzOptions,
  conv: Conversation,
  shared: RunShared,
  timing: Timing = shared.timing,
): Promise<Outcome> {
  const t0 = Date.now();
  const { host, port } = o.target;
  const target = `${host}:${port}`;
  const provider = conv.client.provider ?? shared.provider;
  const prof = o.profile.file ?? EMPTY_PROFILE;
  const base: ConversationRun = {
    target,
    role: 'server',
    name: conv.name,
    verdict: 'hung',
    ladder: [],
    seed: conv.seed,
    path: conv.path,
  };
  // 0-RTT: a first connection leaves the ticket this one resumes with early data; its hooks are made for that ticket
  let early: Partial<ClientConfig> = {};
  let earlyHooks: EngineHooks | undefined;
  let earlier: Transcript[] | undefined;
  /** The conversation ends before its own connection: with `refused`, the target refused a connection (fuzz/health.ts then decides whether it is gone). */
  const before = (verdict: 'target-crashed' | 'conforming', detail: string, refused?: string) => ({
    result: { run: { ...base, verdict, detail }, conversation: conv, targetViolations: [], ms: Date.now() - t0 },
    fired: false,
    ended: detail,
    records: [],
    keylog: [],
    ...(refused !== undefined ? { refused } : {}),
  });
  const refused = (error: string) => before('target-crashed', `connection refused before the conversation: ${error}`, error);
  if (conv.zeroRtt) {
    let store = await takeTicket(o, conv, shared, timing);
    // a target that was only slow for a moment (its ticket after the adapted waits) gets the ceilings once, as a
    // resumption does below
    if (!('error' in store) && !store.tls13.at(-1)?.maxEarlyDataSize)
      store = await takeTicket(o, conv, shared, ceilings(o.budget));
    // a target gone before the conversation: as for the conversation's own connection
    if ('error' in store) return refused(store.error);
    const issued = store.tls13.at(-1);
    if (!issued?.maxEarlyDataSize) return before('conforming', 'the first connection left no ticket allowing 0-RTT data');
    // the ticket as our client offers it (one the server cannot open: a full handshake that skips the 0-RTT data)
    const ticket = conv.zeroRtt.ticket?.(issued) ?? issued;
    if (ticket !== issued) store.tls13[store.tls13.length - 1] = ticket;
    early = { sessionStore: store, earlyData: conv.zeroRtt.data, ...(conv.zeroRtt.config ?? {}) };
    earlyHooks = conv.zeroRtt.hooks?.(ticket, provider);
    if (conv.zeroRtt.replay) {
      // the same ClientHello and 0-RTT record twice (RFC 8446 §8): a fixed key share, clock and random, no compatibility
      // session ID, a copy of the store holding the ticket each time; the original runs first, this conversation replays it
      const g = ecdhGroupOf(conv.group) ?? ecdhGroupOf(NamedGroup.x25519)!;
      const key = await generateEcdhKeyPair(provider, g);
      const now = Date.now();
      const tickets = [...store.tls13];
      const again = (): Partial<ClientConfig> => ({
        earlyData: conv.zeroRtt?.data ?? new Uint8Array(0),
        sessionStore: { tls13: [...tickets], tls12: [] },
        now: () => now,
        middleboxCompat: false,
        keyShareGroups: [ecdhGroupOf(conv.group) ? conv.group : NamedGroup.x25519],
        ephemeral: [key],
      });
      const original = await originalOf(o, { ...conv.client, ...again(), certCache: shared.certCache }, shared, timing);
      if (original) earlier = [original];
      early = again();
    }
  }
  // resumption: a first connection leaves the session this one resumes; its hooks are made for that session's store
  if (conv.resume) {
    const kept = (s: ClientSessionStore) => (conv.version === '1.3' ? s.tls13.length : s.tls12.length) > 0;
    let first = await takeSession(o, conv, shared, timing);
    // a target that was only slow for a moment (no session on the adapted waits) gets the ceilings once
    if (!('error' in first) && !kept(first.store)) {
      const ceiling = ceilings(o.budget);
      first = await takeSession(o, conv, shared, ceiling);
      // and when it took longer than the adapted wait, the next conversations wait for it (fuzz/timing.ts `slowed`)
      if (!('error' in first) && kept(first.store) && first.slowestFlightMs !== undefined)
        slowDown(o, shared, first.slowestFlightMs, ceiling);
    }
    if ('error' in first) return refused(first.error);
    const { store, transcript } = first;
    if (!kept(store)) return before('conforming', 'the first connection left no session to resume');
    early = {
      sessionStore: store,
      ...(conv.resume.offer ? { cipherSuites: [...conv.resume.offer] } : {}),
      ...(conv.resume.config ?? {}),
    };
    // our client's external PSK beside the ticket (TLS 1.3, --psk): its binder over a changed hello is the hooks' too
    earlyHooks = conv.resume.hooks?.(store, provider, conv.version === '1.3' ? conv.client.psk : undefined);
    // the oracles judge the resumption with the connection that made the session (RFC 5246 §7.4.1.2, RFC 6066 §3, ...)
    if (transcript) earlier = [transcript];
  }
  const own = conv.hooks ?? earlyHooks;
  // an external PSK in TLS 1.3: a changed ClientHello carries a binder over the bytes as sent (fuzz/psk.ts)
  const hooks = own && conv.client.psk && conv.version === '1.3' ? rebindingPsk(own, conv.client.psk, provider) : own;
  const wrapped = hooks ? firingHooks(hooks) : undefined;
  const config = { ...conv.client, ...early, certCache: shared.certCache, ...(wrapped ? { hooks: wrapped.hooks } : {}) };
  const client = new TlsClient(config);
  const c = await connectTo(host, port);
  if ('error' in c) return refused(c.error);
  const run = await exchange(
    client,
    c.socket,
    policyOf(conv, timing, () => wrapped?.firedAt()),
  );
  const judged = await judgeRun(run, client, 'client', target, provider, {
    peer: 'S->C',
    ignoredRules: disabledRules(prof),
    certCache: shared.certCache,
    ...(o.identity.trustAnchors ? { trustAnchors: o.identity.trustAnchors } : {}),
    // a replay is judged with its original, both sent to the one target (one server instance, RFC 8446 §8); a
    // resumption with the connection that made its session
    ...(earlier ? { earlier, oneServerInstance: true } : {}),
  });
  const { transcript, ladder } = judged;
  const at = wrapped?.firedAt();
  // a conversation that names where its invalid input starts (a certificate fault; a 0-RTT record after a valid
  // ClientHello its hooks changed) is judged from there, else from where its hooks fired
  const from: InvalidFrom | undefined =
    conv.invalidAt !== undefined ? { message: conv.invalidAt } : wrapped ? { bytes: at ?? Number.POSITIVE_INFINITY } : undefined;
  const j = judgeConversation(
    conv.expect,
    judged,
    {
      version: conv.version,
      ours: 'C->S',
      from,
      end: run.end,
      ...(conv.renegotiate ? { renegotiated: client.renegotiations > 0 } : {}),
      received: concatBytes(run.received),
    },
    o.profile.strictness,
  );
  ladder.push(`-- ${describeEnd(run.end)} (${Math.round(run.ms)} ms)`);
  const cr: ConversationRun = { ...base, verdict: j.verdict, detail: j.detail, ladder, verdicts: j.live };
  if (j.rule !== undefined && j.verdict !== 'conforming') cr.rule = j.rule;
  const result: ConversationResult = {
    run: cr,
    conversation: conv,
    targetViolations: judged.peerViolations,
    ms: Date.now() - t0,
  };
  if (j.alert !== undefined) result.alert = j.alert;
  if (transcript) result.transcript = transcript;
  result.verdicts = judged.verdicts;
  const status = profileStatusOf(prof, subjectOf(conv, cr.rule, j.alert), j.verdict);
  if (status) result.profile = status;
  // a certificate fault fired when our Certificate went out; a renegotiation conversation proves something only once
  // our client renegotiated, a mutated one only on a connection with secure renegotiation (RFC 5746 §3.5: the rules
  // its mutations break presume it)
  const renegotiated =
    !conv.renegotiate || (run.renegotiation?.started === true && (!wrapped || client.secureRenegotiationEstablished));
  const fired =
    renegotiated &&
    (wrapped
      ? wrapped.fired()
      : conv.invalidAt === undefined ||
        (transcript?.messages.some((m) => m.dir === 'C->S' && m.type === conv.invalidAt) ?? false));
  const out: Outcome = {
    result,
    fired,
    records: run.records.map((r) => ({ dir: r.dir, raw: r.raw })),
    keylog: judged.keylog,
    observation: j.observation,
  };
  if (transcript) out.transcript = transcript;
  out.wireMs = run.ms;
  if (run.slowestFlightMs !== undefined) out.slowestFlightMs = run.slowestFlightMs;
  return out;
}

/**
 * A valid TLS 1.3 connection of the conversation's configuration that takes the target's ticket into a fresh session
 * store: it waits for the answer to our application data, which comes after the ticket (RFC 8446 §4.6.1: sent "after
 * the server has received the client Finished"); the error when the connection is refused.
 */
async function takeTicket(
  o: ServerFuzzOptions,
  conv: Conversation,
  shared: RunShared,
  timing: Timing,
): Promise<ClientSessionStore | { error: string }> {
  const c = await connectTo(o.target.host, o.target.port);
  if ('error' in c) return c;
  const store = newClientSessionStore();
  const { earlyData: _none, ...valid } = conv.client;
  const client = new TlsClient({ ...valid, sessionStore: store, certCache: shared.certCache });
  await exchange(client, c.socket, {
    ...waitsOf(timing),
    afterConnect: 'listen',
  });
  return store;
}

/**
 * A valid connection of the conversation's configuration that takes a session from the target into a fresh store (TLS
 * 1.2: at the server's Finished; TLS 1.3: the ticket, which comes after the handshake, waited for as an answer), and
 * its transcript; the error when the connection is refused.
 */
async function takeSession(
  o: ServerFuzzOptions,
  conv: Conversation,
  shared: RunShared,
  timing: Timing,
): Promise<{ store: ClientSessionStore; transcript?: Transcript; slowestFlightMs?: number } | { error: string }> {
  const c = await connectTo(o.target.host, o.target.port);
  if ('error' in c) return c;
  const store = newClientSessionStore();
  const client = new TlsClient({ ...conv.client, sessionStore: store, certCache: shared.certCache });
  const run = await exchange(client, c.socket, {
    ...waitsOf(timing),
    appData: APP_DATA,
    // TLS 1.3: a ticket comes after our Finished ("at any time after the server has received the client Finished",
    // RFC 8446 §4.6.1), so it is waited for as an answer would be
    afterConnect: conv.version === '1.3' ? 'await' : 'stop',
  });
  const judged = await judgeRun(run, client, 'client', `${o.target.host}:${o.target.port}`, shared.provider, {
    peer: 'S->C',
    certCache: shared.certCache,
  });
  return {
    store,
    ...(judged.transcript ? { transcript: judged.transcript } : {}),
    ...(run.slowestFlightMs !== undefined ? { slowestFlightMs: run.slowestFlightMs } : {}),
  };
}

/** Whether the target resumes a session of ours: a valid connection takes one, a second offers it (the probe). */
async function resumesSession(o: ServerFuzzOptions, conv: Conversation, shared: RunShared): Promise<boolean> {
  const first = await takeSession(o, conv, shared, shared.timing);
  if ('error' in first || !(conv.version === '1.3' ? first.store.tls13.length : first.store.tls12.length)) return false;
  const c = await connectTo(o.target.host, o.target.port);
  if ('error' in c) return false;
  const client = new TlsClient({ ...conv.client, sessionStore: first.store, certCache: shared.certCache });
  await exchange(client, c.socket, {
    ...waitsOf(shared.timing),
    appData: APP_DATA,
    afterConnect: 'stop',
  });
  return client.outcome.kind === 'connected' && client.resumedSession;
}

/** The original of a replay: a valid connection with this configuration, its transcript (undefined: none was made). */
async function originalOf(
  o: ServerFuzzOptions,
  config: ClientConfig,
  shared: RunShared,
  timing: Timing,
): Promise<Transcript | undefined> {
  const c = await connectTo(o.target.host, o.target.port);
  if ('error' in c) return undefined;
  const client = new TlsClient(config);
  const run = await exchange(client, c.socket, {
    ...waitsOf(timing),
    afterConnect: 'listen',
  });
  const judged = await judgeRun(run, client, 'client', `${o.target.host}:${o.target.port}`, shared.provider, {
    peer: 'S->C',
    certCache: shared.certCache,
  });
  return judged.transcript;
}

function baseOf(o: ServerFuzzOptions, provider: CryptoProvider): ClientBase {
  const b: ClientBase = { provider };
  if (o.identity.serverName !== undefined) b.serverName = o.identity.serverName;
  if (o.identity.identity) b.identity = o.identity.identity;
  if (o.identity.trustAnchors) b.trustAnchors = o.identity.trustAnchors;
  if (o.identity.psk) b.psk = o.identity.psk;
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
export async function runSpec(
  ctx: PlanContext,
  spec: ConvSpec,
  path: string,
  shared: RunShared = runShared(ctx.o, ctx.base.provider),
): Promise<Outcome> {
  const conv = await buildConversation(ctx, spec, path);
  let out = await runConversation(ctx.o, conv, shared);
  // a conversation that hung on the adapted waits runs again with the ceilings before it is reported: a target that
  // was only slow for a moment is no finding. One that stalled in its handshake (a server asleep, e.g. s_server -rev
  // after a refused renegotiation) first gets the ceiling for its flights alone: once it answered, the waits after the
  // handshake are the adapted ones again (a peer that never answers our data costs answerMs, not the ceilings); only
  // when that run hangs after its handshake does the conversation run with the ceilings throughout.
  if (out.result.run.verdict === 'hung' && shared.timing.rttMs !== undefined) {
    const ceiling = ceilings(ctx.o.budget);
    const again = async (timing: Timing): Promise<Outcome> => {
      const o = await runConversation(ctx.o, await buildConversation(ctx, spec, path), shared, timing);
      // decided after a flight the adapted wait would have missed: the target is slower than its sanity handshake said,
      // and the next conversations wait for its flights (fuzz/timing.ts `slowed`)
      if (o.result.run.verdict !== 'hung' && o.slowestFlightMs !== undefined) slowDown(ctx.o, shared, o.slowestFlightMs, ceiling);
      return o;
    };
    if (out.observation?.completed === false) out = await again({ ...shared.timing, handshakeMs: ceiling.answerMs });
    if (out.result.run.verdict === 'hung' && out.observation?.completed !== false) out = await again(ceiling);
  }
  out.result.spec = spec;
  out.result.run.ladder = [`-- conversation: ${specText(spec)}`, ...out.result.run.ladder];
  return out;
}

/** Which versions and suites the target accepts, and what else the conversations need to know (fuzz/probe.ts). */
export async function probe(o: ServerFuzzOptions, shared: RunShared = runShared(o)): Promise<TargetProfile> {
  const ctx = planContext(o, { suites: { '1.2': [], '1.3': [] }, certificateRequested: false }, shared.provider);
  const quiet: ServerFuzzOptions = { ...o, profile: { ...o.profile, file: EMPTY_PROFILE } };
  const testIdentity = o.identity.pki.identity('client', 'rsa');
  const withId = o.identity.identity ? { ...ctx, identity: o.identity.identity, testIdentity } : { ...ctx, testIdentity };
  let n = 0;
  return probeTarget(
    withId,
    async (conv) => {
      const { result, transcript, observation } = await runConversation(quiet, conv, shared);
      o.output?.onProgress?.(`[probe ${++n}/${Math.max(n, PROBE_HANDSHAKES)}] ${conv.name}: ${result.run.verdict}`);
      const c = { verdict: result.run.verdict, detail: result.run.detail ?? '' };
      const wentOn = observation?.wentOn !== undefined;
      const refused =
        observation !== undefined &&
        !wentOn &&
        (observation.alert !== undefined || observation.end === 'closed' || observation.end === 'reset');
      return transcript ? { c, transcript, wentOn, refused } : { c, wentOn, refused };
    },
    async (conv) => {
      const store = await takeTicket(quiet, conv, shared, shared.timing);
      const t = 'error' in store ? undefined : store.tls13.at(-1);
      o.output?.onProgress?.(
        `[probe ${++n}/${Math.max(n, PROBE_HANDSHAKES)}] ${conv.name}: ${t ? `max_early_data_size ${t.maxEarlyDataSize ?? 0}` : 'no ticket'}`,
      );
      return t ? (t.maxEarlyDataSize ?? 0) : undefined;
    },
    async (conv) => {
      const resumed = await resumesSession(quiet, conv, shared);
      n += 2;
      o.output?.onProgress?.(
        `[probe ${n}/${Math.max(n, PROBE_HANDSHAKES)}] ${conv.name}: ${resumed ? 'resumed' : 'no resumption'}`,
      );
      return resumed;
    },
  );
}

/**
 * Whether the target serves connections at once: one connection is held open after the target's first flight
 * while a second runs a whole sanity handshake. An iterative server (openssl s_server) does not answer the
 * second until the first is closed: conversations then run one after another (a waiting one would time out).
 */
async function servesConcurrently(o: ServerFuzzOptions, conv: Conversation, shared: RunShared): Promise<boolean> {
  const held = await connectTo(o.target.host, o.target.port);
  if ('error' in held) return false;
  try {
    const first = new TlsClient({ ...conv.client, certCache: shared.certCache });
    held.socket.write(concatBytes((await first.start()).send.map((r) => r.raw)));
    const reader = new SocketReader(held.socket);
    const answer = await reader.read(shared.timing.answerMs);
    if (!(answer instanceof Uint8Array)) return false;
    const second = await runConversation(o, conv, shared);
    return second.result.run.verdict === 'conforming' || second.result.run.verdict === 'flagged';
  } finally {
    held.socket.destroy();
  }
}

export async function fuzzTarget(o: ServerFuzzOptions): Promise<FuzzResult> {
  const t0 = Date.now();
  const shared = runShared(o);
  const provider = shared.provider;
  const target = `${o.target.host}:${o.target.port}`;
  const progress = o.output?.onProgress ?? (() => undefined);
  const profile = o.target.known ?? (await probe(o, shared));
  progress(
    `probe: TLS 1.3 [${profile.suites['1.3'].map(suiteName).join(', ')}], TLS 1.2 [${profile.suites['1.2'].map(suiteName).join(', ')}]${profile.certificateRequested ? `, asks for a client certificate${profile.clientCertRequired ? ' (refuses a client without one)' : profile.clientCertRequired === false ? ' (goes on without one)' : ''}${profile.testRootTrusted === false ? '; it does not trust our test root (certificate faults may be answered as unknown CA; tlsprop fuzz --write-ca FILE writes it)' : ''}` : ''}${profile.psk ? `; our external PSK taken in ${profile.psk.length ? profile.psk.map((v) => `TLS ${v}`).join(' and ') : 'no version (the PSK mutations do not run)'}` : ''}${profile.maxEarlyData ? `; its TLS 1.3 tickets allow 0-RTT (max_early_data_size ${profile.maxEarlyData})` : ''}${profile.resumes === undefined ? '' : profile.resumes.length ? `; resumes sessions in ${profile.resumes.map((v) => `TLS ${v}`).join(' and ')}` : '; resumption family not applicable: target never resumed'}`,
  );
  const ctx = planContext(o, profile, provider);
  const runs = runsOf(ctx);
  let jobs = 1;
  const done = (
    c: Pick<FuzzResult, 'sanity' | 'results' | 'failures' | 'skipped' | 'generationMs'> & {
      stopped?: FuzzResult['stopped'];
      across?: FuzzResult['across'];
    },
  ): FuzzResult => ({
    target,
    seed: o.budget.seed,
    profile,
    across: [],
    ...c,
    disabled: disabledNames(ctx),
    ms: Date.now() - t0,
    runs,
    jobs,
    timing: shared.timing,
  });
  // a target that does neither version with the probed suites: nothing runs, and the sanity handshakes count as failed
  if (!profile.suites['1.2'].length && !profile.suites['1.3'].length) {
    return done({ sanity: { first: false, last: false }, results: [], failures: [], skipped: [], generationMs: 0 });
  }
  const quiet: ServerFuzzOptions = { ...o, profile: { ...o.profile, file: EMPTY_PROFILE } };
  const sanityConversation = (label: string): Conversation => {
    const v = !profile.suites['1.3'].length && profile.suites['1.2'].length ? '1.2' : '1.3';
    const suite = profile.suites[v][0]!;
    return validConversation(ctx, v, suite, NamedGroup.x25519, RANDOM0, true, label, label);
  };
  /** A sanity handshake with the ceilings: did it complete (a flagged one completed too), and how fast did the target answer? */
  const sanityRun = async (label: string, report: boolean): Promise<{ ok: boolean; rttMs?: number }> => {
    const conv = sanityConversation(label);
    const t = Date.now();
    const out = await runConversation(quiet, conv, shared, ceilings(o.budget));
    const r = out.result.run;
    if (report) progress(`${label}: ${r.verdict} (${r.detail ?? ''})`);
    const ok = r.verdict === 'conforming' || r.verdict === 'flagged';
    // the round trip of the sanity handshake: its whole exchange on the wire (the target's own work included)
    return { ok, ...(ok ? { rttMs: out.wireMs ?? Date.now() - t } : {}) };
  };
  const gate = new DeathGate();
  const health = targetHealth({
    host: o.target.host,
    port: o.target.port,
    sanity: async () => (await sanityRun('health check', false)).ok,
    ...(o.target.restart !== undefined ? { restart: o.target.restart } : {}),
    ...(o.target.recoverMs !== undefined ? { recoverMs: o.target.recoverMs } : {}),
    log: progress,
  });
  const c = await campaign<ConvSpec, ConversationResult>(
    {
      arbitrary: conversationArb(ctx),
      examples: coverageExamples(ctx),
      runs: o.budget.path !== undefined ? 1 : runs,
      run: async (spec, path): Promise<Attempt<ConversationResult>> => {
        const skipped = disabledBySpec(ctx, spec);
        // target death (fuzz/health.ts): a conversation that ended without an answer, or found the target gone
        const silentEnd = (x: Awaited<ReturnType<typeof runSpec>>): boolean => {
          const obs = x.observation;
          return (
            x.refused !== undefined ||
            (obs !== undefined && obs.alert === undefined && !obs.closeNotify && obs.end !== 'done' && obs.wentOn === undefined)
          );
        };
        let out = await gate.shared(() => runSpec(ctx, spec, path, shared));
        const a: Attempt<ConversationResult> = { result: out.result };
        const first = silentEnd(out)
          ? out.refused !== undefined
            ? { state: 'crashed' as const, detail: out.refused }
            : await health.check()
          : undefined;
        if (first && first.state !== 'up') {
          // the target died while this conversation ran (or before it): confirmed by running it again alone
          await gate.alone(async () => {
            let back = await health.recover();
            if (!back.up) {
              a.stop = `${back.detail} (after conversation ${path} ${out.result.run.name})`;
              return;
            }
            out = await runSpec(ctx, spec, path, shared);
            a.result = out.result;
            const h = silentEnd(out) ? await health.check() : { state: 'up' as const, detail: '' };
            if (h.state === 'up') return; // a bystander: the target died of another conversation
            back = await health.recover();
            const r = out.result.run;
            r.detail = `${h.detail} after this conversation, run alone (${r.verdict}: ${r.detail ?? ''})${back.up ? '; it came back' : ''}`;
            r.verdict = h.state === 'crashed' ? 'target-crashed' : 'target-hung';
            // the rule is the input's (the target died of it), not the alert duty a silent end would name
            const duty = out.result.conversation.expect;
            const rule = duty.kind === 'reject' ? (duty.rules[0] ?? duty.reactionRules?.[0]) : undefined;
            if (rule !== undefined) r.rule = rule;
            if (!back.up) a.stop = `${back.detail} (after ${r.verdict} in conversation ${path} ${r.name})`;
          });
        }
        a.save = (dir, n) =>
          saveRun(dir, {
            path: out.result.run.path ?? 'x',
            name: out.result.conversation.subject ?? out.result.conversation.name,
            role: 'client',
            records: out.records,
            keylog: out.keylog,
            ...(out.transcript ? { transcript: out.transcript } : {}),
            serverPort: o.target.port,
            clientPort: 40000 + (n % 20000),
          });
        if (skipped !== undefined) a.skip = skipped;
        else if (!out.fired && out.result.run.verdict !== 'flagged' && !out.result.run.verdict.startsWith('target-'))
          // a conversation that ended before its own connection says why (no ticket or session to resume)
          a.skip = out.ended ?? 'mutation did not fire';
        return a;
      },
      sanity: async (label) => {
        const s = await sanityRun(label, true);
        // from the first sanity handshake on, the waits follow the target's measured answer time
        if (s.ok && label === 'sanity first') {
          shared.timing = adapted(o.budget, s.rttMs);
          progress(
            `timing: the target answered in ${s.rttMs?.toFixed(1) ?? '?'} ms; a conversation waits ${shared.timing.answerMs} ms for an owed answer, ${shared.timing.quietMs} ms of silence`,
          );
        }
        return s.ok;
      },
      jobs: async () => {
        const want = o.budget.jobs ?? availableParallelism();
        if (want <= 1) {
          jobs = 1;
          return jobs;
        }
        const concurrent = await servesConcurrently(quiet, sanityConversation('concurrency check'), shared);
        jobs = concurrent ? want : 1;
        progress(
          concurrent
            ? `jobs: ${jobs} conversations at once (the target serves connections concurrently)`
            : 'jobs: 1 (the target serves one connection at a time)',
        );
        return jobs;
      },
      failureKey: (r) => `${r.run.verdict} ${r.run.rule ?? ''}`,
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
      peer: { side: 'server', provider },
    },
    {
      seed: o.budget.seed,
      ...(o.budget.path !== undefined ? { path: o.budget.path } : {}),
      ...(o.output?.save !== undefined ? { save: o.output.save } : {}),
      progress,
    },
  );
  // no connection of the run outlives it: each conversation's exchange returns with its socket closed (fuzz/exchange.ts)
  return done(c);
}
