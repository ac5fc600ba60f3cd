/**
 * TLS 1.3 message ordering, the hello and server-flight part: the
 * state-machine walk (RFC 8446 App. A), the hellos, HelloRetryRequest, the
 * compatibility CCS and the server's authentication messages. Rules about
 * messages after ServerHello need them readable (`needs: ['keys']`).
 */
import { after, before, factsOf, find, flights13, missingOrEnded, stepName as name } from '../flow';
import { machineOutcome } from '../statemachine';
import { because } from '../alert-choices';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';

const rule = declarer({
  versions: ['1.3'],
  role: 'both',
  strength: 'MUST',
  evidence: 'keys',
  group: 'ordering',
  alerts: ['unexpected_message'],
});

export const t13OrderRules = [
  rule({
    id: 't13.order.state-machine',
    title: 'The TLS 1.3 messages follow the handshake state machine of RFC 8446 App. A.',
    rfc: ['RFC 8446 App. A', 'RFC 8446 §4'],
    overrides: {
      checklist:
        'the whole-handshake walk behind the named t13.order.* rules (RFC 8446 App. A state machine): it catches orders no named rule describes',
    },
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §4',
        'Protocol messages MUST be sent in the order defined in Section 4.4.1 and shown in the diagrams in Section 2. A peer which receives a handshake message in an unexpected order MUST abort the handshake with an "unexpected_message" alert.',
      ),
    ],
    check: (ctx) => machineOutcome(ctx, '1.3'),
  }),
  rule({
    id: 't13.order.client-hello-first',
    title: 'A TLS 1.3 client opens with ClientHello.',
    rfc: 'RFC 8446 §4.1.2',
    role: 'client',
    evidence: 'plaintext',
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §4',
        'Protocol messages MUST be sent in the order defined in Section 4.4.1 and shown in the diagrams in Section 2. A peer which receives a handshake message in an unexpected order MUST abort the handshake with an "unexpected_message" alert.',
      ),
    ],
    check(ctx) {
      const first = ctx.t.messages.find((m) => m.dir === 'C->S' && m.kind !== 'alert' && m.kind !== 'change_cipher_spec');
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
    id: 't13.order.server-first',
    title: 'The server opens with ServerHello or HelloRetryRequest.',
    rfc: ['RFC 8446 §4.1.3', 'RFC 8446 §4.1.4', 'RFC 8446 App. A.2'],
    role: 'server',
    evidence: 'plaintext',
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §4',
        'Protocol messages MUST be sent in the order defined in Section 4.4.1 and shown in the diagrams in Section 2. A peer which receives a handshake message in an unexpected order MUST abort the handshake with an "unexpected_message" alert.',
      ),
    ],
    check(ctx) {
      const first = ctx.t.messages.find((m) => m.dir === 'S->C' && m.kind !== 'alert');
      if (!first) return inconclusive('The server sent nothing.');
      return first.type === 'server_hello'
        ? pass('The server opens with ServerHello/HelloRetryRequest.', { message: first.index })
        : violation(`The server opens with ${first.type}.`, {
            message: first.index,
            expected: 'server_hello',
            actual: first.type,
          });
    },
  }),
  rule({
    id: 't13.order.single-hrr',
    title: 'At most one HelloRetryRequest per connection.',
    rfc: 'RFC 8446 §4.1.4',
    evidence: 'plaintext',
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §4.1.4',
        'If a client receives a second HelloRetryRequest in the same connection (i.e., where the ClientHello was itself in response to a HelloRetryRequest), it MUST abort the handshake with an "unexpected_message" alert.',
      ),
    ],
    check(ctx) {
      const h = ctx.steps.filter((s) => s.sym === 'hello_retry_request');
      if (h.length > 1)
        return violation('A second HelloRetryRequest was sent.', {
          message: h[1]!.m.index,
          expected: 'at most one',
          actual: `${h.length}`,
        });
      return h.length ? pass('One HelloRetryRequest.', { message: h[0]!.m.index }) : notApplicable('No HelloRetryRequest.');
    },
  }),
  rule({
    id: 't13.order.ch2-after-hrr',
    title: 'After HelloRetryRequest the client sends its second ClientHello next, without 0-RTT data.',
    rfc: ['RFC 8446 §4.1.2', 'RFC 8446 §4.1.4', 'RFC 8446 §4.2.10'],
    role: 'client',
    evidence: 'plaintext',
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §4',
        'Protocol messages MUST be sent in the order defined in Section 4.4.1 and shown in the diagrams in Section 2. A peer which receives a handshake message in an unexpected order MUST abort the handshake with an "unexpected_message" alert.',
      ),
    ],
    overrides: {
      rfc: 'RFC 8446 §4.1.4 is where the answer to a HelloRetryRequest is required: "the client MUST process all extensions in the HelloRetryRequest and send a second updated ClientHello"',
    },
    check(ctx) {
      const h = ctx.steps.find((s) => s.sym === 'hello_retry_request');
      if (!h) return notApplicable('No HelloRetryRequest.');
      const n = ctx.t.messages.find(
        (m) => m.dir === 'C->S' && m.index > h.m.index && m.kind !== 'change_cipher_spec' && m.kind !== 'alert',
      );
      if (!n) return inconclusive('The client sent nothing after HelloRetryRequest.');
      return n.type === 'client_hello'
        ? pass('The second ClientHello follows HelloRetryRequest.', { message: n.index })
        : violation(`The client sent ${n.type} after HelloRetryRequest.`, {
            message: n.index,
            expected: 'client_hello',
            actual: n.type,
          });
    },
  }),
  rule({
    id: 't13.order.compat-ccs',
    title: 'With a non-empty legacy_session_id the server sends a dummy CCS right after its first handshake message.',
    rfc: 'RFC 8446 App. D.4',
    role: 'server',
    evidence: 'plaintext',
    alerts: [],
    ignorable: {
      rfc: 'RFC 8446 App. D.4',
      text: 'Either side can send change_cipher_spec at any time during the handshake, as they must be ignored by the peer, but if the client sends a non-empty session ID, the server MUST send the change_cipher_spec as described in this appendix.',
    },
    needs: ['client-hello'],
    check(ctx) {
      if (ctx.ch.b.sessionId.length === 0)
        return notApplicable('The ClientHello legacy_session_id is empty (no compatibility mode).');
      const S = ctx.byDir['S->C'];
      const first = S[0];
      if (!first) return inconclusive('The server sent no handshake message.');
      const n = S[1];
      if (!n) return inconclusive('The transcript ends after the server first message.');
      return n.sym === 'change_cipher_spec'
        ? pass('The server sent the dummy CCS after its first message.', { message: n.m.index })
        : violation(`The server sent ${n.sym} after its first message instead of a dummy CCS.`, {
            message: n.m.index,
            expected: 'change_cipher_spec',
            actual: n.sym,
          });
    },
  }),
  rule({
    id: 't13.order.ee-after-sh',
    title: 'EncryptedExtensions comes right after ServerHello, in every handshake.',
    rfc: 'RFC 8446 §4.3.1',
    role: 'server',
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §4',
        'Protocol messages MUST be sent in the order defined in Section 4.4.1 and shown in the diagrams in Section 2. A peer which receives a handshake message in an unexpected order MUST abort the handshake with an "unexpected_message" alert.',
      ),
    ],
    needs: ['keys'],
    check(ctx) {
      const { sflight } = flights13(ctx);
      if (!sflight.length) return notApplicable('No ServerHello.');
      const n = sflight[1];
      if (!n) return inconclusive('Nothing follows ServerHello.');
      return n.sym === 'encrypted_extensions'
        ? pass('EncryptedExtensions follows ServerHello.', { message: n.m.index })
        : violation(`${n.sym} follows ServerHello.`, { message: n.m.index, expected: 'encrypted_extensions', actual: n.sym });
    },
  }),
  rule({
    id: 't13.order.cr-after-ee',
    title: 'A handshake CertificateRequest comes right after EncryptedExtensions.',
    rfc: 'RFC 8446 §4.3.2',
    role: 'server',
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §4',
        'Protocol messages MUST be sent in the order defined in Section 4.4.1 and shown in the diagrams in Section 2. A peer which receives a handshake message in an unexpected order MUST abort the handshake with an "unexpected_message" alert.',
      ),
    ],
    needs: ['keys'],
    check(ctx) {
      const { sflight } = flights13(ctx);
      const cr = find(sflight, 'certificate_request');
      if (!cr) return notApplicable('No CertificateRequest in the handshake.');
      const p = before(sflight, cr);
      return p?.sym === 'encrypted_extensions'
        ? pass('CertificateRequest follows EncryptedExtensions.', { message: cr.m.index })
        : violation(`CertificateRequest follows ${name(p)}.`, {
            message: cr.m.index,
            expected: 'encrypted_extensions before it',
            actual: name(p),
          });
    },
  }),
  rule({
    id: 't13.order.no-cr-in-psk',
    title: 'No CertificateRequest in a PSK handshake.',
    rfc: 'RFC 8446 §4.3.2',
    role: 'server',
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §4',
        'Protocol messages MUST be sent in the order defined in Section 4.4.1 and shown in the diagrams in Section 2. A peer which receives a handshake message in an unexpected order MUST abort the handshake with an "unexpected_message" alert.',
      ),
    ],
    needs: ['keys'],
    check(ctx) {
      const f = factsOf(ctx);
      if (f.psk === undefined) return inconclusive('ServerHello not decoded: PSK use unknown.');
      if (!f.psk) return notApplicable('Certificate-authenticated handshake.');
      const cr = find(flights13(ctx).sflight, 'certificate_request');
      return cr
        ? violation('CertificateRequest in a PSK handshake.', {
            message: cr.m.index,
            expected: 'no certificate_request',
            actual: 'certificate_request',
          })
        : pass('No CertificateRequest with PSK.');
    },
  }),
  rule({
    id: 't13.order.server-auth-required',
    title: 'With certificate authentication the server sends Certificate and CertificateVerify before Finished.',
    rfc: ['RFC 8446 §4.4.2', 'RFC 8446 §4.4.3', 'RFC 8446 App. A.1'],
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §4',
        'Protocol messages MUST be sent in the order defined in Section 4.4.1 and shown in the diagrams in Section 2. A peer which receives a handshake message in an unexpected order MUST abort the handshake with an "unexpected_message" alert.',
      ),
    ],
    needs: ['keys', 'first-handshake'],
    check(ctx) {
      const { sflight } = flights13(ctx);
      const fin = find(sflight, 'finished');
      if (!fin) return missingOrEnded(ctx, 'The server flight has no Finished.');
      for (const need of ['certificate', 'certificate_verify'] as const)
        if (!find(sflight, need))
          return violation(`The server Finished comes without ${need}.`, {
            message: fin.m.index,
            expected: need,
            actual: 'finished',
          });
      return pass('The server authenticated with Certificate and CertificateVerify.', { message: fin.m.index });
    },
  }),
  rule({
    id: 't13.order.no-server-cert-in-psk',
    title: 'A PSK handshake has no server Certificate or CertificateVerify.',
    rfc: ['RFC 8446 §4.4.2', 'RFC 8446 App. A.1'],
    role: 'server',
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §4',
        'Protocol messages MUST be sent in the order defined in Section 4.4.1 and shown in the diagrams in Section 2. A peer which receives a handshake message in an unexpected order MUST abort the handshake with an "unexpected_message" alert.',
      ),
    ],
    needs: ['keys'],
    check(ctx) {
      const f = factsOf(ctx);
      if (f.psk === undefined) return inconclusive('ServerHello not decoded: PSK use unknown.');
      if (!f.psk) return notApplicable('Certificate-authenticated handshake.');
      const bad = flights13(ctx).sflight.find((s) => s.sym === 'certificate' || s.sym === 'certificate_verify');
      return bad
        ? violation(`${bad.sym} in a PSK handshake.`, { message: bad.m.index, expected: 'none', actual: bad.sym })
        : pass('No server certificate with PSK.');
    },
  }),
  rule({
    id: 't13.order.cv-position',
    title: 'CertificateVerify sits between Certificate and Finished, in both directions.',
    rfc: 'RFC 8446 §4.4.3',
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §4',
        'Protocol messages MUST be sent in the order defined in Section 4.4.1 and shown in the diagrams in Section 2. A peer which receives a handshake message in an unexpected order MUST abort the handshake with an "unexpected_message" alert.',
      ),
    ],
    needs: ['keys'],
    check(ctx) {
      const { S, C } = flights13(ctx);
      const out: Outcome[] = [];
      for (const steps of [S, C]) {
        for (const cv of steps.filter((s) => s.sym === 'certificate_verify')) {
          const p = before(steps, cv);
          const n = after(steps, cv);
          if (p?.sym !== 'certificate')
            out.push(
              violation(`${cv.dir} CertificateVerify follows ${name(p)}.`, {
                message: cv.m.index,
                expected: 'certificate before it',
                actual: name(p),
              }),
            );
          else if (n && n.sym !== 'finished')
            out.push(
              violation(`${cv.dir} CertificateVerify is followed by ${n.sym}.`, {
                message: n.m.index,
                expected: 'finished',
                actual: n.sym,
              }),
            );
          else out.push(pass(`${cv.dir} CertificateVerify is between Certificate and Finished.`, { message: cv.m.index }));
        }
      }
      return out.length ? out : notApplicable('No CertificateVerify.');
    },
  }),
];
