/**
 * The rule declaration: one per rule, every field once. The evaluator
 * (evaluate.ts), the fuzzers (reactions.ts, live.ts), the mutation
 * catalogue, `tlsprop rules` and the reports all read it; the reference
 * catalogue (fixtures/reference/tls-rules.json) is only a checklist that
 * oracles/drift.test.ts compares the declarations with.
 *
 * A rule reads a Transcript (through the Context built once per transcript)
 * and says, for each place it looked at, pass / violation; when it could
 * not look it says inconclusive and why; when it does not apply it says
 * not-applicable. Never a silent pass. What a rule needs before its check
 * can run (`needs`) is declared, and the evaluator says not-applicable or
 * inconclusive when a need is missing, before the check runs.
 */
import type { TranscriptMessage } from '../transcript/model';
import type { Extension } from '../wire/extensions';
import type { ClientHello, ServerHello } from '../wire/handshake';
import type { KeyExchange } from '../wire/registry';
import type { AlertName, Role, Side, Strength, TlsVersion, VerdictStatus } from '../wire/vocabulary';
import { type AlertChoice, definition } from './alert-choices';
import type { RuleId } from './catalogue';
import type { Context, Hello } from './context';

export type { AlertChoice } from './alert-choices';
export type { RuleId } from './catalogue';

/**
 * What deciding a rule takes, first from a transcript: plaintext bytes,
 * key material (a key log), or a live peer (how a receiver reacts to input
 * it must reject: the fuzzers' conversation verdicts decide it).
 */
export type Evidence = 'plaintext' | 'keys' | 'live';
export type RuleGroup = 'record' | 'ordering' | 'negotiation' | 'crypto' | 'certificates';

/**
 * What a rule needs before its check runs; the evaluator checks them in
 * the declared order (needs.ts) and says why when one is missing:
 * - `records`: the transcript was built from records (not messages only);
 * - `client-hello` / `server-hello` / `hellos`: decoded hellos (the check sees `ctx.ch` / `ctx.sh` set);
 * - `hrr`: a HelloRetryRequest (not-applicable without one);
 * - `kex`: the key exchange of the negotiated suite is known (`ctx.kex` set);
 * - `full-handshake`: TLS 1.2, not abbreviated (not-applicable when resumed);
 * - `first-handshake`: no session resumed in either version (TLS 1.2 abbreviated, TLS 1.3 PSK);
 * - `keys`: every protected message readable, nothing missing (TLS 1.3 messages after ServerHello);
 * - `tls13-ee`: the EncryptedExtensions is readable (the check sees `ctx.ee`);
 * - `server-chain` / `client-chain`: that side sent a readable Certificate message (`ctx.serverChain` / `ctx.clientChain`);
 * - `violations`: the other rules' violations and notices (the check sees `ctx.violations`, `ctx.notices`): the rule judges a reaction;
 * - `renegotiation`: the handshake is a TLS 1.2 renegotiation (not-applicable for the initial one; the check sees
 *   `ctx.previous`, the handshake it renegotiates).
 */
export type Need =
  | 'records'
  | 'client-hello'
  | 'server-hello'
  | 'hellos'
  | 'hrr'
  | 'kex'
  | 'full-handshake'
  | 'first-handshake'
  | 'keys'
  | 'tls13-ee'
  | 'server-chain'
  | 'client-chain'
  | 'violations'
  | 'renegotiation';

/** The EncryptedExtensions of a TLS 1.3 handshake, decoded. */
export interface EncryptedExtensionsSeen {
  m: TranscriptMessage;
  exts: Extension[];
}

/** One side's Certificate message and the DER certificates in it (possibly none). */
export interface ChainSeen {
  m: TranscriptMessage;
  certs: Uint8Array[];
}

/** What a met need adds to the context a check sees. */
interface Provides {
  records: object;
  'client-hello': { ch: Hello<ClientHello> };
  'server-hello': { sh: Hello<ServerHello> };
  hellos: { ch: Hello<ClientHello>; sh: Hello<ServerHello> };
  hrr: { hrr: Hello<ServerHello> };
  kex: { kex: KeyExchange };
  'full-handshake': object;
  'first-handshake': object;
  keys: object;
  'tls13-ee': { ee: EncryptedExtensionsSeen };
  'server-chain': { serverChain: ChainSeen };
  'client-chain': { clientChain: ChainSeen };
  violations: { violations: readonly Verdict[]; notices: readonly Notice[] };
  renegotiation: { previous: Context };
}
type Intersect<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** The context a check sees: what its needs guarantee is there. */
export type Given<N extends readonly Need[]> = Context & Intersect<Provides[N[number]]>;

