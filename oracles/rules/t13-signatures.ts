/**
 * TLS 1.3 CertificateVerify: the signed content and context string, the
 * signature, RSASSA-PSS, and the scheme against the peer's offer and the
 * leaf key. The messages are protected: they need a key log.
 */
import { keyMismatch } from '../../pki/validate';
import { extensionBody } from '../../wire/extensions';
import { ExtensionType as X, nameOf, signatureSchemes } from '../../wire/registry';
import type { Direction } from '../../wire/vocabulary';
import { type Context, bodyOf, notOpened } from '../context';
import { hex4, who } from '../flow';
import { cvSignature, leafOf, stepsOf } from '../keyfacts';
import { because } from '../alert-choices';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';

const rule = declarer({ versions: ['1.3'], role: 'both', strength: 'MUST', evidence: 'keys', group: 'crypto' });

async function cv13(ctx: Context, dir: Direction, kind: 'content' | 'context' | 'valid'): Promise<Outcome> {
  const g = await cvSignature(ctx, dir);
  const name = `The ${who(dir)} CertificateVerify`;
  if (!g.ok)
    return g.why.startsWith('no ')
      ? notApplicable(`No ${who(dir)} CertificateVerify.`)
      : inconclusive(`${name} not checked: ${g.why}.`);
  const c = g.value;
  const at = { message: c.m.index };
  const scheme = nameOf(signatureSchemes, c.scheme);
  if (c.result.ok) {
    return pass(
      kind === 'context'
        ? `${name} verifies with the "${who(dir)}" context string.`
        : `${name} (${scheme}) over 64 spaces, the context string, 0x00 and ${c.covers} verifies with the key of certificate "${c.leaf.subject}".`,
      at,
    );
  }
  if (c.result.reason === 'unsupported_scheme' || c.result.reason === 'bad_key')
    return inconclusive(`${name} not checked: ${c.result.reason}.`, at);
  if (kind === 'context')
    return c.otherRole
      ? violation(`${name} was made with the other role's context string.`, {
          ...at,
          expected: `TLS 1.3, ${who(dir)} CertificateVerify`,
          actual: `TLS 1.3, ${dir === 'S->C' ? 'client' : 'server'} CertificateVerify`,
        })
      : inconclusive(`${name} verifies with neither context string (reported under t13.cv.signed-content).`, at);
  if (kind === 'content' && c.otherRole)
    return inconclusive(`${name} verifies only with the other role's context string (reported under t13.cv.context-string).`, at);
  return violation(
    `${name} (${scheme}) over 64 spaces, the context string, 0x00 and ${c.covers} does not verify with the key of certificate "${c.leaf.subject}" (${c.result.reason}).`,
    at,
  );
}

async function bothCv13(ctx: Context, kind: 'content' | 'context' | 'valid'): Promise<Outcome[]> {
  return [await cv13(ctx, 'S->C', kind), await cv13(ctx, 'C->S', kind)];
}

