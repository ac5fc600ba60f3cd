/**
 * RFC 5280 §6.1-style path validation for TLS, reporting every problem with
 * the catalogue rule it breaks. @peculiar/x509 only parses and verifies
 * signatures here; all path rules are checked in this file.
 *
 * Certificate signatures are checked by our crypto layer through the
 * caller's provider (crypto/signature verifyWith: each issuer key imported
 * once per provider, keyed by its SPKI bytes), over the tbsCertificate bytes
 * as they appear in the DER, with the algorithm of the certificate's
 * signatureAlgorithm field (RSASSA-PSS with its parameters).
 *
 * Reporting policy (one root cause per certificate): an issuer that fails
 * cert.path.ca-flag is not also checked for keyCertSign, since it may not
 * issue at all. The trust anchor contributes its name and key only
 * (RFC 5280 §6.1.1): its own validity, basicConstraints and keyUsage are not
 * checked, but its pathLenConstraint is applied as most TLS stacks do.
 * Order is strict (TLS 1.2): certificate i+1 must issue certificate i; the
 * TLS 1.3 tolerant mode (reordered/extra intermediates) is not implemented.
 * Not checked: revocation, name constraints (a critical nameConstraints
 * extension is reported as unprocessed), policies.
 */
import type { CryptoProvider } from '../crypto/provider';
import { schemeKeyMismatch, sigAlgOfAlgorithmIdentifier, verifyWith } from '../crypto/signature';
import { bytesEqual } from '../wire/hex';
import { SignatureScheme } from '../wire/registry';
import { namesEqual, OID, type ParsedCert, type ParsedCertCache, parseCert, SignatureChecks } from './parse';
import type { CertRuleId } from './rules';

export type Purpose = 'server' | 'client';

export interface ValidateChainInput {
  /** Presented chain, leaf first (TLS Certificate message order). The root may be left out. */
  chain: readonly Uint8Array[];
  trustAnchors: readonly Uint8Array[];
  /** Validation time (for captures: the capture time). */
  at: Date;
  purpose: Purpose;
  /** Host name (or IP literal) the client asked for; checked for purpose 'server' when given. */
  serverName?: string;
  /** Negotiated SignatureScheme code; the leaf key must fit it when given. */
  scheme?: number;
  /**
   * keyUsage bit the leaf needs when it has a keyUsage extension:
   * digitalSignature (default: (EC)DHE and every TLS 1.3 / CertificateVerify
   * signature), keyEncipherment (TLS 1.2 static RSA), keyAgreement (static (EC)DH).
   */
  leafKeyUse?: 'digitalSignature' | 'keyEncipherment' | 'keyAgreement';
  /** TLS 1.2 lets ecdsa_* schemes use any curve; TLS 1.3 (default) fixes it. */
  tls12?: boolean;
  provider: CryptoProvider;
  /** Parsed certificates keyed by DER hex, owned by the caller. */
  cache?: ParsedCertCache;
}

export interface ChainProblem {
  rule: CertRuleId;
  /** Index in the presented chain (chain.length means the trust anchor side). */
  index: number;
  message: string;
}

export interface ChainValidation {
  ok: boolean;
  problems: ChainProblem[];
  /** The trust anchor the path ended at, when one was found. */
  anchor?: ParsedCert;
  /** Number of presented certificates that form the path (anchor excluded). */
  pathLength: number;
}

const KU = { digitalSignature: 1, keyEncipherment: 4, keyAgreement: 16, keyCertSign: 32 } as const;

