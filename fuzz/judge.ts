/**
 * Judge: what a live peer did, against what a conforming peer must do, for
 * both roles (our client against a server, our server against a client).
 * The expectation of a mutated conversation comes from the receiver's side
 * of the mutation's declaration (the rules its input breaks and the
 * receiver's reaction rules; oracles/reactions.ts derives the alerts, with
 * their RFC sentences, and whether silence or going on is allowed).
 * `judgeRun` builds the transcript and runs the oracles over it;
 * fuzz/observe.ts reads from it what the peer did (went on, an alert, a
 * closure); `classify` turns that into a verdict, `judgeConversation` adds
 * the rule (a message the peer sent that broke a rule by itself flags the
 * conversation under that rule) and the live rules the conversation
 * decides. What a profile says about an outcome is decided here too.
 */
import { type CryptoProvider, formatKeyLog } from '../crypto';
import type { TlsClient } from '../engine/client';
import type { EngineHooks, FramePiece, HookFrame } from '../engine/hooks';
import type { TlsServer } from '../engine/server';
import type { SocketEnd, SocketRun } from '../engine/socket';
import { alertNames, type Mutation, reactionOf, rulesIn } from '../generators/mutations/model';
import { type AlertChoice, alertNameOf } from '../oracles/alert-choices';
import { type RuleId, ruleById } from '../oracles/catalogue';
import { checkTranscript } from '../oracles/evaluate';
import { type ConversationRun, liveVerdicts } from '../oracles/live';
import { ALERT_DUTY, type ExpectedReaction } from '../oracles/reactions';
import type { Verdict } from '../oracles/rule';
import type { ParsedCertCache } from '../pki/parse';
import type { Transcript } from '../transcript/model';
import { concatBytes } from '../wire/hex';
import { MAX_PLAINTEXT } from '../wire/record';
import { AlertDescription, alertDescriptions, nameOf } from '../wire/registry';
import type { AlertName, ConversationVerdict, Direction, Side, Strictness, TlsVersion } from '../wire/vocabulary';
import { flowLines, transcriptOfRun } from './live';
import { type InvalidFrom, type Observation, observe } from './observe';
import { alertMappedBy, expectedFailureOf, type FuzzProfile, type Subject } from './profile';

export const STRICTNESS: readonly Strictness[] = ['exact', 'alert-or-close', 'any-abort'];
/**
 * The default: a rejection is judged as the RFC words it. A closure without the alert the RFC asks for is a
 * `no-alert` finding (TLS 1.2 MUST, TLS 1.3 SHOULD), an alert the rules do not name a `wrong-alert`.
 * `alert-or-close` keeps silent closures out of the failures; `any-abort` takes any rejection.
 */
export const DEFAULT_STRICTNESS: Strictness = 'exact';

/** One application data record of the lengths family: its content length and (TLS 1.3) its padding. */
export interface AppRecord {
  length: number;
  padding?: number;
}

/**
 * The content of the lengths family's records, one after the other: bytes 0x80..0xfe (never text, so a target's own
 * greeting is never taken for their echo), shifted per record so a record echoed out of order shows.
 */
export function appRecordData(records: readonly AppRecord[]): Uint8Array[] {
  return records.map((r, i) => Uint8Array.from({ length: r.length }, (_, j) => 0x80 + ((i * 31 + j) % 0x7f)));
}

/**
 * What a conforming peer must do in a conversation: complete a valid handshake, or refuse our invalid input.
 * A refusal rests on the receiver's side of the mutation model (generators/mutations/model.ts): `rules` are the
 * rules our input breaks, `reactionRules` the receiver's duties the reaction also rests on; `reaction` is what
 * oracles/reactions.ts derives from both (the alerts with their RFC sentences, whether silence or going on is
 * allowed). `completion` are the rules the receiver breaks if it goes on anyway (its duties as a sender): a peer
 * that goes on is reported under them, no alert is derived from them. `silenceOk`: the flow is incomplete rather
 * than out of order (e.g. our Finished withheld), so a peer that waits is conforming too, as long as it does not
 * complete the handshake.
 */
