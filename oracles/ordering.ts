/**
 * Message ordering: the state-machine walk of each version and the named
 * ordering rules of the catalogue, so that a violation names the specific
 * rule, the message and what was expected instead.
 */
import { bytesEqual } from '../wire/hex';
import { extensionBody } from '../wire/extensions';
import { ExtensionType } from '../wire/registry';
import { type Context, type Step, exts, hasExt, kexAnonymous, kexForbidsSke, kexNeedsSke, kexUsesCertificate } from './context';
import { type Outcome, type Rule, inconclusive, notApplicable, pass, violation, type RuleDecl, ruleDeclarer } from './rule';
import { type Facts, certificateNonEmpty, describeExpected, machineFor, walk, walkable } from './statemachine';

type Tri = boolean | undefined;

const SERVER_FIRST_FLIGHT = new Set([
  'certificate',
  'certificate_status',
  'server_key_exchange',
  'certificate_request',
  'server_hello_done',
]);

/** TLS 1.2: is the handshake abbreviated (resumed)? From the session-ID echo, else one message of look-ahead. */
export function abbreviated(ctx: Context): Tri {
  const { ch, sh } = ctx;
  if (ch && sh) {
    if (ch.b.sessionId.length > 0 && bytesEqual(ch.b.sessionId, sh.b.sessionId)) return true;
    // Without an echoed session ID, only a ticket the client offered can be resumed (RFC 5077 §3.4).
    const ticket = extensionBody(ch.b.extensions, ExtensionType.session_ticket, 'session_ticket');
    if (!ticket || ticket.ticket.length === 0) return false;
  }
  const S = ctx.byDir['S->C'];
  const i = S.findIndex((s) => s.sym === 'server_hello');
  const next = i >= 0 ? S[i + 1] : undefined;
  if (next && (next.sym === 'new_session_ticket' || next.sym === 'change_cipher_spec')) return true;
  if (next && SERVER_FIRST_FLIGHT.has(next.sym)) return false;
  return undefined;
}

export function factsOf(ctx: Context): Facts {
  const f: Facts = {};
  const ab = abbreviated(ctx);
  if (ab !== undefined) f.resumed = ab;
  if (ctx.kex) {
    f.certKex = kexUsesCertificate(ctx.kex);
    f.skeRequired = kexNeedsSke(ctx.kex) ? true : kexForbidsSke(ctx.kex) ? false : undefined;
    f.anon = kexAnonymous(ctx.kex);
  }
  if (ctx.ch && ctx.sh) {
    f.statusAgreed =
      hasExt(ctx.ch.b.extensions, ExtensionType.status_request) && hasExt(ctx.sh.b.extensions, ExtensionType.status_request);
    f.ticketExt = hasExt(ctx.sh.b.extensions, ExtensionType.session_ticket);
    f.psk = hasExt(ctx.sh.b.extensions, ExtensionType.pre_shared_key);
  }
  if (ctx.ch) {
    f.earlyOffered = hasExt(ctx.ch.b.extensions, ExtensionType.early_data) && !ctx.hrr;
    f.postHandshakeAuth = hasExt(ctx.ch.b.extensions, ExtensionType.post_handshake_auth);
  }
  const ee = ctx.steps.find((s) => s.sym === 'encrypted_extensions');
  const eeBody = ee?.m.decoded?.body;
  if (eeBody?.type === 'encrypted_extensions') f.earlyAccepted = hasExt(eeBody.extensions, ExtensionType.early_data);
  else if (f.earlyOffered === false) f.earlyAccepted = false;
  return f;
}

const name = (s: Step | undefined): string => (s ? `${s.dir} ${s.sym}` : 'nothing');

