/**
 * TLS 1.3 message ordering, the client flight and after: client
 * authentication, EndOfEarlyData, the shape of both flights, no
 * renegotiation, post-handshake messages and the 0-RTT window. The
 * messages are protected: the rules need them readable.
 */
import { ExtensionType } from '../../wire/registry';
import type { StepName } from '../../wire/vocabulary';
import { type Step, exts, hasExt } from '../context';
import { factsOf, find, flights13, missingOrEnded } from '../flow';
import { certificateNonEmpty } from '../statemachine';
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

/** The steps against a pattern of message types (optional ones may be absent). */
function seqCheck(steps: Step[], pattern: Array<{ sym: StepName; opt?: boolean }>, what: string): Outcome {
  let i = 0;
  for (const p of pattern) {
    const s = steps[i];
    if (s && s.sym === p.sym) i++;
    else if (!p.opt)
      return s
        ? violation(`${what}: ${s.sym} where ${p.sym} belongs.`, { message: s.m.index, expected: p.sym, actual: s.sym })
        : inconclusive(`${what} ends before ${p.sym}.`);
  }
  if (i < steps.length)
    return violation(`${what}: unexpected ${steps[i]!.sym}.`, {
      message: steps[i]!.m.index,
      expected: 'end of flight',
      actual: steps[i]!.sym,
    });
  return pass(`${what} is in order.`, { message: steps[0]?.m.index ?? 0 });
}