export type Expectation =
  /**
   * `rules`: the live rules that say the input, unusual but valid, must be accepted (ext.ignore-unknown, ...).
   * `decline`: a renegotiation the peer may decline instead (oracles/rules/renegotiation.ts RENEGOTIATION_DECLINE):
   * its warning no_renegotiation, or (`silenceOk`: a client's HelloRequest may go unanswered) no answer at all.
   */
  | {
      kind: 'complete';
      rules?: readonly RuleId[];
      decline?: AlertChoice;
      silenceOk?: boolean;
      /**
       * Valid application data records our client sent once connected (the lengths family; their content is
       * appRecordData's): after them the peer neither alerts nor closes, and a peer that echoes (its data begins with
       * ours) echoes them intact. A finding names the records' lengths.
       */
      appRecords?: readonly AppRecord[];
    }
  | {
      kind: 'reject';
      /** A renegotiation the peer may decline instead of aborting it (its warning no_renegotiation; see above). */
      decline?: AlertChoice;
      rules: readonly RuleId[];
      reactionRules?: readonly RuleId[];
      completion?: readonly RuleId[];
      /** The names of `reaction.alerts`, strictest first; empty when the RFC names none. */
      alerts: readonly AlertName[];
      reaction?: ExpectedReaction;
      silenceOk?: boolean;
      /**
       * A close without an alert is the conforming answer (the RFC names no alert: e.g. the peer received our error
       * alert, RFC 8446 §6 "MUST NOT allow any further data to be sent or received on the connection").
       */
      closeOk?: boolean;
      /** Why the RFC's leave to go on does not apply to this target (named in an accepted-invalid verdict). */
      heldBecause?: string;
    };

/** What a conforming receiver owes when it meets a mutation in a handshake of this version (from its declaration). */
export function expectationOf(
  m: Pick<Mutation, 'rules' | 'reactionRules' | 'completionRules'> & { where?: Mutation['where'] },
  version: TlsVersion,
  receiver?: Side,
): Expectation {
  const inVersion = (ids: readonly RuleId[] | undefined) => rulesIn({ rules: ids ?? [] }, version);
  const reaction = reactionOf(m, version, [], receiver);
  const rules = inVersion(m.rules);
  const named = rules.length ? rules : m.rules;
  // valid but unusual input (an unknown extension, a zero-length application data record): the peer must go on
  if (reaction.mustComplete) return { kind: 'complete', rules: named };
  const out: Extract<Expectation, { kind: 'reject' }> = {
    kind: 'reject',
    rules: named,
    alerts: alertNames(reaction),
    reaction,
  };
  const reactionRules = inVersion(m.reactionRules);
  if (reactionRules.length) out.reactionRules = reactionRules;
  const completion = inVersion(m.completionRules);
  if (completion.length) out.completion = completion;
  // closing is the whole answer: no alert is due, and a peer that only waits has not gone on either
  if (reaction.mustClose) {
    out.closeOk = true;
    out.silenceOk = true;
  }
  return out;
}

export interface Classification {
  verdict: ConversationVerdict;
  detail: string;
  /** Alert the peer sent, by name. */
  alert?: string;
  /** The rule the verdict is about, when the classification itself decides it (no-alert: the alert duty's). */
  rule?: RuleId;
}

export function alertName(d: number): string {
  return nameOf(alertDescriptions, d, 2);
}

/** The rule and sentence of the duty to send an alert at all (RFC 5246 §7.2.2 MUST; RFC 8446 §6.2 SHOULD). */
const SILENCE_RULE: Readonly<Record<TlsVersion, RuleId>> = { '1.2': 'alert.t12.must-send', '1.3': 'alert.t13.should-send' };

/** `closed without an alert` / `reset (...)` / `closed with close_notify`: how a peer ended without an error alert. */
function silentEnd(obs: Observation): string {
  if (obs.closeNotify) return 'closed with close_notify (an orderly closure, not an error alert)';
  if (obs.end === 'reset') return `reset the connection${obs.error ? ` (${obs.error})` : ''} without an alert`;
  return 'closed the connection without an alert';
}

