/**
 * Weak hashes in TLS 1.2 signatures, each rule saying exactly what its
 * sentence says, for the message and the party it names:
 *
 * - RFC 9155 (updates RFC 5246, every TLS 1.2 implementation): MD5 and
 *   SHA-1 are not offered in a TLS 1.2 ClientHello's signature_algorithms
 *   (§2, MUST NOT, and the extension MUST be sent; a ClientHello that also
 *   offers TLS 1.3 follows RFC 8446 §4.2.3, which RFC 9155 does not update:
 *   SHA-1 schemes listed last), SHOULD NOT be listed in a
 *   CertificateRequest (§3), MUST NOT sign a ServerKeyExchange (§4, the
 *   client MUST abort with illegal_parameter) or a CertificateVerify (§5,
 *   the server MUST abort with handshake_failure or insufficient_security).
 * - RFC 8446 §4.2.3 (TLS 1.3 implementations negotiating TLS 1.2): the
 *   legacy pairs left unallocated (MD5, SHA-224, DSA) "MUST NOT be offered
 *   or negotiated by any implementation": in the signature_algorithms (and
 *   signature_algorithms_cert) extension of a ClientHello that also offers
 *   TLS 1.3, and in the ServerKeyExchange / CertificateVerify of a party
 *   that shows TLS 1.3 support (the client offers it; the server marks its
 *   TLS 1.2 ServerHello with the downgrade sentinel, RFC 8446 §4.1.3).
 *   That sentence is about the extension: a TLS 1.2 CertificateRequest's
 *   list is not judged by it (only by RFC 9155 §3 for MD5 and SHA-1).
 *
 * The receivers' duties (abort when the signature uses MD5 or SHA-1) are
 * live rules whose transcript checks read the receiver's reaction.
 */
import { extensionBody } from '../../wire/extensions';
import { bytesEqual } from '../../wire/hex';
import { DOWNGRADE_TLS12, ExtensionType as X, cipherSuites, nameOf, signatureSchemes } from '../../wire/registry';
import { type Side, VERSION_CODE, receiverOf } from '../../wire/vocabulary';
import { because } from '../alert-choices';
import { type Context, bodyOf } from '../context';
import { hex4 } from '../flow';
import { supportedVersions } from '../hellos';
import { stepsOf } from '../keyfacts';
import { goesOnAfterChain, receiverReaction } from '../receiver';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';
import type { TranscriptMessage } from '../../transcript/model';

const rule = declarer({ versions: ['1.2'], role: 'both', strength: 'MUST', evidence: 'plaintext', group: 'negotiation' });

const hashByte = (s: number): number => s >> 8;
/** TLS 1.2 SignatureAndHashAlgorithm pairs with MD5 (1) or SHA-1 (2) as the hash (RFC 5246 §7.4.1.4.1). */
const md5OrSha1 = (s: number): boolean => hashByte(s) === 1 || hashByte(s) === 2;
/** The legacy pairs RFC 8446 §4.2.3 leaves unallocated: MD5, SHA-224 and DSA (signature byte 2) pairs. */
const legacy13 = (s: number): boolean => hashByte(s) === 1 || hashByte(s) === 3 || (hashByte(s) <= 6 && (s & 0xff) === 2);
const named = (list: readonly number[]): string => list.map((s) => nameOf(signatureSchemes, s) ?? hex4(s)).join(', ');

/** The ClientHello offers TLS 1.2 (legacy_version without supported_versions, or 0x0303 in it). */
function offers12(ctx: Context): boolean {
  const sv = ctx.ch && supportedVersions(ctx.ch.b);
  return sv ? sv.includes(VERSION_CODE['1.2']) : (ctx.ch?.b.legacyVersion ?? 0) >= VERSION_CODE['1.2'];
}
/** The client shows TLS 1.3 support: it offers 0x0304 (RFC 8446 §4.2.1). */
const client13 = (ctx: Context): boolean => !!(ctx.ch && supportedVersions(ctx.ch.b)?.includes(VERSION_CODE['1.3']));
/** The server shows TLS 1.3 support: its TLS 1.2 ServerHello carries the downgrade sentinel (RFC 8446 §4.1.3). */
const server13 = (ctx: Context): boolean => !!ctx.sh && bytesEqual(ctx.sh.b.random.subarray(24), DOWNGRADE_TLS12);

