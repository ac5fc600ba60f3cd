/**
 * The live rules: how a receiver reacts to input it must reject (or must
 * accept). Two sources decide them:
 *
 * - a live conversation of the fuzzers: `liveVerdicts` maps how it ended
 *   (its ConversationVerdict, the alert the peer sent) and the rules its
 *   input broke on purpose to the verdicts of the live rules it decides;
 * - a transcript (a capture) where one side broke a rule and the other's
 *   reaction is visible: `reactionsIn` finds those reactions for the live
 *   rules' transcript checks (need `violations`, evaluate.ts phase two).
 *
 * Each live rule declares which conversations judge it and what a
 * conforming peer does there (rule.ts `LiveJudgement`).
 */
import type { TranscriptMessage, TransportEnd } from '../transcript/model';
import type { AlertName, ConversationVerdict, Side, TlsVersion } from '../wire/vocabulary';
import { otherSide, senderOf } from '../wire/vocabulary';
import { alertNameOf } from './alert-choices';
import { type RuleId, allRules, isRuleId, ruleById } from './catalogue';
import type { Context } from './context';
import { expectedReaction } from './reactions';
import type { MachineTransition } from './statemachine';
import { type Notice, type Outcome, type Rule, type Verdict, inconclusive, pass, violation } from './rule';

/** One live conversation as the reports see it (ConversationRun of a fuzzer run). */
export interface ConversationRun {
  target: string;
  /** The side the target played. */
  role: Side;
  name: string;
  verdict: ConversationVerdict;
  /** The rule the verdict is about (the mutation's, or the one the target's messages broke). */
  rule?: RuleId;
  detail?: string;
  ladder: string[];
  seed?: number;
  path?: string;
  transitions?: MachineTransition[];
  /** Verdicts of the live rules this conversation decides (`liveVerdicts`). */
  verdicts?: Verdict[];
}

/** What `liveVerdicts` needs to know about one conversation. */
export interface LiveOutcome {
  /** How the conversation was judged. */
  verdict: ConversationVerdict;
  /**
   * The rules the conversation's input breaks on purpose (a mutant's, a
   * fault's), and the live rules it exercises by design (a valid handshake
   * with unknown extensions lists ext.ignore-unknown); empty for a plain
   * valid handshake.
   */
  rules: readonly RuleId[];
  /** The version the conversation was for. */
  version: TlsVersion;
  /** The alert the peer under test sent, when it sent one. */
  alert?: AlertName;
  /** That alert came before our Finished was on the wire (LiveJudgement.notBefore). */
  beforeFinished?: boolean;
}

const HUNG: readonly ConversationVerdict[] = ['hung', 'target-hung', 'target-crashed'];

/** The rules whose breaking a conforming receiver must (or may) answer by rejecting: not the "must accept" live rules. */
function rejectedRules(rules: readonly RuleId[]): RuleId[] {
  return rules.filter((r) => ruleById(r).live?.expects !== 'complete');
}

function inScope(rule: Rule, o: LiveOutcome): boolean {
  const live = rule.live;
  if (!live || !rule.versions.includes(o.version)) return false;
  const broken = rejectedRules(o.rules).filter((r) => ruleById(r).live === undefined);
  switch (live.scope.kind) {
    case 'declared':
      return o.rules.includes(rule.id);
    case 'rejections':
      return broken.length > 0;
    case 'alert': {
      const want = live.scope.alert;
      return expectedReaction(broken, o.version).alerts.some((a) => a.alert === want);
    }
    case 'group': {
      const group = live.scope.group;
      return broken.some((r) => ruleById(r).group === group);
    }
  }
}

/** The alerts that are right for `rule` in this conversation: its own and those of the rules the input broke. */
function allowedAlerts(rule: Rule, o: LiveOutcome): AlertName[] {
  const own = rule.alerts.filter((a) => !a.versions || a.versions.includes(o.version)).map((a) => a.alert);
  const broken = expectedReaction(rejectedRules(o.rules), o.version).alerts.map((a) => a.alert);
  return [...new Set([...own, ...broken])];
}

/**
 * What a peer's ending means for one live rule, as a verdict (undefined:
 * this conversation does not decide the rule). The RFC sentences behind
 * the table: RFC 5246 §7.2.2 (a TLS 1.2 receiver MUST send the alert),
 * RFC 8446 §6.2 (a TLS 1.3 receiver SHOULD, and if it sends one for
 * "abort with X", it MUST be X).
 */