/** A receiver may instead ignore the input (continue as if it were absent): when the RFC says so, with the sentence. */
export interface Tolerance {
  rfc: string;
  text: string;
  /** Only this side may (e.g. a server given an unacceptable client chain); absent: either receiver. */
  receiver?: Side;
  /** Only in these versions; absent: every version of the rule. */
  versions?: readonly TlsVersion[];
  /**
   * The tolerance is to go on with the client considered unauthenticated (RFC 5246 §7.4.6, RFC 8446 §4.4.2.4): a
   * server known to require client authentication (it refused a handshake without a client certificate, or its
   * configuration says so) cannot do that, so going on there is acceptance of the unacceptable chain.
   */
  voidWhenClientAuthRequired?: true;
}

/** What is known about the receiver beyond the transcript (e.g. from a probe or the user), for its tolerances. */
export interface ReceiverFacts {
  /** The server refuses a client without a certificate (probed, or configured). */
  clientAuthRequired?: boolean;
}

/**
 * How a live conversation decides a rule (evidence `live`; live.ts reads it):
 * - `scope`: which conversations judge it: those that declare the rule
 *   (`declared`: a mutation or fault that exercises it lists it), every
 *   conversation whose input must be rejected (`rejections`), those whose
 *   expected alerts include `alert`, or those breaking a rule of `group`;
 * - `expects`: what a conforming peer does there: reject the input,
 *   complete the handshake (the input is valid and must be accepted), or
 *   either (the RFC lets it continue or abort);
 * - `judges`: what is judged: the reaction as a whole (`outcome`), only
 *   the alert it sent (`alert`, the general alert rules), or only whether
 *   it sent one at all (`silence`: a rejection without any alert breaks it,
 *   with the rule's strength; which alert is the `alert` rules' question).
 */
export interface LiveJudgement {
  scope:
    | { kind: 'declared' }
    | { kind: 'rejections' }
    | { kind: 'alert'; alert: AlertName }
    | { kind: 'group'; group: RuleGroup };
  expects: 'reject' | 'complete' | 'either';
  judges: 'outcome' | 'alert' | 'silence';
  /**
   * `finished`: the rejection is due only once our Finished is in (RFC 5246 §7.4.7.1: the server goes on with a random
   * premaster and fails at the Finished); an alert that came before our Finished (after our ChangeCipherSpec or not)
   * answers the input itself, and breaks the rule whatever its name.
   */
  notBefore?: 'finished';
}

/**
 * Fields the drift test compares with the reference checklist; an override
 * says why a declaration differs (`checklist`: why a rule the checklist
 * does not list is declared).
 */
export type DriftField = 'rfc' | 'alerts' | 'role' | 'evidence' | 'versions' | 'strength' | 'group' | 'checklist';

export type CheckResult = Outcome | Outcome[] | Promise<Outcome | Outcome[]>;

/** A rule declaration as the registry holds it. */
export interface Rule<Id extends string = RuleId> {
  readonly id: Id;
  /** Our own short statement of the rule. */
  readonly title: string;
  /** RFC references, one section each: `RFC 8446 §4.1.3`, `RFC 5246 App. E.1`. */
  readonly rfc: readonly string[];
  readonly versions: readonly TlsVersion[];
  /** Who the rule binds: the sender of the message, or the receiver that must check it. */
  readonly role: Role;
  readonly strength: Strength;
  readonly evidence: Evidence;
  readonly group: RuleGroup;
  /** What the check needs; the evaluator checks these first (in this order). */
  readonly needs: readonly Need[];
  /**
   * What a conforming receiver sends when the other side breaks the rule:
   * the first is what a strict receiver sends, the rest RFC-allowed
   * alternatives, each with the sentence it rests on. Empty: the RFC names none.
   */
  readonly alerts: readonly AlertChoice[];
  /** The receiver may instead ignore the input (then "completed" is conforming too). */
  readonly ignorable?: Tolerance;
  /**
   * The rule judges a receiver's reaction (its violations are a receiver
   * that went on), not something a sender did: nobody reacts to it.
   */
  readonly judgesReceiver?: true;
  /** How live conversations decide it (evidence `live`). */
  readonly live?: LiveJudgement;
  /** Where the declaration deliberately differs from the reference checklist, why (with the RFC sentence). */
  readonly overrides?: Readonly<Partial<Record<DriftField, string>>>;
  /** The evidence spans the connections of a run, not one transcript (see AcrossConnections; oracles/across.ts). */
  readonly across?: AcrossConnections;
  /**
   * The transcript check. Absent for a live rule no transcript can decide.
   * Method syntax: a check declared for a narrower context (its needs met) is one.
   */
  check?(ctx: Context): CheckResult;
}