/** The signature scheme of the ServerKeyExchange or of a CertificateVerify, with its message. */
function signed(
  ctx: Context,
  type: 'server_key_exchange' | 'certificate_verify',
): { m: TranscriptMessage; scheme: number } | string {
  const m = stepsOf(ctx, type, type === 'certificate_verify' ? 'C->S' : 'S->C')[0];
  if (!m) return type === 'certificate_verify' ? 'No client CertificateVerify.' : 'No ServerKeyExchange.';
  const b = bodyOf(m);
  if (b?.type === 'certificate_verify') return { m, scheme: b.scheme };
  if (b?.type === 'server_key_exchange' && b.kex !== 'unparsed') {
    if (!b.signed) return 'The ServerKeyExchange is unsigned (anonymous).';
    return { m, scheme: b.signed.scheme };
  }
  return `The ${type === 'certificate_verify' ? 'CertificateVerify' : 'ServerKeyExchange'} is not decoded.`;
}

/**
 * A receiver's duty to abort on a signature hashed with MD5 or SHA-1: went
 * on is a violation, aborting (with any alert: which one is the alert
 * rules' question) or closing is a pass.
 */
function refused(ctx: Context, type: 'server_key_exchange' | 'certificate_verify', rfc: string): Outcome {
  const s = signed(ctx, type);
  if (typeof s === 'string') return notApplicable(s);
  if (!md5OrSha1(s.scheme)) return notApplicable(`The signature uses ${named([s.scheme])}, neither MD5 nor SHA-1.`);
  const receiver: Side = receiverOf(s.m.dir);
  const what = `a ${type === 'certificate_verify' ? 'CertificateVerify' : 'ServerKeyExchange'} signed with ${named([s.scheme])} (message ${s.m.index})`;
  const r = receiverReaction(ctx, s.m, goesOnAfterChain(ctx, receiver));
  switch (r.kind) {
    case 'went-on':
      return violation(`The ${receiver} went on (${r.what}) after ${what}, which ${rfc} requires it to refuse.`, {
        message: r.m.index,
        expected: 'abort',
        actual: r.what,
      });
    case 'alert':
      return pass(`The ${receiver} aborted after ${what} with ${r.alert ?? 'an alert'} (message ${r.m.index}).`, {
        message: r.m.index,
      });
    case 'closed':
      return pass(`The ${receiver} did not go on after ${what}: it closed (${r.how}).`, { message: s.m.index });
    case 'unknown':
      return inconclusive(`Whether the ${receiver} refused ${what} is not known: ${r.why}.`, { message: s.m.index });
  }
}

