/**
 * TLS 1.2 message ordering, the hello and key-exchange part: the
 * state-machine walk, then the named rules of the server's first flight
 * and the client's answer, so that a violation names the specific rule,
 * the message and what was expected instead.
 */
import { certificateNonEmpty, machineOutcome } from '../statemachine';
import { isUnreadableStep, kexAnonymous, kexForbidsSke, kexNeedsSke, kexUsesCertificate } from '../context';
import {
  SERVER_FIRST_FLIGHT,
  abbreviated,
  after,
  before,
  factsOf,
  find,
  firstHandshake,
  missingOrEnded,
  stepName as name,
} from '../flow';
import { declarer, inconclusive, notApplicable, pass, violation } from '../rule';

const rule = declarer({
  versions: ['1.2'],
  role: 'both',
  strength: 'MUST',
  evidence: 'plaintext',
  group: 'ordering',
  alerts: ['unexpected_message'],
});

export const t12OrderRules = [
  rule({
    id: 't12.order.state-machine',
    title: 'The TLS 1.2 messages follow the handshake state machine of RFC 5246 §7.3.',
    rfc: ['RFC 5246 §7.3', 'RFC 5077 §3.1', 'RFC 6066 §8'],
    overrides: {
      checklist:
        'the whole-handshake walk behind the named t12.order.* rules: it catches orders no named rule describes (RFC 5246 §7.4: "sending handshake messages in an unexpected order results in a fatal error")',
    },
    check: (ctx) => machineOutcome(ctx, '1.2'),
  }),
  rule({
    id: 't12.order.client-hello-first',
    title: 'A client opens the connection with ClientHello.',
    rfc: 'RFC 5246 §7.4.1.2',
    role: 'client',
    check(ctx) {
      const first = ctx.t.messages.find((m) => m.dir === 'C->S' && m.kind !== 'alert');
      if (!first) return inconclusive('The client sent nothing.');
      return first.type === 'client_hello'
        ? pass('The first client message is ClientHello.', { message: first.index })
        : violation(`The client's first message is ${first.type}.`, {
            message: first.index,
            expected: 'client_hello',
            actual: first.type,
          });
    },
  }),
  rule({
    id: 't12.order.server-hello-reply',
    title: 'The server replies to ClientHello with ServerHello (or an alert).',
    rfc: ['RFC 5246 §7.3', 'RFC 5246 §7.4.1.2', 'RFC 5246 §7.4.1.3'],
    check(ctx) {
      // in a renegotiation the server's application data goes on under the previous keys (t12.order.state-machine)
      const first = ctx.t.messages.find(
        (m) =>
          m.dir === 'S->C' &&
          m.kind !== 'alert' &&
          m.type !== 'hello_request' &&
          !(ctx.previous !== undefined && m.kind === 'application_data'),
      );
      if (!first)
        return ctx.t.messages.some((m) => m.dir === 'S->C')
          ? pass('The server answered with an alert only.')
          : inconclusive('The server sent nothing.');
      return first.type === 'server_hello'
        ? pass('The server replied with ServerHello.', { message: first.index })
        : violation(`The server replied with ${first.type}.`, {
            message: first.index,
            expected: 'server_hello',
            actual: first.type,
          });
    },
  }),
  rule({
    id: 't12.order.server-cert-position',
    title: 'The server Certificate comes right after ServerHello.',
    rfc: 'RFC 5246 §7.4.2',
    role: 'server',
    check(ctx) {
      const { S } = firstHandshake(ctx);
      const c = find(S, 'certificate');
      if (!c) return notApplicable('The server sent no Certificate.');
      const p = before(S, c);
      return p?.sym === 'server_hello'
        ? pass('The server Certificate follows ServerHello.', { message: c.m.index })
        : violation(`The server Certificate follows ${name(p)} instead of ServerHello.`, {
            message: c.m.index,
            expected: 'S->C server_hello before it',
            actual: name(p),
          });
    },
  }),
  rule({
    id: 't12.order.server-cert-required',
    title: 'A certificate-authenticated key exchange includes the server Certificate.',
    rfc: 'RFC 5246 §7.4.2; RFC 8422 §2',
    role: 'server',
    needs: ['full-handshake', 'kex'],
    check(ctx) {
      const { S } = firstHandshake(ctx);
      if (!kexUsesCertificate(ctx.kex)) return notApplicable(`${ctx.kex} is not authenticated by certificate.`);
      const c = find(S, 'certificate');
      if (c) return pass('The server sent its Certificate.', { message: c.m.index });
      const shd = find(S, 'server_hello_done');
      if (!shd) return inconclusive('The server flight ended before ServerHelloDone.');
      return violation(`The server skipped Certificate although ${ctx.kex} needs one.`, {
        message: shd.m.index,
        expected: 'S->C certificate',
        actual: 'no certificate',
      });
    },
  }),
  rule({
    id: 't12.order.cert-status-position',
    title: 'CertificateStatus directly follows the server Certificate and only when status_request was agreed.',
    rfc: 'RFC 6066 §8',
    role: 'server',
    check(ctx) {
      const { S } = firstHandshake(ctx);
      const cs = find(S, 'certificate_status');
      if (!cs) return notApplicable('No CertificateStatus was sent.');
      const p = before(S, cs);
      if (p?.sym !== 'certificate')
        return violation(`CertificateStatus follows ${name(p)} instead of the server Certificate.`, {
          message: cs.m.index,
          expected: 'S->C certificate before it',
          actual: name(p),
        });
      const n = after(S, cs);
      if (n && !['server_key_exchange', 'certificate_request', 'server_hello_done'].includes(n.sym))
        return violation(`CertificateStatus is followed by ${name(n)}.`, {
          message: n.m.index,
          expected: 'server_key_exchange, certificate_request or server_hello_done',
          actual: n.sym,
        });
      const f = factsOf(ctx);
      if (f.statusAgreed === false)
        return violation('CertificateStatus was sent without status_request in both ClientHello and ServerHello.', {
          message: cs.m.index,
          expected: 'status_request in ClientHello and ServerHello',
          actual: 'missing',
        });
      if (f.statusAgreed === undefined)
        return inconclusive('The hellos are not decoded, so whether status_request was agreed is unknown.', {
          message: cs.m.index,
        });
      return pass('CertificateStatus is in place and was agreed.', { message: cs.m.index });
    },
  }),
  rule({
    id: 't12.order.ske-required',
    title: 'Ephemeral and anonymous key exchanges include ServerKeyExchange.',
    rfc: 'RFC 5246 §7.4.3; RFC 8422 §2',
    role: 'server',
    needs: ['full-handshake', 'kex'],
    check(ctx) {
      const { S } = firstHandshake(ctx);
      if (!kexNeedsSke(ctx.kex)) return notApplicable(`${ctx.kex} has no ServerKeyExchange.`);
      const ske = find(S, 'server_key_exchange');
      if (ske) return pass('ServerKeyExchange was sent.', { message: ske.m.index });
      const shd = find(S, 'server_hello_done');
      if (!shd) return inconclusive('The server flight ended before ServerHelloDone.');
      return violation(`ServerKeyExchange is missing although ${ctx.kex} needs it.`, {
        message: shd.m.index,
        expected: 'S->C server_key_exchange',
        actual: 'none',
      });
    },
  }),
  rule({
    id: 't12.order.ske-forbidden',
    title: 'Static RSA and static (EC)DH key exchanges carry no ServerKeyExchange.',
    rfc: 'RFC 5246 §7.4.3',
    role: 'server',
    needs: ['kex'],
    check(ctx) {
      if (!kexForbidsSke(ctx.kex!)) return notApplicable(`${ctx.kex} uses a ServerKeyExchange.`);
      const ske = find(firstHandshake(ctx).S, 'server_key_exchange');
      return ske
        ? violation(`A ServerKeyExchange was sent with ${ctx.kex} key exchange.`, {
            message: ske.m.index,
            expected: 'no server_key_exchange',
            actual: 'server_key_exchange',
          })
        : pass(`No ServerKeyExchange with ${ctx.kex}.`);
    },
  }),
  rule({
    id: 't12.order.ske-position',
    title:
      'ServerKeyExchange follows the server Certificate (or CertificateStatus, or ServerHello when the key exchange has no server certificate: anonymous, PSK, DHE_PSK, ECDHE_PSK).',
    rfc: 'RFC 5246 §7.4.3',
    role: 'server',
    check(ctx) {
      const { S } = firstHandshake(ctx);
      const ske = find(S, 'server_key_exchange');
      if (!ske) return notApplicable('No ServerKeyExchange was sent.');
      const p = before(S, ske);
      const ok =
        ['certificate', 'certificate_status'].includes(p?.sym ?? '') ||
        (p?.sym === 'server_hello' && ctx.kex !== undefined && !kexUsesCertificate(ctx.kex));
      return ok
        ? pass(`ServerKeyExchange follows ${p!.sym}.`, { message: ske.m.index })
        : violation(`ServerKeyExchange follows ${name(p)}.`, {
            message: ske.m.index,
            expected: 'certificate or certificate_status (server_hello without a server certificate)',
            actual: name(p),
          });
    },
  }),
  rule({
    id: 't12.order.cr-position',
    title: 'CertificateRequest sits between ServerKeyExchange (or the server Certificate) and ServerHelloDone.',
    rfc: 'RFC 5246 §7.4.4',
    role: 'server',
    check(ctx) {
      const { S } = firstHandshake(ctx);
      const cr = find(S, 'certificate_request');
      if (!cr) return notApplicable('No CertificateRequest was sent.');
      const p = before(S, cr);
      if (!['server_key_exchange', 'certificate', 'certificate_status'].includes(p?.sym ?? ''))
        return violation(`CertificateRequest follows ${name(p)}.`, {
          message: cr.m.index,
          expected: 'server_key_exchange, certificate or certificate_status before it',
          actual: name(p),
        });
      const n = after(S, cr);
      if (n && n.sym !== 'server_hello_done')
        return violation(`CertificateRequest is followed by ${name(n)}.`, {
          message: n.m.index,
          expected: 'S->C server_hello_done',
          actual: name(n),
        });
      return pass('CertificateRequest is in place.', { message: cr.m.index });
    },
  }),
  rule({
    id: 't12.order.cr-not-anonymous',
    title: 'An anonymous server never asks for a client certificate.',
    rfc: 'RFC 5246 §7.4.4; RFC 8422 §2.3',
    role: 'server',
    alerts: ['handshake_failure'],
    check(ctx) {
      const { S } = firstHandshake(ctx);
      const cr = find(S, 'certificate_request');
      if (!cr) {
        // only a complete server flight shows that no CertificateRequest was sent
        const complete = !!find(S, 'server_hello_done') || abbreviated(ctx) === true;
        return complete
          ? pass('No CertificateRequest was sent in the complete server flight.')
          : inconclusive(
              'The server flight is not complete in the transcript, so whether it asked for a certificate is unknown.',
            );
      }
      if (!ctx.kex) return inconclusive('The key exchange is not known (ServerHello not decoded or unknown cipher suite).');
      return kexAnonymous(ctx.kex)
        ? violation(`CertificateRequest with anonymous ${ctx.kex}.`, {
            message: cr.m.index,
            expected: 'no certificate_request',
            actual: 'certificate_request',
          })
        : pass(`CertificateRequest with authenticated ${ctx.kex}.`, { message: cr.m.index });
    },
  }),
  rule({
    id: 't12.order.server-hello-done',
    title: 'ServerHelloDone closes the server flight once, with an empty body.',
    rfc: 'RFC 5246 §7.4.5',
    role: 'server',
    alerts: ['unexpected_message', 'decode_error'],
    needs: ['full-handshake'],
    check(ctx) {
      const { S } = firstHandshake(ctx);
      const all = S.filter((s) => s.sym === 'server_hello_done');
      if (all.length === 0)
        return S.some((s) => s.sym === 'change_cipher_spec' || s.sym === 'finished')
          ? violation('The full handshake has no ServerHelloDone.', { expected: 'S->C server_hello_done', actual: 'none' })
          : inconclusive('The server flight ended before ServerHelloDone.');
      if (all.length > 1)
        return violation('ServerHelloDone was sent more than once.', {
          message: all[1]!.m.index,
          expected: 'one server_hello_done',
          actual: `${all.length}`,
        });
      const shd = all[0]!;
      if (shd.m.raw && shd.m.raw.length !== 4)
        return violation(`ServerHelloDone has a ${shd.m.raw.length - 4}-byte body.`, {
          message: shd.m.index,
          expected: 'empty body',
          actual: `${shd.m.raw.length - 4} bytes`,
        });
      const n = after(S, shd);
      if (n && !isUnreadableStep(n) && n.sym !== 'new_session_ticket' && n.sym !== 'change_cipher_spec')
        return violation(`The server sent ${n.sym} after ServerHelloDone in its first flight.`, {
          message: n.m.index,
          expected: 'nothing before the client flight',
          actual: n.sym,
        });
      const i = S.indexOf(shd);
      const prevOk = S.slice(0, i).every((s) => s.sym === 'server_hello' || SERVER_FIRST_FLIGHT.has(s.sym));
      if (!prevOk)
        return violation('Something other than the server first flight precedes ServerHelloDone.', { message: shd.m.index });
      return pass('ServerHelloDone ends the server flight once and is empty.', { message: shd.m.index });
    },
  }),
  rule({
    id: 't12.order.client-cert-iff-cr',
    title: 'The client sends Certificate exactly when asked, first after ServerHelloDone.',
    rfc: 'RFC 5246 §7.3, §7.4.6',
    role: 'client',
    check(ctx) {
      const { S, C, all } = firstHandshake(ctx);
      const cr = find(S, 'certificate_request');
      const cert = find(C, 'certificate');
      if (!cr && !cert)
        return find(S, 'server_hello_done')
          ? pass('No CertificateRequest and no client Certificate.')
          : notApplicable('No full-handshake server flight.');
      if (cert && !cr)
        return violation('The client sent Certificate although no CertificateRequest was received.', {
          message: cert.m.index,
          expected: 'no client certificate',
          actual: 'C->S certificate',
        });
      const shd = find(S, 'server_hello_done');
      const firstAfter = shd ? all.slice(all.indexOf(shd) + 1).find((s) => s.dir === 'C->S') : undefined;
      if (!cert) {
        if (!firstAfter) return missingOrEnded(ctx, 'The client flight is not in the transcript.');
        return violation(`The server asked for a certificate but the client sent ${firstAfter.sym} without a Certificate.`, {
          message: firstAfter.m.index,
          expected: 'C->S certificate (empty if none)',
          actual: firstAfter.sym,
        });
      }
      if (firstAfter !== cert)
        return violation(`The client Certificate is not its first message after ServerHelloDone (${name(firstAfter)} is).`, {
          message: cert.m.index,
          expected: 'C->S certificate first',
          actual: name(firstAfter),
        });
      return pass('The client answered CertificateRequest with Certificate.', { message: cert.m.index });
    },
  }),
  rule({
    id: 't12.order.cke-position',
    title: 'ClientKeyExchange is always sent, right after the client Certificate or first after ServerHelloDone.',
    rfc: 'RFC 5246 §7.4.7',
    role: 'client',
    needs: ['full-handshake'],
    check(ctx) {
      const { C, S, all } = firstHandshake(ctx);
      const cke = find(C, 'client_key_exchange');
      const shd = find(S, 'server_hello_done');
      if (!cke) {
        const later = C.find((s) => ['certificate_verify', 'change_cipher_spec', 'finished'].includes(s.sym));
        return later
          ? violation(`The client sent ${later.sym} without ClientKeyExchange.`, {
              message: later.m.index,
              expected: 'C->S client_key_exchange',
              actual: later.sym,
            })
          : missingOrEnded(ctx, 'The client flight is not in the transcript.');
      }
      const p = before(C, cke);
      if (p?.sym !== 'certificate' && p?.sym !== 'client_hello')
        return violation(`ClientKeyExchange follows ${name(p)}.`, {
          message: cke.m.index,
          expected: 'certificate or client_hello before it',
          actual: name(p),
        });
      if (!shd || all.indexOf(cke) < all.indexOf(shd))
        return violation('ClientKeyExchange was sent before ServerHelloDone.', {
          message: cke.m.index,
          expected: 'after S->C server_hello_done',
          actual: 'before',
        });
      return pass('ClientKeyExchange is in place.', { message: cke.m.index });
    },
  }),
  rule({
    id: 't12.order.cv-after-cke',
    title: 'CertificateVerify comes right after ClientKeyExchange.',
    rfc: 'RFC 5246 §7.4.8',
    role: 'client',
    check(ctx) {
      const { C } = firstHandshake(ctx);
      const cv = find(C, 'certificate_verify');
      if (!cv) return notApplicable('No CertificateVerify was sent.');
      const p = before(C, cv);
      return p?.sym === 'client_key_exchange'
        ? pass('CertificateVerify follows ClientKeyExchange.', { message: cv.m.index })
        : violation(`CertificateVerify follows ${name(p)} instead of ClientKeyExchange.`, {
            message: cv.m.index,
            expected: 'C->S client_key_exchange before it',
            actual: name(p),
          });
    },
  }),
  rule({
    id: 't12.order.cv-iff-signing-cert',
    title: 'CertificateVerify is sent exactly when the client sent a non-empty Certificate.',
    rfc: 'RFC 5246 §7.4.8; RFC 8422 §3',
    check(ctx) {
      const { C } = firstHandshake(ctx);
      const cert = find(C, 'certificate');
      const cv = find(C, 'certificate_verify');
      if (!cert)
        return cv
          ? violation('CertificateVerify without a client Certificate.', {
              message: cv.m.index,
              expected: 'no certificate_verify',
              actual: 'certificate_verify',
            })
          : notApplicable('The client sent no Certificate.');
      const ne = certificateNonEmpty(cert.m);
      if (ne === undefined)
        return inconclusive('The client Certificate is not decoded, so whether it is empty is unknown.', {
          message: cert.m.index,
        });
      if (ne && !cv) {
        const cke = find(C, 'client_key_exchange');
        const n = cke ? after(C, cke) : undefined;
        return n
          ? violation('A non-empty client Certificate without CertificateVerify.', {
              message: n.m.index,
              expected: 'C->S certificate_verify',
              actual: n.sym,
            })
          : inconclusive('The client flight ends before CertificateVerify could follow.');
      }
      if (!ne && cv)
        return violation('CertificateVerify after an empty client Certificate.', {
          message: cv.m.index,
          expected: 'no certificate_verify',
          actual: 'certificate_verify',
        });
      return pass(
        ne ? 'Non-empty client Certificate with CertificateVerify.' : 'Empty client Certificate, no CertificateVerify.',
        { message: (cv ?? cert).m.index },
      );
    },
  }),
];