function machineRule(version: '1.2' | '1.3'): Rule {
  return {
    id: `t${version === '1.2' ? '12' : '13'}.order.state-machine`,
    title: `The TLS ${version} messages follow the handshake state machine of RFC ${version === '1.2' ? '5246 §7.3' : '8446 App. A'}.`,
    rfc: version === '1.2' ? ['RFC 5246 §7.3', 'RFC 5077 §3.1', 'RFC 6066 §8'] : ['RFC 8446 App. A', 'RFC 8446 §4'],
    versions: [version],
    role: 'both',
    strength: 'MUST',
    alert: 'unexpected_message',
    evidence: version === '1.2' ? 'plaintext' : 'keys',
    group: 'ordering',
    check(ctx) {
      const msgs = ctx.t.messages
        .filter((m) => walkable(m, version))
        .map((m) => ({
          dir: m.dir,
          type:
            m.type === 'encrypted_handshake_message' || m.type === 'encrypted_record'
              ? '?'
              : (ctx.steps.find((s) => s.m === m)?.sym ?? m.type),
          m,
          index: m.index,
        }));
      const r = walk(machineFor(version), msgs, factsOf(ctx));
      if (r.violation) {
        return violation(`Message ${r.violation.index} is out of order: ${r.violation.error}.`, {
          message: r.violation.index,
          expected: describeExpected(r.violation.expected),
          actual: r.violation.got,
        });
      }
      if (version === '1.3' && ctx.t.gaps.length)
        return inconclusive(
          `Part of the transcript could not be read (${ctx.t.gaps[0]!.reason}); the readable messages are in order.`,
        );
      if (r.wildcards > 0) {
        return inconclusive(
          `${r.wildcards} protected message(s) could not be read (no key log), so their place in the state machine is unknown; the readable ones are in order.`,
        );
      }
      return pass(`All ${r.walked} messages follow the state machine (ending in ${[...r.states].sort().join(' or ')}).`);
    },
  };
}

/** The steps of the first handshake (before a renegotiating ClientHello). */
function firstHandshake(ctx: Context): { all: Step[]; C: Step[]; S: Step[] } {
  const all: Step[] = [];
  let hellos = 0;
  for (const s of ctx.steps) {
    if (s.dir === 'C->S' && s.sym === 'client_hello' && ++hellos > 1 && ctx.version === '1.2') break;
    all.push(s);
  }
  return { all, C: all.filter((s) => s.dir === 'C->S'), S: all.filter((s) => s.dir === 'S->C' && s.sym !== 'hello_request') };
}

const find = (steps: Step[], sym: string): Step | undefined => steps.find((s) => s.sym === sym);
const before = (steps: Step[], s: Step): Step | undefined => steps[steps.indexOf(s) - 1];
const after = (steps: Step[], s: Step): Step | undefined => steps[steps.indexOf(s) + 1];

const r12 = ruleDeclarer({
  versions: ['1.2'],
  role: 'both',
  strength: 'MUST',
  evidence: 'plaintext',
  group: 'ordering',
  alert: 'unexpected_message',
});

/** A 1.2 rule that only concerns full handshakes. */
function full(ctx: Context, f: (h: ReturnType<typeof firstHandshake>) => Outcome | Outcome[]): Outcome | Outcome[] {
  const ab = abbreviated(ctx);
  if (ab === true) return notApplicable('The handshake is abbreviated (session resumption).');
  if (ab === undefined)
    return inconclusive(
      'Whether the handshake is full or abbreviated cannot be told (ServerHello not decoded and no message after it).',
    );
  return f(firstHandshake(ctx));
}

function needKex(ctx: Context): Outcome | undefined {
  if (!ctx.kex) return inconclusive('The key exchange is not known (ServerHello not decoded or unknown cipher suite).');
  return undefined;
}

function unreadableIn(steps: Step[]): Step[] {
  return steps.filter((s) => s.sym === '?');
}

