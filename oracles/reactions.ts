/**
 * What a conforming receiver does when the other side breaks a rule: the
 * alerts it may send (strictest first, each with the RFC sentence it rests
 * on), whether the RFC lets it close without one, and whether it may
 * instead ignore the input and go on. The live fuzzers, the mutation
 * catalogue and the reports read this, never their own tables; the data is
 * the rule declarations' (`alerts`, `ignorable`).
 */
import type { AlertName, Side, Strength, TlsVersion } from '../wire/vocabulary';
import { type RuleId, ruleById } from './catalogue';
import type { AlertChoice, ReceiverFacts, Tolerance } from './rule';

export type { AlertChoice } from './rule';

export interface ExpectedReaction {
  /** The rules the reaction rests on. */
  rules: readonly RuleId[];
  /** Alerts a conforming receiver may send, strictest first; empty when the RFC names none. */
  alerts: readonly AlertChoice[];
  /**
   * Whether the RFC lets the receiver close without sending any alert.
   * TLS 1.2: no (RFC 5246 §7.2.2 "it MUST send the appropriate alert prior
   * to closing the connection"). TLS 1.3: yes, but it SHOULD send one
   * (RFC 8446 §6.2 "it SHOULD send an appropriate fatal alert"; "abort the
   * handshake with an X alert" means it MUST send X if it sends any alert).
   */
  silenceAllowed: boolean;
  /** How strongly the RFC asks for an alert: MUST (TLS 1.2), SHOULD (TLS 1.3). */
  alertStrength: Strength;
  /**
   * The receiver may instead ignore the input and go on (completing the
   * handshake is then conforming too): every rule broken allows it, each
   * with its sentence.
   */
  ignoreAllowed: boolean;
  /** The sentences that allow ignoring (one per rule), when ignoreAllowed. */
  ignoreBecause: readonly Tolerance[];
  /**
   * The input is valid and the receiver must go on with it (complete the handshake): every rule is a live rule that
   * expects completion (`live.expects: 'complete'`, e.g. ext.ignore-unknown, rec.hs-fragmentation). Rejecting it is
   * the violation then, whatever the alert.
   */
  mustComplete: boolean;
  /**
   * Closing is the whole reaction: every rule is a live rule that expects a rejection and names no alert (e.g. the
   * peer received our error alert, or our transport closed): an alert back is not due, going on is the violation.
   */
  mustClose: boolean;
}

/** The RFC sentence on whether a receiver that aborts must send an alert at all, per version. */
export const ALERT_DUTY: Readonly<Record<TlsVersion, { rfc: string; text: string }>> = {
  '1.2': {
    rfc: 'RFC 5246 §7.2.2',
    text: 'Whenever an implementation encounters a condition which is defined as a fatal alert, it MUST send the appropriate alert prior to closing the connection.',
  },
  '1.3': {
    rfc: 'RFC 8446 §6.2',
    text: 'Whenever an implementation encounters a fatal error condition, it SHOULD send an appropriate fatal alert and MUST close the connection without sending or receiving any additional data.',
  },
};

/** The alerts named for one rule (strictest first), in every version of the rule. */
export function ruleAlerts(rule: RuleId): AlertChoice[] {
  return [...ruleById(rule).alerts];
}

/** The alerts of one rule that apply in a version (version-specific alternatives filtered). */
export function ruleAlertsIn(rule: RuleId, version: TlsVersion): AlertChoice[] {
  return ruleById(rule).alerts.filter((a) => !a.versions || a.versions.includes(version));
}

/**
 * What a conforming receiver does when the other side breaks these rules
 * in a connection of this version (`receiver`: which side receives, when a
 * tolerance is one side's only).
 */
export function expectedReaction(
  rules: readonly RuleId[],
  version: TlsVersion,
  receiver?: Side,
  facts: ReceiverFacts = {},
): ExpectedReaction {
  const alerts: AlertChoice[] = [];
  for (const r of rules) for (const a of ruleAlertsIn(r, version)) if (!alerts.some((x) => x.alert === a.alert)) alerts.push(a);
  const t12 = version === '1.2';
  const tolerances = rules.map((r) => {
    const t = ruleById(r).ignorable;
    if (!t || (t.versions && !t.versions.includes(version)) || (t.receiver && t.receiver !== receiver)) return undefined;
    if (t.voidWhenClientAuthRequired && facts.clientAuthRequired) return undefined;
    return t;
  });
  const ignoreAllowed = rules.length > 0 && tolerances.every((t) => t !== undefined);
  const mustComplete = rules.length > 0 && rules.every((r) => ruleById(r).live?.expects === 'complete');
  const mustClose = rules.length > 0 && alerts.length === 0 && rules.every((r) => ruleById(r).live?.expects === 'reject');
  return {
    mustComplete,
    mustClose,
    rules,
    alerts,
    silenceAllowed: !t12,
    alertStrength: t12 ? 'MUST' : 'SHOULD',
    ignoreAllowed,
    ignoreBecause: ignoreAllowed ? tolerances.filter((t): t is Tolerance => t !== undefined) : [],
  };
}

/** Whether an alert is one a conforming receiver may send for these rules (any alert when they name none). */
export function alertAllowed(alert: AlertName, rules: readonly RuleId[], version: TlsVersion): boolean {
  const r = expectedReaction(rules, version);
  return r.alerts.length === 0 || r.alerts.some((a) => a.alert === alert);
}
