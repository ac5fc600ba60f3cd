/**
 * Certificate-chain builder: root -> intermediates -> leaf from explicit
 * per-certificate specs, every certificate signed by its issuer's pool key
 * (sha256WithRSAEncryption, ecdsa-with-SHA256/384/512, Ed25519, Ed448 or
 * RSASSA-PSS by issuer key type, keypool.certSigningAlgorithm).
 *
 * @peculiar/x509 encodes the certificate; the signature is made by our
 * crypto layer through the provider (crypto/signature signWith) over the
 * tbsCertificate bytes exactly as encoded, so every key type the crypto
 * layer signs with can issue (Node's WebCrypto cannot sign with Ed448 under
 * @peculiar's algorithm names, nor with id-RSASSA-PSS keys). The subject
 * and authority key identifiers are RFC 5280 §4.2.1.2 method (1): SHA-1 of
 * the subjectPublicKey BIT STRING, through the provider.
 * Each built certificate keeps its DER, its parsed form and its private key.
 */
import * as x509 from '@peculiar/x509';
import { parseSpki, encodeTlv, readTlv } from '../crypto/der';
import { digest } from '../crypto/hash';
import type { CryptoProvider } from '../crypto/provider';
import { type SigAlg, signWith } from '../crypto/signature';
import { concatBytes, toHex } from '../wire/hex';
import { certSigningAlgorithm, type KeyPool, type KeyRef, type PoolKey } from './keypool';
import { newCertCache, type ParsedCert, type ParsedCertCache, parseCert } from './parse';
import { derToPem } from './pem';

export type EkuPurpose = 'serverAuth' | 'clientAuth';

/** keyUsage bits (same values as @peculiar/x509 KeyUsageFlags). */
export const KeyUsage = {
  digitalSignature: 1,
  nonRepudiation: 2,
  keyEncipherment: 4,
  dataEncipherment: 8,
  keyAgreement: 16,
  keyCertSign: 32,
  cRLSign: 64,
} as const;

export interface CertSpec {
  /** RFC 4514-style subject, e.g. `CN=tlsprop leaf, O=tlsprop`. */
  subject: string;
  /** Issuer name to write instead of the signer's subject (fault injection). */
  issuerOverride?: string;
  key: KeyRef;
  /** Serial number as hex (positive; a leading 0x80+ byte gets a 00 prefix). */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** null: no basicConstraints extension at all. */
  basicConstraints: { ca: boolean; pathLen?: number } | null;
  /** OR of KeyUsage bits; null: no keyUsage extension. */
  keyUsage: number | null;
  /** null: no extendedKeyUsage extension. */
  extKeyUsage: readonly EkuPurpose[] | null;
  /** null: no subjectAltName extension. */
  san: { dns: readonly string[]; ips: readonly string[] } | null;
  /** Further extensions, after the standard ones (e.g. nameConstraints): OID, criticality, DER value. */
  extraExtensions?: readonly { oid: string; critical: boolean; value: Uint8Array }[];
}

/**
 * A certificate spec with no extensions, RSA-2048 pool key 0, serial 01 and
 * validity 2020-2040; `over` sets the rest (tests and mutation operators
 * start from it and state only what matters to them).
 */
export function plainCertSpec(subject: string, over: Partial<CertSpec> = {}): CertSpec {
  return {
    subject,
    key: { type: 'rsa2048', index: 0 },
    serial: '01',
    notBefore: new Date(Date.UTC(2020, 0, 1)),
    notAfter: new Date(Date.UTC(2040, 0, 1)),
    basicConstraints: null,
    keyUsage: null,
    extKeyUsage: null,
    san: null,
    ...over,
  };
}

export interface BuiltCert {
  spec: CertSpec;
  der: Uint8Array;
  parsed: ParsedCert;
  key: PoolKey;
  pem: string;
}

function ekuOid(p: EkuPurpose): string {
  return p === 'serverAuth' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth;
}

function serialHex(s: string): string {
  let h =
    s
      .toLowerCase()
      .replace(/^0x/, '')
      .replace(/[^0-9a-f]/g, '') || '01';
  if (h.length % 2) h = `0${h}`;
  if (Number.parseInt(h.slice(0, 2), 16) >= 0x80) h = `00${h}`;
  return h;
}

/** The @peculiar/x509 algorithm that encodes a signature algorithm's AlgorithmIdentifier. */
function x509Algorithm(a: SigAlg): Algorithm | EcdsaParams | RsaPssParams {
  switch (a.kind) {
    case 'rsa_pkcs1':
      return { name: 'RSASSA-PKCS1-v1_5', hash: a.hash } as Algorithm;
    case 'rsa_pss':
      return { name: 'RSA-PSS', hash: a.hash, saltLength: a.saltLength } as RsaPssParams;
    case 'ecdsa':
      return { name: 'ECDSA', hash: a.hash } as EcdsaParams;
    case 'eddsa':
      return a.curve === 'Ed25519' ? { name: 'Ed25519' } : ({ name: 'EdDSA', namedCurve: 'Ed448' } as Algorithm);
    case 'dsa':
      throw new Error('DSA certificates are not built here');
  }
}

