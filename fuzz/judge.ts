/**
 * Judge: how a live conversation ended, against what a conforming peer must
 * do. The expectation of a mutated conversation comes from the mutation's
 * declaration (its rules, the reaction oracles/reactions.ts derives from
 * them); `classifyServerEnd` (our client against a server) and
 * `classifyClientEnd` (our server against a client) turn how the socket run
 * ended into a verdict; `judgeRun` builds the transcript and runs the
 * oracles over it, so a message the peer sent that breaks a rule flags the
 * conversation. What a profile says about an outcome is decided here too.
 */
import { type CryptoProvider, formatKeyLog } from '../crypto';
import type { TlsClient } from '../engine/client';
import type { EngineHooks } from '../engine/hooks';
import type { TlsServer } from '../engine/server';
import type { SocketEnd, SocketRun } from '../engine/socket';
import { alertNames, type Mutation, reactionOf, rulesIn } from '../generators/mutations/model';
import { checkTranscript } from '../oracles/evaluate';
import type { RuleId } from '../oracles/catalogue';
import type { Verdict } from '../oracles/rule';
import type { ConversationRun } from '../oracles/live';
import type { Transcript } from '../transcript/model';
import { alertDescriptions, nameOf } from '../wire/registry';
import type { AlertName, ConversationVerdict, Direction, Side, Strictness, TlsVersion } from '../wire/vocabulary';
import { flowLines, transcriptOfRun } from './live';
import { expectedFailureOf, type FuzzProfile, type Subject } from './profile';

export const STRICTNESS: readonly Strictness[] = ['exact', 'alert-or-close', 'any-abort'];

/**
 * What a conforming peer must do in a conversation: complete a valid
 * handshake, or reject the mutated one with one of `alerts` (strictest
 * first; empty when the RFC names none). `silenceOk`: the flow is
 * incomplete rather than out of order (e.g. our Finished withheld), so a
 * peer that just waits until our read timeout is conforming too, as long as
 * it does not complete the handshake.
 */
export type Expectation =
  /** `rules`: the live rules that say the input, unusual but valid, must be accepted (ext.ignore-unknown, ...). */
  | { kind: 'complete'; rules?: readonly RuleId[] }
  | {
      kind: 'reject';
      rules: readonly RuleId[];
      alerts: readonly AlertName[];
      silenceOk?: boolean;
      /** The RFC lets the peer ignore the input and go on (every rule broken is `ignorable`): completing conforms too. */
      completeOk?: boolean;
      /**
       * A close without an alert is the conforming answer (the RFC names no alert: e.g. the peer received our error
       * alert, RFC 8446 §6 "MUST NOT allow any further data to be sent or received on the connection").
       */
      closeOk?: boolean;
    };

/** What a conforming peer owes when it meets a mutation in a handshake of this version (from its declaration). */
export function expectationOf(m: Mutation, version: TlsVersion, extraRules: readonly RuleId[] = []): Expectation {
  const rules = rulesIn(m, version);
  const reaction = reactionOf(m, version, extraRules);
  const named = rules.length ? rules : m.rules;
  if (reaction.mustComplete) return { kind: 'complete', rules: named };
  const e: Expectation = { kind: 'reject', rules: named, alerts: alertNames(reaction) };
  if (reaction.ignoreAllowed) e.completeOk = true;
  // closing is the whole answer: no alert is due, and a peer that only waits has not gone on either
  if (reaction.mustClose) {
    e.closeOk = true;
    e.silenceOk = true;
  }
  return e;
}

export interface Classification {
  verdict: ConversationVerdict;
  detail: string;
  /** Alert the peer sent, by name. */
  alert?: string;
}

export function alertName(d: number): string {
  return nameOf(alertDescriptions, d, 2);
}

/**
 * How a run of our client against a server ended, judged against the
 * expectation. For a mutant, "accepted" means the handshake completed and
 * the target went on (answered our application data): in TLS 1.3 our client
 * is connected as soon as it has sent its Finished, so only the target's
 * answer shows that it accepted it.
 */
