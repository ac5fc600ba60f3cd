/**
 * Resumption: TLS 1.2 rules that compare a resumed handshake with the
 * connection that created the session (found among the earlier
 * transcripts given to the evaluator, by session ID echo or by
 * SessionTicket; without it the rules are inconclusive), the TLS 1.3
 * server name on resumption, and the TLS 1.3 PSK identities and binders
 * recomputed from the ticket's original connection.
 */
import { binderKey, digest, pskBinder, transcriptWithHrr } from '../../crypto';
import { hostMatches } from '../../pki/validate';
import { extensionBody } from '../../wire/extensions';
import { bytesEqual, concatBytes, toHex } from '../../wire/hex';
import { ExtensionType as X } from '../../wire/registry';
import { type Context, bodyOf, exts, hasExt, memo } from '../context';
import { abbreviated } from '../flow';
import { isOutcome } from '../hellos';
import { type Got, externalPsk, hashOf, leafOf, provider, ticketIssuer, ticketPsk } from '../keyfacts';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';

const rule = declarer({
  versions: ['1.2'],
  role: 'both',
  strength: 'MUST',
  evidence: 'plaintext',
  group: 'negotiation',
});

const NEED_ORIGINAL =
  'The handshake resumes a session whose original connection is not among the transcripts given (pass the earlier connection too).';

/** The earlier connection whose session this TLS 1.2 handshake resumes. */
export function originalOf(ctx: Context): Context | undefined {
  const ch = ctx.ch?.b;
  if (!ch) return undefined;
  const ticket = extensionBody(ch.extensions, X.session_ticket, 'session_ticket')?.ticket;
  for (const e of [...ctx.earlier].reverse()) {
    if (ch.sessionId.length && e.sh && bytesEqual(e.sh.b.sessionId, ch.sessionId)) return e;
    if (ticket?.length) {
      for (const s of e.steps) {
        const b = bodyOf(s.m);
        if (b?.type === 'new_session_ticket' && b.form === 'tls12' && bytesEqual(b.ticket, ticket)) return e;
      }
    }
  }
  return undefined;
}

/** Resumed handshake and its original, or why the rule cannot go on. */
function resumed(ctx: Context): { orig: Context } | Outcome {
  if (!ctx.ch || !ctx.sh) return inconclusive('The hellos are not decoded.');
  const ab = abbreviated(ctx);
  if (ab === false) return notApplicable('Full handshake: no session is resumed.');
  if (ab === undefined) return inconclusive('Whether the handshake resumes a session cannot be told.');
  const orig = originalOf(ctx);
  return orig ? { orig } : inconclusive(NEED_ORIGINAL);
}
const ems = (c: Context): boolean => hasExt(exts(c.ch), X.extended_master_secret) && hasExt(exts(c.sh), X.extended_master_secret);
const sni = (c: Context): string =>
  (extensionBody(c.ch?.b.extensions, X.server_name, 'server_name')?.names ?? []).map((n) => toHex(n.name)).join(',');

const sniText = (c: Context): string =>
  (extensionBody(c.ch?.b.extensions, X.server_name, 'server_name')?.names ?? [])
    .map((n) => new TextDecoder().decode(n.name))
    .join(',');

/**
 * TLS 1.3 (RFC 8446 §4.6.1): the client resumes only if the new SNI is
 * valid for the original server certificate (SHOULD: the same SNI).
 * Decisions: a different name the certificate covers passes (only the
 * SHOULD is missed); a resumption without server_name passes (no other
 * name is claimed); with an SNI change and an unreadable original
 * certificate it is inconclusive.
 */
function sni13(ctx: Context): Outcome {
  if (!ctx.sh) return inconclusive('The ServerHello is not decoded.');
  const sel = extensionBody(ctx.sh.b.extensions, X.pre_shared_key, 'pre_shared_key_server');
  if (!sel) return notApplicable('Full handshake: the server accepted no PSK, so no session is resumed.');
  const id = extensionBody((ctx.ch2 ?? ctx.ch)?.b.extensions, X.pre_shared_key, 'pre_shared_key_client')?.identities[
    sel.selectedIdentity
  ];
  if (!id) return inconclusive('The selected PSK identity is not readable in the ClientHello.');
  if (externalPsk(ctx, id.identity)) return notApplicable('The server accepted an external PSK: no session is resumed.');
  const issuer = ticketIssuer(ctx, id.identity);
  if (!issuer) return inconclusive(NEED_ORIGINAL);
  const now = sniText(ctx);
  const then = sniText(issuer.e);
  const at = { message: (ctx.ch2 ?? ctx.ch)!.m.index };
  if (now === then) return pass(`Same server_name as the original session (${now || 'none'}).`, at);
  if (!now) return pass('The resumption sends no server_name, so no other name is claimed.', at);
  const leaf = leafOf(issuer.e, 'S->C');
  if (!leaf.ok)
    return inconclusive(
      `The server_name changed (${then || 'none'} -> ${now}) and the original server certificate is not readable: ${leaf.why}.`,
      at,
    );
  return hostMatches(leaf.value.leaf, now)
    ? pass(`The server_name changed (${then || 'none'} -> ${now}) but the original server certificate is valid for it.`, at)
    : violation(
        `The session was resumed under server_name ${now}, for which the original server certificate ("${leaf.value.leaf.subject}") is not valid.`,
        { ...at, expected: then || '(none)', actual: now },
      );
}