/**
 * A value one connection contributed to a rule whose evidence spans several transcripts (`across`): the party that
 * sent it, the field (`ServerHello.random`, `ServerKeyExchange`, ...), its bytes and the message that carried it.
 */
export interface RunValue {
  party: Side;
  field: string;
  value: Uint8Array;
  message: number;
}

/**
 * Evidence that spans several transcripts: the connections of one run (a capture or the transcript files given to
 * `tlsprop check`, the conversations of one `tlsprop fuzz` run against one target). No single transcript decides the
 * rule; per connection the rule names the values it sent (`values`), and the run-level evaluator (oracles/across.ts)
 * says violation when a value of one party comes back in a later connection (naming the party, both connections and
 * the field), pass when none does, not-applicable when no connection had one. The `check` of such a rule is absent.
 */
export interface AcrossConnections {
  /** The values of this connection that must never repeat in another connection of the run. */
  values(ctx: Context): RunValue[];
}

/** What a rule file writes for one rule (the file's defaults fill the rest; `alerts` may name only the alert). */
export interface RuleInput<Id extends string, N extends readonly Need[]> {
  id: Id;
  title: string;
  rfc: string | readonly string[];
  versions?: readonly TlsVersion[];
  role?: Role;
  strength?: Strength;
  evidence?: Evidence;
  group?: RuleGroup;
  needs?: N;
  /** An alert name stands for its RFC 5246 §7.2.2 / RFC 8446 §6.2 definition. */
  alerts?: ReadonlyArray<AlertName | AlertChoice>;
  ignorable?: Tolerance;
  judgesReceiver?: true;
  live?: LiveJudgement;
  overrides?: Partial<Record<DriftField, string>>;
  across?: AcrossConnections;
  check?(ctx: Given<N>): CheckResult;
}

export interface RuleDefaults {
  versions: readonly TlsVersion[];
  role: Role;
  strength: Strength;
  evidence: Evidence;
  group: RuleGroup;
  needs?: readonly Need[];
  alerts?: ReadonlyArray<AlertName | AlertChoice>;
}