export const t13SignatureRules = [
  rule({
    id: 't13.cv.signed-content',
    title:
      'The TLS 1.3 CertificateVerify signs 64 spaces, the context string, a zero byte and the transcript hash through Certificate.',
    rfc: ['RFC 8446 §4.4', 'RFC 8446 §4.4.3'],
    versions: ['1.3'],
    alerts: [
      because(
        'decrypt_error',
        'RFC 8446 §4.4.3',
        'If the verification fails, the receiver MUST terminate the handshake with a "decrypt_error" alert.',
      ),
    ],
    evidence: 'keys',
    check: (ctx) => bothCv13(ctx, 'content'),
  }),
  rule({
    id: 't13.cv.context-string',
    title: 'Server and client CertificateVerify use their own role-specific context strings.',
    rfc: 'RFC 8446 §4.4.3',
    versions: ['1.3'],
    alerts: [
      because(
        'decrypt_error',
        'RFC 8446 §4.4.3',
        'If the verification fails, the receiver MUST terminate the handshake with a "decrypt_error" alert.',
      ),
    ],
    evidence: 'keys',
    check: (ctx) => bothCv13(ctx, 'context'),
  }),
  rule({
    id: 't13.cv.signature-valid',
    title: 'A TLS 1.3 CertificateVerify verifies with the key of the leaf in the Certificate before it.',
    rfc: 'RFC 8446 §4.4.3',
    versions: ['1.3'],
    alerts: [
      because(
        'decrypt_error',
        'RFC 8446 §4.4.3',
        'If the verification fails, the receiver MUST terminate the handshake with a "decrypt_error" alert.',
      ),
    ],
    evidence: 'keys',
    check: (ctx) => bothCv13(ctx, 'valid'),
  }),
  rule({
    id: 't13.cv.rsa-pss',
    title: 'RSA keys sign TLS 1.3 CertificateVerify with RSASSA-PSS only; PKCS#1 v1.5 and SHA-1 schemes are excluded.',
    rfc: 'RFC 8446 §4.4.3, §4.2.3',
    versions: ['1.3'],
    alerts: [
      'illegal_parameter',
      because(
        'decrypt_error',
        'RFC 8446 §4.4.3',
        'If the verification fails, the receiver MUST terminate the handshake with a "decrypt_error" alert.',
      ),
    ],
    evidence: 'keys',
    check(ctx) {
      const out: Outcome[] = [];
      for (const dir of ['S->C', 'C->S'] as const) {
        const m = stepsOf(ctx, 'certificate_verify', dir)[0];
        const b = bodyOf(m);
        if (!m || b?.type !== 'certificate_verify') continue;
        const s = b.scheme;
        const sha1 = s === 0x0201 || s === 0x0203;
        const pkcs1 = (s & 0xff) === 0x01 && s >> 8 >= 1 && s >> 8 <= 6;
        if (sha1 || pkcs1)
          out.push(
            violation(`The ${who(dir)} CertificateVerify uses ${sha1 ? 'a SHA-1' : 'a PKCS#1 v1.5'} scheme ${hex4(s)}.`, {
              message: m.index,
              expected: 'rsa_pss_* (or a non-RSA scheme)',
              actual: hex4(s),
            }),
          );
        else if (s >= 0x0804 && s <= 0x080b && s !== 0x0807 && s !== 0x0808)
          out.push(pass(`The ${who(dir)} CertificateVerify uses RSASSA-PSS (${hex4(s)}).`, { message: m.index }));
        else out.push(notApplicable(`The ${who(dir)} CertificateVerify uses non-RSA scheme ${hex4(s)}.`, { message: m.index }));
      }
      if (out.length) return out;
      return ctx.unreadable.length
        ? inconclusive(`The CertificateVerify messages are encrypted and ${notOpened(ctx)}.`)
        : notApplicable('No CertificateVerify.');
    },
  }),
  rule({
    id: 't13.neg.cv-sigalg',
    overrides: {
      alerts:
        'RFC 8446 §4.4.3 and §4.2.3 name no alert for a CertificateVerify scheme the peer did not offer or that does not fit the key; illegal_parameter stays first ("A field in the handshake was incorrect or inconsistent with other fields", §6.2), handshake_failure ("the sender was unable to negotiate an acceptable set of security parameters given the options available", §6.2) fits it too, as for TLS 1.2 (t12.neg.cv-sigalg; OpenSSL 3.0 answers an unrequested client scheme with it)',
    },
    title:
      'The CertificateVerify scheme was offered by the peer, fits the leaf key, and is neither PKCS#1 v1.5 with RSA nor SHA-1.',
    rfc: 'RFC 8446 §4.4.3, §4.2.3',
    versions: ['1.3'],
    // RFC 8446 §4.4.3 names no alert: a field inconsistent with the peer's list or the key (illegal_parameter), or no
    // acceptable security parameters (handshake_failure), by the §6.2 definitions
    alerts: ['illegal_parameter', 'handshake_failure'],
    evidence: 'keys',
    group: 'negotiation',
    check(ctx) {
      const out: Outcome[] = [];
      for (const dir of ['S->C', 'C->S'] as const) {
        const m = stepsOf(ctx, 'certificate_verify', dir)[0];
        const b = bodyOf(m);
        if (!m || b?.type !== 'certificate_verify') continue;
        let offered: number[] | undefined;
        if (dir === 'S->C')
          offered = extensionBody((ctx.ch2 ?? ctx.ch)?.b.extensions, X.signature_algorithms, 'signature_algorithms')?.schemes;
        else {
          const cr = bodyOf(stepsOf(ctx, 'certificate_request', 'S->C')[0]);
          offered =
            cr?.type === 'certificate_request' && cr.form === 'tls13'
              ? extensionBody(cr.extensions, X.signature_algorithms, 'signature_algorithms')?.schemes
              : undefined;
        }
        const at = { message: m.index };
        if (!offered) {
          out.push(inconclusive(`The ${who(dir)} CertificateVerify: the peer's signature_algorithms are not readable.`, at));
          continue;
        }
        if (!offered.includes(b.scheme)) {
          out.push(
            violation(`The ${who(dir)} CertificateVerify uses ${hex4(b.scheme)}, which the peer did not offer.`, {
              ...at,
              expected: offered.map(hex4).join(' '),
              actual: hex4(b.scheme),
            }),
          );
          continue;
        }
        const s = b.scheme;
        if (s === 0x0201 || s === 0x0203 || ((s & 0xff) === 0x01 && s >> 8 <= 6)) {
          out.push(
            violation(`The ${who(dir)} CertificateVerify uses ${hex4(s)} (PKCS#1 v1.5 or SHA-1), not allowed in TLS 1.3.`, {
              ...at,
              actual: hex4(s),
            }),
          );
          continue;
        }
        const leaf = leafOf(ctx, dir);
        if (!leaf.ok) {
          out.push(inconclusive(`The ${who(dir)} CertificateVerify: ${leaf.why}.`, at));
          continue;
        }
        const why = keyMismatch(leaf.value.leaf, s, false);
        out.push(
          why
            ? violation(`The ${who(dir)} CertificateVerify: ${why}`, { ...at, actual: hex4(s) })
            : pass(`The ${who(dir)} CertificateVerify scheme ${hex4(s)} was offered and fits the leaf key.`, at),
        );
      }
      if (out.length) return out;
      return ctx.unreadable.length
        ? inconclusive(`The CertificateVerify messages are encrypted and ${notOpened(ctx)}.`)
        : notApplicable('No CertificateVerify.');
    },
  }),
];