/**
 * A conversation's verdict from what the peer did (fuzz/observe.ts) and what it owed. In this order:
 * - a peer that went on after our invalid input accepted it (whatever it did next: a later alert or close does not
 *   undo its Finished or data), unless every rule broken lets a receiver ignore the input;
 * - an error alert: conforming when the rules name it (or name none, or under any-abort), else wrong-alert;
 * - our endpoint aborted first: flagged (what the peer sent made it stop; the oracles name the rule);
 * - a timeout: conforming for an incomplete flow (waiting is right), else hung;
 * - a closure without an error alert (close_notify, FIN, reset): no-alert, with the alert duty's rule and strength
 *   (RFC 5246 §7.2.2 MUST; RFC 8446 §6.2 SHOULD: a SHOULD finding), conforming under the lenient strictnesses.
 */
export function classify(expect: Expectation, obs: Observation, strictness: Strictness): Classification {
  const withAlert = (c: Classification): Classification => (obs.alert !== undefined ? { ...c, alert: obs.alert } : c);
  const declined =
    obs.declined !== undefined && expect.decline !== undefined && obs.declined === expect.decline.alert
      ? `the peer declined the renegotiation with the warning ${obs.declined} (${expect.decline.rfc}: "${expect.decline.text}")`
      : undefined;
  if (expect.kind === 'complete') {
    if (obs.alert !== undefined)
      return withAlert({ verdict: 'wrong-alert', detail: `valid handshake rejected with alert ${obs.alert}` });
    if (declined !== undefined && !obs.completed) return { verdict: 'conforming', detail: declined };
    if (obs.completed)
      return {
        verdict: 'conforming',
        detail: obs.peerData ? 'handshake completed, the peer sent application data' : 'handshake completed',
      };
    if (obs.ourAbort !== undefined) return { verdict: 'flagged', detail: `our endpoint aborted with ${obs.ourAbort}` };
    if (obs.end === 'timed_out' && expect.silenceOk && expect.decline)
      return {
        verdict: 'conforming',
        detail: `the peer did not answer the renegotiation request (${expect.decline.rfc}: "${expect.decline.text}")`,
      };
    if (obs.end === 'timed_out') return { verdict: 'hung', detail: `valid handshake stalled after ${obs.afterMs ?? '?'} ms` };
    if (obs.end === 'reset') return { verdict: 'reset', detail: `valid handshake reset: ${obs.error ?? ''}` };
    return { verdict: 'wrong-alert', detail: `valid handshake: the peer ${silentEnd(obs)}` };
  }
  const want: readonly string[] = expect.alerts;
  const named = want.join(' or ') || '(no alert named)';
  if (obs.sealedAlert && obs.alert === undefined && want.includes('bad_record_mac'))
    // the input shows only when a record does not open (bad_record_mac): the peer derived its keys from our hello, as
    // it must, and aborted with an alert protected under them (RFC 8446 §6); which alert it chose cannot be read
    return {
      verdict: 'conforming',
      detail: `rejected with an alert protected under keys derived from our invalid input (its description cannot be read; expected ${named})`,
    };
  if (obs.wentOn !== undefined) {
    const r = expect.reaction;
    if (r?.ignoreAllowed) {
      const why = r.ignoreBecause[0];
      return withAlert({
        verdict: 'conforming',
        detail: `the peer went on (${obs.wentOn}), which the RFC allows here${why ? ` (${why.rfc}: "${why.text}")` : ''}`,
      });
    }
    const then = obs.alert !== undefined ? `, then sent ${obs.alert}` : obs.closeNotify ? ', then closed with close_notify' : '';
    const held = expect.heldBecause ? ` (${expect.heldBecause})` : '';
    return withAlert({
      verdict: 'accepted-invalid',
      detail: `the peer went on after our invalid input: it sent ${obs.wentOn}${then}${held}`,
    });
  }
  if (obs.alert !== undefined) {
    if (strictness === 'any-abort' || want.length === 0 || want.includes(obs.alert))
      return withAlert({ verdict: 'conforming', detail: `rejected with ${obs.alert}` });
    return withAlert({ verdict: 'wrong-alert', detail: `rejected with ${obs.alert}, expected ${named}` });
  }
  if (declined !== undefined) return { verdict: 'conforming', detail: declined };
  if (obs.ourAbort !== undefined) return { verdict: 'flagged', detail: `our endpoint aborted first with ${obs.ourAbort}` };
  if (obs.end === 'timed_out') {
    if (expect.silenceOk && !obs.completed)
      return { verdict: 'conforming', detail: `the peer waited without completing (${obs.afterMs ?? '?'} ms)` };
    return {
      verdict: 'hung',
      detail: `no decision within ${obs.afterMs ?? '?'} ms${obs.completed ? ' after the handshake' : ''}`,
    };
  }
  if (obs.completed && !obs.closeNotify && obs.end === 'done')
    // we ended a completed handshake ourselves (TLS 1.2: the peer's Finished is acceptance, seen as wentOn)
    return { verdict: 'hung', detail: 'the handshake completed and the peer neither answered nor rejected' };
  if (expect.closeOk && obs.end !== 'reset')
    return { verdict: 'conforming', detail: `the peer ${silentEnd(obs)}: closing is the whole answer here` };
  if (expect.silenceOk)
    return { verdict: 'conforming', detail: `the peer ${silentEnd(obs)} without completing (incomplete flow)` };
  const how = silentEnd(obs);
  const version = obs.version;
  const duty = ALERT_DUTY[version];
  if (strictness !== 'exact')
    return { verdict: 'conforming', detail: `rejected: the peer ${how} (--strictness ${strictness} takes it)` };
  const strength = expect.reaction?.alertStrength ?? (version === '1.2' ? 'MUST' : 'SHOULD');
  return {
    verdict: 'no-alert',
    rule: SILENCE_RULE[version],
    detail: `the peer ${how}, expected ${named}; a ${strength} finding: ${duty.rfc} "${duty.text}"`,
  };
}

