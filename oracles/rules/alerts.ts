/**
 * Alert rules that a transcript decides: what follows a fatal alert,
 * reserved descriptions, and the TLS 1.3 alert level.
 */
import { declarer, inconclusive, notApplicable, pass, violation } from '../rule';

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
    rfc: 'RFC 5246 §7.2.2; RFC 8446 App. B.2',
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
];
