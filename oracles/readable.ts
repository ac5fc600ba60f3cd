/**
 * Rules on the TLS 1.3 messages that are protected on the wire
 * (CertificateRequest, Certificate, NewSessionTicket, KeyUpdate, alerts):
 * plain syntax and consistency checks once the messages are readable. When
 * they are not (no key log) the rules are inconclusive.
 */
import type { Extension } from '../wire/extensions';
import { bytesEqual, toHex } from '../wire/hex';
import { ExtensionType as X } from '../wire/registry';
import { type Context, type Step, bodyOf } from './context';
import { type Outcome, type Rule, inconclusive, notApplicable, pass, violation } from './rule';

function needKeys(ctx: Context): Outcome | undefined {
  if (ctx.evidence.keys) return undefined;
  const first = ctx.unreadable[0];
  const o = inconclusive(
    ctx.unreadable.length
      ? `The TLS 1.3 messages after ServerHello are encrypted and no key log was given (${ctx.unreadable.length} protected record(s) unreadable).`
      : `Part of the transcript is missing: ${ctx.t.gaps[0]?.reason ?? 'unknown gap'}.`,
  );
  if (first) o.message = first.index;
  return o;
}

function rule13(d: Omit<Rule, 'versions' | 'evidence' | 'check'> & { check(ctx: Context): Outcome | Outcome[] }): Rule {
  return { ...d, versions: ['1.3'], evidence: 'keys', check: (ctx) => needKeys(ctx) ?? d.check(ctx) };
}

const serverFinished = (ctx: Context): Step | undefined => ctx.steps.find((s) => s.dir === 'S->C' && s.sym === 'finished');

