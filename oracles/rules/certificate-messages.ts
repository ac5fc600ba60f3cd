/**
 * Certificate messages: X.509 v3 entries, a non-empty server chain, the
 * leaf first, signature algorithms of the chains against the peer's
 * offer, the client's certificate type, CertificateEntry extensions and
 * the server's choice of certificate.
 */
import { parseCert } from '../../pki/parse';
import { keyMismatch } from '../../pki/validate';
import { extensionBody } from '../../wire/extensions';
import { ExtensionType as X } from '../../wire/registry';
import { crOf, parsedChain, sigalgsCheck } from '../chains';
import { bodyOf } from '../context';
import { hex4, who } from '../flow';
import { chainOf, stepsOf } from '../keyfacts';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';

const rule = declarer({
  versions: ['1.2', '1.3'],
  role: 'both',
  strength: 'MUST',
  evidence: 'plaintext',
  group: 'certificates',
});

export const certificateMessageRules = [
  rule({
    id: 'cert.type-x509v3',
    title: 'Certificates are DER X.509 version 3 (unless another certificate type was negotiated).',
    rfc: 'RFC 8446 §4.4.2; RFC 5246 §7.4.2',
    alerts: ['unsupported_certificate'],
    async check(ctx) {
      const out: Outcome[] = [];
      for (const dir of ['S->C', 'C->S'] as const) {
        const c = chainOf(ctx, dir);
        if (!c.ok) {
          if (!c.why.startsWith('no ')) out.push(inconclusive(`Not checked: ${c.why}.`));
          continue;
        }
        const bad: string[] = [];
        for (const [i, d] of c.value.certs.entries()) {
          try {
            const p = parseCert(d, ctx.certCache);
            if (p.version !== 3) bad.push(`certificate ${i} is version ${p.version}`);
          } catch (e) {
            bad.push(`certificate ${i} is not decodable X.509 (${e instanceof Error ? e.message : String(e)})`);
          }
        }
        out.push(
          bad.length
            ? violation(`The ${who(dir)} Certificate: ${bad.join('; ')}.`, { message: c.value.m.index })
            : pass(`The ${who(dir)} Certificate holds ${c.value.certs.length} X.509 v3 certificate(s).`, {
                message: c.value.m.index,
              }),
        );
      }
      return out.length ? out : notApplicable('No Certificate message.');
    },
  }),
  rule({
    id: 'cert.chain.server-nonempty',
    title: 'The server Certificate message holds at least one certificate.',
    rfc: 'RFC 8446 §4.4.2.4; RFC 5246 §7.4.2',
    role: 'server',
    alerts: ['decode_error'],
    check(ctx) {
      const c = chainOf(ctx, 'S->C');
      if (!c.ok)
        return c.why.startsWith('no ') ? notApplicable('No server Certificate.') : inconclusive(`Not checked: ${c.why}.`);
      return c.value.certs.length
        ? pass(`The server sent ${c.value.certs.length} certificate(s).`, { message: c.value.m.index })
        : violation('The server Certificate is empty.', { message: c.value.m.index, expected: '>= 1 certificate', actual: '0' });
    },
  }),
  rule({
    id: 'cert.chain.leaf-first',
    title: "The sender's certificate comes first; in TLS 1.2 each next certificate issues the previous one.",
    rfc: 'RFC 5246 §7.4.2; RFC 8446 §4.4.2',
    alerts: ['bad_certificate'],
    check(ctx) {
      const out: Outcome[] = [];
      for (const dir of ['S->C', 'C->S'] as const) {
        const c = chainOf(ctx, dir);
        if (!c.ok) continue;
        const p = parsedChain(ctx, c.value.certs);
        if (!p?.length) continue;
        const at = { message: c.value.m.index };
        if (p[0]!.basicConstraints?.ca && p.some((x) => !x.basicConstraints?.ca)) {
          out.push(
            violation(`The ${who(dir)} chain starts with a CA certificate while it also holds an end-entity certificate.`, at),
          );
          continue;
        }
        if (ctx.version === '1.2') {
          const broken = p.findIndex((x, i) => i + 1 < p.length && x.issuer !== p[i + 1]!.subject);
          if (broken >= 0) {
            out.push(
              violation(
                `The ${who(dir)} chain is out of order: certificate ${broken + 1} ("${p[broken + 1]!.subject}") does not issue certificate ${broken} (issuer "${p[broken]!.issuer}").`,
                at,
              ),
            );
            continue;
          }
        }
        out.push(
          pass(
            `The ${who(dir)} chain starts with its end-entity certificate${ctx.version === '1.2' ? ' and each next certificate issues the previous one' : ''}.`,
            at,
          ),
        );
      }
      return out.length
        ? out
        : ctx.unreadable.length
          ? inconclusive('The Certificate messages are encrypted and no key log was given.')
          : notApplicable('No non-empty Certificate message.');
    },
  }),
  rule({
    id: 'cert.sigalgs.server-chain',
    title:
      "The server's certificate signatures use algorithms from the client's signature_algorithms_cert (else signature_algorithms).",
    rfc: 'RFC 8446 §4.4.2.2; RFC 5246 §7.4.2',
    role: 'server',
    alerts: ['unsupported_certificate'],
    check(ctx) {
      const exts = (ctx.ch2 ?? ctx.ch)?.b.extensions;
      const cert =
        ctx.version === '1.3' ? extensionBody(exts, X.signature_algorithms_cert, 'signature_algorithms')?.schemes : undefined;
      const all = extensionBody(exts, X.signature_algorithms, 'signature_algorithms')?.schemes;
      if (!cert && !all && ctx.version === '1.2')
        return notApplicable('The client sent no signature_algorithms (defaults apply).');
      return sigalgsCheck(ctx, 'S->C', cert ?? all, cert ? 'client signature_algorithms_cert' : 'client signature_algorithms');
    },
  }),
  rule({
    id: 'cert.sigalgs.client-chain',
    title: "The client's certificate signatures use algorithms the CertificateRequest allows.",
    rfc: 'RFC 8446 §4.4.2.2; RFC 5246 §7.4.4',
    role: 'client',
    alerts: ['unsupported_certificate'],
    check(ctx) {
      const cr = crOf(ctx);
      if (!cr)
        return ctx.unreadable.length
          ? inconclusive('The CertificateRequest is encrypted and no key log was given.')
          : notApplicable('No CertificateRequest.');
      const list =
        cr.form === 'tls12'
          ? cr.signatureAlgorithms
          : (
              extensionBody(cr.extensions, X.signature_algorithms_cert, 'signature_algorithms') ??
              extensionBody(cr.extensions, X.signature_algorithms, 'signature_algorithms')
            )?.schemes;
      return sigalgsCheck(ctx, 'C->S', list, 'CertificateRequest');
    },
  }),
  rule({
    id: 'cert.client.cert-types',
    title: "The client's leaf key is of a type listed in CertificateRequest.certificate_types.",
    rfc: 'RFC 5246 §7.4.4, §7.4.6; RFC 8422 §5.5',
    versions: ['1.2'],
    role: 'client',
    alerts: ['unsupported_certificate'],
    check(ctx) {
      const cr = crOf(ctx);
      if (cr?.form !== 'tls12') return notApplicable('No TLS 1.2 CertificateRequest.');
      const c = chainOf(ctx, 'C->S');
      if (!c.ok || !c.value.certs.length) return notApplicable('The client sent no certificate.');
      const p = parsedChain(ctx, c.value.certs);
      if (!p) return inconclusive('The client certificate does not parse.');
      const alg = p[0]!.keyAlgOid;
      const type =
        alg === '1.2.840.113549.1.1.1'
          ? 1
          : alg === '1.2.840.10040.4.1'
            ? 2
            : alg === '1.2.840.10045.2.1' || alg === '1.3.101.112' || alg === '1.3.101.113'
              ? 64
              : undefined;
      if (type === undefined) return inconclusive(`The client key algorithm ${alg} has no certificate type mapping here.`);
      return cr.certificateTypes.includes(type)
        ? pass(`The client key type (${type}) is requested.`, { message: c.value.m.index })
        : violation(`The client key type ${type} is not among the requested certificate_types.`, {
            message: c.value.m.index,
            expected: cr.certificateTypes.join(' '),
            actual: `${type}`,
          });
    },
  }),
  rule({
    id: 'cert.t13.entry-extensions',
    title: 'CertificateEntry extensions only answer extensions the peer sent.',
    rfc: 'RFC 8446 §4.4.2',
    versions: ['1.3'],
    alerts: ['unsupported_extension'],
    evidence: 'keys',
    check(ctx) {
      const out: Outcome[] = [];
      for (const dir of ['S->C', 'C->S'] as const) {
        const m = stepsOf(ctx, 'certificate', dir)[0];
        const b = bodyOf(m);
        if (!m || b?.type !== 'certificate' || b.form !== 'tls13') continue;
        const cr = crOf(ctx);
        const asked = dir === 'S->C' ? (ctx.ch2 ?? ctx.ch)?.b.extensions : cr?.form === 'tls13' ? cr.extensions : [];
        const allowed = new Set((asked ?? []).map((e) => e.type));
        const bad = b.entries.flatMap((e) => e.extensions.map((x) => x.type)).filter((t) => !allowed.has(t));
        out.push(
          bad.length
            ? violation(`The ${who(dir)} Certificate has entry extension(s) ${bad.map(hex4).join(' ')} the peer did not send.`, {
                message: m.index,
              })
            : pass(`The ${who(dir)} CertificateEntry extensions answer the peer's.`, { message: m.index }),
        );
      }
      return out.length
        ? out
        : ctx.unreadable.length
          ? inconclusive('The Certificate messages are encrypted and no key log was given.')
          : notApplicable('No TLS 1.3 Certificate.');
    },
  }),
  rule({
    id: 'cert.server-selection',
    title: "The server picks a certificate usable with the client's signature_algorithms.",
    rfc: 'RFC 8446 §4.4.2.2; RFC 5246 §7.4.2',
    role: 'server',
    strength: 'SHOULD',
    check(ctx) {
      const c = chainOf(ctx, 'S->C');
      if (!c.ok)
        return c.why.startsWith('no ') ? notApplicable('No server certificate.') : inconclusive(`Not checked: ${c.why}.`);
      const p = parsedChain(ctx, c.value.certs);
      if (!p?.length) return inconclusive('The server leaf does not parse.');
      const offered = extensionBody((ctx.ch2 ?? ctx.ch)?.b.extensions, X.signature_algorithms, 'signature_algorithms')?.schemes;
      if (!offered) return notApplicable('The client sent no signature_algorithms.');
      if (ctx.kex === 'RSA') return notApplicable('Static RSA key exchange: the leaf key does not sign.');
      const fits = offered.filter((s) => keyMismatch(p[0]!, s, ctx.version === '1.2') === null);
      return fits.length
        ? pass(`The server leaf key can sign with ${fits.length} offered scheme(s).`, { message: c.value.m.index })
        : violation("The server leaf key fits none of the client's signature_algorithms.", {
            message: c.value.m.index,
            expected: offered.map(hex4).join(' '),
          });
    },
  }),
];
