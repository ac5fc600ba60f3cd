/**
 * What a conforming receiver does when the other side breaks a rule: the
 * alerts it may send (strictest first, each with the RFC sentence it rests
 * on) and whether the RFC lets it close without one. The live fuzzers, the
 * mutation catalogue and the reports read this, never their own tables.
 *
 * This is the one entry point; its data comes from the rule declarations.
 * (First version: the catalogue's alert field plus the RFC-backed
 * alternates below; the rule-declaration redesign moves the data into each
 * rule and keeps this signature.)
 */
import type { AlertName, Strength, TlsVersion } from '../wire/vocabulary';
import { AlertDescription } from '../wire/registry';
import { catalogue } from './catalogue';

/** One alert a conforming receiver may send, with the RFC sentence it rests on. */
export interface AlertChoice {
  alert: AlertName;
  /** Section, e.g. `RFC 8446 §6.2`. */
  rfc: string;
  /** The sentence, quoted. */
  text: string;
}

export interface ExpectedReaction {
  /** The rules the reaction rests on. */
  rules: readonly string[];
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

/**
 * Alerts the RFCs' own alert definitions also allow for a rule, besides the
 * one the rule names, each with the sentence that covers it.
 */
const ALTERNATES: Readonly<Record<string, readonly AlertChoice[]>> = {
  // a garbage certificate entry: the corrupt entry is reported, not an unsupported type
  'cert.type-x509v3': [
    {
      alert: 'bad_certificate',
      rfc: 'RFC 5246 §7.2.2; RFC 8446 §6.2',
      text: 'bad_certificate: A certificate was corrupt, contained signatures that did not verify correctly, etc.',
    },
  ],
  // a certificate whose signature does not verify
  'cert.path.signature': [
    {
      alert: 'decrypt_error',
      rfc: 'RFC 5246 §7.2.2; RFC 8446 §6.2',
      text: 'decrypt_error: A handshake cryptographic operation failed, including being unable to correctly verify a signature or validate a Finished message.',
    },
  ],
};

function isAlertName(s: string): s is AlertName {
  return s in AlertDescription;
}

/** The alerts named for one rule (strictest first). */
export function ruleAlerts(rule: string): AlertChoice[] {
  const out: AlertChoice[] = [];
  const e = catalogue.find((c) => c.id === rule);
  for (const word of (e?.alert ?? '').split(/[^a-z0-9_]+/))
    if (isAlertName(word) && !out.some((a) => a.alert === word))
      out.push({ alert: word, rfc: e?.rfc ?? '', text: e?.alert ?? '' });
  for (const a of ALTERNATES[rule] ?? []) if (!out.some((o) => o.alert === a.alert)) out.push(a);
  return out;
}

/** What a conforming receiver does when the other side breaks these rules in a connection of this version. */
export function expectedReaction(rules: readonly string[], version: TlsVersion): ExpectedReaction {
  const alerts: AlertChoice[] = [];
  for (const r of rules) for (const a of ruleAlerts(r)) if (!alerts.some((x) => x.alert === a.alert)) alerts.push(a);
  const t12 = version === '1.2';
  return { rules, alerts, silenceAllowed: !t12, alertStrength: t12 ? 'MUST' : 'SHOULD' };
}
