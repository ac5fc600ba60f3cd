/**
 * Certificate rules: each presented chain (server, and client when sent)
 * validated once with pki/validate against the caller's trust anchors at
 * the validation time (CheckOptions.at, else now: the detail says which),
 * for its role, the SNI host name and the negotiated signature scheme.
 * Without trust anchors the trust-anchor rule is inconclusive and the
 * signature of the top certificate cannot be checked; the structural
 * checks still run.
 */
import { webcrypto } from 'node:crypto';
import { childrenOf, decodeOid, readTlv } from '../pki/der';
import { OID as PKI_OID, type ParsedCert, parseCert } from '../pki/parse';
import { type ChainValidation, keyMismatch, validateChain } from '../pki/validate';
import type { Direction } from '../transcript/model';
import { extensionBody } from '../wire/extensions';
import { ExtensionType as X } from '../wire/registry';
import { type Context, bodyOf, memo } from './context';
import { type Got, chainOf, hex4, stepsOf } from './keyfacts';
import { type Outcome, type Rule, inconclusive, notApplicable, pass, violation, type RuleDecl, ruleDeclarer } from './rule';

const who = (dir: Direction): string => (dir === 'S->C' ? 'server' : 'client');

interface Validated {
  dir: Direction;
  m: number;
  v: ChainValidation;
  certs: Uint8Array[];
  atNote: string;
}

/** The negotiated scheme the leaf signs with (CertificateVerify, else ServerKeyExchange). */
function schemeOf(ctx: Context, dir: Direction): number | undefined {
  const cv = bodyOf(stepsOf(ctx, 'certificate_verify', dir)[0]);
  if (cv?.type === 'certificate_verify') return cv.scheme;
  if (dir === 'S->C') {
    const ske = bodyOf(stepsOf(ctx, 'server_key_exchange', 'S->C')[0]);
    if (ske?.type === 'server_key_exchange' && ske.kex !== 'unparsed') return ske.signed?.scheme;
  }
  return undefined;
}

function sniOf(ctx: Context): string | undefined {
  const sn = extensionBody(ctx.ch?.b.extensions, X.server_name, 'server_name');
  const n = sn?.names.find((x) => x.nameType === 0);
  return n ? new TextDecoder().decode(n.name) : undefined;
}

function validated(ctx: Context, dir: Direction): Promise<Got<Validated>> {
  return memo(ctx, `chain ${dir}`, async (): Promise<Got<Validated>> => {
    const c = chainOf(ctx, dir);
    if (!c.ok) return c;
    const captured = ctx.t.capturedAt !== undefined ? new Date(ctx.t.capturedAt) : undefined;
    const at = ctx.options.at ?? captured ?? new Date();
    const atNote = ctx.options.at
      ? `at the given validation time ${at.toISOString()}`
      : captured
        ? `at the handshake's capture time ${at.toISOString()}`
        : `at the current time ${at.toISOString()} (no capture time given)`;
    const input: Parameters<typeof validateChain>[0] = {
      chain: c.value.certs,
      trustAnchors: ctx.options.trustAnchors ?? [],
      at,
      purpose: dir === 'S->C' ? 'server' : 'client',
      crypto: webcrypto as unknown as Crypto,
      cache: ctx.certCache,
      tls12: ctx.version === '1.2',
    };
    const sni = sniOf(ctx);
    if (dir === 'S->C' && sni !== undefined) input.serverName = sni;
    const scheme = schemeOf(ctx, dir);
    if (scheme !== undefined) input.scheme = scheme;
    if (ctx.version === '1.2' && dir === 'S->C') {
      if (ctx.kex === 'RSA') input.leafKeyUse = 'keyEncipherment';
      else if (ctx.kex && ['ECDH_RSA', 'ECDH_ECDSA', 'DH_RSA', 'DH_DSS'].includes(ctx.kex)) input.leafKeyUse = 'keyAgreement';
    }
    return { ok: true, value: { dir, m: c.value.m.index, v: await validateChain(input), certs: c.value.certs, atNote } };
  });
}

async function chains(ctx: Context): Promise<Array<Got<Validated> & { dir: Direction }>> {
  return [
    { ...(await validated(ctx, 'S->C')), dir: 'S->C' as const },
    { ...(await validated(ctx, 'C->S')), dir: 'C->S' as const },
  ];
}