function judge(rule: Rule, o: LiveOutcome): Verdict | undefined {
  const live = rule.live!;
  const v = (status: Verdict['status'], detail: string): Verdict => ({ rule: rule.id, status, detail });
  if (o.verdict === 'flagged') return undefined;
  if (HUNG.includes(o.verdict))
    return v('inconclusive', `The peer did not decide within the conversation (${o.verdict}), so its reaction is unknown.`);
  const completed = o.verdict === 'accepted-invalid' || (o.verdict === 'conforming' && live.expects !== 'reject' && !o.alert);
  if (completed) {
    if (live.expects === 'reject')
      return live.judges === 'outcome' ? v('violation', 'The peer went on after input it must reject.') : undefined;
    return v('pass', 'The peer went on, which the RFC allows here.');
  }
  if (live.expects === 'complete') return v('violation', `The peer rejected input it must accept (${o.verdict}).`);
  if (live.judges === 'silence')
    return o.alert || o.verdict !== 'no-alert'
      ? v('pass', o.alert ? `The peer rejected it with an alert (${o.alert}).` : 'The peer did not close without an alert.')
      : v('violation', `The peer closed without an alert; ${rule.rfc.join(', ')} says it ${rule.strength} send one.`);
  if (live.notBefore === 'finished' && o.alert && o.beforeFinished)
    return v(
      'violation',
      `The peer alerted (${o.alert}) before our Finished: it answered the input itself, where ${rule.rfc.join(', ')} has it go on until the Finished.`,
    );
  const allowed = allowedAlerts(rule, o);
  if (o.alert)
    return allowed.length === 0 || allowed.includes(o.alert)
      ? v('pass', `The peer rejected it with ${o.alert}.`)
      : v('violation', `The peer rejected it with ${o.alert}; the RFC names ${allowed.join(' or ')}.`);
  // Rejected without an alert we heard: the fuzzer's verdict says whether that was wrong.
  if (o.verdict === 'wrong-alert')
    return v('violation', `The peer rejected it without the alert the RFC names (${allowed.join(' or ') || 'any'}).`);
  if (o.version === '1.2')
    return v('violation', 'The peer closed without an alert; RFC 5246 §7.2.2 requires the appropriate alert before closing.');
  return v('pass', 'The peer closed without an alert, which RFC 8446 §6.2 allows (it SHOULD send one).');
}

/**
 * The verdicts of the live rules a conversation decides. The fuzzers call
 * this once per conversation and keep the result in ConversationRun.verdicts;
 * the coverage report counts them per rule like transcript verdicts.
 *
 *     liveVerdicts({ verdict: 'no-alert', rules: ['t12.cv.signature-valid'], version: '1.2' })
 *     // -> alert.t12.must-send: violation (closed without an alert), ...
 *     liveVerdicts({ verdict: 'wrong-alert', alert: 'decode_error', rules: ['ver.client-accepts-version'], version: '1.3' })
 *     // -> alert.t13.named-alert: violation, ver.client-accepts-version: violation (protocol_version named)
 */
export function liveVerdicts(o: LiveOutcome): Verdict[] {
  const out: Verdict[] = [];
  for (const r of allRules) {
    if (!inScope(r, o)) continue;
    const verdict = judge(r, o);
    if (verdict) out.push(verdict);
  }
  return out;
}

/** Rule ids of a conversation from strings (mutation declarations, profiles): those that are declared rules. */
export function knownRules(ids: readonly string[]): RuleId[] {
  return ids.filter(isRuleId);
}

// ---------------------------------------------------------------- transcripts

/** One side's violation and what the other side did next, as a transcript shows it. */
export interface Reaction {
  /** The side whose message broke the rules. */
  violator: Side;
  /** The index of that message: the earliest of that side that broke a rule the other side can react to. */
  at: number;
  /** The rules broken at that message. */
  rules: RuleId[];
  /** The other side's first message after it (undefined: the transcript shows none). */
  next?: TranscriptMessage;
  /** The alert of `next`, when it is a readable alert. */
  alert?: AlertName;
  /** `next` is an alert that ends the connection (fatal, or any TLS 1.3 error alert). */
  fatal: boolean;
  /** The receiver closed its side of the transport (a capture's FIN or RST) before sending anything after `at`. */
  closed?: TransportEnd;
}

/**
 * The reactions in a transcript: for each side that broke a rule at a
 * message (a rule with alerts, judged on the sender, not one that itself
 * judges a receiver), or presented input a notice names (a certificate
 * chain that would not validate: its receiver is expected to reject it),
 * the other side's first message after the earliest such message.
 */