/** RFC 5280 §4.2.1.2 key identifier (1): SHA-1 of the subjectPublicKey BIT STRING value. */
async function keyIdentifier(p: CryptoProvider, spki: Uint8Array): Promise<string> {
  return toHex(await digest(p, 'SHA-1', parseSpki(spki).publicKey));
}

/**
 * Build one certificate for `spec`, signed by `issuer` (or self-signed when
 * `issuer` is undefined).
 */
export async function buildCert(
  spec: CertSpec,
  issuer: BuiltCert | undefined,
  pool: KeyPool,
  provider: CryptoProvider,
  cache?: ParsedCertCache,
): Promise<BuiltCert> {
  const key = await pool.keyOf(spec.key);
  const signerKey = issuer ? issuer.key : key;
  const exts: x509.Extension[] = [];
  if (spec.basicConstraints)
    exts.push(
      new x509.BasicConstraintsExtension(spec.basicConstraints.ca, spec.basicConstraints.pathLen, spec.basicConstraints.ca),
    );
  if (spec.keyUsage !== null) exts.push(new x509.KeyUsagesExtension(spec.keyUsage, true));
  if (spec.extKeyUsage !== null) exts.push(new x509.ExtendedKeyUsageExtension(spec.extKeyUsage.map(ekuOid), false));
  if (spec.san !== null) {
    const names = [
      ...spec.san.dns.map((value) => ({ type: 'dns' as const, value })),
      ...spec.san.ips.map((value) => ({ type: 'ip' as const, value })),
    ];
    exts.push(new x509.SubjectAlternativeNameExtension(names, false));
  }
  exts.push(new x509.SubjectKeyIdentifierExtension(await keyIdentifier(provider, key.spki), false));
  exts.push(new x509.AuthorityKeyIdentifierExtension(await keyIdentifier(provider, signerKey.spki), false));
  for (const e of spec.extraExtensions ?? []) exts.push(new x509.Extension(e.oid, e.critical, Uint8Array.from(e.value).buffer));
  const alg = certSigningAlgorithm(signerKey.type);
  // Encode with a placeholder signature, then sign the tbsCertificate bytes as encoded.
  const draft = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialHex(spec.serial),
      subject: spec.subject,
      issuer: spec.issuerOverride ?? (issuer ? issuer.parsed.x509.subjectName : spec.subject),
      notBefore: spec.notBefore,
      notAfter: spec.notAfter,
      publicKey: Uint8Array.from(key.spki),
      signature: new Uint8Array(64).fill(1),
      signingAlgorithm: x509Algorithm(alg),
      extensions: exts,
    },
    provider.webcrypto,
  );
  const der = await withSignature(new Uint8Array(draft.rawData), (tbs) =>
    signWith(provider, alg, signerKey.pkcs8, signerKey.spki, tbs),
  );
  return { spec, der, parsed: parseCert(der, cache), key, pem: derToPem(der) };
}

/** The certificate with its signatureValue replaced by `sign(tbsCertificate)`. */
async function withSignature(draft: Uint8Array, sign: (tbs: Uint8Array) => Promise<Uint8Array>): Promise<Uint8Array> {
  const outer = readTlv(draft, 0, 'certificate');
  const tbs = readTlv(draft, outer.contentStart, 'tbsCertificate');
  const alg = readTlv(draft, tbs.end, 'signatureAlgorithm');
  const tbsDer = draft.subarray(tbs.start, tbs.end);
  const sig = await sign(tbsDer);
  return encodeTlv(
    0x30,
    concatBytes([tbsDer, draft.subarray(alg.start, alg.end), encodeTlv(0x03, concatBytes([Uint8Array.of(0), sig]))]),
  );
}

/**
 * Build a chain from specs given leaf first; the last spec is the
 * self-signed root. Returns the certificates leaf first.
 */
export async function buildChain(
  specs: readonly CertSpec[],
  pool: KeyPool,
  provider: CryptoProvider,
  cache?: ParsedCertCache,
): Promise<BuiltCert[]> {
  if (specs.length === 0) throw new RangeError('buildChain needs at least a root spec');
  const out: BuiltCert[] = [];
  let issuer: BuiltCert | undefined;
  for (let i = specs.length - 1; i >= 0; i--) {
    issuer = await buildCert(specs[i]!, issuer, pool, provider, cache);
    out.unshift(issuer);
  }
  return out;
}

/** Copy of a certificate with one bit of its signature flipped (the last DER byte is the signature's last byte). */
export function flipSignatureBit(cert: BuiltCert, cache?: ParsedCertCache): BuiltCert {
  const der = Uint8Array.from(cert.der);
  der[der.length - 1]! ^= 0x01;
  return { ...cert, der, parsed: parseCert(der, cache), pem: derToPem(der) };
}

/** Concatenated PEM of the certificates, in the given order. */
export function chainPem(certs: readonly BuiltCert[]): string {
  return certs.map((c) => c.pem).join('');
}

/** A cache pre-filled with already parsed certificates, so validation does not re-parse them. */
export function cacheOf(certs: readonly BuiltCert[], cache: ParsedCertCache = newCertCache()): ParsedCertCache {
  for (const c of certs) cache.set(c.parsed.hex, c.parsed);
  return cache;
}
