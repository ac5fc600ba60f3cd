/**
 * Parse a certificate once and keep everything the validator needs next to
 * its DER. Parsing is costlier than handshake crypto, so callers pass a
 * `ParsedCertCache` (keyed by DER hex) that they own: `newCertCache()` makes
 * a bounded one.
 */
import * as x509 from '@peculiar/x509';
import { BoundedCache } from '../crypto/cache';
import { bytesEqual, toHex } from '../wire/hex';
import { childrenOf, decodeOid, readTlv, tlvBytes } from './der';

export const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  anyExtendedKeyUsage: '2.5.29.37.0',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
  dsa: '1.2.840.10040.4.1',
  secp256r1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
  brainpoolP256r1: '1.3.36.3.3.2.8.1.1.7',
  brainpoolP384r1: '1.3.36.3.3.2.8.1.1.11',
  brainpoolP512r1: '1.3.36.3.3.2.8.1.1.13',
  md5WithRSA: '1.2.840.113549.1.1.4',
  md2WithRSA: '1.2.840.113549.1.1.2',
  sha1WithRSA: '1.2.840.113549.1.1.5',
  ecdsaWithSha1: '1.2.840.10045.4.1',
  dsaWithSha1: '1.2.840.10040.4.3',
} as const;

/** Extensions the validator understands (a critical extension outside this set is a problem). */
export const PROCESSED_EXTENSIONS: ReadonlySet<string> = new Set([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectAltName,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
]);

export interface ParsedCert {
  der: Uint8Array;
  hex: string;
  x509: x509.X509Certificate;
  /** X.509 version number (1, 2 or 3). */
  version: number;
  subjectDer: Uint8Array;
  issuerDer: Uint8Array;
  subject: string;
  issuer: string;
  /** Issuer name equals subject name. */
  selfIssued: boolean;
  notBefore: Date;
  notAfter: Date;
  spkiDer: Uint8Array;
  /** SubjectPublicKeyInfo algorithm OID. */
  keyAlgOid: string;
  /** Named curve OID for EC keys. */
  keyCurveOid?: string;
  /** Certificate.signatureAlgorithm OID, and whether it equals tbsCertificate.signature byte for byte. */
  sigAlgOid: string;
  /** The same OID as DER content hex (crypto/der's form). */
  sigAlgOidHex: string;
  sigAlgFieldsMatch: boolean;
  /** Certificate.signatureAlgorithm parameters TLV (RSASSA-PSS-params); undefined when absent or NULL. */
  sigAlgParamsDer?: Uint8Array;
  /** The signed bytes: tbsCertificate as it appears in the DER. */
  tbsDer: Uint8Array;
  /** signatureValue BIT STRING content without the unused-bits byte (a non-zero unused-bits count makes it fail to verify). */
  signatureValue: Uint8Array;
  basicConstraints: { ca: boolean; pathLen?: number; critical: boolean } | null;
  /** KeyUsage bits as @peculiar/x509 KeyUsageFlags, null when absent. */
  keyUsage: number | null;
  extKeyUsage: string[] | null;
  san: { dns: string[]; ips: string[] } | null;
  /** OIDs of critical extensions outside PROCESSED_EXTENSIONS. */
  unknownCritical: string[];
}

/**
 * Parsed certificates keyed by DER hex: a Map, or a bounded cache from `newCertCache()`, which also remembers the
 * certificate signature checks made with its certificates (`signatureChecks`).
 */
export interface ParsedCertCache {
  get(hex: string): ParsedCert | undefined;
  set(hex: string, parsed: ParsedCert): unknown;
  /**
   * The parsed certificate last found for a DER array (the same bytes
   * object met again: a chain is looked at by several rules), so that a
   * lookup need not hex-encode the DER; checked byte for byte on use.
   */
  readonly byDer?: WeakMap<Uint8Array, ParsedCert>;
  signatureChecks?: SignatureChecks;
}

/**
 * Certificate signature checks already made: whether `issuer`'s key verified `cert`'s signature, per provider. Keyed
 * by the cached objects themselves (a certificate parsed again, or evicted from its cache, is checked again), so it
 * holds nothing its certificates' cache does not.
 */
export class SignatureChecks {
  private readonly checks = new WeakMap<ParsedCert, WeakMap<ParsedCert, WeakMap<object, boolean>>>();
  /** Checks answered from here (for tests and the bench). */
  hits = 0;
  get(cert: ParsedCert, issuer: ParsedCert, provider: object): boolean | undefined {
    const v = this.checks.get(cert)?.get(issuer)?.get(provider);
    if (v !== undefined) this.hits++;
    return v;
  }
  set(cert: ParsedCert, issuer: ParsedCert, provider: object, verified: boolean): void {
    let byIssuer = this.checks.get(cert);
    if (!byIssuer) {
      byIssuer = new WeakMap();
      this.checks.set(cert, byIssuer);
    }
    let byProvider = byIssuer.get(issuer);
    if (!byProvider) {
      byProvider = new WeakMap();
      byIssuer.set(issuer, byProvider);
    }
    byProvider.set(provider, verified);
  }
}

/** A bounded (LRU) certificate cache for one run, with its signature checks; the caller owns it and passes it in. */
export class CertCache extends BoundedCache<string, ParsedCert> implements ParsedCertCache {
  readonly byDer = new WeakMap<Uint8Array, ParsedCert>();
  readonly signatureChecks = new SignatureChecks();
}