export const readableRules: Rule[] = [
  rule13({
    id: 't13.neg.cert-request-context',
    title:
      'Handshake CertificateRequest and server Certificate have empty contexts; the client Certificate echoes the request context; post-handshake contexts differ.',
    rfc: 'RFC 8446 §4.3.2, §4.4.2',
    role: 'both',
    strength: 'MUST',
    alert: 'illegal_parameter',
    group: 'negotiation',
    check(ctx) {
      const sfin = serverFinished(ctx);
      const out: Outcome[] = [];
      const seen: string[] = [];
      let lastCr: Uint8Array | undefined;
      for (const s of ctx.steps) {
        const b = bodyOf(s.m);
        const inHs = !sfin || s.m.index < sfin.m.index;
        if (b?.type === 'certificate_request' && b.form === 'tls13') {
          lastCr = b.context;
          if (inHs && b.context.length)
            out.push(
              violation('The handshake CertificateRequest has a non-empty context.', {
                message: s.m.index,
                expected: 'empty',
                actual: toHex(b.context),
              }),
            );
          else if (!inHs && (b.context.length === 0 || seen.includes(toHex(b.context))))
            out.push(violation('A post-handshake CertificateRequest context is empty or reused.', { message: s.m.index }));
          else out.push(pass('CertificateRequest context is valid.', { message: s.m.index }));
          if (!inHs) seen.push(toHex(b.context));
        }
        if (b?.type === 'certificate' && b.form === 'tls13') {
          if (s.dir === 'S->C')
            out.push(
              b.context.length
                ? violation('The server Certificate has a non-empty context.', {
                    message: s.m.index,
                    expected: 'empty',
                    actual: toHex(b.context),
                  })
                : pass('Server Certificate context is empty.', { message: s.m.index }),
            );
          else if (lastCr)
            out.push(
              bytesEqual(b.context, lastCr)
                ? pass('The client Certificate echoes the request context.', { message: s.m.index })
                : violation('The client Certificate context differs from the CertificateRequest context.', {
                    message: s.m.index,
                    expected: toHex(lastCr) || '(empty)',
                    actual: toHex(b.context) || '(empty)',
                  }),
            );
        }
      }
      return out.length ? out : notApplicable('No decoded Certificate or CertificateRequest.');
    },
  }),
  rule13({
    id: 't13.neg.cr-sigalgs',
    title: 'Every TLS 1.3 CertificateRequest carries signature_algorithms.',
    rfc: 'RFC 8446 §4.3.2',
    role: 'server',
    strength: 'MUST',
    alert: 'missing_extension',
    group: 'negotiation',
    check(ctx) {
      const out: Outcome[] = [];
      for (const s of ctx.steps) {
        const b = bodyOf(s.m);
        if (b?.type !== 'certificate_request' || b.form !== 'tls13') continue;
        out.push(
          b.extensions.some((e: Extension) => e.type === X.signature_algorithms)
            ? pass('CertificateRequest has signature_algorithms.', { message: s.m.index })
            : violation('CertificateRequest without signature_algorithms.', {
                message: s.m.index,
                expected: 'signature_algorithms',
                actual: 'absent',
              }),
        );
      }
      return out.length ? out : notApplicable('No CertificateRequest.');
    },
  }),
  rule13({
    id: 't13.neg.nst-fields',
    title: 'Ticket lifetimes are at most seven days and each ticket has its own nonce.',
    rfc: 'RFC 8446 §4.6.1',
    role: 'server',
    strength: 'MUST',
    alert: 'illegal_parameter',
    group: 'negotiation',
    check(ctx) {
      const nonces: string[] = [];
      let n = 0;
      for (const s of ctx.steps) {
        const b = bodyOf(s.m);
        if (b?.type !== 'new_session_ticket' || b.form !== 'tls13') continue;
        n++;
        if (b.lifetime > 604800)
          return violation(`ticket_lifetime ${b.lifetime} s exceeds seven days.`, {
            message: s.m.index,
            expected: '<= 604800',
            actual: `${b.lifetime}`,
          });
        const k = toHex(b.nonce);
        if (nonces.includes(k)) return violation('Two tickets share a ticket_nonce.', { message: s.m.index, actual: k });
        nonces.push(k);
      }
      return n ? pass(`${n} ticket(s) with valid lifetime and distinct nonces.`) : notApplicable('No NewSessionTicket.');
    },
  }),
  rule13({
    id: 't13.neg.keyupdate-values',
    title: 'KeyUpdate.request_update is 0 or 1; a requested update is answered before the next application data.',
    rfc: 'RFC 8446 §4.6.3',
    role: 'both',
    strength: 'MUST',
    alert: 'illegal_parameter',
    group: 'negotiation',
    check(ctx) {
      const kus = ctx.steps.filter((s) => s.sym === 'key_update');
      if (!kus.length) return notApplicable('No KeyUpdate.');
      for (const s of kus) {
        const b = bodyOf(s.m);
        if (b?.type !== 'key_update') return inconclusive('KeyUpdate is not decoded.', { message: s.m.index });
        if (b.requestUpdate > 1)
          return violation(`request_update is ${b.requestUpdate}.`, {
            message: s.m.index,
            expected: '0 or 1',
            actual: `${b.requestUpdate}`,
          });
        if (b.requestUpdate === 1) {
          const peer = s.dir === 'C->S' ? 'S->C' : 'C->S';
          const next = ctx.t.messages.find(
            (m) => m.dir === peer && m.index > s.m.index && (m.kind === 'application_data' || m.type === 'key_update'),
          );
          if (next?.kind === 'application_data')
            return violation('Application data before answering update_requested with a KeyUpdate.', {
              message: next.index,
              expected: `${peer} key_update`,
              actual: 'application_data',
            });
        }
      }
      return pass('KeyUpdate values are valid.');
    },
  }),
  rule13({
    id: 'alert.t13.error-level',
    title: 'TLS 1.3 error alerts are sent with level fatal.',
    rfc: 'RFC 8446 §6',
    role: 'both',
    strength: 'MUST',
    group: 'record',
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