export function classifyServerEnd(expect: Expectation, end: SocketEnd, strictness: Strictness): Classification {
  const o = end.outcome;
  const received = o.kind === 'alert_received' ? alertName(o.alert.description) : undefined;
  const withAlert = (c: Classification): Classification => (received !== undefined ? { ...c, alert: received } : c);
  if (expect.kind === 'complete') {
    if (o.kind === 'connected' || (o.kind === 'closed' && o.session))
      return { verdict: 'conforming', detail: 'handshake completed' };
    if (received !== undefined)
      return withAlert({ verdict: 'wrong-alert', detail: `valid handshake rejected with alert ${received}` });
    if (o.kind === 'alert_sent')
      return { verdict: 'flagged', detail: `our client aborted with ${alertName(o.alert.description)}: ${o.reason}` };
    if (end.kind === 'timed_out')
      return { verdict: 'hung', detail: `valid handshake stalled (${o.kind}) after ${end.afterMs} ms` };
    if (end.kind === 'reset') return { verdict: 'reset', detail: `valid handshake reset: ${end.error}` };
    return { verdict: 'wrong-alert', detail: 'valid handshake: target closed without an alert' };
  }
  const want: readonly string[] = expect.alerts;
  if (received !== undefined) {
    // closing is the due and no alert is named: an alert before the close is not wrong either
    if (strictness === 'any-abort' || want.includes(received) || (expect.closeOk && !want.length))
      return withAlert({ verdict: 'conforming', detail: `rejected with ${received}` });
    return withAlert({
      verdict: 'wrong-alert',
      detail: `rejected with ${received}, expected ${want.join(' or ') || '(no alert named)'}`,
    });
  }
  if (o.kind === 'alert_sent')
    return { verdict: 'flagged', detail: `our client aborted first with ${alertName(o.alert.description)}: ${o.reason}` };
  if (o.kind === 'connected' && end.kind === 'done')
    return expect.completeOk
      ? { verdict: 'conforming', detail: 'target went on, which the RFC allows here' }
      : { verdict: 'accepted-invalid', detail: 'target completed the handshake and answered application data' };
  if (end.kind === 'timed_out' && expect.silenceOk && o.kind !== 'connected')
    return { verdict: 'conforming', detail: `target waited without completing (${end.afterMs} ms)` };
  if (end.kind === 'timed_out') return { verdict: 'hung', detail: `no rejection within ${end.afterMs} ms (${o.kind})` };
  // (our TLS 1.3 client may count itself connected once it has the server Finished: the target answered no data)
  if (expect.closeOk && end.kind === 'closed')
    return { verdict: 'conforming', detail: 'target closed the connection without an alert, as due here' };
  const how = end.kind === 'reset' ? `reset (${end.error})` : o.kind === 'closed' ? 'close_notify' : 'closed without an alert';
  if (strictness === 'exact')
    return end.kind === 'reset'
      ? { verdict: 'reset', detail: `connection ${how}, expected ${want.join(' or ')}` }
      : { verdict: 'wrong-alert', detail: `${how}, expected ${want.join(' or ')}` };
  return { verdict: 'conforming', detail: `rejected: ${how}` };
}

/** When our server's mutation fired, relative to the client's Finished (a Finished sent after it is acceptance). */
export interface FiringTimes {
  firedEarly(): boolean;
  clientFinished(): boolean;
}

