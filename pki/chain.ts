/**
 * Certificate-chain builder: root -> intermediates -> leaf from explicit
 * per-certificate specs, every certificate signed by its issuer's pool key
 * (sha256WithRSAEncryption, ecdsa-with-SHA256/384 or Ed25519 by issuer key).
 * Each built certificate keeps its DER, its parsed form and its private key.
 */
import * as x509 from '@peculiar/x509';
import { certSigningAlgorithm, type KeyPool, type KeyRef, type PoolKey } from './keypool';
import { type ParsedCert, type ParsedCertCache, parseCert } from './parse';
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

/**
 * Build one certificate for `spec`, signed by `issuer` (or self-signed when
 * `issuer` is undefined).
 */
export async function buildCert(
  spec: CertSpec,
  issuer: BuiltCert | undefined,
  pool: KeyPool,
  crypto: Crypto,
  cache?: ParsedCertCache,
): Promise<BuiltCert> {
  const key = await pool.keyOf(spec.key);
  const signerKey = issuer ? issuer.key : key;
  const publicKey = await x509.PublicKey.create(key.keyPair.publicKey, crypto);
  const signerPublic = issuer ? issuer.parsed.x509.publicKey : publicKey;
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
  exts.push(await x509.SubjectKeyIdentifierExtension.create(publicKey, false, crypto));
  exts.push(await x509.AuthorityKeyIdentifierExtension.create(signerPublic, false, crypto));
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialHex(spec.serial),
      subject: spec.subject,
      issuer: spec.issuerOverride ?? (issuer ? issuer.parsed.x509.subjectName : spec.subject),
      notBefore: spec.notBefore,
      notAfter: spec.notAfter,
      publicKey,
      signingKey: signerKey.keyPair.privateKey,
      signingAlgorithm: certSigningAlgorithm(signerKey.type),
      extensions: exts,
    },
    crypto,
  );
  const der = new Uint8Array(cert.rawData);
  return { spec, der, parsed: parseCert(der, cache), key, pem: derToPem(der) };
}

/**
 * Build a chain from specs given leaf first; the last spec is the
 * self-signed root. Returns the certificates leaf first.
 */
export async function buildChain(
  specs: readonly CertSpec[],
  pool: KeyPool,
  crypto: Crypto,
  cache?: ParsedCertCache,
): Promise<BuiltCert[]> {
  if (specs.length === 0) throw new RangeError('buildChain needs at least a root spec');
  const out: BuiltCert[] = [];
  let issuer: BuiltCert | undefined;
  for (let i = specs.length - 1; i >= 0; i--) {
    issuer = await buildCert(specs[i]!, issuer, pool, crypto, cache);
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
export function cacheOf(certs: readonly BuiltCert[], cache: ParsedCertCache = new Map()): ParsedCertCache {
  for (const c of certs) cache.set(c.parsed.hex, c.parsed);
  return cache;
}