const t12rules: Rule[] = [
  r12({
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
  r12({
    id: 't12.order.server-hello-reply',
    title: 'The server replies to ClientHello with ServerHello (or an alert).',
    rfc: 'RFC 5246 §7.3, §7.4.1.3',
    check(ctx) {
      const first = ctx.t.messages.find((m) => m.dir === 'S->C' && m.kind !== 'alert' && m.type !== 'hello_request');
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
  r12({
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
  r12({
    id: 't12.order.server-cert-required',
    title: 'A certificate-authenticated key exchange includes the server Certificate.',
    rfc: 'RFC 5246 §7.4.2; RFC 8422 §2',
    role: 'server',
    check: (ctx) =>
      full(ctx, ({ S }) => {
        const k = needKex(ctx);
        if (k) return k;
        if (!kexUsesCertificate(ctx.kex!)) return notApplicable(`${ctx.kex} is not authenticated by certificate.`);
        const c = find(S, 'certificate');
        if (c) return pass('The server sent its Certificate.', { message: c.m.index });
        const shd = find(S, 'server_hello_done');
        if (!shd) return inconclusive('The server flight ended before ServerHelloDone.');
        return violation(`The server skipped Certificate although ${ctx.kex} needs one.`, {
          message: shd.m.index,
          expected: 'S->C certificate',
          actual: 'no certificate',
        });
      }),
  }),
  r12({
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
  r12({
    id: 't12.order.ske-required',
    title: 'Ephemeral and anonymous key exchanges include ServerKeyExchange.',
    rfc: 'RFC 5246 §7.4.3; RFC 8422 §2',
    role: 'server',
    check: (ctx) =>
      full(ctx, ({ S }) => {
        const k = needKex(ctx);
        if (k) return k;
        if (!kexNeedsSke(ctx.kex!)) return notApplicable(`${ctx.kex} has no ServerKeyExchange.`);
        const ske = find(S, 'server_key_exchange');
        if (ske) return pass('ServerKeyExchange was sent.', { message: ske.m.index });
        const shd = find(S, 'server_hello_done');
        if (!shd) return inconclusive('The server flight ended before ServerHelloDone.');
        return violation(`ServerKeyExchange is missing although ${ctx.kex} needs it.`, {
          message: shd.m.index,
          expected: 'S->C server_key_exchange',
          actual: 'none',
        });
      }),
  }),
  r12({
    id: 't12.order.ske-forbidden',
    title: 'Static RSA and static (EC)DH key exchanges carry no ServerKeyExchange.',
    rfc: 'RFC 5246 §7.4.3',
    role: 'server',
    check(ctx) {
      const k = needKex(ctx);
      if (k) return k;
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
  r12({
    id: 't12.order.ske-position',
    title: 'ServerKeyExchange follows the server Certificate (or CertificateStatus, or ServerHello when anonymous).',
    rfc: 'RFC 5246 §7.4.3',
    role: 'server',
    check(ctx) {
      const { S } = firstHandshake(ctx);
      const ske = find(S, 'server_key_exchange');
      if (!ske) return notApplicable('No ServerKeyExchange was sent.');
      const p = before(S, ske);
      const ok =
        ['certificate', 'certificate_status'].includes(p?.sym ?? '') ||
        (p?.sym === 'server_hello' && ctx.kex !== undefined && kexAnonymous(ctx.kex));
      return ok
        ? pass(`ServerKeyExchange follows ${p!.sym}.`, { message: ske.m.index })
        : violation(`ServerKeyExchange follows ${name(p)}.`, {
            message: ske.m.index,
            expected: 'certificate or certificate_status (server_hello if anonymous)',
            actual: name(p),
          });
    },
  }),
  r12({
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
  r12({
    id: 't12.order.cr-not-anonymous',
    title: 'An anonymous server never asks for a client certificate.',
    rfc: 'RFC 5246 §7.4.4; RFC 8422 §2.3',
    role: 'server',
    alert: 'handshake_failure',
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
      const k = needKex(ctx);
      if (k) return k;
      return kexAnonymous(ctx.kex!)
        ? violation(`CertificateRequest with anonymous ${ctx.kex}.`, {
            message: cr.m.index,
            expected: 'no certificate_request',
            actual: 'certificate_request',
          })
        : pass(`CertificateRequest with authenticated ${ctx.kex}.`, { message: cr.m.index });
    },
  }),
  r12({
    id: 't12.order.server-hello-done',
    title: 'ServerHelloDone closes the server flight once, with an empty body.',
    rfc: 'RFC 5246 §7.4.5',
    role: 'server',
    check: (ctx) =>
      full(ctx, ({ S }) => {
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
        if (n && !['new_session_ticket', 'change_cipher_spec', '?'].includes(n.sym))
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
      }),
  }),
  r12({
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
        if (!firstAfter) return inconclusive('The client flight is not in the transcript.');
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
  r12({
    id: 't12.order.cke-position',
    title: 'ClientKeyExchange is always sent, right after the client Certificate or first after ServerHelloDone.',
    rfc: 'RFC 5246 §7.4.7',
    role: 'client',
    check: (ctx) =>
      full(ctx, ({ C, S, all }) => {
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
            : inconclusive('The client flight is not in the transcript.');
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
      }),
  }),
  r12({
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
  r12({
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
  r12({
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
                : inconclusive(`The ${u.dir} Finished is encrypted and no key log was given.`, { message: u.m.index }),
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
  r12({
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
      const cfin = C.find((s) => s.sym === 'finished' || s.sym === '?');
      const sfin = S.find((s) => s.sym === 'finished' || s.sym === '?');
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
  r12({
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
        if (first.sym === '?')
          out.push(
            inconclusive(`The first protected ${ccs.dir} message is encrypted and no key log was given.`, {
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
  r12({
    id: 't12.order.full-server-final-flight',
    title: 'In a full handshake the server finishes only after the client Finished.',
    rfc: 'RFC 5246 §7.3; RFC 5077 §3.3',
    role: 'server',
    check: (ctx) =>
      full(ctx, ({ C, S, all }) => {
        const cfin = C.find((s) => s.sym === 'finished' || s.sym === '?');
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
      }),
  }),
  r12({
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
      const syms = all.filter((s) => s.sym !== '?').map((s) => `${s.dir === 'C->S' ? 'C' : 'S'}:${s.sym}`);
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
  r12({
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
          : inconclusive('The server final flight is not in the transcript.');
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
      const cfin = C.find((s) => s.sym === 'finished' || s.sym === '?');
      return cfin && all.indexOf(cfin) < all.indexOf(nst)
        ? pass('NewSessionTicket follows the client Finished.', { message: nst.m.index })
        : violation('NewSessionTicket precedes the client Finished.', {
            message: nst.m.index,
            expected: 'after C->S finished',
            actual: 'before',
          });
    },
  }),
  r12({
    id: 't12.order.no-appdata-before-finished',
    title: 'Application data flows only after both Finished messages.',
    rfc: 'RFC 5246 §7.3, §7.4.9',
    check(ctx) {
      const app = ctx.t.messages.filter((m) => m.kind === 'application_data' && m.type === 'application_data');
      if (!app.length) return notApplicable('No application data.');
      const { C, S } = firstHandshake(ctx);
      const cfin = C.find((s) => s.sym === 'finished' || s.sym === '?');
      const sfin = S.find((s) => s.sym === 'finished' || s.sym === '?');
      const early = app.find((m) => !cfin || !sfin || m.index < cfin.m.index || m.index < sfin.m.index);
      if (early)
        return violation(`Application data ${early.dir} before both Finished messages.`, {
          message: early.index,
          expected: 'after both finished',
          actual: 'before',
        });
      if (cfin!.sym === '?' || sfin!.sym === '?')
        return inconclusive(
          'A Finished is encrypted and unreadable; application data follows the protected messages in its place.',
          { message: app[0]!.index },
        );
      return pass('Application data follows both Finished messages.', { message: app[0]!.index });
    },
  }),
  r12({
    id: 't12.order.hello-request',
    title: 'HelloRequest comes only from the server.',
    rfc: 'RFC 5246 §7.4.1.1',
    strength: 'SHOULD',
    alert: 'no_renegotiation',
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
  r12({
    id: 't12.order.single-occurrence',
    title: 'Each handshake message type occurs at most once per direction in a handshake.',
    rfc: 'RFC 5246 §7.3, §7.4',
    check(ctx) {
      const { all } = firstHandshake(ctx);
      const seen = new Map<string, Step>();
      for (const s of all) {
        if (s.sym === '?' || s.sym === 'hello_request') continue;
        const k = `${s.dir} ${s.sym}`;
        if (seen.has(k))
          return violation(`${k} appears twice in one handshake.`, { message: s.m.index, expected: 'once', actual: 'twice' });
        seen.set(k, s);
      }
      return pass('No message type repeats within the handshake.');
    },
  }),
];

// ---------------------------------------------------------------- TLS 1.3

interface T13 {
  /** Server handshake messages (no CCS). */
  S: Step[];
  /** Client handshake messages (no CCS). */
  C: Step[];
  all: Step[];
  /** Server flight of the main handshake: ServerHello .. Finished. */
  sflight: Step[];
  /** Client flight after its last ClientHello, up to Finished. */
  cflight: Step[];
}

function t13(ctx: Context): T13 {
  const all = ctx.steps.filter((s) => s.sym !== 'change_cipher_spec');
  const S = all.filter((s) => s.dir === 'S->C');
  const C = all.filter((s) => s.dir === 'C->S');
  const shI = S.findIndex((s) => s.sym === 'server_hello');
  const sfinI = S.findIndex((s, i) => i > shI && s.sym === 'finished');
  const sflight = shI < 0 ? [] : S.slice(shI, sfinI < 0 ? undefined : sfinI + 1);
  // The client's last ClientHello of the handshake: the one the ServerHello answers (the second after HRR).
  const shIndex = S[shI]?.m.index ?? Number.POSITIVE_INFINITY;
  let lastCh = -1;
  C.forEach((s, i) => {
    if (s.sym === 'client_hello' && s.m.index < shIndex) lastCh = i;
  });
  const cfinI = C.findIndex((s, i) => i > lastCh && s.sym === 'finished');
  const cflight = lastCh < 0 ? [] : C.slice(lastCh + 1, cfinI < 0 ? undefined : cfinI + 1);
  return { S, C, all, sflight, cflight };
}

function needReadable13(ctx: Context): Outcome | undefined {
  if (ctx.unreadable.length) {
    return inconclusive(
      `The TLS 1.3 messages after ServerHello are encrypted and no key log was given (${ctx.unreadable.length} protected record(s) unreadable).`,
      { message: ctx.unreadable[0]!.index },
    );
  }
  if (ctx.t.gaps.length) {
    const g = ctx.t.gaps[0]!;
    const o = inconclusive(`Part of the TLS 1.3 handshake is missing from the transcript: ${g.reason}.`);
    if (g.fromMessage !== undefined) o.message = g.fromMessage;
    return o;
  }
  return undefined;
}

const decl13 = ruleDeclarer({
  versions: ['1.3'],
  role: 'both',
  strength: 'MUST',
  evidence: 'keys',
  group: 'ordering',
  alert: 'unexpected_message',
});

/** A TLS 1.3 ordering rule: needs the protected messages readable unless `plaintext`; `alert: 'none'` for rules without one. */
function r13({ plaintext, ...d }: RuleDecl & { plaintext?: boolean }): Rule {
  const check = d.check;
  const r = decl13({
    ...d,
    evidence: plaintext ? 'plaintext' : 'keys',
    check: plaintext ? check : (ctx) => needReadable13(ctx) ?? check(ctx),
  });
  if (r.alert === 'none') delete r.alert;
  return r;
}

function seqCheck(steps: Step[], pattern: Array<{ sym: string; opt?: boolean }>, what: string): Outcome {
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

const t13rules: Rule[] = [
  r13({
    id: 't13.order.client-hello-first',
    title: 'A TLS 1.3 client opens with ClientHello.',
    rfc: 'RFC 8446 §4.1.2',
    role: 'client',
    plaintext: true,
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
  r13({
    id: 't13.order.server-first',
    title: 'The server opens with ServerHello or HelloRetryRequest.',
    rfc: 'RFC 8446 §4.1.3',
    role: 'server',
    plaintext: true,
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
  r13({
    id: 't13.order.single-hrr',
    title: 'At most one HelloRetryRequest per connection.',
    rfc: 'RFC 8446 §4.1.4',
    plaintext: true,
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
  r13({
    id: 't13.order.ch2-after-hrr',
    title: 'After HelloRetryRequest the client sends its second ClientHello next, without 0-RTT data.',
    rfc: 'RFC 8446 §4.1.4',
    role: 'client',
    plaintext: true,
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
  r13({
    id: 't13.order.compat-ccs',
    title: 'With a non-empty legacy_session_id the server sends a dummy CCS right after its first handshake message.',
    rfc: 'RFC 8446 App. D.4',
    role: 'server',
    plaintext: true,
    alert: 'none',
    check(ctx) {
      if (!ctx.ch) return inconclusive('The ClientHello is not decoded.');
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
  r13({
    id: 't13.order.ee-after-sh',
    title: 'EncryptedExtensions comes right after ServerHello, in every handshake.',
    rfc: 'RFC 8446 §4.3.1',
    role: 'server',
    check(ctx) {
      const { sflight } = t13(ctx);
      if (!sflight.length) return notApplicable('No ServerHello.');
      const n = sflight[1];
      if (!n) return inconclusive('Nothing follows ServerHello.');
      return n.sym === 'encrypted_extensions'
        ? pass('EncryptedExtensions follows ServerHello.', { message: n.m.index })
        : violation(`${n.sym} follows ServerHello.`, { message: n.m.index, expected: 'encrypted_extensions', actual: n.sym });
    },
  }),
  r13({
    id: 't13.order.cr-after-ee',
    title: 'A handshake CertificateRequest comes right after EncryptedExtensions.',
    rfc: 'RFC 8446 §4.3.2',
    role: 'server',
    check(ctx) {
      const { sflight } = t13(ctx);
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
  r13({
    id: 't13.order.no-cr-in-psk',
    title: 'No CertificateRequest in a PSK handshake.',
    rfc: 'RFC 8446 §4.3.2',
    role: 'server',
    check(ctx) {
      const f = factsOf(ctx);
      if (f.psk === undefined) return inconclusive('ServerHello not decoded: PSK use unknown.');
      if (!f.psk) return notApplicable('Certificate-authenticated handshake.');
      const cr = find(t13(ctx).sflight, 'certificate_request');
      return cr
        ? violation('CertificateRequest in a PSK handshake.', {
            message: cr.m.index,
            expected: 'no certificate_request',
            actual: 'certificate_request',
          })
        : pass('No CertificateRequest with PSK.');
    },
  }),
  r13({
    id: 't13.order.server-auth-required',
    title: 'With certificate authentication the server sends Certificate and CertificateVerify before Finished.',
    rfc: 'RFC 8446 §4.4',
    check(ctx) {
      const f = factsOf(ctx);
      if (f.psk === undefined) return inconclusive('ServerHello not decoded: PSK use unknown.');
      if (f.psk) return notApplicable('PSK handshake.');
      const { sflight } = t13(ctx);
      const fin = find(sflight, 'finished');
      if (!fin) return inconclusive('The server flight has no Finished.');
      for (const need of ['certificate', 'certificate_verify'])
        if (!find(sflight, need))
          return violation(`The server Finished comes without ${need}.`, {
            message: fin.m.index,
            expected: need,
            actual: 'finished',
          });
      return pass('The server authenticated with Certificate and CertificateVerify.', { message: fin.m.index });
    },
  }),
  r13({
    id: 't13.order.no-server-cert-in-psk',
    title: 'A PSK handshake has no server Certificate or CertificateVerify.',
    rfc: 'RFC 8446 §4.4',
    role: 'server',
    check(ctx) {
      const f = factsOf(ctx);
      if (f.psk === undefined) return inconclusive('ServerHello not decoded: PSK use unknown.');
      if (!f.psk) return notApplicable('Certificate-authenticated handshake.');
      const bad = t13(ctx).sflight.find((s) => s.sym === 'certificate' || s.sym === 'certificate_verify');
      return bad
        ? violation(`${bad.sym} in a PSK handshake.`, { message: bad.m.index, expected: 'none', actual: bad.sym })
        : pass('No server certificate with PSK.');
    },
  }),
  r13({
    id: 't13.order.cv-position',
    title: 'CertificateVerify sits between Certificate and Finished, in both directions.',
    rfc: 'RFC 8446 §4.4.3',
    check(ctx) {
      const { S, C } = t13(ctx);
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
  r13({
    id: 't13.order.client-cert-iff-cr',
    title: 'The client sends Certificate exactly when the server asked, and Finished always.',
    rfc: 'RFC 8446 §4.4.2',
    role: 'client',
    check(ctx) {
      const { sflight, cflight } = t13(ctx);
      const cr = find(sflight, 'certificate_request');
      const cert = find(cflight, 'certificate');
      if (!find(cflight, 'finished')) return inconclusive('The client flight has no Finished.');
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
  r13({
    id: 't13.order.client-cv-iff-nonempty',
    title: 'The client sends CertificateVerify exactly when its Certificate is non-empty.',
    rfc: 'RFC 8446 §4.4.3',
    check(ctx) {
      const { cflight } = t13(ctx);
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
  r13({
    id: 't13.order.eoed',
    title: 'EndOfEarlyData is sent by the client exactly when the server accepted early data.',
    rfc: 'RFC 8446 §4.5',
    check(ctx) {
      const { S, cflight } = t13(ctx);
      const bad = find(S, 'end_of_early_data');
      if (bad)
        return violation('The server sent EndOfEarlyData.', {
          message: bad.m.index,
          expected: 'none from the server',
          actual: 'end_of_early_data',
        });
      const f = factsOf(ctx);
      const e = find(cflight, 'end_of_early_data');
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
  r13({
    id: 't13.order.server-flight',
    title:
      'The server flight is ServerHello, EncryptedExtensions, [CertificateRequest], [Certificate, CertificateVerify], Finished.',
    rfc: 'RFC 8446 §2, §4',
    role: 'server',
    check(ctx) {
      const { sflight } = t13(ctx);
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
  r13({
    id: 't13.order.client-flight',
    title: 'The client second flight is [EndOfEarlyData], [Certificate, [CertificateVerify]], Finished.',
    rfc: 'RFC 8446 §2, §4',
    role: 'client',
    check(ctx) {
      const { cflight } = t13(ctx);
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
  r13({
    id: 't13.order.no-renegotiation',
    title: 'No ClientHello after TLS 1.3 is negotiated.',
    rfc: 'RFC 8446 §4.1.2',
    role: 'server',
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
  r13({
    id: 't13.order.post-handshake',
    title: 'Post-handshake messages only after Finished, from the right side.',
    rfc: 'RFC 8446 §4.6',
    check(ctx) {
      const { S, C, sflight, all } = t13(ctx);
      const sfin = find(sflight, 'finished');
      const cfin = find(t13(ctx).cflight, 'finished');
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
  r13({
    id: 't13.order.early-data-window',
    title:
      '0-RTT data appears only after a ClientHello offering early_data, before EndOfEarlyData, never after HelloRetryRequest.',
    rfc: 'RFC 8446 §4.2.10',
    role: 'client',
    check(ctx) {
      const cfin = t13(ctx).cflight.find((s) => s.sym === 'finished');
      const early = ctx.t.messages.filter(
        (m) => m.dir === 'C->S' && m.kind === 'application_data' && (!cfin || m.index < cfin.m.index),
      );
      if (!early.length) return notApplicable('No 0-RTT data.');
      const f = factsOf(ctx);
      const e = early[0]!;
      if (ctx.hrr)
        return violation('0-RTT data in a connection with HelloRetryRequest.', {
          message: e.index,
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

export const orderingRules: Rule[] = [machineRule('1.2'), ...t12rules, machineRule('1.3'), ...t13rules];