const rule = ruleDeclarer({
  versions: ['1.2', '1.3'],
  role: 'both',
  strength: 'MUST',
  evidence: 'plaintext',
  group: 'certificates',
});
type Decl = RuleDecl;

/** A rule decided by the problems validateChain reports under its id. */
/**
 * `policy`: the problem is a receiver's acceptance of a certificate its
 * policy may not check (validity); judged only when trust anchors are given.
 */
function pkiRule(d: Omit<Decl, 'check'> & { needsAnchor?: boolean; policy?: boolean; what: string; only?: Direction }): Rule {
  return rule({
    ...d,
    async check(ctx) {
      const out: Outcome[] = [];
      for (const c of await chains(ctx)) {
        if (d.only && c.dir !== d.only) continue;
        if (!c.ok) {
          if (c.why.startsWith('no ')) out.push(notApplicable(`No ${who(c.dir)} certificate chain.`));
          else out.push(inconclusive(`The ${who(c.dir)} chain was not checked: ${c.why}.`));
          continue;
        }
        if (!c.value.certs.length) {
          out.push(
            notApplicable(`The ${who(c.dir)} Certificate is empty (see cert.chain.server-nonempty).`, { message: c.value.m }),
          );
          continue;
        }
        const probs = c.value.v.problems.filter((p) => p.rule === d.id);
        const noAnchors = !ctx.options.trustAnchors?.length;
        if (d.id === 'cert.path.trust-anchor' && noAnchors) {
          out.push(
            inconclusive(`The ${who(c.dir)} chain's trust was not checked: no trust anchors given.`, { message: c.value.m }),
          );
          continue;
        }
        const when =
          d.id === 'cert.path.validity' && !ctx.options.at && ctx.t.capturedAt === undefined
            ? ' (no capture time given: checked at the current time)'
            : '';
        if (probs.length && d.policy && noAnchors) {
          // Whether the peer was meant to validate at all (it may verify nothing, like verify_none) is unknown.
          for (const p of probs)
            out.push(
              inconclusive(
                `${who(c.dir)} chain: ${p.message}${when}; without trust anchors (--trust) the receiver's validation policy is unknown, so accepting it is not judged.`,
                { message: c.value.m },
              ),
            );
        } else if (probs.length)
          for (const p of probs) out.push(violation(`${who(c.dir)} chain: ${p.message}${when}`, { message: c.value.m }));
        else if (d.needsAnchor && noAnchors && !c.value.v.anchor)
          out.push(
            pass(
              `The ${who(c.dir)} chain: ${d.what} holds for the ${c.value.certs.length} presented certificate(s); the top one's issuer is not known (no trust anchors given).`,
              { message: c.value.m },
            ),
          );
        else
          out.push(
            pass(`The ${who(c.dir)} chain: ${d.what}${d.id === 'cert.path.validity' ? ` (checked ${c.value.atNote})` : ''}.`, {
              message: c.value.m,
            }),
          );
      }
      return out;
    },
  });
}

const SIG_OID_SCHEMES: Record<string, number[]> = {
  '1.2.840.113549.1.1.5': [0x0201],
  '1.2.840.113549.1.1.11': [0x0401],
  '1.2.840.113549.1.1.12': [0x0501],
  '1.2.840.113549.1.1.13': [0x0601],
  '1.2.840.113549.1.1.10': [0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b],
  '1.2.840.10045.4.1': [0x0203],
  '1.2.840.10045.4.3.2': [0x0403],
  '1.2.840.10045.4.3.3': [0x0503],
  '1.2.840.10045.4.3.4': [0x0603],
  '1.3.101.112': [0x0807],
  '1.3.101.113': [0x0808],
};

function parsedChain(ctx: Context, certs: Uint8Array[]): ParsedCert[] | undefined {
  try {
    return certs.map((d) => parseCert(d, ctx.certCache));
  } catch {
    return undefined;
  }
}