/** `RFC 5246 §7.4.1.3, §7.4.1.4; RFC 8446 §4.1.3` -> one reference per section. */
export function splitRfc(refs: string | readonly string[]): string[] {
  const out: string[] = [];
  for (const ref of typeof refs === 'string' ? [refs] : refs)
    for (const part of ref.split(';')) {
      const m = /^\s*((?:RFC|NIST SP|FIPS)\s*[\w-]+|draft-ietf-[a-z0-9-]+)\s*(.*)$/.exec(part);
      if (!m) continue;
      const doc = m[1]!.replace(/\s+/g, ' ');
      const rest = m[2]!.trim();
      if (!rest) {
        out.push(doc);
        continue;
      }
      let appendix = false;
      let section = '';
      for (const tok of rest.split(/,(?![^(]*\))/)) {
        const t = tok.trim();
        if (!t) continue;
        if (t.startsWith('(')) {
          // `§6.1.4 (l), (m)`: a further item of the same section
          out.push(`${doc} ${section} ${t}`);
          continue;
        }
        if (/^App(?:endix|\.)/.test(t)) appendix = true;
        else if (t.startsWith('§')) appendix = false;
        const bare = /^[\dA-Z][\d.]*(\s.*)?$/.test(t) && !t.startsWith('§');
        const ref = bare ? (appendix ? `App. ${t}` : `§${t}`) : t;
        section = ref.replace(/\s*\(.*$/, '');
        out.push(`${doc} ${ref}`);
      }
    }
  return out;
}

/**
 * A declaration helper for one rule file: the fields its rules share are
 * given once; each rule gives the rest and may override any default. The
 * literal type of each `id` is kept, so the registry derives `RuleId`.
 */
export function declarer(defaults: RuleDefaults) {
  return <const Id extends string, const N extends readonly Need[] = []>(d: RuleInput<Id, N>): Rule<Id> => {
    const versions = d.versions ?? defaults.versions;
    const r: {
      -readonly [K in keyof Rule<Id>]: Rule<Id>[K];
    } = {
      id: d.id,
      title: d.title,
      rfc: splitRfc(d.rfc),
      versions,
      role: d.role ?? defaults.role,
      strength: d.strength ?? defaults.strength,
      evidence: d.evidence ?? defaults.evidence,
      group: d.group ?? defaults.group,
      needs: [...(defaults.needs ?? []), ...(d.needs ?? [])],
      alerts: (d.alerts ?? defaults.alerts ?? []).map((a) => (typeof a === 'string' ? definition(a, versions) : a)),
    };
    if (d.ignorable) r.ignorable = d.ignorable;
    if (d.judgesReceiver) r.judgesReceiver = d.judgesReceiver;
    if (d.live) r.live = d.live;
    if (d.overrides) r.overrides = d.overrides;
    if (d.across) r.across = d.across;
    if (d.check) r.check = d.check as Rule<Id>['check'];
    return r;
  };
}

// ------------------------------------------------------------------ verdicts

export interface Verdict {
  rule: RuleId;
  status: VerdictStatus;
  /** Index of the message the verdict is about, when there is one. */
  message?: number;
  /** One plain sentence. */
  detail: string;
  expected?: string;
  actual?: string;
  /**
   * A run-level verdict (a rule whose evidence spans connections, oracles/across.ts): the connection that first sent
   * the value and the one that sent it again, as the run names them (a conversation's index and name, a capture's
   * file#connection); `message` is then the message index in the later one.
   */
  connections?: readonly [string, string];
}

/**
 * The kinds of informational finding. A notice is never a verdict: it is
 * not a violation, never counted as one, and says nothing about a party's
 * conformance by itself; check, explain and the reports list it apart.
 * - `chain-would-not-validate`: a presented certificate chain does not
 *   validate (against the trust anchors given with --trust, or at all: a
 *   signature that does not verify, an expired certificate, ...). Whether
 *   its receiver did right is the verdict of the rule named beside it.
 * - `early-data-replay-accepted`: a server accepted the 0-RTT data of the same
 *   ClientHello twice, where it is not known whether one server instance
 *   answered both (RFC 8446 §8 binds each instance, not a deployment).
 */
export type NoticeKind = 'chain-would-not-validate' | 'early-data-replay-accepted';

/** An informational finding, with the rule whose question it belongs to (the evaluator stamps the rule). */
export interface Notice {
  kind: NoticeKind;
  rule: RuleId;
  /** The message it is about. */
  message?: number;
  /** One plain sentence. */
  detail: string;
}

/**
 * A verdict before the evaluator stamps the rule id on it, with an
 * optional notice the check found on the way (taken out of the verdict by
 * the evaluator into CheckResult.notices).
 */
export type Outcome = Omit<Verdict, 'rule'> & { notice?: Omit<Notice, 'rule'> };

/** How many verdicts of each status (one transcript, or a whole run). */
export type VerdictCounts = Record<VerdictStatus, number>;

export function emptyCounts(): VerdictCounts {
  return { pass: 0, violation: 0, inconclusive: 0, 'not-applicable': 0 };
}

export function countVerdicts(verdicts: readonly Pick<Verdict, 'status'>[], into: VerdictCounts = emptyCounts()): VerdictCounts {
  for (const v of verdicts) into[v.status]++;
  return into;
}

export interface Extra {
  message?: number;
  expected?: string;
  actual?: string;
}

function outcome(status: VerdictStatus, detail: string, extra: Extra = {}): Outcome {
  const o: Outcome = { status, detail };
  if (extra.message !== undefined) o.message = extra.message;
  if (extra.expected !== undefined) o.expected = extra.expected;
  if (extra.actual !== undefined) o.actual = extra.actual;
  return o;
}

export const pass = (detail: string, extra?: Extra): Outcome => outcome('pass', detail, extra);
export const violation = (detail: string, extra?: Extra): Outcome => outcome('violation', detail, extra);
export const inconclusive = (detail: string, extra?: Extra): Outcome => outcome('inconclusive', detail, extra);
export const notApplicable = (detail: string, extra?: Extra): Outcome => outcome('not-applicable', detail, extra);