export async function validateChain(input: ValidateChainInput): Promise<ChainValidation> {
  const { at, provider, cache } = input;
  // the checks of the caller's cache, else of this validation (the anchor search and the path check the same pair)
  const checks = cache?.signatureChecks ?? new SignatureChecks();
  const problems: ChainProblem[] = [];
  const add = (rule: CertRuleId, index: number, message: string) => problems.push({ rule, index, message });
  if (input.chain.length === 0) {
    add('cert.chain.server-nonempty', 0, 'The certificate chain is empty.');
    return { ok: false, problems, pathLength: 0 };
  }
  const chain: ParsedCert[] = [];
  for (const [i, d] of input.chain.entries()) {
    try {
      chain.push(parseCert(d, cache));
    } catch (e) {
      add(
        'cert.type-x509v3',
        i,
        `Certificate ${i} is not a decodable X.509 certificate (${e instanceof Error ? e.message : String(e)}).`,
      );
    }
  }
  if (problems.length > 0) return { ok: false, problems, pathLength: 0 };
  const anchors = input.trustAnchors.map((d) => parseCert(d, cache));
  const isAnchor = (c: ParsedCert) =>
    anchors.find((a) => namesEqual(a.subjectDer, c.subjectDer, a.subject, c.subject) && bytesEqual(a.spkiDer, c.spkiDer));

  // 1. Where does the path end? At the first presented certificate (after the
  // leaf) that is a trust anchor; else at an anchor that issued the last one.
  let pathLen = chain.length;
  let anchor: ParsedCert | undefined;
  for (let i = 1; i < chain.length; i++) {
    const a = isAnchor(chain[i]!);
    if (a) {
      anchor = a;
      pathLen = i;
      break;
    }
  }
  // Issuer of path[i] is path[i+1], or `top` for the last one.
  let top: ParsedCert | undefined = anchor;
  if (!anchor) {
    const last = chain[chain.length - 1]!;
    if (last.selfIssued && chain.length > 1) {
      // A root was sent but is not trusted: keep it as the issuer so the
      // rest of the path is still checked.
      pathLen = chain.length - 1;
      top = last;
      add('cert.path.trust-anchor', chain.length - 1, `The root "${last.subject}" is not a configured trust anchor.`);
    } else {
      const byName = anchors.filter((a) => namesEqual(a.subjectDer, last.issuerDer, a.subject, last.issuer));
      for (const a of byName) if (!anchor && (await verifies(last, a, provider, checks))) anchor = a;
      // Named anchor whose key does not verify: take it anyway, so the
      // signature check below reports the bad signature.
      if (!anchor && byName.length > 0) anchor = byName[0];
      if (!anchor && byName.length === 0) {
        for (const a of anchors) if (await verifies(last, a, provider, checks)) anchor = a;
        // found by key only: the name check below reports the mismatch
      }
      if (anchor) top = anchor;
      else {
        add('cert.path.trust-anchor', chain.length - 1, `No trust anchor issued "${last.subject}" (issuer "${last.issuer}").`);
        pathLen = chain.length;
      }
    }
  }
  const path = chain.slice(0, pathLen);
  const issuerOf = (i: number): ParsedCert | undefined => (i + 1 < path.length ? path[i + 1] : top);

  // 2. Per-certificate checks, leaf (0) to the certificate under the anchor.
  const sigChecks: Array<Promise<void>> = [];
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    const issuer = issuerOf(i);
    if (issuer) {
      if (!namesEqual(c.issuerDer, issuer.subjectDer, c.issuer, issuer.subject))
        add(
          'cert.path.issuer-subject',
          i,
          `Issuer "${c.issuer}" of certificate ${i} is not the subject "${issuer.subject}" of the certificate that signs it.`,
        );
      sigChecks.push(
        verifies(c, issuer, provider, checks).then((ok) => {
          if (!ok)
            add(
              'cert.path.signature',
              i,
              `The signature of certificate ${i} ("${c.subject}") does not verify with the key of "${issuer.subject}".`,
            );
        }),
      );
    }
    if (at < c.notBefore)
      add(
        'cert.path.validity',
        i,
        `Certificate ${i} ("${c.subject}") is not valid before ${c.notBefore.toISOString()} (checked at ${at.toISOString()}).`,
      );
    else if (at > c.notAfter)
      add(
        'cert.path.validity',
        i,
        `Certificate ${i} ("${c.subject}") expired at ${c.notAfter.toISOString()} (checked at ${at.toISOString()}).`,
      );
    if (!c.sigAlgFieldsMatch)
      add('cert.sig-alg-fields-match', i, `Certificate ${i}: signatureAlgorithm differs from tbsCertificate.signature.`);
    if (WEAK_SIG_ALGS.has(c.sigAlgOid))
      add('cert.weak-hash', i, `Certificate ${i} is signed with a weak hash (${WEAK_SIG_ALGS.get(c.sigAlgOid)}).`);
    for (const oid of c.unknownCritical)
      add('cert.path.critical-extensions', i, `Certificate ${i} has a critical extension ${oid} that is not processed.`);

    if (i >= 1) {
      // An intermediate: it issues path[i-1].
      const bc = c.basicConstraints;
      if (!bc)
        add('cert.path.ca-flag', i, `Intermediate ${i} ("${c.subject}") has no basicConstraints extension, so it is not a CA.`);
      else if (!bc.ca) add('cert.path.ca-flag', i, `Intermediate ${i} ("${c.subject}") has basicConstraints cA=FALSE.`);
      else if (c.keyUsage !== null && !(c.keyUsage & KU.keyCertSign))
        add('cert.path.keycertsign', i, `Intermediate ${i} ("${c.subject}") has keyUsage without keyCertSign.`);
    }
  }
  // 3. pathLenConstraint on every CA in the path and on the anchor: the
  // non-self-issued intermediates below it must not outnumber it.
  const cas: Array<[number, ParsedCert]> = path.map((c, i) => [i, c] as [number, ParsedCert]).slice(1);
  if (top) cas.push([path.length, top]);
  for (const [j, ca] of cas) {
    const limit = ca.basicConstraints?.ca ? ca.basicConstraints.pathLen : undefined;
    if (limit === undefined) continue;
    let below = 0;
    for (let k = 1; k < j; k++) if (!path[k]!.selfIssued) below++;
    if (below > limit)
      add(
        'cert.path.path-length',
        j,
        `"${ca.subject}" allows ${limit} intermediate(s) below it (pathLenConstraint) but ${below} follow.`,
      );
  }

  // 4. Leaf checks.
  const leaf = chain[0]!;
  if (leaf.keyUsage !== null) {
    const use = input.leafKeyUse ?? 'digitalSignature';
    if (!(leaf.keyUsage & KU[use]))
      add('cert.leaf.key-usage', 0, `The end-entity keyUsage does not allow ${use}, which this TLS use needs.`);
    if (leaf.keyUsage & KU.keyCertSign && !leaf.basicConstraints?.ca)
      add('cert.path.keycertsign', 0, 'The end-entity asserts keyCertSign without basicConstraints cA=TRUE.');
  }
  if (leaf.extKeyUsage !== null) {
    const want = input.purpose === 'server' ? OID.serverAuth : OID.clientAuth;
    if (!leaf.extKeyUsage.includes(want) && !leaf.extKeyUsage.includes(OID.anyExtendedKeyUsage))
      add(
        'cert.leaf.eku',
        0,
        `The end-entity extendedKeyUsage lacks ${input.purpose === 'server' ? 'id-kp-serverAuth' : 'id-kp-clientAuth'} for use as a ${input.purpose} certificate.`,
      );
  }
  if (input.purpose === 'server' && input.serverName !== undefined && !hostMatches(leaf, input.serverName))
    add(
      'cert.leaf.name',
      0,
      `The server certificate does not name "${input.serverName}" (subjectAltName: ${describeSan(leaf)}).`,
    );
  if (input.scheme !== undefined) {
    const why = keyMismatch(leaf, input.scheme, input.tls12 ?? false);
    if (why) add('cert.leaf.key-type', 0, why);
  }

  await Promise.all(sigChecks);
  problems.sort((a, b) => a.index - b.index || a.rule.localeCompare(b.rule));
  const out: ChainValidation = { ok: problems.length === 0, problems, pathLength: path.length };
  if (anchor) out.anchor = anchor;
  return out;
}