/** How a run of our server against a client ended, judged against the expectation (`received`: the client's alert, if any). */
export function classifyClientEnd(
  expect: Expectation,
  run: Pick<SocketRun, 'end' | 'received'>,
  received: string | undefined,
  strictness: Strictness,
  w: FiringTimes | undefined,
  clientCcs = false,
): Classification {
  const end = run.end;
  const o = end.outcome;
  const withAlert = (c: Classification): Classification => (received !== undefined ? { ...c, alert: received } : c);
  const gotData = run.received.length > 0;
  if (expect.kind === 'complete') {
    if (o.kind === 'connected' || (o.kind === 'closed' && o.session))
      return {
        verdict: 'conforming',
        detail: gotData ? 'handshake completed, client sent application data' : 'handshake completed',
      };
    if (received !== undefined)
      return withAlert({ verdict: 'wrong-alert', detail: `valid handshake rejected with alert ${received}` });
    if (o.kind === 'alert_sent')
      return { verdict: 'flagged', detail: `our server aborted with ${alertName(o.alert.description)}: ${o.reason}` };
    if (end.kind === 'timed_out')
      return { verdict: 'hung', detail: `valid handshake stalled (${o.kind}) after ${end.afterMs} ms` };
    if (end.kind === 'reset') return { verdict: 'reset', detail: `valid handshake reset: ${end.error}` };
    return { verdict: 'wrong-alert', detail: 'valid handshake: client closed without an alert' };
  }
  const want: readonly string[] = expect.alerts;
  // the RFC lets the client ignore the input and go on
  if (expect.completeOk && (gotData || o.kind === 'connected' || (o.kind === 'closed' && o.session)))
    return { verdict: 'conforming', detail: 'client went on, which the RFC allows here' };
  // accepted: application data after the mutated flight, or the client's Finished after a mutation that came before it
  if (gotData)
    return withAlert({ verdict: 'accepted-invalid', detail: 'client completed the handshake and sent application data' });
  if (w?.firedEarly() && w.clientFinished())
    return withAlert({ verdict: 'accepted-invalid', detail: 'client accepted the mutated flight and sent its Finished' });
  // TLS 1.2: the client's ChangeCipherSpec ends its answer to our whole first flight (even when our server cannot read the Finished after it)
  if (w?.firedEarly() && clientCcs)
    return withAlert({
      verdict: 'accepted-invalid',
      detail: 'client accepted the mutated flight and sent its ChangeCipherSpec and Finished',
    });
  if (received !== undefined) {
    // closing is the due and no alert is named: an alert before the close is not wrong either
    if (strictness === 'any-abort' || want.includes(received) || (expect.closeOk && !want.length))
      return withAlert({ verdict: 'conforming', detail: `rejected with ${received}` });
    return withAlert({
      verdict: 'wrong-alert',
      detail: `rejected with ${received}, expected ${want.join(' or ') || '(no alert named)'}`,
    });
  }
  if (o.kind === 'alert_sent')
    return { verdict: 'flagged', detail: `our server aborted first with ${alertName(o.alert.description)}: ${o.reason}` };
  if (end.kind === 'timed_out') return { verdict: 'hung', detail: `no rejection within ${end.afterMs} ms (${o.kind})` };
  if (expect.closeOk && end.kind === 'closed')
    return { verdict: 'conforming', detail: 'client closed the connection without an alert, as due here' };
  const how = end.kind === 'reset' ? `reset (${end.error})` : 'closed without an alert';
  if (strictness === 'exact')
    return end.kind === 'reset'
      ? { verdict: 'reset', detail: `connection ${how}, expected ${want.join(' or ')}` }
      : { verdict: 'wrong-alert', detail: `${how}, expected ${want.join(' or ')}` };
  return { verdict: 'conforming', detail: `rejected: ${how}` };
}

// ------------------------------------------------------------------ did the mutation happen

/** Hooks wrapped to tell whether they changed anything (a mutation that never fired proves nothing), and when. */
export function firingHooks(h: EngineHooks): { hooks: EngineHooks; fired: () => boolean } & FiringTimes {
  let fired = false;
  let early = false;
  let fin = false;
  const note = <T>(r: T | undefined): T | undefined => {
    if (r !== undefined) {
      fired = true;
      if (!fin) early = true;
    }
    return r;
  };
  const hooks: EngineHooks = {
    beforeProcess: async (m) => {
      if (m.type === 'finished') fin = true;
      return note(h.beforeProcess ? await h.beforeProcess(m) : undefined);
    },
  };
  const bs = h.beforeSend;
  const bsr = h.beforeSendRecord;
  const bf = h.beforeFrame;
  if (bs) hooks.beforeSend = async (m) => note(await bs(m));
  if (bsr) hooks.beforeSendRecord = async (r) => note(await bsr(r));
  if (bf) hooks.beforeFrame = async (f) => note(await bf(f));
  return { hooks, fired: () => fired, firedEarly: () => early, clientFinished: () => fin };
}

/**
 * The rule a mutant's conversation is reported under: the first declared
 * rule the oracles found broken on the wire, a specific one before the
 * generic state-machine rule (it names the check the peer skipped); the
 * first declared rule when none was seen broken.
 */
export function ruleOnWire(declared: readonly string[], verdicts: readonly Verdict[]): string | undefined {
  const broken = declared.filter((r) => verdicts.some((v) => v.rule === r && v.status === 'violation'));
  return broken.find((r) => !r.endsWith('.order.state-machine')) ?? broken[0] ?? declared[0];
}

/**
 * The rules whose violation on the wire shows the mutation happened: its
 * declared rules, and for a change of the message order also the version's
 * state-machine rule (a peer's table may catch a reordering before the
 * specific order rule decides).
 */
export function evidenceRules(rules: readonly RuleId[], version: TlsVersion): RuleId[] {
  const order = rules.some((r) => r.includes('.order.'));
  return order ? [...rules, version === '1.3' ? 't13.order.state-machine' : 't12.order.state-machine'] : [...rules];
}

// ------------------------------------------------------------------ transcript and oracles