// ------------------------------------------------------------------ did the mutation happen

/** Hooks wrapped to tell whether they changed anything (a mutation that never fired proves nothing), and where. */
export interface FiringHooks {
  hooks: EngineHooks;
  fired(): boolean;
  /** Bytes of our records that had gone out when the mutation first fired: the invalid input starts after them. */
  firedAt(): number | undefined;
}

/**
 * Wrap a mutation's hooks: every record we send passes the record hook (the original's, when it has one), so the
 * bytes sent before the first firing are counted; the first hook that returns a replacement fires the mutation.
 */
export function firingHooks(h: EngineHooks): FiringHooks {
  let at: number | undefined;
  let sent = 0;
  // records of the firing frame that go out as the engine would have framed them: the invalid input starts after them
  let unchanged = 0;
  const note = <T>(r: T | undefined): T | undefined => {
    if (r !== undefined && at === undefined) at = sent;
    return r;
  };
  const bs = h.beforeSend;
  const bsr = h.beforeSendRecord;
  const bp = h.beforeProcess;
  const hooks: EngineHooks = {
    beforeSendRecord: async (r) => {
      const out = bsr ? note(await bsr(r)) : undefined;
      for (const x of out ?? [r]) sent += x.raw.length;
      if (unchanged > 0) {
        unchanged--;
        if (out === undefined) at = sent;
        else unchanged = 0;
      }
      return out;
    },
  };
  // a scheme the hook names for our CertificateVerify: the message signed under it is the invalid input
  const ss = h.signatureScheme;
  if (ss) hooks.signatureScheme = (c) => note(ss(c));
  if (bs) hooks.beforeSend = async (m) => note(await bs(m));
  if (bp) hooks.beforeProcess = async (m) => note(await bp(m));
  const bf = h.beforeFrame;
  if (bf)
    hooks.beforeFrame = async (f) => {
      const pieces = await bf(f);
      if (pieces !== undefined && at === undefined) {
        note(pieces);
        // e.g. our ClientHello as it was, then a record it must not be followed by, or the end of our transport
        unchanged = unchangedLead(f, pieces);
      }
      return pieces;
    };
  return { hooks, fired: () => at !== undefined, firedAt: () => at };
}