const WEAK_SIG_ALGS: ReadonlyMap<string, string> = new Map([
  [OID.md2WithRSA, 'MD2'],
  [OID.md5WithRSA, 'MD5'],
  [OID.sha1WithRSA, 'SHA-1'],
  [OID.ecdsaWithSha1, 'SHA-1'],
  [OID.dsaWithSha1, 'SHA-1'],
]);

/**
 * Whether `issuer`'s key verifies `c`'s signature (an algorithm we do not implement, e.g. MD2, does not verify); a
 * check already made with these certificates of the caller's cache and this provider is not made again.
 */
async function verifies(c: ParsedCert, issuer: ParsedCert, provider: CryptoProvider, checks?: SignatureChecks): Promise<boolean> {
  const known = checks?.get(c, issuer, provider);
  if (known !== undefined) return known;
  const alg = sigAlgOfAlgorithmIdentifier(c.sigAlgOidHex, c.sigAlgParamsDer);
  const ok = 'unsupported' in alg ? false : (await verifyWith(provider, alg, issuer.spkiDer, c.tbsDer, c.signatureValue)).ok;
  checks?.set(c, issuer, provider, ok);
  return ok;
}

function describeSan(c: ParsedCert): string {
  if (!c.san) return 'none';
  return [...c.san.dns.map((d) => `DNS:${d}`), ...c.san.ips.map((ip) => `IP:${ip}`)].join(', ') || 'empty';
}

function isIpLiteral(s: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s) || s.includes(':');
}

/**
 * RFC 6125 §6.4 matching: against the subjectAltName dNSName / iPAddress
 * entries; the subject CN is consulted only when the certificate has no
 * dNSName at all (§6.4.4, and what OpenSSL's host check does). A wildcard
 * is allowed as the whole leftmost label, over at least two labels.
 */
export function hostMatches(leaf: ParsedCert, serverName: string): boolean {
  if (isIpLiteral(serverName)) return (leaf.san?.ips ?? []).some((ip) => normIp(ip) === normIp(serverName));
  const name = serverName.toLowerCase().replace(/\.$/, '');
  const dns = leaf.san?.dns ?? [];
  if (dns.length === 0)
    return leaf.x509.subjectName.getField('CN').some((cn) => dnsMatches(cn.toLowerCase().replace(/\.$/, ''), name));
  return dns.some((pattern) => dnsMatches(pattern.toLowerCase().replace(/\.$/, ''), name));
}