async function sigalgsCheck(ctx: Context, dir: Direction, offered: number[] | undefined, from: string): Promise<Outcome> {
  const c = chainOf(ctx, dir);
  if (!c.ok)
    return c.why.startsWith('no ') ? notApplicable(`No ${who(dir)} certificate chain.`) : inconclusive(`Not checked: ${c.why}.`);
  if (!offered) return inconclusive(`The ${from} list is not readable.`, { message: c.value.m.index });
  const parsed = parsedChain(ctx, c.value.certs);
  if (!parsed) return inconclusive('A certificate does not parse (see cert.type-x509v3).', { message: c.value.m.index });
  const anchors = (ctx.options.trustAnchors ?? []).map((a) => parseCert(a, ctx.certCache).hex);
  for (const [i, cert] of parsed.entries()) {
    if (cert.selfIssued || anchors.includes(cert.hex)) continue;
    const schemes = SIG_OID_SCHEMES[cert.sigAlgOid];
    if (!schemes)
      return inconclusive(`Certificate ${i} is signed with ${cert.sigAlgOid}, which has no TLS scheme mapping here.`, {
        message: c.value.m.index,
      });
    if (!schemes.some((s) => offered.includes(s)))
      return violation(`${who(dir)} certificate ${i} is signed with ${cert.sigAlgOid}, which the ${from} list does not allow.`, {
        message: c.value.m.index,
        expected: offered.map(hex4).join(' '),
        actual: schemes.map(hex4).join('/'),
      });
  }
  return pass(`Every ${who(dir)} certificate signature uses an algorithm of the ${from} list.`, { message: c.value.m.index });
}

function crOf(ctx: Context) {
  const b = bodyOf(stepsOf(ctx, 'certificate_request', 'S->C')[0]);
  return b?.type === 'certificate_request' ? b : undefined;
}

