/**
 * TLS 1.2 resumption rules that compare a resumed handshake with the
 * connection that created the session. The original is looked up among the
 * earlier transcripts given to the engine (`earlier`), by session ID echo
 * or by SessionTicket; without it the rules are inconclusive.
 */
import { hostMatches } from '../pki/validate';
import { extensionBody } from '../wire/extensions';
import { bytesEqual, toHex } from '../wire/hex';
import { ExtensionType as X } from '../wire/registry';
import { type Context, bodyOf, exts, hasExt } from './context';
import { leafOf, ticketIssuer } from './keyfacts';
import { abbreviated } from './ordering';
import { type Outcome, type Rule, inconclusive, notApplicable, pass, violation } from './rule';

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
const isOutcome = (x: object): x is Outcome => 'status' in x;
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

export const resumptionRules: Rule[] = [
  {
    id: 't12.neg.resume-consistency',
    title: "A resumption offers the cached session's suite and compression, and the resuming ServerHello uses exactly them.",
    rfc: 'RFC 5246 §7.4.1.2, §7.4.1.3',
    versions: ['1.2'],
    role: 'both',
    strength: 'MUST',
    alert: 'illegal_parameter',
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
  },
  {
    id: 'ext.ems.resumption',
    title: 'Sessions are resumed only with the same extended_master_secret status as the original handshake.',
    rfc: 'RFC 7627 §5.3',
    versions: ['1.2'],
    role: 'both',
    strength: 'MUST',
    alert: 'handshake_failure',
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
  },
  {
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
  },
  {
    id: 'alert.t12.no-resume-after-fatal',
    title: 'A session whose connection ended with a fatal alert is never resumed.',
    rfc: 'RFC 5246 §7.2, §7.2.2',
    versions: ['1.2'],
    role: 'both',
    strength: 'MUST',
    evidence: 'plaintext',
    group: 'record',
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
  },
];
