/**
 * Alert rules that a transcript decides: what follows a fatal alert,
 * reserved descriptions, and the TLS 1.3 alert level.
 */
import { expectedReaction } from '../reactions';
import { alertReaction, reactionsIn } from '../live';
import { because } from '../alert-choices';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';

const rule = declarer({ versions: ['1.2', '1.3'], role: 'both', strength: 'MUST', evidence: 'plaintext', group: 'record' });

/** Reserved alert descriptions (RFC 5246 §7.2: 21, 41, 60; RFC 8446 App. B.2 adds 30, 100, 111, 114). */
const RESERVED_12 = [21, 41, 60];
const RESERVED_13 = [21, 30, 41, 60, 100, 111, 114];

export const alertRules = [
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
      for (const r of reactionsIn(ctx, ctx.violations)) {
        const allowed = expectedReaction(r.rules, '1.2').alerts.map((a) => a.alert);
        const o = alertReaction(r, allowed, 'RFC 5246 §7.2.2 ("it MUST send the appropriate alert")');
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
      for (const r of reactionsIn(ctx, ctx.violations)) {
        const allowed = expectedReaction(r.rules, '1.3').alerts.map((a) => a.alert);
        const o = alertReaction(r, allowed, 'RFC 8446 §6.2 ("MUST send alert X if it sends any alert")');
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
      for (const r of reactionsIn(ctx, ctx.violations)) {
        const allowed = expectedReaction(r.rules, ctx.version!).alerts.map((a) => a.alert);
        if (!allowed.includes('illegal_parameter')) continue;
        const o = alertReaction(r, allowed, 'RFC 8446 §6 / RFC 5246 §7.2.2 (illegal_parameter for a semantically invalid field)');
        if (o) out.push(o);
      }
      return out.length ? out : notApplicable('No invalid value that the other side answered with an error alert.');
    },
  }),
];