/** How many of a hook's pieces, from the first, are the frame as the engine frames it (one record, its content unchanged). */
export function unchangedLead(f: HookFrame, pieces: readonly FramePiece[]): number {
  const same = (p: FramePiece) =>
    p.contentType === f.contentType &&
    p.version === undefined &&
    !p.padding &&
    !p.plaintext &&
    // sealed another way (the longest CBC padding, an edit of what is encrypted): the record is the mutation
    p.protection === undefined &&
    f.content.length <= MAX_PLAINTEXT &&
    p.fragment.length === f.content.length &&
    p.fragment.every((b, i) => b === f.content[i]);
  // the frame itself goes out once, first; what follows it is the mutation
  return pieces.length > 0 && same(pieces[0]!) ? 1 : 0;
}

/**
 * The rule a mutant's conversation is reported under: the first declared
 * rule the oracles found broken on the wire, a specific one before the
 * generic state-machine rule (it names the check the peer skipped); the
 * first declared rule when none was seen broken.
 */
export function ruleOnWire(declared: readonly RuleId[], verdicts: readonly Verdict[]): RuleId | undefined {
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
  /** The same violations as verdicts. */
  peer: Verdict[];
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
  opts: {
    trustAnchors?: Uint8Array[];
    peer: Direction;
    ignoredRules?: ReadonlySet<string>;
    /** Parsed certificates shared by the run's conversations (the same chains come back every time). */
    certCache?: ParsedCertCache;
    /** Earlier connections this one refers to (a replay: the original; oracles/evaluate.ts `earlier`), and whether all reached one server instance. */
    earlier?: readonly Transcript[];
    oneServerInstance?: boolean;
  },
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
  let peer: Verdict[] = [];
  if (transcript) {
    const t = transcript;
    // the conversation's own classifier judges the peer's reaction (its live verdicts: oracles/live.ts liveVerdicts)
    verdicts = (
      await checkTranscript(t, {
        judgeReactions: false,
        // the run's provider: its key store imports the target's keys once for the whole run, not once per conversation
        provider,
        ...(opts.trustAnchors ? { trustAnchors: opts.trustAnchors } : {}),
        ...(opts.certCache ? { certCache: opts.certCache } : {}),
        ...(opts.earlier ? { earlier: opts.earlier } : {}),
        ...(opts.oneServerInstance ? { oneServerInstance: true } : {}),
      })
    ).verdicts;
    peer = verdicts.filter(
      (v) =>
        v.status === 'violation' &&
        v.message !== undefined &&
        t.messages[v.message]?.dir === opts.peer &&
        !opts.ignoredRules?.has(v.rule),
    );
    peerViolations = peer.map((v) => `${v.rule} @${v.message}: ${v.detail}`);
  }
  const out: JudgedRun = { keylog, ladder, verdicts, peerViolations, peer };
  if (transcript) out.transcript = transcript;
  return out;
}

// ------------------------------------------------------------------ the verdict of a conversation

export interface Judgement extends Classification {
  observation: Observation;
  /** The verdicts of the live rules this conversation decides (oracles/live.ts liveVerdicts). */
  live: Verdict[];
}

/**
 * The input rules and reaction rules of an expectation; for valid input, the rules that say it must be accepted
 * (ext.ignore-unknown, ...; none for a plain valid handshake).
 */
function dutyRules(expect: Expectation): RuleId[] {
  return expect.kind === 'reject' ? [...new Set([...expect.rules, ...(expect.reactionRules ?? [])])] : [...(expect.rules ?? [])];
}