export const t13FlightRules = [
  rule({
    id: 't13.order.client-cert-iff-cr',
    title: 'The client sends Certificate exactly when the server asked, and Finished always.',
    rfc: 'RFC 8446 §4.4.2',
    role: 'client',
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §4',
        'Protocol messages MUST be sent in the order defined in Section 4.4.1 and shown in the diagrams in Section 2. A peer which receives a handshake message in an unexpected order MUST abort the handshake with an "unexpected_message" alert.',
      ),
    ],
    needs: ['keys'],
    check(ctx) {
      const { sflight, cflight } = flights13(ctx);
      const cr = find(sflight, 'certificate_request');
      const cert = find(cflight, 'certificate');
      if (!find(cflight, 'finished')) return missingOrEnded(ctx, 'The client flight has no Finished.');
      if (cr && !cert)
        return violation('CertificateRequest was not answered with a client Certificate.', {
          message: cflight[0]!.m.index,
          expected: 'C->S certificate',
          actual: cflight[0]!.sym,
        });
      if (!cr && cert)
        return violation('Client Certificate without CertificateRequest.', {
          message: cert.m.index,
          expected: 'no certificate',
          actual: 'certificate',
        });
      return pass(cr ? 'CertificateRequest answered with Certificate.' : 'No CertificateRequest, no client Certificate.');
    },
  }),
  rule({
    id: 't13.order.client-cv-iff-nonempty',
    title: 'The client sends CertificateVerify exactly when its Certificate is non-empty.',
    rfc: ['RFC 8446 §4.4.3', 'RFC 8446 App. A.2'],
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §4',
        'Protocol messages MUST be sent in the order defined in Section 4.4.1 and shown in the diagrams in Section 2. A peer which receives a handshake message in an unexpected order MUST abort the handshake with an "unexpected_message" alert.',
      ),
    ],
    needs: ['keys'],
    check(ctx) {
      const { cflight } = flights13(ctx);
      const cert = find(cflight, 'certificate');
      const cv = find(cflight, 'certificate_verify');
      if (!cert)
        return cv
          ? violation('CertificateVerify without a client Certificate.', {
              message: cv.m.index,
              expected: 'none',
              actual: 'certificate_verify',
            })
          : notApplicable('No client Certificate.');
      const ne = certificateNonEmpty(cert.m);
      if (ne === undefined) return inconclusive('The client Certificate is not decoded.', { message: cert.m.index });
      if (ne && !cv)
        return violation('Non-empty client Certificate without CertificateVerify.', {
          message: cert.m.index,
          expected: 'certificate_verify',
          actual: 'none',
        });
      if (!ne && cv)
        return violation('CertificateVerify after an empty client Certificate.', {
          message: cv.m.index,
          expected: 'none',
          actual: 'certificate_verify',
        });
      return pass('Client CertificateVerify matches its Certificate.', { message: cert.m.index });
    },
  }),
  rule({
    id: 't13.order.eoed',
    title: 'EndOfEarlyData is sent by the client exactly when the server accepted early data.',
    rfc: 'RFC 8446 §4.5',
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §4.5',
        'Servers MUST NOT send this message, and clients receiving it MUST terminate the connection with an "unexpected_message" alert.',
      ),
    ],
    needs: ['keys'],
    check(ctx) {
      const { S, cflight } = flights13(ctx);
      const bad = find(S, 'end_of_early_data');
      if (bad)
        return violation('The server sent EndOfEarlyData.', {
          message: bad.m.index,
          expected: 'none from the server',
          actual: 'end_of_early_data',
        });
      const f = factsOf(ctx);
      const e = find(cflight, 'end_of_early_data');
      // RFC 8446 §4.5: one EndOfEarlyData ends the 0-RTT data; the records after it are under the handshake keys
      const all = ctx.steps.filter((s) => s.dir === 'C->S' && s.sym === 'end_of_early_data');
      if (all.length > 1)
        return violation(`The client sent EndOfEarlyData ${all.length} times.`, {
          message: all[1]!.m.index,
          expected: 'one end_of_early_data',
          actual: `${all.length}`,
        });
      if (f.earlyAccepted === undefined) return inconclusive('EncryptedExtensions not decoded: early data acceptance unknown.');
      if (f.earlyAccepted && !e)
        return cflight.length
          ? violation('Early data was accepted but no EndOfEarlyData was sent.', {
              message: cflight[0]!.m.index,
              expected: 'end_of_early_data',
              actual: cflight[0]!.sym,
            })
          : inconclusive('No client flight.');
      if (!f.earlyAccepted && e)
        return violation('EndOfEarlyData without accepted early data.', {
          message: e.m.index,
          expected: 'none',
          actual: 'end_of_early_data',
        });
      if (e && cflight[0] !== e)
        return violation('EndOfEarlyData is not the first message of the client flight.', { message: e.m.index });
      return f.earlyAccepted
        ? pass('EndOfEarlyData sent for accepted early data.', { message: e!.m.index })
        : notApplicable('No early data accepted; no EndOfEarlyData.');
    },
  }),
  rule({
    id: 't13.order.server-flight',
    title:
      'The server flight is ServerHello, EncryptedExtensions, [CertificateRequest], [Certificate, CertificateVerify], Finished.',
    rfc: ['RFC 8446 §2', 'RFC 8446 §4', 'RFC 8446 §4.4.1', 'RFC 8446 App. A.2'],
    role: 'server',
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §4',
        'Protocol messages MUST be sent in the order defined in Section 4.4.1 and shown in the diagrams in Section 2. A peer which receives a handshake message in an unexpected order MUST abort the handshake with an "unexpected_message" alert.',
      ),
    ],
    overrides: {
      rfc: 'the order itself is stated in RFC 8446 §4: "Protocol messages MUST be sent in the order defined in Section 4.4.1 and shown in the diagrams in Section 2"',
    },
    needs: ['keys'],
    check(ctx) {
      const { sflight } = flights13(ctx);
      if (!sflight.length) return notApplicable('No ServerHello.');
      const f = factsOf(ctx);
      return seqCheck(
        sflight,
        [
          { sym: 'server_hello' },
          { sym: 'encrypted_extensions' },
          { sym: 'certificate_request', opt: true },
          { sym: 'certificate', opt: f.psk !== false },
          { sym: 'certificate_verify', opt: f.psk !== false },
          { sym: 'finished' },
        ],
        'The server flight',
      );
    },
  }),
  rule({
    id: 't13.order.client-flight',
    title: 'The client second flight is [EndOfEarlyData], [Certificate, [CertificateVerify]], Finished.',
    rfc: ['RFC 8446 §2', 'RFC 8446 §4', 'RFC 8446 §4.4.1', 'RFC 8446 App. A.1'],
    role: 'client',
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §4',
        'Protocol messages MUST be sent in the order defined in Section 4.4.1 and shown in the diagrams in Section 2. A peer which receives a handshake message in an unexpected order MUST abort the handshake with an "unexpected_message" alert.',
      ),
    ],
    overrides: {
      rfc: 'the order itself is stated in RFC 8446 §4: "Protocol messages MUST be sent in the order defined in Section 4.4.1 and shown in the diagrams in Section 2"',
    },
    needs: ['keys'],
    check(ctx) {
      const { cflight } = flights13(ctx);
      if (!cflight.length) return notApplicable('No client second flight.');
      return seqCheck(
        cflight,
        [
          { sym: 'end_of_early_data', opt: true },
          { sym: 'certificate', opt: true },
          { sym: 'certificate_verify', opt: true },
          { sym: 'finished' },
        ],
        'The client flight',
      );
    },
  }),
  rule({
    id: 't13.order.no-renegotiation',
    title: 'No ClientHello after TLS 1.3 is negotiated.',
    rfc: 'RFC 8446 §4.1.2',
    role: 'server',
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §4.1.2',
        'Because TLS 1.3 forbids renegotiation, if a server has negotiated TLS 1.3 and receives a ClientHello at any other time, it MUST terminate the connection with an "unexpected_message" alert.',
      ),
    ],
    needs: ['keys'],
    check(ctx) {
      const sh = ctx.steps.find((s) => s.sym === 'server_hello');
      if (!sh) return notApplicable('No ServerHello.');
      const ch = ctx.steps.find((s) => s.sym === 'client_hello' && s.m.index > sh.m.index);
      return ch
        ? violation('A ClientHello after the TLS 1.3 ServerHello.', {
            message: ch.m.index,
            expected: 'no client_hello',
            actual: 'client_hello',
          })
        : pass('No ClientHello after ServerHello.');
    },
  }),
  rule({
    id: 't13.order.post-handshake',
    title: 'Post-handshake messages only after Finished, from the right side.',
    rfc: ['RFC 8446 §4.2.6', 'RFC 8446 §4.6.1', 'RFC 8446 §4.6.2', 'RFC 8446 §4.6.3'],
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §4.6.2',
        'A client that receives a CertificateRequest message without having sent the "post_handshake_auth" extension MUST send an "unexpected_message" fatal alert.',
      ),
      because(
        'unexpected_message',
        'RFC 8446 §4.6.3',
        'Implementations that receive a KeyUpdate message prior to receiving a Finished message MUST terminate the connection with an "unexpected_message" alert.',
      ),
    ],
    needs: ['keys'],
    check(ctx) {
      const { S, C, sflight, all } = flights13(ctx);
      const sfin = find(sflight, 'finished');
      const cfin = find(flights13(ctx).cflight, 'finished');
      const crInHs = !!find(sflight, 'certificate_request');
      const bad = find(C, 'new_session_ticket');
      if (bad)
        return violation('The client sent NewSessionTicket.', {
          message: bad.m.index,
          expected: 'server only',
          actual: 'C->S new_session_ticket',
        });
      for (const n of S.filter((s) => s.sym === 'new_session_ticket')) {
        // RFC 8446 §4.6.1 note: without client authentication a ticket may follow the server Finished directly.
        const limit = crInHs ? cfin : sfin;
        if (!limit || all.indexOf(n) < all.indexOf(limit))
          return violation(`NewSessionTicket before the ${crInHs ? 'client' : 'server'} Finished.`, {
            message: n.m.index,
            expected: `after ${crInHs ? 'C->S' : 'S->C'} finished`,
            actual: 'before',
          });
      }
      for (const k of all.filter((s) => s.sym === 'key_update')) {
        const own = k.dir === 'S->C' ? sfin : cfin;
        if (!own || all.indexOf(k) < all.indexOf(own))
          return violation(`${k.dir} KeyUpdate before its own Finished.`, {
            message: k.m.index,
            expected: 'after finished',
            actual: 'before',
          });
      }
      const phCr = S.filter((s) => s.sym === 'certificate_request' && sfin && all.indexOf(s) > all.indexOf(sfin));
      if (phCr.length && !factsOf(ctx).postHandshakeAuth)
        return violation('Post-handshake CertificateRequest although the client did not offer post_handshake_auth.', {
          message: phCr[0]!.m.index,
          expected: 'post_handshake_auth in ClientHello',
          actual: 'absent',
        });
      const any = all.some(
        (s) =>
          sfin &&
          all.indexOf(s) > all.indexOf(sfin) &&
          ['new_session_ticket', 'key_update', 'certificate_request'].includes(s.sym),
      );
      return any ? pass('Post-handshake messages are in place.') : notApplicable('No post-handshake messages.');
    },
  }),
  rule({
    id: 't13.order.early-data-window',
    title:
      '0-RTT data appears only after a ClientHello offering early_data, before EndOfEarlyData, never after HelloRetryRequest.',
    rfc: ['RFC 8446 §2.3', 'RFC 8446 §4.2.10'],
    role: 'client',
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §4',
        'Protocol messages MUST be sent in the order defined in Section 4.4.1 and shown in the diagrams in Section 2. A peer which receives a handshake message in an unexpected order MUST abort the handshake with an "unexpected_message" alert.',
      ),
    ],
    overrides: {
      evidence:
        'the window closes at EndOfEarlyData, which is protected (RFC 8446 §4.5: "encrypted under keys derived from the client_early_traffic_secret"), and the check counts 0-RTT records up to the client Finished: it needs the key log; the checklist counts the records before ServerHello, visible without keys',
    },
    needs: ['keys'],
    check(ctx) {
      const cfin = flights13(ctx).cflight.find((s) => s.sym === 'finished');
      const early = ctx.t.messages.filter(
        (m) => m.dir === 'C->S' && m.kind === 'application_data' && (!cfin || m.index < cfin.m.index),
      );
      if (!early.length) return notApplicable('No 0-RTT data.');
      const f = factsOf(ctx);
      const e = early[0]!;
      // RFC 8446 §4.1.2: after a HelloRetryRequest the client's next flight is ClientHello2 without early_data; 0-RTT
      // data sent with the first ClientHello (before the HelloRetryRequest arrived) is skipped by the server (§4.2.10)
      const afterRetry = ctx.ch2 ? early.find((m) => m.index > ctx.ch2!.m.index) : undefined;
      if (afterRetry)
        return violation('0-RTT data after the second ClientHello (a HelloRetryRequest rejected early data).', {
          message: afterRetry.index,
          expected: 'no early data',
          actual: 'application_data',
        });
      if (ctx.ch && !hasExt(exts(ctx.ch), ExtensionType.early_data))
        return violation('0-RTT data without early_data in ClientHello.', {
          message: e.index,
          expected: 'early_data offered',
          actual: 'not offered',
        });
      const eoed = ctx.steps.find((s) => s.sym === 'end_of_early_data');
      const late = eoed ? early.find((m) => m.index > eoed.m.index) : undefined;
      if (late) return violation('0-RTT data after EndOfEarlyData.', { message: late.index });
      return f.earlyOffered === undefined
        ? inconclusive('ClientHello not decoded.')
        : pass('0-RTT data within its window.', { message: e.index });
    },
  }),
];