// ---- PSK binders (resumption) -----------------------------------------------

interface BinderCheck {
  index: number;
  ok: boolean | undefined;
  detail: string;
  expected?: Uint8Array;
  actual?: Uint8Array;
}

/** Each offered binder recomputed from the PSK of the earlier connection that issued the ticket. */
function binderChecks(ctx: Context): Promise<Got<{ m: number; checks: BinderCheck[] }>> {
  return memo(ctx, 'binders', async () => {
    type R = { m: number; checks: BinderCheck[] };
    const ch = ctx.ch2 ?? ctx.ch;
    const psk = extensionBody(ch?.b.extensions, X.pre_shared_key, 'pre_shared_key_client');
    if (!ch || !psk) return { ok: false, why: 'no ' } as Got<R>;
    const exts = ch.b.extensions ?? [];
    if (exts[exts.length - 1]?.type !== X.pre_shared_key || !ch.m.raw)
      return {
        ok: false,
        why: 'pre_shared_key is not the last ClientHello extension, so the truncated ClientHello is not defined',
      } as Got<R>;
    const bindersLen = 2 + psk.binders.reduce((n, b) => n + 1 + b.length, 0);
    const truncated = ch.m.raw.subarray(0, ch.m.raw.length - bindersLen);
    const checks: BinderCheck[] = [];
    for (const [i, id] of psk.identities.entries()) {
      // an external PSK (given with --psk, or carried by a generated transcript): "ext binder", its own hash
      const ext = externalPsk(ctx, id.identity);
      let key: { psk: Uint8Array; hash: 'SHA-256' | 'SHA-384'; label: 'external' | 'resumption' };
      if (ext) key = { psk: ext.key, hash: ext.hash ?? 'SHA-256', label: 'external' };
      else {
        const issuer = ticketIssuer(ctx, id.identity);
        const pskValue = await ticketPsk(ctx, id.identity);
        if (!issuer || !pskValue.ok) {
          checks.push({ index: i, ok: undefined, detail: `identity ${i}: ${pskValue.ok ? 'no issuer' : pskValue.why}` });
          continue;
        }
        const h = hashOf(issuer.e);
        if (!h.ok) {
          checks.push({ index: i, ok: undefined, detail: `identity ${i}: ${h.why}` });
          continue;
        }
        key = { psk: pskValue.value, hash: h.value, label: 'resumption' };
      }
      const h = { value: key.hash };
      const P = provider(ctx);
      const bk = await binderKey(P, h.value, key.psk, key.label);
      const msgs: Uint8Array[] = [];
      if (ctx.ch2 && ctx.hrr && ctx.ch?.m.raw && ctx.hrr.m.raw) msgs.push(ctx.ch.m.raw, ctx.hrr.m.raw);
      msgs.push(truncated);
      const th = await digest(P, h.value, concatBytes(msgs.length > 1 ? await transcriptWithHrr(P, h.value, msgs, true) : msgs));
      const expected = await pskBinder(P, h.value, bk, th);
      const actual = psk.binders[i];
      if (!actual) checks.push({ index: i, ok: false, detail: `identity ${i} has no binder` });
      else
        checks.push({
          index: i,
          ok: bytesEqual(expected, actual),
          detail: `identity ${i}${key.label === 'external' ? ' (external PSK)' : ''}`,
          expected,
          actual,
        });
    }
    return { ok: true, value: { m: ch.m.index, checks } } as Got<R>;
  });
}