export interface JudgedRun {
  /** Absent when the records could not be turned into a transcript (the ladder says why). */
  transcript?: Transcript;
  /** Our endpoint's NSS key log lines. */
  keylog: string[];
  /** `C->S: ...` lines (or raw record lines when no transcript was built). */
  ladder: string[];
  verdicts: Verdict[];
  /** Violations by messages the peer sent (`rule @index: detail`), without the rules `ignoredRules` names. */
  peerViolations: string[];
}

/**
 * The transcript of a socket run from our endpoint's side, its ladder, the
 * oracles' verdicts and the peer's violations. `peer` is the direction of
 * the messages the peer under test sent.
 */
export async function judgeRun(
  run: SocketRun,
  endpoint: TlsClient | TlsServer,
  role: Side,
  target: string,
  provider: CryptoProvider,
  opts: { trustAnchors?: Uint8Array[]; peer: Direction; ignoredRules?: ReadonlySet<string> },
): Promise<JudgedRun> {
  const ours: Direction = role === 'client' ? 'C->S' : 'S->C';
  let transcript: Transcript | undefined;
  let keylog: string[] = [];
  let ladder: string[];
  try {
    ({ transcript, keylog } = await transcriptOfRun(run, endpoint, role, target, provider));
    ladder = flowLines(transcript);
  } catch (e) {
    // the key log is still worth saving (the records may decrypt in Wireshark)
    keylog = formatKeyLog(endpoint.keylog)
      .split('\n')
      .filter((l) => l !== '');
    // e.g. a mutant that leaves the peer's records unreadable to the transcript builder: keep the raw record ladder
    const theirs: Direction = ours === 'C->S' ? 'S->C' : 'C->S';
    ladder = [
      ...run.records.map((r) => `${r.dir === 'sent' ? ours : theirs}: record type ${r.raw[0] ?? '?'} (${r.raw.length} bytes)`),
      `-- transcript not built: ${e instanceof Error ? e.message : String(e)}`,
    ];
  }
  let verdicts: Verdict[] = [];
  let peerViolations: string[] = [];
  if (transcript) {
    const t = transcript;
    // the conversation's own classifier judges the peer's reaction (its live verdicts: oracles/live.ts liveVerdicts)
    verdicts = (
      await checkTranscript(t, { judgeReactions: false, ...(opts.trustAnchors ? { trustAnchors: opts.trustAnchors } : {}) })
    ).verdicts;
    peerViolations = verdicts
      .filter(
        (v) =>
          v.status === 'violation' &&
          v.message !== undefined &&
          t.messages[v.message]?.dir === opts.peer &&
          !opts.ignoredRules?.has(v.rule),
      )
      .map((v) => `${v.rule} @${v.message}: ${v.detail}`);
  }
  const out: JudgedRun = { keylog, ladder, verdicts, peerViolations };
  if (transcript) out.transcript = transcript;
  return out;
}

// ------------------------------------------------------------------ what the profile says

export type ProfileStatus = 'expected-failure' | 'unexpected-pass';

/** Rules a profile disables outright (entries with a rule and no name): their violations are not reported. */
export function disabledRules(p: FuzzProfile): ReadonlySet<string> {
  return new Set(p.disabled.filter((d) => d.name === undefined && d.rule !== undefined).map((d) => d.rule!));
}

/** What the profile says about a conversation that ended with `verdict`: an expected failure, an unexpected pass, or nothing. */
export function profileStatusOf(
  p: FuzzProfile,
  s: Subject,
  verdict: ConversationVerdict,
): { status: ProfileStatus; reason: string } | undefined {
  const e = expectedFailureOf(p, s);
  return e ? { status: verdict === 'conforming' ? 'unexpected-pass' : 'expected-failure', reason: e.reason } : undefined;
}

/** A conversation that fails the run: not conforming and not an expected failure. */
export function failsRun(r: { run: ConversationRun; profile?: { status: ProfileStatus } }): boolean {
  return r.run.verdict !== 'conforming' && r.profile?.status !== 'expected-failure';
}

/** Ladder of a failing conversation, for printing, with the options that replay it. */
export function ladderText(r: ConversationRun): string[] {
  return [
    `${r.name} [${r.verdict}${r.rule ? ` ${r.rule}` : ''}] replay: --seed ${r.seed ?? '?'} --path ${r.path ?? '?'}`,
    ...(r.detail ? [`  ${r.detail}`] : []),
    ...r.ladder.map((l) => `  ${l}`),
  ];
}
