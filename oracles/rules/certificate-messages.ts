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
import { CERTIFICATE_ALERTS, alertNameOf, because, definitionIn } from '../alert-choices';
import { ruleById } from '../catalogue';
import { crOf, parsedChain, sigalgsCheck } from '../chains';
import { alertReaction, reactionsIn } from '../live';
import { expectedReaction } from '../reactions';
import { bodyOf, handshakeHidden, notOpened } from '../context';
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
    rfc: ['RFC 5246 §7.4.2', 'RFC 5246 §7.4.6', 'RFC 8446 §4.4.2', 'RFC 8446 §4.4.2.2'],
    alerts: [
      'unsupported_certificate',
      'bad_certificate',
      because(
        'decode_error',
        'RFC 8446 §6',
        'Peers which receive a message which cannot be parsed according to the syntax (e.g., have a length extending beyond the message boundary or contain an out-of-range length) MUST terminate the connection with a "decode_error" alert.',
      ),
    ],
    overrides: {
      alerts:
        'a certificate of another version or type is unsupported_certificate ("of an unsupported type"), but an entry that is not DER X.509 at all is "corrupt" (bad_certificate, RFC 5246 §7.2.2 / RFC 8446 §6.2) or a message that "cannot be parsed according to the syntax" (decode_error, RFC 8446 §6); the checklist names only the first',
    },
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
    rfc: ['RFC 5246 §7.4.2', 'RFC 8446 §4.4.2', 'RFC 8446 §4.4.2.4'],
    role: 'server',
    alerts: [
      because(
        'decode_error',
        'RFC 8446 §4.4.2.4',
        'If the server supplies an empty Certificate message, the client MUST abort the handshake with a "decode_error" alert.',
        ['1.3'],
      ),
      definitionIn('decode_error', ['1.2']),
    ],
    needs: ['server-chain'],
    check(ctx) {
      const c = ctx.serverChain;
      return c.certs.length
        ? pass(`The server sent ${c.certs.length} certificate(s).`, { message: c.m.index })
        : violation('The server Certificate is empty.', { message: c.m.index, expected: '>= 1 certificate', actual: '0' });
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
        : handshakeHidden(ctx)
          ? inconclusive(`The Certificate messages are encrypted and ${notOpened(ctx)}.`)
          : notApplicable('No non-empty Certificate message.');
    },
  }),
  rule({
    id: 'cert.sigalgs.server-chain',
    title:
      "The server's certificate signatures use algorithms from the client's signature_algorithms_cert (else signature_algorithms).",
    rfc: ['RFC 5246 §7.4.2', 'RFC 8446 §4.2.3', 'RFC 8446 §4.4.2.2'],
    role: 'server',
    alerts: [
      because(
        'unsupported_certificate',
        'RFC 8446 §4.4.2.2',
        'If the client cannot construct an acceptable chain using the provided certificates and decides to abort the handshake, then it MUST abort the handshake with an appropriate certificate-related alert (by default, "unsupported_certificate"; see Section 6.2 for more information).',
      ),
    ],
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
    rfc: ['RFC 5246 §7.4.4', 'RFC 5246 §7.4.6', 'RFC 8446 §4.4.2.3'],
    role: 'client',
    alerts: ['unsupported_certificate'],
    check(ctx) {
      const cr = crOf(ctx);
      if (!cr)
        return handshakeHidden(ctx)
          ? inconclusive(`The CertificateRequest is encrypted and ${notOpened(ctx)}.`)
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
    rfc: ['RFC 5246 §7.4.4', 'RFC 5246 §7.4.6', 'RFC 8422 §5.5', 'RFC 8422 §5.6'],
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
      // rsa_sign is "a certificate containing an RSA key" (RFC 5246 §7.4.4): rsaEncryption, and id-RSASSA-PSS, an RSA
      // key restricted to RSASSA-PSS (RFC 4055 §1.2) that signs TLS 1.2 with rsa_pss_pss_* (RFC 8446 §4.2.3)
      const type =
        alg === '1.2.840.113549.1.1.1' || alg === '1.2.840.113549.1.1.10'
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
    alerts: [
      because(
        'unsupported_extension',
        'RFC 8446 §4.2',
        'Implementations MUST NOT send extension responses if the remote endpoint did not send the corresponding extension requests, with the exception of the "cookie" extension in the HelloRetryRequest. Upon receiving such an extension, an endpoint MUST abort the handshake with an "unsupported_extension" alert.',
      ),
    ],
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
        : handshakeHidden(ctx)
          ? inconclusive(`The Certificate messages are encrypted and ${notOpened(ctx)}.`)
          : notApplicable('No TLS 1.3 Certificate.');
    },
  }),
  rule({
    id: 'cert.server-selection',
    title: "The server picks a certificate usable with the client's signature_algorithms.",
    rfc: 'RFC 8446 §4.4.2.2; RFC 5246 §7.4.2',
    role: 'server',
    strength: 'SHOULD',
    needs: ['server-chain'],
    check(ctx) {
      const c = ctx.serverChain;
      const p = parsedChain(ctx, c.certs);
      if (!p?.length) return inconclusive('The server leaf does not parse.');
      const offered = extensionBody((ctx.ch2 ?? ctx.ch)?.b.extensions, X.signature_algorithms, 'signature_algorithms')?.schemes;
      if (!offered) return notApplicable('The client sent no signature_algorithms.');
      if (ctx.kex === 'RSA') return notApplicable('Static RSA key exchange: the leaf key does not sign.');
      const fits = offered.filter((s) => keyMismatch(p[0]!, s, ctx.version === '1.2') === null);
      return fits.length
        ? pass(`The server leaf key can sign with ${fits.length} offered scheme(s).`, { message: c.m.index })
        : violation("The server leaf key fits none of the client's signature_algorithms.", {
            message: c.m.index,
            expected: offered.map(hex4).join(' '),
          });
    },
  }),

  rule({
    id: 'cert.chain.client-empty',
    title:
      'After an empty client Certificate the server goes on without client authentication or aborts (handshake_failure in TLS 1.2, certificate_required in TLS 1.3).',
    rfc: ['RFC 5246 §7.4.6', 'RFC 8446 §4.4.2.4'],
    role: 'server',
    strength: 'MAY',
    evidence: 'live',
    alerts: [
      because(
        'handshake_failure',
        'RFC 5246 §7.4.6',
        'If the client does not send any certificates, the server MAY at its discretion either continue the handshake without client authentication, or respond with a fatal handshake_failure alert.',
        ['1.2'],
      ),
      because(
        'certificate_required',
        'RFC 8446 §4.4.2.4',
        'If the client does not send any certificates (i.e., it sends an empty Certificate message), the server MAY at its discretion either continue the handshake without client authentication or abort the handshake with a "certificate_required" alert.',
        ['1.3'],
      ),
    ],
    ignorable: {
      rfc: 'RFC 5246 §7.4.6; RFC 8446 §4.4.2.4',
      text: 'If the client does not send any certificates, the server MAY at its discretion either continue the handshake without client authentication, or respond with a fatal handshake_failure alert.',
      receiver: 'server',
    },
    live: { scope: { kind: 'declared' }, expects: 'either', judges: 'outcome' },
    needs: ['client-chain', 'violations'],
    check(ctx): Outcome {
      const c = ctx.clientChain;
      if (c.certs.length) return notApplicable('The client sent a certificate.');
      const next = ctx.t.messages.find((m) => m.index > c.m.index && m.dir === 'S->C');
      if (!next)
        return inconclusive('The transcript ends before the server answered the empty client Certificate.', {
          message: c.m.index,
        });
      if (next.kind !== 'alert')
        return pass(`The server went on (${next.type}) without client authentication.`, { message: next.index });
      if (!next.alert)
        return inconclusive('The server answered with an alert that could not be read (no key log).', { message: next.index });
      const want = ctx.version === '1.2' ? 40 : 116;
      if (next.alert.description === want)
        return pass(`The server aborted with ${want === 40 ? 'handshake_failure' : 'certificate_required'}.`, {
          message: next.index,
        });
      // a later fault of the client (a Finished that does not verify, ...) may be what the alert answers
      const later = ctx.violations
        .filter((v) => v.message !== undefined && v.message > c.m.index && ctx.t.messages[v.message]?.dir === 'C->S')
        .map((v) => v.rule);
      const explained = expectedReaction(later, ctx.version!).alerts.some(
        (a) => a.alert === alertNameOf(next.alert!.description),
      );
      return explained
        ? inconclusive(`The server aborted with ${name}, which may answer another fault of the client.`, {
            message: next.index,
          })
        : violation(
            `The server answered the empty client Certificate with alert ${next.alert.description}; RFC ${ctx.version === '1.2' ? '5246 §7.4.6 names handshake_failure' : '8446 §4.4.2.4 names certificate_required'}.`,
            {
              message: next.index,
              expected: want === 40 ? 'handshake_failure' : 'certificate_required',
              actual: `${next.alert.description}`,
            },
          );
    },
  }),
  rule({
    id: 'cert.reject-alert',
    title: 'A peer that rejects a certificate chain aborts with a certificate-related alert.',
    rfc: ['RFC 8446 §4.4.2.2', 'RFC 8446 §6.2', 'RFC 5246 §7.2.2'],
    evidence: 'live',
    alerts: [
      because(
        'unsupported_certificate',
        'RFC 8446 §4.4.2.2',
        'If the client cannot construct an acceptable chain using the provided certificates and decides to abort the handshake, then it MUST abort the handshake with an appropriate certificate-related alert (by default, "unsupported_certificate"; see Section 6.2 for more information).',
      ),
      ...CERTIFICATE_ALERTS.filter((a) => a !== 'unsupported_certificate'),
    ],
    overrides: {
      alerts:
        'the checklist lists four certificate alerts; RFC 8446 §6.2 and RFC 5246 §7.2.2 define seven that fit a rejected certificate (certificate_revoked, certificate_unknown and access_denied too), and RFC 8446 §4.4.2.2 asks for "an appropriate certificate-related alert", the default first',
    },
    live: { scope: { kind: 'group', group: 'certificates' }, expects: 'reject', judges: 'alert' },
    needs: ['violations'],
    check(ctx) {
      const out: Outcome[] = [];
      for (const r of reactionsIn(ctx, ctx.violations, ctx.notices)) {
        if (!r.rules.some((id) => ruleById(id).group === 'certificates')) continue;
        const allowed = [...CERTIFICATE_ALERTS, ...expectedReaction(r.rules, ctx.version!).alerts.map((a) => a.alert)];
        const o = alertReaction(r, [...new Set(allowed)], 'RFC 8446 §4.4.2.2 / RFC 5246 §7.2.2 (a certificate-related alert)');
        if (o) out.push(o);
      }
      return out.length ? out : notApplicable('No certificate fault that the other side answered with an error alert.');
    },
  }),
];