const baseCertificateRules: Rule[] = [
  pkiRule({
    id: 'cert.path.signature',
    title: "Each certificate's signature verifies with its issuer's key.",
    rfc: 'RFC 5280 §6.1.3',
    alert: 'bad_certificate',
    what: 'every signature verifies with its issuer key',
    needsAnchor: true,
  }),
  pkiRule({
    id: 'cert.path.issuer-subject',
    title: 'Issuer names chain to the subject names of the signing certificates.',
    rfc: 'RFC 5280 §6.1.3',
    alert: 'bad_certificate',
    what: 'issuer names match the signing subjects',
    needsAnchor: true,
  }),
  pkiRule({
    id: 'cert.path.validity',
    title: 'Every path certificate is inside its validity period at validation time.',
    rfc: 'RFC 5280 §6.1.3',
    alert: 'certificate_expired',
    policy: true,
    what: 'every certificate is within its validity',
  }),
  pkiRule({
    id: 'cert.path.ca-flag',
    title: 'Intermediates carry basicConstraints cA=TRUE.',
    rfc: 'RFC 5280 §4.2.1.9, §6.1.4',
    alert: 'bad_certificate',
    what: 'every intermediate is a CA',
  }),
  pkiRule({
    id: 'cert.path.path-length',
    title: 'No CA has more intermediates under it than its pathLenConstraint.',
    rfc: 'RFC 5280 §4.2.1.9, §6.1.4',
    alert: 'bad_certificate',
    what: 'pathLenConstraints hold',
  }),
  pkiRule({
    id: 'cert.path.keycertsign',
    title: 'Issuing certificates with keyUsage have keyCertSign; non-CAs never assert it.',
    rfc: 'RFC 5280 §4.2.1.3',
    alert: 'bad_certificate',
    what: 'keyCertSign is used correctly',
  }),
  pkiRule({
    id: 'cert.path.critical-extensions',
    title: 'No certificate has a critical extension the validator does not process.',
    rfc: 'RFC 5280 §4.2',
    alert: 'unsupported_certificate',
    what: 'no unprocessed critical extension',
  }),
  pkiRule({
    id: 'cert.path.trust-anchor',
    title: 'The path ends at a configured trust anchor.',
    rfc: 'RFC 5280 §6.1',
    alert: 'unknown_ca',
    what: 'the path ends at a trust anchor',
  }),
  pkiRule({
    id: 'cert.sig-alg-fields-match',
    title: 'The outer signatureAlgorithm equals the signature field inside tbsCertificate.',
    rfc: 'RFC 5280 §4.1.1.2',
    alert: 'bad_certificate',
    what: 'signature algorithm fields agree',
  }),
  pkiRule({
    id: 'cert.weak-hash',
    title: 'No certificate needing validation is signed with MD5 (or SHA-1, which should be refused too).',
    rfc: 'RFC 8446 §4.4.2.2; RFC 5246 §7.4.2',
    alert: 'bad_certificate',
    what: 'no weak-hash signatures',
  }),
  pkiRule({
    id: 'cert.leaf.key-usage',
    title: 'A leaf keyUsage extension allows the way TLS uses the key.',
    rfc: 'RFC 5280 §4.2.1.3; RFC 8446 §4.4.2.2',
    alert: 'unsupported_certificate',
    what: 'the leaf keyUsage fits its TLS use',
  }),
  pkiRule({
    id: 'cert.leaf.key-type',
    title: 'The leaf key type (and curve in TLS 1.3) fits the negotiated signature scheme.',
    rfc: 'RFC 8446 §4.4.2.2; RFC 5246 §7.4.2',
    alert: 'unsupported_certificate',
    what: 'the leaf key fits the negotiated scheme',
  }),
  pkiRule({
    id: 'cert.leaf.eku',
    title: 'A leaf extendedKeyUsage names serverAuth for servers and clientAuth for clients.',
    rfc: 'RFC 5280 §4.2.1.12',
    strength: 'SHOULD',
    alert: 'unsupported_certificate',
    what: 'the leaf extendedKeyUsage fits its role',
  }),
  rule({
    id: 'cert.leaf.name',
    title: 'The server leaf names the host from server_name in its subjectAltName.',
    rfc: 'RFC 6125 §6; RFC 6066 §3',
    role: 'client',
    alert: 'bad_certificate',
    async check(ctx) {
      const c = await validated(ctx, 'S->C');
      if (!c.ok)
        return c.why.startsWith('no ') ? notApplicable('No server certificate chain.') : inconclusive(`Not checked: ${c.why}.`);
      const sni = sniOf(ctx);
      if (sni === undefined)
        return inconclusive('The client sent no server_name, so the expected host is unknown.', { message: c.value.m });
      const p = c.value.v.problems.find((x) => x.rule === 'cert.leaf.name');
      if (p && !ctx.options.trustAnchors?.length) {
        return inconclusive(
          `${p.message} Without trust anchors (--trust) the client's validation policy is unknown (it may check no name), so accepting it is not judged.`,
          { message: c.value.m, expected: sni },
        );
      }
      return p
        ? violation(p.message, { message: c.value.m, expected: sni })
        : pass(`The server certificate names "${sni}".`, { message: c.value.m });
    },
  }),
  rule({
    id: 'cert.type-x509v3',
    title: 'Certificates are DER X.509 version 3 (unless another certificate type was negotiated).',
    rfc: 'RFC 8446 §4.4.2; RFC 5246 §7.4.2',
    alert: 'unsupported_certificate',
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
    alert: 'decode_error',
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
    alert: 'bad_certificate',
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
    alert: 'unsupported_certificate',
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
    alert: 'unsupported_certificate',
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
    alert: 'unsupported_certificate',
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
    alert: 'unsupported_extension',
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

// ---- oid_filters and name constraints ----------------------------------------

interface OidFilter {
  oid: string;
  values: Uint8Array;
}

/** OIDFilterExtension (RFC 8446 §4.2.5): filters<0..2^16-1> of { oid<1..2^8-1>, values<0..2^16-1> }. The OID may come as full DER or as its content. */
function parseOidFilters(data: Uint8Array): OidFilter[] | undefined {
  if (data.length < 2 || ((data[0]! << 8) | data[1]!) !== data.length - 2) return undefined;
  const out: OidFilter[] = [];
  let at = 2;
  while (at < data.length) {
    const ol = data[at]!;
    if (at + 1 + ol + 2 > data.length) return undefined;
    let oidBytes = data.subarray(at + 1, at + 1 + ol);
    if (oidBytes[0] === 0x06 && oidBytes[1] === ol - 2) oidBytes = oidBytes.subarray(2);
    const der = Uint8Array.of(0x06, oidBytes.length, ...oidBytes);
    let oid: string;
    try {
      oid = decodeOid(der, readTlv(der, 0, 'oid'));
    } catch {
      return undefined;
    }
    at += 1 + ol;
    const vl = (data[at]! << 8) | data[at + 1]!;
    if (at + 2 + vl > data.length) return undefined;
    out.push({ oid, values: data.subarray(at + 2, at + 2 + vl) });
    at += 2 + vl;
  }
  return out;
}

/** OIDs inside a DER SEQUENCE OF OBJECT IDENTIFIER (extendedKeyUsage). */
function oidList(der: Uint8Array): string[] {
  const seq = readTlv(der, 0, 'seq');
  return childrenOf(der, seq).map((t) => decodeOid(der, t));
}

function filterMet(leaf: ParsedCert, f: OidFilter): string | undefined {
  const ext = leaf.x509.extensions.find((e) => e.type === f.oid);
  if (!ext) return `the certificate has no extension ${f.oid}`;
  if (!f.values.length) return undefined;
  const value = new Uint8Array(ext.value);
  if (f.oid === PKI_OID.extKeyUsage) {
    const want = oidList(f.values);
    const have = oidList(value);
    const lack = want.filter((o) => !have.includes(o));
    return lack.length ? `its extendedKeyUsage lacks ${lack.join(', ')}` : undefined;
  }
  if (f.oid === PKI_OID.keyUsage) {
    const w = f.values.subarray(3);
    const h = value.subarray(3);
    for (let i = 0; i < w.length; i++) if ((w[i]! & (h[i] ?? 0)) !== w[i]) return 'its keyUsage lacks bits the filter asks for';
    return undefined;
  }
  return undefined; // other OIDs: presence is what can be checked
}

interface Subtrees {
  dns: string[];
  ips: Array<{ addr: Uint8Array; mask: Uint8Array }>;
}
interface NameConstraints {
  permitted: Subtrees;
  excluded: Subtrees;
}

function parseNameConstraints(der: Uint8Array): NameConstraints {
  const out: NameConstraints = { permitted: { dns: [], ips: [] }, excluded: { dns: [], ips: [] } };
  const seq = readTlv(der, 0, 'nameConstraints');
  for (const part of childrenOf(der, seq)) {
    const into = part.tag === 0xa0 ? out.permitted : part.tag === 0xa1 ? out.excluded : undefined;
    if (!into) continue;
    for (const sub of childrenOf(der, part)) {
      const base = childrenOf(der, sub)[0];
      if (!base) continue;
      const v = der.subarray(base.contentStart, base.end);
      if (base.tag === 0x82) into.dns.push(new TextDecoder().decode(v).toLowerCase());
      else if (base.tag === 0x87 && (v.length === 8 || v.length === 32))
        into.ips.push({ addr: v.subarray(0, v.length / 2), mask: v.subarray(v.length / 2) });
    }
  }
  return out;
}

function dnsIn(name: string, base: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  const b = base.replace(/^\./, '');
  return n === b || n.endsWith(`.${b}`) || (base.startsWith('.') && n.endsWith(base));
}
function ipBytes(ip: string): Uint8Array | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return Uint8Array.from(ip.split('.').map(Number));
  return undefined;
}
function ipIn(ip: Uint8Array, t: { addr: Uint8Array; mask: Uint8Array }): boolean {
  return ip.length === t.addr.length && ip.every((b, i) => (b & t.mask[i]!) === (t.addr[i]! & t.mask[i]!));
}

/** Names of certificate `c` that break the constraints, as sentences. */
function nameProblems(c: ParsedCert, nc: NameConstraints): string[] {
  const out: string[] = [];
  for (const d of c.san?.dns ?? []) {
    if (nc.excluded.dns.some((b) => dnsIn(d, b))) out.push(`dNSName ${d} is in an excluded subtree`);
    else if (nc.permitted.dns.length && !nc.permitted.dns.some((b) => dnsIn(d, b)))
      out.push(`dNSName ${d} is outside the permitted subtrees`);
  }
  for (const s of c.san?.ips ?? []) {
    const ip = ipBytes(s);
    if (!ip) continue;
    if (nc.excluded.ips.some((t) => ipIn(ip, t))) out.push(`iPAddress ${s} is in an excluded subtree`);
    else if (nc.permitted.ips.some((t) => t.addr.length === ip.length) && !nc.permitted.ips.some((t) => ipIn(ip, t)))
      out.push(`iPAddress ${s} is outside the permitted subtrees`);
  }
  return out;
}

const NAME_CONSTRAINTS = '2.5.29.30';

const constraintRules: Rule[] = [
  rule({
    id: 'cert.t13.oid-filters',
    title:
      'A client certificate sent after a CertificateRequest with oid_filters carries every filtered extension with the listed values.',
    rfc: 'RFC 8446 §4.2.5',
    versions: ['1.3'],
    role: 'client',
    alert: 'unsupported_certificate',
    evidence: 'keys',
    check(ctx) {
      const cr = crOf(ctx);
      if (!cr)
        return ctx.unreadable.length
          ? inconclusive('The CertificateRequest is encrypted and no key log was given.')
          : notApplicable('No CertificateRequest.');
      if (cr.form !== 'tls13') return notApplicable('Not a TLS 1.3 CertificateRequest.');
      const ext = cr.extensions.find((e) => e.type === X.oid_filters);
      if (!ext) return notApplicable('The CertificateRequest has no oid_filters.');
      const filters = ext.body.kind === 'opaque' ? parseOidFilters(ext.body.data) : undefined;
      if (!filters) return inconclusive('The oid_filters extension is not readable.');
      const c = chainOf(ctx, 'C->S');
      if (!c.ok)
        return c.why.startsWith('no ')
          ? notApplicable('The client sent no Certificate.')
          : inconclusive(`Not checked: ${c.why}.`);
      if (!c.value.certs.length)
        return pass('The client sent an empty Certificate (the server may go on unauthenticated or abort).', {
          message: c.value.m.index,
        });
      const p = parsedChain(ctx, c.value.certs);
      if (!p) return inconclusive('The client certificate does not parse.');
      const unmet = filters.map((f) => [f.oid, filterMet(p[0]!, f)] as const).filter(([, why]) => why);
      return unmet.length
        ? violation(`The client certificate does not satisfy oid_filters: ${unmet.map(([o, w]) => `${o}: ${w}`).join('; ')}.`, {
            message: c.value.m.index,
          })
        : pass(`The client certificate satisfies ${filters.length} oid filter(s).`, { message: c.value.m.index });
    },
  }),
  rule({
    id: 'cert.path.name-constraints',
    title:
      'Names in certificates below a CA with nameConstraints (dNSName, iPAddress subjectAltNames) fall inside its permitted and outside its excluded subtrees.',
    rfc: 'RFC 5280 §4.2.1.10, §6.1.4',
    alert: 'bad_certificate',
    check(ctx) {
      const out: Outcome[] = [];
      const anchors = (ctx.options.trustAnchors ?? []).flatMap((a) => {
        try {
          return [parseCert(a, ctx.certCache)];
        } catch {
          return [];
        }
      });
      for (const dir of ['S->C', 'C->S'] as const) {
        const c = chainOf(ctx, dir);
        if (!c.ok) continue;
        const p = parsedChain(ctx, c.value.certs);
        if (!p?.length) continue;
        // CAs: the presented certificates after the leaf and the anchor that issued the last one
        const top = p[p.length - 1]!;
        const cas: Array<[number, ParsedCert]> = p.slice(1).map((x, i) => [i + 1, x] as [number, ParsedCert]);
        const anchor = anchors.find((a) => a.subject === top.issuer && a.hex !== top.hex);
        if (anchor) cas.push([p.length, anchor]);
        let constrained = 0;
        const bad: string[] = [];
        for (const [j, ca] of cas) {
          const ext = ca.x509.extensions.find((e) => e.type === NAME_CONSTRAINTS);
          if (!ext) continue;
          constrained++;
          let nc: NameConstraints;
          try {
            nc = parseNameConstraints(new Uint8Array(ext.value));
          } catch {
            bad.push(`the nameConstraints of "${ca.subject}" do not decode`);
            continue;
          }
          for (let k = 0; k < j; k++)
            if (!p[k]!.selfIssued || k === 0)
              for (const why of nameProblems(p[k]!, nc))
                bad.push(`certificate ${k} ("${p[k]!.subject}"): ${why} of "${ca.subject}"`);
        }
        const at = { message: c.value.m.index };
        if (bad.length) out.push(violation(`The ${who(dir)} chain breaks name constraints: ${bad.join('; ')}.`, at));
        else if (constrained)
          out.push(pass(`The ${who(dir)} chain's names satisfy ${constrained} nameConstraints extension(s).`, at));
        else
          out.push(
            notApplicable(
              `No certificate of the ${who(dir)} chain${anchor ? ' or its anchor' : ''} has nameConstraints${ctx.options.trustAnchors?.length ? '' : ' (the anchor was not given)'}.`,
              at,
            ),
          );
      }
      return out.length ? out : notApplicable('No certificate chain.');
    },
  }),
];

export const certificateRules: readonly Rule[] = [...baseCertificateRules, ...constraintRules];
