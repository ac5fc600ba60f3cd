/**
 * Rules on the TLS 1.3 messages that are protected on the wire
 * (CertificateRequest, Certificate, NewSessionTicket, KeyUpdate): plain
 * syntax and consistency checks once the messages are readable
 * (`needs: ['keys']`).
 */
import type { Extension } from '../../wire/extensions';
import { bytesEqual, toHex } from '../../wire/hex';
import { ExtensionType as X } from '../../wire/registry';
import { type Context, type Step, bodyOf } from '../context';
import { because } from '../alert-choices';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';

const rule = declarer({
  versions: ['1.3'],
  role: 'both',
  strength: 'MUST',
  evidence: 'keys',
  group: 'negotiation',
});

const serverFinished = (ctx: Context): Step | undefined => ctx.steps.find((s) => s.dir === 'S->C' && s.sym === 'finished');

export const t13ProtectedRules = [
  rule({
    id: 't13.neg.cert-request-context',
    title:
      'Handshake CertificateRequest and server Certificate have empty contexts; the client Certificate echoes the request context; post-handshake contexts differ.',
    rfc: 'RFC 8446 §4.3.2, §4.4.2',
    versions: ['1.3'],
    evidence: 'keys',
    role: 'both',
    strength: 'MUST',
    alerts: ['illegal_parameter'],
    // RFC 8446 §4.3.2 ("This field SHALL be zero length unless used for the post-handshake authentication exchanges")
    // binds the server and names no reaction of the client, whose duty (§4.4.2) is to echo the value: a client that
    // echoes a non-empty handshake context and goes on conforms, one that refuses it sends illegal_parameter (§6.2:
    // "A field in the handshake was incorrect or inconsistent with other fields").
    ignorable: {
      rfc: 'RFC 8446 §4.4.2',
      text: 'certificate_request_context: If this message is in response to a CertificateRequest, the value of certificate_request_context in that message.',
      receiver: 'client',
    },
    group: 'negotiation',
    needs: ['keys'],
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
  rule({
    id: 't13.neg.cr-sigalgs',
    title: 'Every TLS 1.3 CertificateRequest carries signature_algorithms.',
    rfc: 'RFC 8446 §4.3.2',
    versions: ['1.3'],
    evidence: 'keys',
    role: 'server',
    strength: 'MUST',
    alerts: ['missing_extension'],
    group: 'negotiation',
    needs: ['keys'],
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
  rule({
    id: 't13.neg.nst-fields',
    title: 'Ticket lifetimes are at most seven days and each ticket has its own nonce.',
    rfc: ['RFC 8446 §4.2.11.1', 'RFC 8446 §4.6.1'],
    versions: ['1.3'],
    evidence: 'keys',
    role: 'server',
    strength: 'MUST',
    alerts: ['illegal_parameter'],
    group: 'negotiation',
    overrides: {
      role: 'the check judges the NewSessionTicket the server sends (RFC 8446 §4.6.1 "Servers MUST NOT use any value greater than 604800 seconds"; a nonce "unique across all tickets issued on this connection"); the clients\' 7-day cache limit is not visible in a transcript',
    },
    needs: ['keys'],
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
  rule({
    id: 't13.neg.keyupdate-values',
    title: 'KeyUpdate.request_update is 0 or 1; a requested update is answered before the next application data.',
    rfc: 'RFC 8446 §4.6.3',
    versions: ['1.3'],
    evidence: 'keys',
    role: 'both',
    strength: 'MUST',
    alerts: [
      because(
        'illegal_parameter',
        'RFC 8446 §4.6.3',
        'If an implementation receives any other value, it MUST terminate the connection with an "illegal_parameter" alert.',
      ),
    ],
    group: 'negotiation',
    needs: ['keys'],
    check(ctx) {
      const kus = ctx.steps.filter((s) => s.sym === 'key_update');
      if (!kus.length) return notApplicable('No KeyUpdate.');
      /** update_requested KeyUpdates after which the transcript shows neither the peer's data nor its KeyUpdate. */
      const unanswered: number[] = [];
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
          // the transcript order stands for the peer's order of sending: data it had in flight when it read the request
          // (RFC 8446 §4.6.3: "implementations may receive an arbitrary number of messages between sending a KeyUpdate
          // with request_update set to "update_requested" and receiving the peer's KeyUpdate") would read as unanswered;
          // live conversations send the request only once the peer has been silent (fuzz/exchange.ts afterHandshake)
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
          if (!next) unanswered.push(s.m.index);
        }
      }
      // a peer that sent nothing after the request (e.g. a server that never answers data) showed neither duty
      if (unanswered.length)
        return inconclusive(
          `KeyUpdate values are valid, but after the update_requested KeyUpdate @${unanswered[0]} the peer sent neither application data nor a KeyUpdate: whether it answers before its next data is not shown.`,
          { message: unanswered[0]! },
        );
      return pass('KeyUpdate values are valid.');
    },
  }),
];