export function reactionsIn(ctx: Context, violations: readonly Verdict[], notices: readonly Notice[] = []): Reaction[] {
  const out: Reaction[] = [];
  for (const violator of ['client', 'server'] as const) {
    const sentBy = (message: number | undefined): message is number => {
      if (message === undefined) return false;
      const m = ctx.t.messages[message];
      return m !== undefined && senderOf(m.dir) === violator;
    };
    // after its own fatal alert the violator has ended the connection: nothing it sends later is answered
    const fatalAt =
      ctx.t.messages.find((m) => sentBy(m.index) && m.alert && m.alert.level === 2)?.index ?? Number.POSITIVE_INFINITY;
    const broken: Array<{ rule: RuleId; message: number }> = [];
    for (const v of violations) {
      if (v.message !== undefined && v.message > fatalAt) continue;
      const r = ruleById(v.rule);
      if (sentBy(v.message) && !r.judgesReceiver && r.evidence !== 'live') broken.push({ rule: v.rule, message: v.message });
    }
    for (const n of notices) if (sentBy(n.message)) broken.push({ rule: n.rule, message: n.message });
    if (!broken.length) continue;
    // One reaction per answer of the receiver: the broken messages before the same answer of the other side are one
    // input to it (an abort may be for any of them), so an earlier violation the receiver tolerates (it answered it
    // by going on) does not hide its answer to a later one.
    const receiver = otherSide(violator);
    const groups = new Map<number, { at: number; rules: Set<RuleId>; next?: TranscriptMessage }>();
    for (const b of [...broken].sort((x, y) => x.message - y.message)) {
      // A TLS 1.3 ChangeCipherSpec is the middlebox-compatibility record (RFC 8446 App. D.4: a client sends it "immediately
      // before its second flight"; §5: its receiver "MUST simply drop it"), never an answer: the answer is what follows it.
      const next = ctx.t.messages.find(
        (m) => m.index > b.message && senderOf(m.dir) === receiver && !(ctx.version === '1.3' && m.kind === 'change_cipher_spec'),
      );
      const key = next?.index ?? -1;
      const g = groups.get(key) ?? { at: b.message, rules: new Set<RuleId>(), ...(next ? { next } : {}) };
      g.rules.add(b.rule);
      groups.set(key, g);
    }
    for (const g of groups.values()) {
      const next = g.next;
      const r: Reaction = { violator, at: g.at, rules: [...g.rules], fatal: false };
      const end = ctx.t.ends?.find((e) => e.side === receiver);
      const firstRecord = next?.records?.length ? Math.min(...next.records) : undefined;
      if (end && (!next || (firstRecord !== undefined && end.beforeRecord <= firstRecord))) r.closed = end;
      if (next && !r.closed) {
        r.next = next;
        if (next.alert) {
          const name = alertNameOf(next.alert.description);
          if (name) r.alert = name;
          const closure = next.alert.description === 0 || next.alert.description === 90;
          r.fatal = next.alert.level === 2 || (ctx.version === '1.3' && !closure);
        }
      }
      out.push(r);
    }
  }
  return out;
}

/** `the client` / `the server`. */
const the = (s: Side): string => `the ${s}`;
const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * A receiver's reaction judged against the alerts the RFC allows there
 * (`rfc` names the sentence): pass when it sent one of them, violation
 * when it sent another error alert, inconclusive when the transcript
 * cannot show it; undefined when it went on or closed normally
 * (close_notify, a warning, or its FIN/RST without an alert: `closed`,
 * judged by alert.t12.must-send): nothing shows which alert it chose.
 */
export function alertReaction(r: Reaction, allowed: readonly AlertName[], rfc: string): Outcome | undefined {
  const what = `${the(otherSide(r.violator))}'s answer to ${the(r.violator)}'s message ${r.at} (${r.rules.join(', ')})`;
  if (r.closed) return undefined;
  if (!r.next)
    return inconclusive(`The transcript ends before ${what}: whether it closed with or without an alert is not in it.`, {
      message: r.at,
    });
  if (r.next.kind !== 'alert') return undefined;
  if (!r.next.alert)
    return inconclusive(`${cap(what)} is an alert that could not be read (no key log).`, { message: r.next.index });
  if (!r.fatal) return undefined;
  const name = r.alert ?? `alert ${r.next.alert.description}`;
  if (allowed.length === 0 || (r.alert && allowed.includes(r.alert)))
    return pass(`${cap(what)} is ${name}, an alert ${rfc} allows there.`, { message: r.next.index });
  return violation(`${cap(what)} is ${name}; ${rfc} calls for ${allowed.join(' or ')}.`, {
    message: r.next.index,
    expected: allowed.join(' or '),
    actual: name,
  });
}