/**
 * Judge one conversation: what the peer did (observe), against what it owed (classify), under which rule, and the
 * live rules it decides. The rule: a no-alert's is the alert duty's; a peer that went on is reported under the
 * rule it breaks by going on (the mutation's completion rules) or else the input rule the oracles saw broken; a
 * conversation whose verdict would be conforming or a silent closure, where a message the peer sent broke a rule
 * by itself (its own violation, e.g. an alert protected with the wrong keys), is flagged under that rule.
 */
export function judgeConversation(
  expect: Expectation,
  judged: Pick<JudgedRun, 'transcript' | 'verdicts' | 'peer'>,
  o: {
    version: TlsVersion;
    ours: Direction;
    from: InvalidFrom | undefined;
    end: SocketEnd;
    renegotiated?: boolean;
    /** The peer's application data, in order (for the echo of `appRecords`). */
    received?: Uint8Array;
  },
  strictness: Strictness,
): Judgement {
  const t = judged.transcript;
  // a peer record that did not open because the peer protected it wrongly is its own violation, not a sign it went on
  const explained = new Set(
    judged.peer
      .filter((v) => v.message !== undefined && t?.messages[v.message]?.type.startsWith('encrypted_'))
      .map((v) => v.message!),
  );
  const observation = observe(t, { ...o, explained });
  const c = afterRecords(expect, observation, o.received, classify(expect, observation, strictness));
  const duty = dutyRules(expect);
  let rule: RuleId | undefined = c.rule;
  if (rule === undefined && c.verdict === 'accepted-invalid' && expect.kind === 'reject')
    rule = expect.completion?.[0] ?? ruleOnWire(duty, judged.verdicts);
  else if (rule === undefined && c.verdict !== 'conforming' && c.verdict !== 'flagged') rule = ruleOnWire(duty, judged.verdicts);
  let verdict = c.verdict;
  let detail = c.detail;
  const own = judged.peer[0];
  if (own && (verdict === 'conforming' || verdict === 'no-alert' || verdict === 'flagged')) {
    detail =
      verdict === 'flagged'
        ? `${detail}; the peer's message @${own.message} broke ${own.rule}: ${own.detail}`
        : `the peer's message @${own.message} broke ${own.rule}: ${own.detail} (${detail})`;
    verdict = 'flagged';
    rule = own.rule;
  }
  // a rejection due only once our Finished is in (LiveJudgement.notBefore): an alert before it answered the input itself
  const early =
    expect.kind === 'reject' && observation.alertBeforeOurFinished
      ? duty.find((r) => ruleById(r).live?.notBefore === 'finished')
      : undefined;
  if (early !== undefined && (verdict === 'conforming' || verdict === 'wrong-alert')) {
    verdict = 'wrong-alert';
    rule = early;
    detail = `the peer alerted (${c.alert ?? 'an alert'}) before our Finished went out: it answered our input itself, which ${ruleById(early).rfc.join(', ')} forbids (${detail})`;
  }
  const out: Judgement = { verdict, detail, observation, live: [] };
  if (c.alert !== undefined) out.alert = c.alert;
  if (rule !== undefined) out.rule = rule;
  const alert = c.alert !== undefined ? alertNameOf(alertCodeOf(c.alert)) : undefined;
  out.live = liveVerdicts({
    verdict,
    rules: duty,
    version: o.version,
    ...(alert ? { alert } : {}),
    ...(observation.alertBeforeOurFinished ? { beforeFinished: true } : {}),
  });
  return out;
}

/** The bytes of our records a peer's data must begin with to be taken for their echo. */
const ECHO_PROBE = 32;

/**
 * The lengths family's duties after a completed handshake (Expectation `appRecords`, rule rec.appdata-up-to-limit):
 * no closure after our valid records (an alert is classify's wrong-alert already), and an echo, when the peer echoes,
 * byte for byte; any finding names the records' lengths.
 */