export function dnsMatches(pattern: string, name: string): boolean {
  if (!pattern.startsWith('*.')) return pattern === name;
  const rest = pattern.slice(2);
  if (rest.includes('*') || rest.split('.').length < 2) return false;
  const dot = name.indexOf('.');
  return dot > 0 && name.slice(dot + 1) === rest;
}

function normIp(s: string): string {
  if (!s.includes(':')) return s;
  // expand IPv6 to 8 groups for comparison
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => Number.parseInt(g || '0', 16).toString(16)).join(':');
}

/** The schemes by the key they need (constants, built once). */
const S = SignatureScheme;
const RSA_PKCS1: readonly number[] = [
  S.rsa_pkcs1_sha1,
  S.rsa_pkcs1_sha256,
  S.rsa_pkcs1_sha384,
  S.rsa_pkcs1_sha512,
  S.rsa_pkcs1_sha224,
  S.rsa_md5,
];
const RSAE: readonly number[] = [S.rsa_pss_rsae_sha256, S.rsa_pss_rsae_sha384, S.rsa_pss_rsae_sha512];
const PSS: readonly number[] = [S.rsa_pss_pss_sha256, S.rsa_pss_pss_sha384, S.rsa_pss_pss_sha512];
const EC_CURVE: Readonly<Record<number, string>> = {
  [S.ecdsa_secp256r1_sha256]: OID.secp256r1,
  [S.ecdsa_secp384r1_sha384]: OID.secp384r1,
  [S.ecdsa_secp521r1_sha512]: OID.secp521r1,
  // RFC 8734 §2: these schemes are for TLS 1.3 and name the curve
  [S.ecdsa_brainpoolP256r1tls13_sha256]: OID.brainpoolP256r1,
  [S.ecdsa_brainpoolP384r1tls13_sha384]: OID.brainpoolP384r1,
  [S.ecdsa_brainpoolP512r1tls13_sha512]: OID.brainpoolP512r1,
};
const EC_ANY: readonly number[] = [S.ecdsa_sha1, S.ecdsa_sha224, S.ecdsa_md5];
const DSA: readonly number[] = [S.dsa_md5, S.dsa_sha1, S.dsa_sha224, S.dsa_sha256, S.dsa_sha384, S.dsa_sha512];

/** Why the leaf key cannot sign with `scheme`, or null when it can. */
export function keyMismatch(leaf: ParsedCert, scheme: number, tls12: boolean): string | null {
  const alg = leaf.keyAlgOid;
  const need = (ok: boolean, what: string) =>
    ok ? null : `Scheme ${schemeHex(scheme)} needs ${what}, but the end-entity key is ${keyName(leaf)}.`;
  if (RSA_PKCS1.includes(scheme) || RSAE.includes(scheme)) return need(alg === OID.rsaEncryption, 'an rsaEncryption key');
  if (PSS.includes(scheme)) {
    if (alg !== OID.rsassaPss) return need(false, 'an id-RSASSA-PSS key');
    // RFC 8446 §4.2.3 rsa_pss_pss_*: "If the corresponding public key's parameters are present, then the parameters in
    // the signature MUST be identical to those in the public key." (RFC 4055 §3.1: the key's hash, MGF1 hash and minimum
    // salt restrict what it signs with)
    const params = schemeKeyMismatch(scheme, leaf.spkiDer, tls12 ? 12 : 13);
    return params === undefined ? null : `Scheme ${schemeHex(scheme)} does not fit the end-entity key: ${params}.`;
  }
  const curve = EC_CURVE[scheme];
  if (curve !== undefined) {
    if (tls12) return need(alg === OID.ecPublicKey, 'an EC key');
    return need(alg === OID.ecPublicKey && leaf.keyCurveOid === curve, `an EC key on curve ${curve}`);
  }
  if (EC_ANY.includes(scheme)) return need(alg === OID.ecPublicKey, 'an EC key');
  if (scheme === S.ed25519) return need(alg === OID.ed25519, 'an Ed25519 key');
  if (scheme === S.ed448) return need(alg === OID.ed448, 'an Ed448 key');
  if (DSA.includes(scheme)) return need(alg === OID.dsa, 'a DSA key');
  return `Scheme ${schemeHex(scheme)} is not a known signature scheme.`;
}

const schemeHex = (scheme: number): string => `0x${scheme.toString(16).padStart(4, '0')}`;

function keyName(c: ParsedCert): string {
  switch (c.keyAlgOid) {
    case OID.rsaEncryption:
      return 'rsaEncryption';
    case OID.rsassaPss:
      return 'id-RSASSA-PSS';
    case OID.ecPublicKey:
      return `EC (curve ${c.keyCurveOid ?? 'unknown'})`;
    case OID.ed25519:
      return 'Ed25519';
    case OID.ed448:
      return 'Ed448';
    default:
      return c.keyAlgOid;
  }
}
