/**
 * Alert rules that a transcript decides: what follows a fatal alert,
 * reserved descriptions, and the TLS 1.3 alert level.
 */
import type { TranscriptMessage, TransportEnd } from '../../transcript/model';
import { type AlertName, type Side, type TlsVersion, otherSide } from '../../wire/vocabulary';
import { ruleById } from '../catalogue';
import { expectedReaction } from '../reactions';
import { type Reaction, alertReaction, reactionsIn } from '../live';
import { type Context, isUnreadable } from '../context';
import { endName } from '../receiver';
import { CERTIFICATE_ALERTS, alertNameOf, because } from '../alert-choices';
import { CLIENT_CHAIN_TOLERANCE } from './certificates';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';

const rule = declarer({ versions: ['1.2', '1.3'], role: 'both', strength: 'MUST', evidence: 'plaintext', group: 'record' });

/**
 * The alerts a receiver may answer an unacceptable certificate chain with,
 * when the RFC names none for the chain's fault (a certificate path rule
 * whose alerts are only the §7.2.2 / §6.2 descriptions, reached through its
 * chain-would-not-validate notice); undefined for any other reaction.
 * - The server judging the client's chain: any fatal alert. RFC 5246
 *   §7.4.6: "if some aspect of the certificate chain was unacceptable (e.g.,
 *   it was not signed by a known, trusted CA), the server MAY at its
 *   discretion either continue the handshake (considering the client
 *   unauthenticated) or send a fatal alert"; RFC 8446 §4.4.2.4 ends "or
 *   abort the handshake", an abort without a named alert (§6.2: it "SHOULD
 *   send the alert indicated by the descriptions", not MUST).
 * - The client judging the server's chain: a certificate-related alert.
 *   RFC 8446 §4.4.2.2: "it MUST abort the handshake with an appropriate
 *   certificate-related alert (by default, "unsupported_certificate"; see
 *   Section 6.2 for more information)"; in TLS 1.2 the certificate alerts
 *   of RFC 5246 §7.2.2 (bad_certificate "A certificate was corrupt,
 *   contained signatures that did not verify correctly, etc.",
 *   certificate_unknown "Some other (unspecified) issue") are as
 *   appropriate as the most specific one.
 * A chain fault whose own section names its alert (e.g. an MD5 certificate
 * signature: "MUST abort the handshake with a "bad_certificate" alert")
 * keeps that alert.
 */
/**
 * A receiver's alert that is not one the RFC names for the rules the other
 * side broke, where the receiver was free to go on past them (every rule
 * ignorable by it, reactions.ts): the alert may answer something the
 * transcript does not show (e.g. no common application protocol after a
 * ClientHello that also offers a deprecated signature algorithm), so it
 * is not judged a wrong answer to them.
 */
function otherCause(r: Reaction, version: TlsVersion, allowed: readonly AlertName[]): Outcome | undefined {
  if (r.closed || !r.next || r.next.kind !== 'alert' || !r.alert || !r.fatal) return undefined;
  if (allowed.length === 0 || allowed.includes(r.alert)) return undefined;
  const e = expectedReaction(r.rules, version, otherSide(r.violator));
  if (!e.ignoreAllowed) return undefined;
  return inconclusive(
    `The ${otherSide(r.violator)}'s ${r.alert} (message ${r.next.index}) is not an alert named for the ${r.violator}'s message ${r.at} (${r.rules.join(', ')}), which it was free to go on past (${e.ignoreBecause.map((t) => t.rfc).join('; ')}): it may answer something else.`,
    { message: r.next.index },
  );
}

function chainAlerts(r: Reaction, version: TlsVersion): { allowed: AlertName[]; rfc: string } | undefined {
  const chainOnly = r.rules.every((id) => {
    const d = ruleById(id);
    return d.ignorable === CLIENT_CHAIN_TOLERANCE && d.alerts.every((a) => a.text.startsWith(`${a.alert}: `));
  });
  if (!chainOnly) return undefined;
  if (r.violator === 'client')
    return {
      allowed: [],
      rfc: `${version === '1.2' ? 'RFC 5246 §7.4.6' : 'RFC 8446 §4.4.2.4'} (the server "MAY [...] either continue the handshake [...] or ${version === '1.2' ? 'send a fatal alert' : 'abort the handshake'}")`,
    };
  const named = expectedReaction(r.rules, version).alerts.map((a) => a.alert);
  return {
    allowed: [...new Set<AlertName>([...named, ...CERTIFICATE_ALERTS])],
    rfc:
      version === '1.2'
        ? 'RFC 5246 §7.2.2 (a certificate alert for a chain the client cannot accept)'
        : 'RFC 8446 §4.4.2.2 ("an appropriate certificate-related alert")',
  };
}