function afterRecords(
  expect: Expectation,
  obs: Observation,
  received: Uint8Array | undefined,
  c: Classification,
): Classification {
  if (expect.kind !== 'complete' || !expect.appRecords?.length) return c;
  const records = expect.appRecords;
  const named = `our application data records of ${records.map((r) => `${r.length}${r.padding ? `+${r.padding} padding` : ''}`).join(', ')} bytes`;
  if (c.verdict !== 'conforming') return { ...c, detail: `${c.detail} (after ${named})` };
  // a close_notify is an orderly closure either side may send at any time (RFC 5246 §7.2.1, RFC 8446 §6.1: "Either
  // party MAY initiate a close of its write side of the connection by sending a "close_notify" alert"): no finding;
  // a bare close or reset after our valid records aborts the connection without any alert
  // (a reset is a reset, as for any valid conversation; a close without any alert the wrong answer to valid input)
  if (obs.completed && !obs.closeNotify && (obs.end === 'closed' || obs.end === 'reset'))
    return {
      verdict: obs.end === 'reset' ? 'reset' : 'wrong-alert',
      rule: 'rec.appdata-up-to-limit',
      detail: `the peer ${silentEnd(obs)} after ${named}, all valid (RFC 8446 §5.1, §5.4)`,
    };
  const parts = appRecordData(records);
  const sent = concatBytes(parts);
  // an echo begins with our first ECHO_PROBE bytes (a greeting is text; a line-reversing server, openssl s_server
  // -rev, gives our bytes back in another order): only then is the rest compared
  const probe = Math.min(ECHO_PROBE, sent.length);
  if (!received || received.length < probe || received.subarray(0, probe).some((b, i) => b !== sent[i])) return c;
  const n = Math.min(received.length, sent.length);
  let k = 0;
  while (k < n && received[k] === sent[k]) k++;
  if (k === n) return { ...c, detail: `${c.detail}; the peer echoed ${n} of the ${sent.length} bytes of ${named} intact` };
  let at = k;
  let i = 0;
  while (i < parts.length - 1 && at >= parts[i]!.length) at -= parts[i++]!.length;
  return {
    verdict: 'flagged',
    rule: 'rec.appdata-up-to-limit',
    detail: `the peer's echo differs from ${named} at byte ${k}: byte ${at} of our record #${i + 1} of ${records[i]!.length} bytes`,
  };
}

/** The code of an alert named by alertName (a name, or a number for an unknown one). */
function alertCodeOf(name: string): number {
  const n = (AlertDescription as Readonly<Record<string, number>>)[name];
  return n ?? Number(name);
}

// ------------------------------------------------------------------ what the profile says

/** What a profile said: an expected failure, an expected failure that passed, or a different alert its alert map accepts. */
export type ProfileStatus = 'expected-failure' | 'unexpected-pass' | 'alert-mapped';

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
  if (verdict === 'wrong-alert') {
    const mapped = alertMappedBy(p, s);
    if (mapped) return { status: 'alert-mapped', reason: `${mapped.to} accepted for ${mapped.from}: ${mapped.reason}` };
  }
  const e = expectedFailureOf(p, s);
  return e ? { status: verdict === 'conforming' ? 'unexpected-pass' : 'expected-failure', reason: e.reason } : undefined;
}

/** A conversation that fails the run: not conforming, not an expected failure, not a different alert the profile maps. */
export function failsRun(r: { run: ConversationRun; profile?: { status: ProfileStatus } }): boolean {
  return r.run.verdict !== 'conforming' && r.profile?.status !== 'expected-failure' && r.profile?.status !== 'alert-mapped';
}

/** Ladder of a failing conversation, for printing, with the options that replay it. */
export function ladderText(r: ConversationRun): string[] {
  return [
    `${r.name} [${r.verdict}${r.rule ? ` ${r.rule}` : ''}] replay: --seed ${r.seed ?? '?'} --path ${r.path ?? '?'}`,
    ...(r.detail ? [`  ${r.detail}`] : []),
    ...r.ladder.map((l) => `  ${l}`),
  ];
}