async function binderOutcomes(ctx: Context, what: string): Promise<Outcome[]> {
  const g = await binderChecks(ctx);
  if (!g.ok)
    return [g.why === 'no ' ? notApplicable('The ClientHello offers no PSK.') : inconclusive(`${what} not checked: ${g.why}.`)];
  return g.value.checks.map((c) =>
    c.ok === undefined
      ? inconclusive(`${what} not checked for ${c.detail}.`, { message: g.value.m })
      : c.ok
        ? pass(
            `${what}: the binder of ${c.detail} matches the one recomputed from ${c.detail.endsWith('(external PSK)') ? 'the external PSK ("ext binder")' : "the original connection's resumption secret"}.`,
            { message: g.value.m },
          )
        : violation(
            c.detail.endsWith('(external PSK)')
              ? `${what}: the binder of ${c.detail} differs from the one recomputed with the "ext binder" key over the truncated ClientHello (or the PSK given for the identity is not the one the client used).`
              : `${what}: the binder of ${c.detail} differs from the one recomputed from the ticket's PSK over the truncated ClientHello.`,
            {
              message: g.value.m,
              expected: c.expected ? toHex(c.expected) : 'a binder',
              actual: c.actual ? toHex(c.actual) : 'none',
            },
          ),
  );
}

export const resumptionRules = [
  rule({
    id: 't12.neg.resume-consistency',
    title: "A resumption offers the cached session's suite and compression, and the resuming ServerHello uses exactly them.",
    rfc: 'RFC 5246 §7.4.1.2, §7.4.1.3',
    versions: ['1.2'],
    role: 'both',
    strength: 'MUST',
    alerts: ['illegal_parameter'],
    // a server may decline the resumption the ClientHello asks for: without it, nothing of the session is used
    ignorable: {
      rfc: 'RFC 5246 §7.4.1.3',
      text: 'If a match is found and the server is willing to establish the new connection using the specified session state, the server will respond with the same value as was supplied by the client. [...] Otherwise, this field will contain a different value identifying the new session.',
      receiver: 'server',
    },
    evidence: 'plaintext',
    group: 'negotiation',
    check(ctx) {
      const r = resumed(ctx);
      if (isOutcome(r)) return r;
      const o = r.orig.sh!.b;
      const ch = ctx.ch!.b;
      const sh = ctx.sh!.b;
      if (!ch.cipherSuites.includes(o.cipherSuite) || !ch.compressionMethods.includes(o.compressionMethod))
        return violation("The resuming ClientHello does not offer the session's suite and compression.", {
          message: ctx.ch!.m.index,
        });
      if (sh.cipherSuite !== o.cipherSuite || sh.compressionMethod !== o.compressionMethod)
        return violation("The resuming ServerHello does not use the session's suite/compression.", {
          message: ctx.sh!.m.index,
          expected: `0x${o.cipherSuite.toString(16)}/${o.compressionMethod}`,
          actual: `0x${sh.cipherSuite.toString(16)}/${sh.compressionMethod}`,
        });
      return pass("The resumption keeps the session's suite and compression.", { message: ctx.sh!.m.index });
    },
  }),
  rule({
    id: 'ext.ems.resumption',
    title: 'Sessions are resumed only with the same extended_master_secret status as the original handshake.',
    rfc: 'RFC 7627 §5.3',
    versions: ['1.2'],
    role: 'both',
    strength: 'MUST',
    alerts: ['handshake_failure'],
    // the server's duty is to abort the abbreviated handshake (the client's: "abort the handshake"): a full handshake
    // instead uses nothing of the session; a server that resumes is this check's violation
    ignorable: {
      rfc: 'RFC 7627 §5.3',
      text: 'If the original session used the "extended_master_secret" extension but the new ClientHello does not contain it, the server MUST abort the abbreviated handshake.',
      receiver: 'server',
    },
    evidence: 'plaintext',
    group: 'negotiation',
    check(ctx) {
      const r = resumed(ctx);
      if (isOutcome(r)) return r;
      const origEms = ems(r.orig);
      const chEms = hasExt(exts(ctx.ch), X.extended_master_secret);
      const shEms = hasExt(exts(ctx.sh), X.extended_master_secret);
      const i = ctx.sh!.m.index;
      if (origEms && !chEms)
        return violation('The server resumed an EMS session for a ClientHello without EMS.', {
          message: i,
          expected: 'abort',
          actual: 'resumed',
        });
      if (!origEms && chEms) {
        // RFC 7627 §5.3 binds servers that implement EMS; a server that did not echo the client's offer in the original handshake does not.
        if (hasExt(exts(r.orig.ch), X.extended_master_secret)) {
          return notApplicable(
            'The original handshake shows a server without EMS support (the client offered extended_master_secret, the server did not echo it), so the §5.3 duty of EMS servers does not apply.',
            { message: i },
          );
        }
        if (shEms)
          return violation('The server, which implements EMS, resumed a non-EMS session for a ClientHello offering EMS.', {
            message: i,
            expected: 'full handshake',
            actual: 'resumed',
          });
        return inconclusive(
          'The server resumed a non-EMS session for a ClientHello offering EMS; whether it implements EMS (and so must not) cannot be seen in these transcripts.',
          { message: i },
        );
      }
      if (shEms !== origEms)
        return violation("The resuming ServerHello's EMS status differs from the original session's, and the client went on.", {
          message: i,
        });
      return pass('EMS status is the same as in the original session.', { message: i });
    },
  }),
  rule({
    id: 'ext.sni.resumption',
    title:
      'A session is not resumed under another server name (TLS 1.3: only under a name the original server certificate is valid for).',
    rfc: 'RFC 6066 §3; RFC 8446 §4.6.1',
    versions: ['1.2', '1.3'],
    role: 'both',
    strength: 'MUST',
    evidence: 'plaintext',
    group: 'negotiation',
    check(ctx) {
      if (ctx.version === '1.3') return sni13(ctx);
      const r = resumed(ctx);
      if (isOutcome(r)) return r;
      return sni(ctx) === sni(r.orig)
        ? pass('Same server_name as the original session.', { message: ctx.ch!.m.index })
        : violation('The session was resumed under a different server_name.', {
            message: ctx.sh!.m.index,
            expected: sni(r.orig) || '(none)',
            actual: sni(ctx) || '(none)',
          });
    },
  }),
  rule({
    id: 'alert.t12.no-resume-after-fatal',
    title: 'A session whose connection ended with a fatal alert is never resumed.',
    rfc: 'RFC 5246 §7.2, §7.2.2',
    versions: ['1.2'],
    role: 'both',
    strength: 'MUST',
    evidence: 'plaintext',
    group: 'record',
    judgesReceiver: true,
    check(ctx) {
      const r = resumed(ctx);
      if (isOutcome(r)) return r;
      const fatal = r.orig.t.messages.find((m) => m.alert?.level === 2);
      if (fatal)
        return violation('The resumed session ended with a fatal alert in its original connection.', {
          message: ctx.sh!.m.index,
          expected: 'full handshake',
          actual: 'resumed',
        });
      const unread = r.orig.t.messages.some((m) => m.kind === 'alert' && !m.alert);
      return unread
        ? inconclusive("The original connection's alerts are encrypted and could not be read.")
        : pass('The original connection ended without a fatal alert.', { message: ctx.sh!.m.index });
    },
  }),
  rule({
    id: 't13.psk.obfuscated-age',
    group: 'crypto',
    title: 'A resumption identity carries the ticket age plus ticket_age_add (mod 2^32), so it deobfuscates to a plausible age.',
    rfc: ['RFC 8446 §4.2.11', 'RFC 8446 §4.2.11.1'],
    versions: ['1.3'],
    role: 'client',
    evidence: 'keys',
    ignorable: {
      rfc: 'RFC 8446 §4.2.10',
      text: 'If it is not, the server SHOULD proceed with the handshake but reject 0-RTT, and SHOULD NOT take any other action that assumes that this ClientHello is fresh.',
      receiver: 'server',
    },
    check(ctx) {
      const psk = extensionBody(ctx.ch?.b.extensions, X.pre_shared_key, 'pre_shared_key_client');
      if (!psk || !ctx.ch) return notApplicable('The ClientHello offers no PSK.');
      const out: Outcome[] = [];
      for (const id of psk.identities) {
        // RFC 8446 §4.2.11: "For identities established externally, an obfuscated_ticket_age of 0 SHOULD be used, and
        // servers MUST ignore the value."
        if (externalPsk(ctx, id.identity)) {
          out.push(
            pass(`An external PSK identity: its obfuscated_ticket_age (${id.obfuscatedTicketAge}) is ignored by the server.`, {
              message: ctx.ch.m.index,
            }),
          );
          continue;
        }
        let found = false;
        for (const e of ctx.earlier) {
          for (const s of e.steps) {
            const b = bodyOf(s.m);
            if (b?.type !== 'new_session_ticket' || b.form !== 'tls13' || !bytesEqual(b.ticket, id.identity)) continue;
            found = true;
            const age = (id.obfuscatedTicketAge - b.ageAdd + 2 ** 32) % 2 ** 32;
            out.push(
              age <= b.lifetime * 1000 + 10000
                ? pass(`The identity deobfuscates to an age of ${age} ms (lifetime ${b.lifetime} s).`, {
                    message: ctx.ch.m.index,
                  })
                : violation(
                    `The identity deobfuscates to an age of ${age} ms, beyond the ticket lifetime of ${b.lifetime} s: ticket_age_add was not applied.`,
                    { message: ctx.ch.m.index, expected: `<= ${b.lifetime * 1000} ms`, actual: `${age} ms` },
                  ),
            );
          }
        }
        if (!found)
          out.push(
            inconclusive(
              `No earlier connection's readable NewSessionTicket issued identity ${toHex(id.identity).slice(0, 16)}.. (external PSK or original not given).`,
              { message: ctx.ch.m.index },
            ),
          );
      }
      return out;
    },
  }),
  rule({
    id: 't13.psk.suite-hash',
    group: 'negotiation',
    title: "A server that selects a PSK selects a cipher suite of the PSK's hash (a ticket's: its original connection's).",
    rfc: ['RFC 8446 §4.2.11', 'RFC 8446 §4.6.1'],
    versions: ['1.3'],
    role: 'both',
    // RFC 8446 §4.2.11: "The server MUST ensure that it selects a compatible PSK (if any) and cipher suite." and
    // "Clients MUST verify that [...] the server selected a cipher suite indicating a Hash associated with the PSK
    // [...]. If these values are not consistent, the client MUST abort the handshake with an "illegal_parameter"
    // alert."; §4.6.1: "Any ticket MUST only be resumed with a cipher suite that has the same KDF hash as that used to
    // establish the original connection."
    alerts: ['illegal_parameter'],
    overrides: {
      checklist:
        "RFC 8446 §4.2.11 / §4.6.1 server duty that t13.neg.nst-fields names for tickets only and t13.neg.psk-selected-identity quotes for the client: checked here on the ServerHello, against the ticket's original connection (the resumption family's t13-resume-other-hash-suite)",
    },
    evidence: 'plaintext',
    check(ctx) {
      if (!ctx.sh) return inconclusive('The ServerHello is not decoded.');
      const sel = extensionBody(ctx.sh.b.extensions, X.pre_shared_key, 'pre_shared_key_server');
      if (!sel) return notApplicable('The server selected no PSK.');
      const id = extensionBody((ctx.ch2 ?? ctx.ch)?.b.extensions, X.pre_shared_key, 'pre_shared_key_client')?.identities[
        sel.selectedIdentity
      ];
      if (!id) return inconclusive('The selected PSK identity is not readable in the ClientHello.');
      const now = hashOf(ctx);
      if (!now.ok) return inconclusive(`The selected suite's hash is not known: ${now.why}.`);
      const ext = externalPsk(ctx, id.identity);
      let want: 'SHA-256' | 'SHA-384';
      if (ext) want = ext.hash ?? 'SHA-256';
      else {
        const issuer = ticketIssuer(ctx, id.identity);
        if (!issuer) return inconclusive(NEED_ORIGINAL);
        const then = hashOf(issuer.e);
        if (!then.ok) return inconclusive(`The original connection's hash is not known: ${then.why}.`);
        want = then.value;
      }
      const at = { message: ctx.sh.m.index };
      return now.value === want
        ? pass(`The suite selected with the PSK has its hash (${want}).`, at)
        : violation(`The server selected the PSK with a ${now.value} suite; the PSK's hash is ${want}.`, {
            ...at,
            expected: want,
            actual: now.value,
          });
    },
  }),
  rule({
    id: 't13.psk.binder',
    group: 'crypto',
    title:
      'Each PSK binder is the HMAC, under the binder finished key, of the transcript hash of the ClientHello cut before the binders.',
    rfc: ['RFC 8446 §4.2.11.2', 'RFC 8446 §6.2', 'RFC 8446 §7.1'],
    versions: ['1.3'],
    alerts: ['decrypt_error'],
    evidence: 'keys',
    check: (ctx) => binderOutcomes(ctx, 'The PSK binder'),
  }),
  rule({
    id: 't13.ks.resumption-psk',
    group: 'crypto',
    title: 'A ticket PSK is expanded from the resumption master secret with the ticket nonce ("resumption").',
    rfc: 'RFC 8446 §4.6.1',
    versions: ['1.3'],
    evidence: 'keys',
    check: (ctx) => binderOutcomes(ctx, 'The resumption PSK (seen through its binder)'),
  }),
];