/** Reserved alert descriptions (RFC 5246 §7.2: 21, 41, 60; RFC 8446 App. B.2 adds 30, 100, 111, 114). */
const RESERVED_12 = [21, 41, 60];
const RESERVED_13 = [21, 30, 41, 60, 100, 111, 114];

/** The application data a side sent before its transport end, in bytes (plaintext when read, else ciphertext). */
function dataBefore(ctx: Context, side: Side, end: TransportEnd | undefined): { bytes: number; records: number } {
  let bytes = 0;
  let records = 0;
  for (const r of ctx.t.records) {
    if ((r.dir === 'C->S') !== (side === 'client') || (end && r.index >= end.beforeRecord)) continue;
    const type = r.plaintext?.contentType ?? r.contentType;
    if (type !== 23 || (ctx.version === '1.3' && !r.plaintext)) continue;
    bytes += r.plaintext?.fragment.length ?? r.raw.length - 5;
    records++;
  }
  return { bytes, records };
}

/**
 * RFC 5246 §7.2.1 / RFC 8446 §6.1 for one side that closed: pass with its
 * close_notify or after an error alert, violation without either, unless
 * the close is its abort on the other side's violation (§6.2 governs that:
 * the alert rules judge it) or what it sent last could not be read.
 */
function closeOf(ctx: Context, end: TransportEnd, aborts: readonly TransportEnd[]): Outcome {
  const side = end.side;
  const mine = ctx.t.messages.filter(
    (m: TranscriptMessage) =>
      (m.dir === 'C->S') === (side === 'client') && (m.records?.length ? Math.min(...m.records) < end.beforeRecord : true),
  );
  const closing = `the ${side} closed its side of the connection (${endName(end)})`;
  const data = dataBefore(ctx, side, end);
  const after = data.records ? ` after ${data.bytes} byte(s) of application data in ${data.records} record(s)` : '';
  const error = mine.find(
    (m) => m.alert && m.alert.description !== 0 && (m.alert.level === 2 || (ctx.version === '1.3' && m.alert.description !== 90)),
  );
  if (error) return pass(`${cap(closing)} after its error alert (message ${error.index}).`, { message: error.index });
  // RFC 5246 §7.2.2: "Upon transmission or receipt of a fatal alert message, both parties immediately close the
  // connection"; RFC 8446 §6.2: upon receiving a fatal alert it "MUST close the connection without sending or receiving
  // any additional data": a side that received an error alert closes without close_notify.
  const received = ctx.t.messages.find(
    (m) =>
      (m.dir === 'C->S') !== (side === 'client') &&
      m.alert &&
      m.alert.description !== 0 &&
      (m.alert.level === 2 || (ctx.version === '1.3' && m.alert.description !== 90)) &&
      (m.records?.length ? Math.min(...m.records) < end.beforeRecord : true),
  );
  if (received)
    return pass(
      `${cap(closing)} after the other side's fatal ${alertNameOf(received.alert!.description) ?? 'alert'} (message ${received.index}).`,
      {
        message: received.index,
      },
    );
  const notify = mine.find((m) => m.alert?.description === 0);
  if (notify) return pass(`${cap(closing)} with close_notify (message ${notify.index})${after}.`, { message: notify.index });
  if (aborts.includes(end))
    return notApplicable(
      `${cap(closing)} without an alert as its answer to the other side's broken input: an abort, which RFC 8446 §6.2 / RFC 5246 §7.2.2 govern (the alert rules).`,
    );
  const hidden = mine.filter((m) => isUnreadable(m) || (m.kind === 'alert' && !m.alert));
  const last = mine[mine.length - 1];
  if (hidden.length && last && hidden.includes(last))
    return inconclusive(`${cap(closing)}; its last record could not be read, so whether it was close_notify is not known.`, {
      message: last.index,
    });
  return violation(
    `${cap(closing)}${after} without close_notify (a truncation: the peer cannot tell the end of the data from an attack).`,
    {
      ...(last ? { message: last.index } : {}),
      expected: 'close_notify before closing',
      actual: `${end.kind === 'fin' ? 'FIN' : 'RST'} without close_notify`,
    },
  );
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

export const alertRules = [
  rule({
    id: 'alert.close-notify',
    title: 'Each side sends close_notify before closing its write side, unless it already sent an error alert.',
    rfc: 'RFC 5246 §7.2.1; RFC 8446 §6.1',
    versions: ['1.2', '1.3'],
    role: 'both',
    needs: ['violations'],
    check(ctx): Outcome[] {
      // RFC 8446 §6.1: "Each party MUST send a "close_notify" alert before closing its write side of the connection,
      // unless it has already sent some error alert." RFC 5246 §7.2.1: "Unless some other fatal alert has been
      // transmitted, each party is required to send a close_notify alert before closing the write side of the
      // connection. The other party MUST respond with a close_notify alert of its own and close down the connection."
      const ends = ctx.t.ends;
      if (!ends)
        return [notApplicable('The transcript does not come from a capture: how the transport ended is not part of it.')];
      const closes = ['client', 'server'].flatMap((s) => {
        const e = ends.filter((x) => x.side === s);
        return e.length ? [e[0]!] : [];
      });
      if (!closes.length) return [notApplicable('Neither side closed the connection in the capture (no FIN or RST).')];
      // A side that closed as its answer to the other side's broken input aborted (judged by the alert rules).
      const aborts = reactionsIn(ctx, ctx.violations, ctx.notices).flatMap((r) => (r.closed ? [r.closed] : []));
      return closes.map((e) => closeOf(ctx, e, aborts));
    },
  }),
  rule({
    id: 'alert.fatal-closes',
    title: 'Nothing more is sent after a fatal alert.',
    rfc: 'RFC 5246 §7.2.2; RFC 8446 §6.2',
    versions: ['1.2', '1.3'],
    check(ctx) {
      const fatal = ctx.t.messages.filter((m) => m.alert && m.alert.level === 2);
      if (!fatal.length)
        return ctx.t.messages.some((m) => m.kind === 'alert' && !m.alert)
          ? inconclusive('Some alerts are encrypted and could not be read.')
          : notApplicable('No fatal alert.');
      const f = fatal[0]!;
      const after = ctx.t.messages.find((m) => m.dir === f.dir && m.index > f.index);
      return after
        ? violation(`${f.dir} sent ${after.type} after its fatal alert.`, {
            message: after.index,
            expected: 'nothing',
            actual: after.type,
          })
        : pass('Nothing sent after the fatal alert.', { message: f.index });
    },
  }),
  rule({
    id: 'alert.reserved-never-sent',
    title: 'Reserved alert descriptions are never sent.',
    rfc: ['RFC 5246 §7.2.2', 'RFC 8446 App. B', 'RFC 8446 App. B.2'],
    versions: ['1.2', '1.3'],
    check(ctx) {
      const alerts = ctx.t.messages.filter((m) => m.alert);
      if (!alerts.length)
        return ctx.t.messages.some((m) => m.kind === 'alert')
          ? inconclusive('The alerts are encrypted and could not be read.')
          : notApplicable('No alert.');
      const reserved = ctx.version === '1.3' ? RESERVED_13 : RESERVED_12;
      const bad = alerts.find((m) => reserved.includes(m.alert!.description));
      return bad
        ? violation(`Reserved alert ${bad.alert!.description} was sent.`, {
            message: bad.index,
            actual: `${bad.alert!.description}`,
          })
        : pass(`${alerts.length} alert(s), none reserved.`);
    },
  }),
  rule({
    id: 'alert.t13.error-level',
    title: 'TLS 1.3 error alerts are sent with level fatal.',
    rfc: 'RFC 8446 §6',
    versions: ['1.3'],
    evidence: 'keys',
    role: 'both',
    strength: 'MUST',
    group: 'record',
    needs: ['keys'],
    check(ctx) {
      const alerts = ctx.t.messages.filter((m) => m.alert);
      if (!alerts.length) return notApplicable('No readable alert.');
      const bad = alerts.find((m) => m.alert!.description !== 0 && m.alert!.description !== 90 && m.alert!.level !== 2);
      return bad
        ? violation(`Error alert ${bad.alert!.description} sent with level ${bad.alert!.level}.`, {
            message: bad.index,
            expected: 'fatal (2)',
            actual: `${bad.alert!.level}`,
          })
        : pass(`${alerts.length} alert(s) with valid levels.`);
    },
  }),
  rule({
    id: 'alert.t12.must-send',
    title: 'A TLS 1.2 peer that aborts on a condition defined as fatal sends the matching alert before it closes.',
    rfc: 'RFC 5246 §7.2.2',
    versions: ['1.2'],
    evidence: 'live',
    live: { scope: { kind: 'rejections' }, expects: 'reject', judges: 'alert' },
    needs: ['violations'],
    check(ctx) {
      const out: Outcome[] = [];
      for (const r of reactionsIn(ctx, ctx.violations, ctx.notices)) {
        const chain = chainAlerts(r, '1.2');
        const allowed = chain?.allowed ?? expectedReaction(r.rules, '1.2').alerts.map((a) => a.alert);
        const o =
          otherCause(r, '1.2', allowed) ??
          alertReaction(r, allowed, chain?.rfc ?? 'RFC 5246 §7.2.2 ("it MUST send the appropriate alert")');
        if (o) out.push(o);
      }
      return out.length ? out : notApplicable('No broken rule that the other side answered with an error alert.');
    },
  }),
  // RFC 8446 §6.2 lets a TLS 1.3 peer close without an alert, but asks it to send one: a closure without an alert
  // after input it must reject is a SHOULD finding (no transcript shows a TCP closure, so only live runs decide it)
  rule({
    id: 'alert.t13.should-send',
    title: 'A TLS 1.3 peer that aborts on a fatal error condition sends an appropriate fatal alert (SHOULD) before it closes.',
    rfc: 'RFC 8446 §6.2',
    versions: ['1.3'],
    strength: 'SHOULD',
    evidence: 'live',
    live: { scope: { kind: 'rejections' }, expects: 'reject', judges: 'silence' },
    overrides: {
      checklist:
        'RFC 8446 §6.2: "Whenever an implementation encounters a fatal error condition, it SHOULD send an appropriate fatal alert and MUST close the connection without sending or receiving any additional data." alert.t13.named-alert judges the name of an alert that was sent; this rule judges a closure without any, as a SHOULD finding',
    },
  }),
  rule({
    id: 'alert.t13.named-alert',
    title: 'A TLS 1.3 peer may abort silently, but an alert it sends for a named condition is the named one.',
    rfc: 'RFC 8446 §6.2',
    versions: ['1.3'],
    evidence: 'live',
    live: { scope: { kind: 'rejections' }, expects: 'reject', judges: 'alert' },
    needs: ['violations'],
    check(ctx) {
      const out: Outcome[] = [];
      for (const r of reactionsIn(ctx, ctx.violations, ctx.notices)) {
        const chain = chainAlerts(r, '1.3');
        const allowed = chain?.allowed ?? expectedReaction(r.rules, '1.3').alerts.map((a) => a.alert);
        const o =
          otherCause(r, '1.3', allowed) ??
          alertReaction(r, allowed, chain?.rfc ?? 'RFC 8446 §6.2 ("MUST send alert X if it sends any alert")');
        if (o) out.push(o);
      }
      return out.length ? out : notApplicable('No broken rule that the other side answered with an error alert.');
    },
  }),
  rule({
    id: 'alert.illegal-parameter',
    title: 'A message that parses but carries an invalid or inconsistent value is answered with illegal_parameter.',
    rfc: ['RFC 5246 §7.2.2', 'RFC 8446 §6'],
    evidence: 'live',
    alerts: [
      because(
        'illegal_parameter',
        'RFC 8446 §6',
        'Peers which receive a message which is syntactically correct but semantically invalid (e.g., a DHE share of p - 1, or an invalid enum) MUST terminate the connection with an "illegal_parameter" alert.',
      ),
    ],
    live: { scope: { kind: 'alert', alert: 'illegal_parameter' }, expects: 'reject', judges: 'alert' },
    needs: ['violations'],
    check(ctx) {
      const out: Outcome[] = [];
      for (const r of reactionsIn(ctx, ctx.violations, ctx.notices)) {
        const allowed = expectedReaction(r.rules, ctx.version!).alerts.map((a) => a.alert);
        if (!allowed.includes('illegal_parameter')) continue;
        const o =
          otherCause(r, ctx.version!, allowed) ??
          alertReaction(r, allowed, 'RFC 8446 §6 / RFC 5246 §7.2.2 (illegal_parameter for a semantically invalid field)');
        if (o) out.push(o);
      }
      return out.length ? out : notApplicable('No invalid value that the other side answered with an error alert.');
    },
  }),
];
