/**
 * TLS 1.2 message ordering, the ChangeCipherSpec and Finished part:
 * where each CCS and Finished sits in full and abbreviated handshakes,
 * NewSessionTicket, application data, HelloRequest and repeats.
 */
import {
  abbreviated,
  after,
  before,
  factsOf,
  find,
  firstHandshake,
  missingOrEnded,
  stepName as name,
  unreadableIn,
} from '../flow';
import { type Step, UNREADABLE_TYPES, isUnreadableStep, notOpened } from '../context';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';

const rule = declarer({
  versions: ['1.2'],
  role: 'both',
  strength: 'MUST',
  evidence: 'plaintext',
  group: 'ordering',
  alerts: ['unexpected_message'],
});

export const t12FinishRules = [
  rule({
    id: 't12.order.ccs-before-finished',
    title: "Each Finished is immediately preceded by its sender's ChangeCipherSpec.",
    rfc: 'RFC 5246 §7.1, §7.4.9',
    check(ctx) {
      const { C, S } = firstHandshake(ctx);
      const out: Outcome[] = [];
      for (const steps of [C, S]) {
        const fin = find(steps, 'finished');
        if (!fin) {
          const u = unreadableIn(steps)[0];
          // In TLS 1.2 only what follows a CCS is protected: an unreadable message there is preceded by one.
          if (u)
            out.push(
              before(steps, u)?.sym === 'change_cipher_spec'
                ? pass(`The protected message ${u.dir} (Finished, unreadable) follows ChangeCipherSpec.`, { message: u.m.index })
                : inconclusive(`The ${u.dir} Finished is encrypted and ${notOpened(ctx)}.`, { message: u.m.index }),
            );
          continue;
        }
        const p = before(steps, fin);
        out.push(
          p?.sym === 'change_cipher_spec'
            ? pass(`${fin.dir} Finished follows ChangeCipherSpec.`, { message: fin.m.index })
            : violation(`${fin.dir} Finished follows ${name(p)} instead of ChangeCipherSpec.`, {
                message: fin.m.index,
                expected: `${fin.dir} change_cipher_spec`,
                actual: name(p),
              }),
        );
      }
      return out.length ? out : notApplicable('No Finished in the transcript.');
    },
  }),
  rule({
    id: 't12.order.ccs-timing',
    title: 'ChangeCipherSpec is sent only at its defined point of the handshake.',
    rfc: 'RFC 5246 §7.1, §7.3',
    check(ctx) {
      const { C, S, all } = firstHandshake(ctx);
      const ab = abbreviated(ctx);
      if (ab === undefined) return inconclusive('Whether the handshake is full or abbreviated cannot be told.');
      const out: Outcome[] = [];
      const cc = find(C, 'change_cipher_spec');
      const sc = find(S, 'change_cipher_spec');
      const cfin = C.find((s) => s.sym === 'finished' || isUnreadableStep(s));
      const sfin = S.find((s) => s.sym === 'finished' || isUnreadableStep(s));
      if (cc) {
        if (!ab) {
          const p = before(C, cc);
          out.push(
            p?.sym === 'client_key_exchange' || p?.sym === 'certificate_verify'
              ? pass('The client CCS follows its key exchange.', { message: cc.m.index })
              : violation(`The client CCS follows ${name(p)}.`, {
                  message: cc.m.index,
                  expected: 'client_key_exchange or certificate_verify before it',
                  actual: name(p),
                }),
          );
        } else {
          out.push(
            sfin && all.indexOf(sfin) < all.indexOf(cc)
              ? pass('The client CCS follows the server Finished (abbreviated).', { message: cc.m.index })
              : violation('The client CCS precedes the server Finished in an abbreviated handshake.', {
                  message: cc.m.index,
                  expected: 'after S->C finished',
                  actual: 'before',
                }),
          );
        }
      }
      if (sc) {
        if (!ab) {
          out.push(
            cfin && all.indexOf(cfin) < all.indexOf(sc)
              ? pass('The server CCS follows the client Finished.', { message: sc.m.index })
              : violation('The server CCS was sent before the client Finished.', {
                  message: sc.m.index,
                  expected: 'after C->S finished',
                  actual: 'before',
                }),
          );
        } else {
          const p = before(S, sc);
          out.push(
            p?.sym === 'server_hello' || p?.sym === 'new_session_ticket'
              ? pass('The server CCS follows ServerHello/NewSessionTicket (abbreviated).', { message: sc.m.index })
              : violation(`The server CCS follows ${name(p)} in an abbreviated handshake.`, {
                  message: sc.m.index,
                  expected: 'server_hello or new_session_ticket before it',
                  actual: name(p),
                }),
          );
        }
      }
      return out.length ? out : notApplicable('No ChangeCipherSpec in the transcript.');
    },
  }),
  rule({
    id: 't12.order.finished-first-protected',
    title: 'The first protected record under new keys carries Finished.',
    rfc: 'RFC 5246 §7.4.9',
    evidence: 'keys',
    check(ctx) {
      const { C, S } = firstHandshake(ctx);
      const out: Outcome[] = [];
      for (const steps of [C, S]) {
        const ccs = find(steps, 'change_cipher_spec');
        if (!ccs) continue;
        const n = after(steps, ccs);
        const appAfter = ctx.t.messages.find(
          (m) => m.dir === ccs.dir && m.index > ccs.m.index && m.kind !== 'change_cipher_spec',
        );
        const first =
          n && appAfter && appAfter.index < n.m.index
            ? { sym: appAfter.type, index: appAfter.index }
            : n
              ? { sym: n.sym, index: n.m.index }
              : appAfter
                ? { sym: appAfter.type, index: appAfter.index }
                : undefined;
        if (!first) continue;
        if (UNREADABLE_TYPES.has(first.sym))
          out.push(
            inconclusive(`The first protected ${ccs.dir} message is encrypted and ${notOpened(ctx)}.`, {
              message: first.index,
            }),
          );
        else
          out.push(
            first.sym === 'finished'
              ? pass(`The first protected ${ccs.dir} message is Finished.`, { message: first.index })
              : violation(`The first protected ${ccs.dir} message is ${first.sym}.`, {
                  message: first.index,
                  expected: 'finished',
                  actual: first.sym,
                }),
          );
      }
      return out.length ? out : notApplicable('No ChangeCipherSpec in the transcript.');
    },
  }),
  rule({
    id: 't12.order.full-server-final-flight',
    title: 'In a full handshake the server finishes only after the client Finished.',
    rfc: 'RFC 5246 §7.3; RFC 5077 §3.3',
    role: 'server',
    overrides: {
      alerts:
        'RFC 5246 §7.3/§7.4.9 name no alert for a server Finished that comes too early, but it is a handshake message out of order (RFC 5246 §7.4: "sending handshake messages in an unexpected order results in a fatal error"), which RFC 5246 §7.2.2 calls unexpected_message: "An inappropriate message was received."',
    },
    needs: ['full-handshake'],
    check(ctx) {
      const { C, S, all } = firstHandshake(ctx);
      const cfin = C.find((s) => s.sym === 'finished' || isUnreadableStep(s));
      const shd = find(S, 'server_hello_done');
      const final = S.filter((s) => shd && all.indexOf(s) > all.indexOf(shd));
      if (!final.length) return notApplicable('The server sent no final flight.');
      if (!cfin)
        return violation('The server sent its final flight without a client Finished.', {
          message: final[0]!.m.index,
          expected: 'C->S finished first',
          actual: final[0]!.sym,
        });
      const early = final.find((s) => all.indexOf(s) < all.indexOf(cfin));
      return early
        ? violation(`The server sent ${early.sym} before the client Finished.`, {
            message: early.m.index,
            expected: 'after C->S finished',
            actual: 'before',
          })
        : pass('The server final flight follows the client Finished.', { message: final[0]!.m.index });
    },
  }),
  rule({
    id: 't12.order.abbreviated-flow',
    title: 'A resumed handshake is hellos, [NewSessionTicket], server CCS+Finished, client CCS+Finished, nothing else.',
    rfc: 'RFC 5246 §7.3 (Fig. 2); RFC 5077 §3.1',
    check(ctx) {
      const ab = abbreviated(ctx);
      if (ab === false) return notApplicable('This is a full handshake.');
      if (ab === undefined) return inconclusive('Whether the handshake is abbreviated cannot be told.');
      const { all } = firstHandshake(ctx);
      const bad = all.find((s) =>
        [
          'certificate',
          'server_key_exchange',
          'certificate_request',
          'server_hello_done',
          'client_key_exchange',
          'certificate_verify',
          'certificate_status',
        ].includes(s.sym),
      );
      if (bad)
        return violation(`${bad.sym} appears in an abbreviated handshake.`, {
          message: bad.m.index,
          expected: 'no full-handshake messages',
          actual: bad.sym,
        });
      const syms = all.filter((s) => !isUnreadableStep(s)).map((s) => `${s.dir === 'C->S' ? 'C' : 'S'}:${s.sym}`);
      const want = [
        'C:client_hello',
        'S:server_hello',
        ...(syms.includes('S:new_session_ticket') ? ['S:new_session_ticket'] : []),
        'S:change_cipher_spec',
        'S:finished',
        'C:change_cipher_spec',
        'C:finished',
      ];
      const n = Math.min(syms.length, want.length);
      for (let i = 0; i < n; i++)
        if (syms[i] !== want[i] && ctx.unreadable.length === 0)
          return violation(`The abbreviated handshake has ${syms[i]} where ${want[i]} belongs.`, {
            expected: want[i]!,
            actual: syms[i]!,
          });
      return pass('The abbreviated handshake has the expected shape.');
    },
  }),
  rule({
    id: 't12.order.nst-iff-ticket-ext',
    title: 'NewSessionTicket is sent exactly when ServerHello had SessionTicket, at its place.',
    rfc: 'RFC 5077 §3.2, §3.3',
    role: 'server',
    check(ctx) {
      const { S, C, all } = firstHandshake(ctx);
      const nst = find(S, 'new_session_ticket');
      const f = factsOf(ctx);
      if (f.ticketExt === undefined)
        return nst
          ? inconclusive('ServerHello is not decoded, so whether it announced a ticket is unknown.', { message: nst.m.index })
          : notApplicable('No NewSessionTicket and ServerHello not decoded.');
      const sccs = find(S, 'change_cipher_spec');
      if (f.ticketExt && !nst)
        return sccs
          ? violation('ServerHello announced a ticket but no NewSessionTicket precedes the server CCS.', {
              message: sccs.m.index,
              expected: 'S->C new_session_ticket',
              actual: 'change_cipher_spec',
            })
          : missingOrEnded(ctx, 'The server final flight is not in the transcript.');
      if (!f.ticketExt && nst)
        return violation('NewSessionTicket without the SessionTicket extension in ServerHello.', {
          message: nst.m.index,
          expected: 'no new_session_ticket',
          actual: 'new_session_ticket',
        });
      if (!nst) return pass('No ticket announced, none sent.');
      const nxt = after(S, nst);
      if (nxt && nxt.sym !== 'change_cipher_spec')
        return violation(`NewSessionTicket is followed by ${nxt.sym} instead of the server CCS.`, {
          message: nxt.m.index,
          expected: 'change_cipher_spec',
          actual: nxt.sym,
        });
      if (abbreviated(ctx))
        return before(S, nst)?.sym === 'server_hello'
          ? pass('NewSessionTicket follows ServerHello (abbreviated).', { message: nst.m.index })
          : violation('NewSessionTicket does not follow ServerHello in an abbreviated handshake.', { message: nst.m.index });
      const cfin = C.find((s) => s.sym === 'finished' || isUnreadableStep(s));
      return cfin && all.indexOf(cfin) < all.indexOf(nst)
        ? pass('NewSessionTicket follows the client Finished.', { message: nst.m.index })
        : violation('NewSessionTicket precedes the client Finished.', {
            message: nst.m.index,
            expected: 'after C->S finished',
            actual: 'before',
          });
    },
  }),
  rule({
    id: 't12.order.no-appdata-before-finished',
    title: 'Application data flows only after both Finished messages.',
    rfc: 'RFC 5246 §7.3, §7.4.9',
    check(ctx) {
      const app = ctx.t.messages.filter((m) => m.kind === 'application_data' && m.type === 'application_data');
      if (!app.length) return notApplicable('No application data.');
      // RFC 5246 §6.1, §7.4.1.1: during a renegotiation the keys of the handshake before protect application data.
      if (ctx.previous)
        return notApplicable('A renegotiation: its application data flows under the keys of the handshake before it.');
      const { C, S } = firstHandshake(ctx);
      const cfin = C.find((s) => s.sym === 'finished' || isUnreadableStep(s));
      const sfin = S.find((s) => s.sym === 'finished' || isUnreadableStep(s));
      const early = app.find((m) => !cfin || !sfin || m.index < cfin.m.index || m.index < sfin.m.index);
      if (early)
        return violation(`Application data ${early.dir} before both Finished messages.`, {
          message: early.index,
          expected: 'after both finished',
          actual: 'before',
        });
      if (isUnreadableStep(cfin!) || isUnreadableStep(sfin!))
        return inconclusive(
          'A Finished is encrypted and unreadable; application data follows the protected messages in its place.',
          { message: app[0]!.index },
        );
      return pass('Application data follows both Finished messages.', { message: app[0]!.index });
    },
  }),
  rule({
    id: 't12.order.hello-request',
    title: 'HelloRequest comes only from the server.',
    rfc: 'RFC 5246 §7.4.1.1',
    strength: 'SHOULD',
    alerts: ['no_renegotiation'],
    ignorable: {
      rfc: 'RFC 5246 §7.4.1.1',
      text: 'This message will be ignored by the client if the client is currently negotiating a session. This message MAY be ignored by the client if it does not wish to renegotiate a session, or the client may, if it wishes, respond with a no_renegotiation alert.',
    },
    check(ctx) {
      const hr = ctx.steps.filter((s) => s.sym === 'hello_request');
      if (!hr.length) return notApplicable('No HelloRequest.');
      const bad = hr.find((s) => s.dir === 'C->S');
      return bad
        ? violation('The client sent HelloRequest.', {
            message: bad.m.index,
            expected: 'S->C hello_request',
            actual: 'C->S hello_request',
          })
        : pass('HelloRequest only from the server.', { message: hr[0]!.m.index });
    },
  }),
  rule({
    id: 't12.order.single-occurrence',
    title: 'Each handshake message type occurs at most once per direction in a handshake.',
    rfc: 'RFC 5246 §7.3, §7.4',
    check(ctx) {
      const { all } = firstHandshake(ctx);
      const seen = new Map<string, Step>();
      for (const s of all) {
        if (isUnreadableStep(s) || s.sym === 'hello_request') continue;
        const k = `${s.dir} ${s.sym}`;
        if (seen.has(k))
          return violation(`${k} appears twice in one handshake.`, { message: s.m.index, expected: 'once', actual: 'twice' });
        seen.set(k, s);
      }
      return pass('No message type repeats within the handshake.');
    },
  }),
];