/** A bounded (LRU) certificate cache for one run; the caller owns it and passes it in. */
export function newCertCache(limit = 2048): CertCache {
  return new CertCache(limit);
}

/** Parse DER (or fetch it from the cache, adding it when missing). */
export function parseCert(der: Uint8Array, cache?: ParsedCertCache): ParsedCert {
  const seen = cache?.byDer?.get(der);
  if (seen && bytesEqual(seen.der, der)) return seen;
  const hex = toHex(der);
  let p = cache?.get(hex);
  if (!p) {
    p = parseUncached(Uint8Array.from(der), hex);
    cache?.set(hex, p);
  }
  cache?.byDer?.set(der, p);
  return p;
}

function parseUncached(der: Uint8Array<ArrayBuffer>, hex: string): ParsedCert {
  const cert = new x509.X509Certificate(der);
  const outer = readTlv(der, 0, 'certificate');
  const [tbs, sigAlg, sigValue] = childrenOf(der, outer, 'certificate');
  if (!tbs || !sigAlg || !sigValue) throw new Error('certificate: missing tbsCertificate, signatureAlgorithm or signatureValue');
  if (sigValue.tag !== 0x03 || sigValue.end === sigValue.contentStart)
    throw new Error('certificate: signatureValue is not a BIT STRING');
  const f = childrenOf(der, tbs, 'tbsCertificate');
  let i = 0;
  let version = 1;
  if (f[0]?.tag === 0xa0) {
    const v = readTlv(der, f[0].contentStart, 'version');
    version = der[v.end - 1]! + 1;
    i = 1;
  }
  const [, tbsSig, issuer, , subject, spki] = f.slice(i);
  if (!tbsSig || !issuer || !subject || !spki) throw new Error('tbsCertificate: missing fields');
  const [spkiAlg] = childrenOf(der, spki, 'subjectPublicKeyInfo');
  const algParts = spkiAlg ? childrenOf(der, spkiAlg, 'subjectPublicKeyInfo.algorithm') : [];
  const keyAlgOid = algParts[0] ? decodeOid(der, algParts[0]) : '';
  const keyCurveOid = algParts[1]?.tag === 0x06 ? decodeOid(der, algParts[1]) : undefined;
  const sigAlgParts = childrenOf(der, sigAlg, 'signatureAlgorithm');
  const sigAlgOid = sigAlgParts[0] ? decodeOid(der, sigAlgParts[0]) : '';
  const sigAlgOidHex = sigAlgParts[0] ? toHex(der.subarray(sigAlgParts[0].contentStart, sigAlgParts[0].end)) : '';
  const sigAlgParams = sigAlgParts[1] && sigAlgParts[1].tag !== 0x05 ? tlvBytes(der, sigAlgParts[1]) : undefined;

  const subjectDer = tlvBytes(der, subject);
  const issuerDer = tlvBytes(der, issuer);

  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const sanExt = cert.getExtension(x509.SubjectAlternativeNameExtension);
  let san: ParsedCert['san'] = null;
  if (sanExt) {
    san = { dns: [], ips: [] };
    for (const n of sanExt.names.items) {
      if (n.type === 'dns') san.dns.push(n.value);
      else if (n.type === 'ip') san.ips.push(n.value);
    }
  }
  const basicConstraints: ParsedCert['basicConstraints'] = bc ? { ca: bc.ca, critical: bc.critical } : null;
  if (bc && basicConstraints && bc.pathLength !== undefined) basicConstraints.pathLen = bc.pathLength;
  const parsed: ParsedCert = {
    der,
    hex,
    x509: cert,
    version,
    subjectDer,
    issuerDer,
    subject: cert.subject,
    issuer: cert.issuer,
    selfIssued: namesEqual(issuerDer, subjectDer, cert.issuer, cert.subject),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    spkiDer: tlvBytes(der, spki),
    keyAlgOid,
    sigAlgOid,
    sigAlgOidHex,
    sigAlgFieldsMatch: bytesEqual(tlvBytes(der, tbsSig), tlvBytes(der, sigAlg)),
    tbsDer: tlvBytes(der, tbs),
    // A BIT STRING with unused bits is not a signature value of any algorithm here: left empty, it fails to verify.
    signatureValue: der[sigValue.contentStart] === 0 ? der.subarray(sigValue.contentStart + 1, sigValue.end) : new Uint8Array(0),
    basicConstraints,
    keyUsage: ku ? ku.usages : null,
    extKeyUsage: eku ? eku.usages.map(String) : null,
    san,
    unknownCritical: cert.extensions.filter((e) => e.critical && !PROCESSED_EXTENSIONS.has(e.type)).map((e) => e.type),
  };
  if (keyCurveOid !== undefined) parsed.keyCurveOid = keyCurveOid;
  if (sigAlgParams !== undefined) parsed.sigAlgParamsDer = sigAlgParams;
  return parsed;
}

/**
 * RFC 5280 §7.1 name matching, simplified: identical DER, or the same
 * RFC 4514 string after case folding and whitespace collapsing (covers
 * PrintableString vs UTF8String and case differences).
 */
export function namesEqual(aDer: Uint8Array, bDer: Uint8Array, aText: string, bText: string): boolean {
  if (bytesEqual(aDer, bDer)) return true;
  const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();
  return norm(aText) === norm(bText);
}