export const signatureHashRules = [
  rule({
    id: 't12.neg.no-weak-algorithms',
    title:
      'No RC4, export or NULL suite is negotiated; a TLS 1.3-capable party negotiating TLS 1.2 neither offers (signature_algorithms) nor uses MD5, SHA-224 or DSA signatures.',
    rfc: 'RFC 8446 §4.2.3, App. D.5; RFC 7465',
    role: 'both',
    alerts: ['handshake_failure', 'insufficient_security'],
    // What a client offers is the server's to pick from: it keeps the sentence by not negotiating the weak algorithms,
    // and nothing asks it to abort (so an alert it sends after such a ClientHello answers something else).
    ignorable: {
      rfc: 'RFC 8446 §4.2.3',
      text: 'They MUST NOT be offered or negotiated by any implementation. [A server given them in a ClientHello keeps this by negotiating something else; no sentence asks it to abort.]',
      receiver: 'server',
    },
    overrides: {
      rfc: 'RC4 is refused by RFC 7465 §2 ("TLS servers MUST NOT select an RC4 cipher suite when a TLS client sends such a cipher suite in the ClientHello message"), which RFC 8446 App. D.5 repeats',
    },
    check(ctx) {
      const out: Outcome[] = [];
      if (ctx.sh) {
        const info = cipherSuites.get(ctx.sh.b.cipherSuite);
        if (info && (info.export || info.cipher === 'RC4_128' || info.cipher === 'NULL' || info.cipher === 'EXPORT'))
          out.push(violation(`The server negotiated the weak suite ${info.name}.`, { message: ctx.sh.m.index }));
      }
      // RFC 8446 §4.2.3: "TLS 1.3 implementations willing to negotiate TLS 1.2 MUST behave in accordance with the
      // requirements of [RFC5246] when negotiating that version. In particular: [...] Some legacy pairs are left
      // unallocated. These algorithms are deprecated as of TLS 1.3. They MUST NOT be offered or negotiated by any
      // implementation. In particular, MD5 [SLOTH], SHA-224, and DSA MUST NOT be used."
      const c13 = client13(ctx);
      const s13 = server13(ctx);
      if (c13 && ctx.ch && offers12(ctx))
        for (const [type, kind] of [
          [X.signature_algorithms, 'signature_algorithms'],
          [X.signature_algorithms_cert, 'signature_algorithms_cert'],
        ] as const) {
          const list = extensionBody(ctx.ch.b.extensions, type, 'signature_algorithms')?.schemes ?? [];
          const bad = list.filter(legacy13);
          if (bad.length)
            out.push(
              violation(
                `The client, which offers TLS 1.3 and TLS 1.2, offers ${named(bad)} in ${kind}: RFC 8446 §4.2.3 says MD5, SHA-224 and DSA "MUST NOT be offered or negotiated by any implementation".`,
                { message: ctx.ch.m.index, actual: bad.map(hex4).join(',') },
              ),
            );
        }
      for (const type of ['server_key_exchange', 'certificate_verify'] as const) {
        const s = signed(ctx, type);
        if (typeof s === 'string' || !legacy13(s.scheme)) continue;
        const party = type === 'server_key_exchange' ? 'server' : 'client';
        if (party === 'server' ? s13 : c13)
          out.push(
            violation(
              `The ${party}, which shows TLS 1.3 support (${party === 'server' ? 'the downgrade sentinel in its ServerHello' : 'TLS 1.3 in its supported_versions'}), signs its ${type === 'server_key_exchange' ? 'ServerKeyExchange' : 'CertificateVerify'} with ${named([s.scheme])}, which RFC 8446 §4.2.3 says MUST NOT be negotiated.`,
              { message: s.m.index, actual: hex4(s.scheme) },
            ),
          );
      }
      if (out.length) return out;
      if (!ctx.sh && !ctx.ch) return inconclusive('The hellos are not decoded.');
      return pass(
        c13 || s13
          ? `No weak suite, and the TLS 1.3-capable ${[c13 && 'client', s13 && 'server'].filter(Boolean).join(' and ')} neither offer nor use MD5, SHA-224 or DSA signatures.`
          : 'No weak suite; neither party shows TLS 1.3 support, so RFC 8446 §4.2.3 does not bind their TLS 1.2 signature algorithms.',
        ctx.sh ? { message: ctx.sh.m.index } : {},
      );
    },
  }),
  rule({
    id: 'sig.t12.sigalgs-no-md5-sha1',
    title:
      'A ClientHello offering TLS 1.2 only carries signature_algorithms without MD5 or SHA-1; one that also offers TLS 1.3 lists SHA-1 last.',
    rfc: ['RFC 9155 §2', 'RFC 8446 §4.2.3'],
    role: 'client',
    overrides: {
      checklist:
        'not in the checklist: RFC 9155 §2 ("Clients MUST include the signature_algorithms extension. Clients MUST NOT include MD5 and SHA-1 in this extension.") updates RFC 5246 for TLS 1.2 clients; RFC 8446 §4.2.3 governs a ClientHello that also offers TLS 1.3',
    },
    needs: ['client-hello'],
    check(ctx) {
      if (!offers12(ctx)) return notApplicable('The ClientHello does not offer TLS 1.2.', { message: ctx.ch.m.index });
      const list = extensionBody(ctx.ch.b.extensions, X.signature_algorithms, 'signature_algorithms')?.schemes;
      if (client13(ctx)) {
        // RFC 9155 updates RFC 5246 only; a ClientHello that also offers TLS 1.3 follows RFC 8446 §4.2.3, which lets the
        // SHA-1 schemes "appear in "signature_algorithms" [...] for backward compatibility with TLS 1.2" but: "Clients
        // offering these values for backwards compatibility MUST list them as the lowest priority (listed after all
        // other algorithms in SignatureSchemeList)". MD5 there is t12.neg.no-weak-algorithms' (a legacy pair).
        if (!list) return notApplicable('The ClientHello offers TLS 1.3 and TLS 1.2 and no signature_algorithms.');
        const first = list.findIndex((x) => hashByte(x) === 2);
        const after = first < 0 ? [] : list.slice(first).filter((x) => hashByte(x) !== 2);
        return after.length
          ? violation(
              `The client lists ${named(list.filter((x) => hashByte(x) === 2))} before ${named(after)}: RFC 8446 §4.2.3 "Clients offering these values for backwards compatibility MUST list them as the lowest priority".`,
              { message: ctx.ch.m.index, actual: list.map(hex4).join(',') },
            )
          : pass(
              first < 0
                ? 'signature_algorithms offers no SHA-1 scheme.'
                : 'The ClientHello also offers TLS 1.3: its SHA-1 schemes come last, as RFC 8446 §4.2.3 requires.',
              { message: ctx.ch.m.index },
            );
      }
      if (!list)
        return violation('The ClientHello offers TLS 1.2 without signature_algorithms, which RFC 9155 §2 requires.', {
          message: ctx.ch.m.index,
          expected: 'signature_algorithms',
          actual: 'absent',
        });
      const bad = list.filter(md5OrSha1);
      return bad.length
        ? violation(
            `The client offers ${named(bad)} in signature_algorithms: RFC 9155 §2 "Clients MUST NOT include MD5 and SHA-1 in this extension".`,
            { message: ctx.ch.m.index, actual: bad.map(hex4).join(',') },
          )
        : pass(`signature_algorithms offers no MD5 or SHA-1 pair (${list.length} schemes).`, { message: ctx.ch.m.index });
    },
  }),
  rule({
    id: 'sig.t12.cr-no-md5-sha1',
    title: 'A TLS 1.2 CertificateRequest does not list MD5 or SHA-1 pairs.',
    rfc: 'RFC 9155 §3',
    role: 'server',
    strength: 'SHOULD',
    overrides: {
      checklist: 'not in the checklist: RFC 9155 §3 ("Servers SHOULD NOT include MD5 and SHA-1 in CertificateRequest messages.")',
    },
    check(ctx) {
      const m = stepsOf(ctx, 'certificate_request', 'S->C')[0];
      if (!m) return notApplicable('No CertificateRequest.');
      const b = bodyOf(m);
      if (b?.type !== 'certificate_request' || b.form !== 'tls12')
        return inconclusive('The CertificateRequest is not decoded.', { message: m.index });
      const bad = b.signatureAlgorithms.filter(md5OrSha1);
      return bad.length
        ? violation(
            `The server's CertificateRequest lists ${named(bad)}: RFC 9155 §3 "Servers SHOULD NOT include MD5 and SHA-1 in CertificateRequest messages".`,
            { message: m.index, actual: bad.map(hex4).join(',') },
          )
        : pass('The CertificateRequest lists no MD5 or SHA-1 pair.', { message: m.index });
    },
  }),
  rule({
    id: 'sig.t12.ske-no-md5-sha1',
    title: 'A TLS 1.2 ServerKeyExchange is not signed with an MD5 or SHA-1 pair.',
    rfc: 'RFC 9155 §4',
    role: 'server',
    alerts: [
      because(
        'illegal_parameter',
        'RFC 9155 §4',
        'If the client receives a ServerKeyExchange message indicating MD5 or SHA-1, then it MUST abort the handshake with an illegal_parameter alert.',
      ),
    ],
    overrides: {
      checklist: 'not in the checklist: RFC 9155 §4 ("Servers MUST NOT include MD5 and SHA-1 in ServerKeyExchange messages.")',
    },
    check(ctx) {
      const s = signed(ctx, 'server_key_exchange');
      if (typeof s === 'string') return s.endsWith('not decoded.') ? inconclusive(s) : notApplicable(s);
      return md5OrSha1(s.scheme)
        ? violation(
            `The server signs its ServerKeyExchange with ${named([s.scheme])}: RFC 9155 §4 "Servers MUST NOT include MD5 and SHA-1 in ServerKeyExchange messages".`,
            { message: s.m.index, actual: hex4(s.scheme) },
          )
        : pass(`The ServerKeyExchange is signed with ${named([s.scheme])}.`, { message: s.m.index });
    },
  }),
  rule({
    id: 'sig.t12.cv-no-md5-sha1',
    title: 'A TLS 1.2 client CertificateVerify is not signed with an MD5 or SHA-1 pair.',
    rfc: 'RFC 9155 §5',
    role: 'client',
    alerts: [
      because(
        'handshake_failure',
        'RFC 9155 §5',
        'If a server receives a CertificateVerify message with MD5 or SHA-1, it MUST abort the connection with a handshake_failure or insufficient_security alert.',
      ),
      because(
        'insufficient_security',
        'RFC 9155 §5',
        'If a server receives a CertificateVerify message with MD5 or SHA-1, it MUST abort the connection with a handshake_failure or insufficient_security alert.',
      ),
    ],
    overrides: {
      checklist: 'not in the checklist: RFC 9155 §5 ("Clients MUST NOT include MD5 and SHA-1 in CertificateVerify messages.")',
    },
    check(ctx) {
      const s = signed(ctx, 'certificate_verify');
      if (typeof s === 'string') return s.endsWith('not decoded.') ? inconclusive(s) : notApplicable(s);
      return md5OrSha1(s.scheme)
        ? violation(
            `The client signs its CertificateVerify with ${named([s.scheme])}: RFC 9155 §5 "Clients MUST NOT include MD5 and SHA-1 in CertificateVerify messages".`,
            { message: s.m.index, actual: hex4(s.scheme) },
          )
        : pass(`The CertificateVerify is signed with ${named([s.scheme])}.`, { message: s.m.index });
    },
  }),
  rule({
    id: 'sig.t12.ske-md5-sha1-refused',
    title: 'A TLS 1.2 client aborts when the ServerKeyExchange is signed with MD5 or SHA-1.',
    rfc: 'RFC 9155 §4',
    role: 'client',
    evidence: 'live',
    alerts: [
      because(
        'illegal_parameter',
        'RFC 9155 §4',
        'If the client receives a ServerKeyExchange message indicating MD5 or SHA-1, then it MUST abort the handshake with an illegal_parameter alert.',
      ),
    ],
    live: { scope: { kind: 'declared' }, expects: 'reject', judges: 'outcome' },
    judgesReceiver: true,
    overrides: {
      checklist:
        'not in the checklist: the receiver half of RFC 9155 §4 ("then it MUST abort the handshake with an illegal_parameter alert")',
    },
    check: (ctx) => refused(ctx, 'server_key_exchange', 'RFC 9155 §4'),
  }),
  rule({
    id: 'sig.t12.cv-md5-sha1-refused',
    title: 'A TLS 1.2 server aborts when the client CertificateVerify is signed with MD5 or SHA-1.',
    rfc: 'RFC 9155 §5',
    role: 'server',
    evidence: 'live',
    alerts: [
      because(
        'handshake_failure',
        'RFC 9155 §5',
        'If a server receives a CertificateVerify message with MD5 or SHA-1, it MUST abort the connection with a handshake_failure or insufficient_security alert.',
      ),
      because(
        'insufficient_security',
        'RFC 9155 §5',
        'If a server receives a CertificateVerify message with MD5 or SHA-1, it MUST abort the connection with a handshake_failure or insufficient_security alert.',
      ),
    ],
    live: { scope: { kind: 'declared' }, expects: 'reject', judges: 'outcome' },
    judgesReceiver: true,
    overrides: {
      checklist:
        'not in the checklist: the receiver half of RFC 9155 §5 ("it MUST abort the connection with a handshake_failure or insufficient_security alert")',
    },
    check: (ctx) => refused(ctx, 'certificate_verify', 'RFC 9155 §5'),
  }),
];
