/**
 * Signatures: the TLS SignatureSchemes (RFC 5246 §7.4.1.4.1 hash/signature
 * pairs, RFC 8446 §4.2.3 schemes, RFC 8734 brainpool) and the X.509
 * signature algorithms, verified and made through the provider.
 *
 * Every registered scheme verifies, including those only used for judging
 * (MD5, SHA-1, SHA-224, DSA: RFC 9155 forbids offering MD5 and SHA-1, and
 * nothing offers them by default), because a peer that uses one must be
 * judged on the bytes. Arithmetic:
 * - provider.asymImpl 'node': node:crypto KeyObjects (imported once per key,
 *   in the provider's key store) and one-shot synchronous crypto.verify /
 *   crypto.sign;
 * - 'subtle': the provider's WebCrypto, CryptoKeys imported once per key;
 *   what its WebCrypto lacks (MD5/SHA-224, DSA, brainpool on Node's,
 *   id-RSASSA-PSS keys on Node's) goes to node:crypto.
 * TLS carries ECDSA/DSA signatures as DER (WebCrypto wants raw r||s:
 * converted here, with strict DER checks on what we receive). Public keys
 * come in as SubjectPublicKeyInfo DER, private keys as PKCS#8 DER.
 * Verification returns a typed result instead of throwing.
 */
import { constants, generateKeyPairSync, type KeyObject, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { DecodeError } from '../wire/errors';
import { concatBytes } from '../wire/hex';
import { SignatureScheme } from '../wire/registry';
import { curveByOid } from './curves';
import { ecdsaDerToRaw, ecdsaRawToDer, OID, oidHex, parsePssParams, parseSpki, type SpkiInfo } from './der';
import { type HashName, hashLength, nodeHashName, subtleHasHash } from './hash';
import { nodePrivateKey, nodePublicKeyOf, type SpkiEntry, spkiEntry, subtleKey } from './keys';
import { buf, type CryptoProvider } from './provider';
import { type Check, fail } from './result';

export type SchemeKind = 'rsa_pkcs1' | 'rsa_pss_rsae' | 'rsa_pss_pss' | 'ecdsa' | 'ed25519' | 'ed448' | 'dsa';

/** Curve bound to an ECDSA scheme in TLS 1.3 (WebCrypto-style names for the NIST curves). */
export type SchemeCurve = 'P-256' | 'P-384' | 'P-521' | 'brainpoolP256r1' | 'brainpoolP384r1' | 'brainpoolP512r1';

export interface SchemeInfo {
  code: number;
  kind: SchemeKind;
  /** Hash of the scheme (undefined for EdDSA, which hashes internally). */
  hash?: HashName;
  /** Curve bound to the scheme in TLS 1.3 (ECDSA with a curve in its name; ecdsa_sha1 & co have none). */
  curve?: SchemeCurve;
  /**
   * A TLS 1.2 hash/signature pair kept for judging only (MD5, SHA-1,
   * SHA-224, DSA): verified when a peer uses it, never offered by default
   * (RFC 9155 §2; RFC 8446 §4.2.3 legacy algorithms).
   */
  legacy: boolean;
}

const S = SignatureScheme;
const SCHEMES: readonly SchemeInfo[] = [
  { code: S.rsa_md5, kind: 'rsa_pkcs1', hash: 'MD5', legacy: true },
  { code: S.dsa_md5, kind: 'dsa', hash: 'MD5', legacy: true },
  { code: S.ecdsa_md5, kind: 'ecdsa', hash: 'MD5', legacy: true },
  { code: S.rsa_pkcs1_sha1, kind: 'rsa_pkcs1', hash: 'SHA-1', legacy: true },
  { code: S.dsa_sha1, kind: 'dsa', hash: 'SHA-1', legacy: true },
  { code: S.ecdsa_sha1, kind: 'ecdsa', hash: 'SHA-1', legacy: true },
  { code: S.rsa_pkcs1_sha224, kind: 'rsa_pkcs1', hash: 'SHA-224', legacy: true },
  { code: S.dsa_sha224, kind: 'dsa', hash: 'SHA-224', legacy: true },
  { code: S.ecdsa_sha224, kind: 'ecdsa', hash: 'SHA-224', legacy: true },
  { code: S.rsa_pkcs1_sha256, kind: 'rsa_pkcs1', hash: 'SHA-256', legacy: false },
  { code: S.dsa_sha256, kind: 'dsa', hash: 'SHA-256', legacy: true },
  { code: S.ecdsa_secp256r1_sha256, kind: 'ecdsa', hash: 'SHA-256', curve: 'P-256', legacy: false },
  { code: S.rsa_pkcs1_sha384, kind: 'rsa_pkcs1', hash: 'SHA-384', legacy: false },
  { code: S.dsa_sha384, kind: 'dsa', hash: 'SHA-384', legacy: true },
  { code: S.ecdsa_secp384r1_sha384, kind: 'ecdsa', hash: 'SHA-384', curve: 'P-384', legacy: false },
  { code: S.rsa_pkcs1_sha512, kind: 'rsa_pkcs1', hash: 'SHA-512', legacy: false },
  { code: S.dsa_sha512, kind: 'dsa', hash: 'SHA-512', legacy: true },
  { code: S.ecdsa_secp521r1_sha512, kind: 'ecdsa', hash: 'SHA-512', curve: 'P-521', legacy: false },
  { code: S.rsa_pss_rsae_sha256, kind: 'rsa_pss_rsae', hash: 'SHA-256', legacy: false },
  { code: S.rsa_pss_rsae_sha384, kind: 'rsa_pss_rsae', hash: 'SHA-384', legacy: false },
  { code: S.rsa_pss_rsae_sha512, kind: 'rsa_pss_rsae', hash: 'SHA-512', legacy: false },
  { code: S.ed25519, kind: 'ed25519', legacy: false },
  { code: S.ed448, kind: 'ed448', legacy: false },
  { code: S.rsa_pss_pss_sha256, kind: 'rsa_pss_pss', hash: 'SHA-256', legacy: false },
  { code: S.rsa_pss_pss_sha384, kind: 'rsa_pss_pss', hash: 'SHA-384', legacy: false },
  { code: S.rsa_pss_pss_sha512, kind: 'rsa_pss_pss', hash: 'SHA-512', legacy: false },
  {
    code: S.ecdsa_brainpoolP256r1tls13_sha256,
    kind: 'ecdsa',
    hash: 'SHA-256',
    curve: 'brainpoolP256r1',
    legacy: false,
  },
  {
    code: S.ecdsa_brainpoolP384r1tls13_sha384,
    kind: 'ecdsa',
    hash: 'SHA-384',
    curve: 'brainpoolP384r1',
    legacy: false,
  },
  {
    code: S.ecdsa_brainpoolP512r1tls13_sha512,
    kind: 'ecdsa',
    hash: 'SHA-512',
    curve: 'brainpoolP512r1',
    legacy: false,
  },
];
const BY_CODE = new Map(SCHEMES.map((s) => [s.code, s]));

/** Scheme details, or undefined for a scheme this layer does not implement. */
export function schemeInfo(code: number): SchemeInfo | undefined {
  const s = BY_CODE.get(code);
  return s ? { ...s } : undefined;
}

/** Codes of every implemented scheme. */
export function supportedSchemes(): number[] {
  return SCHEMES.map((s) => s.code);
}

const SCHEME_CURVE_OID: Record<SchemeCurve, string> = {
  'P-256': OID.prime256v1,
  'P-384': OID.secp384r1,
  'P-521': OID.secp521r1,
  brainpoolP256r1: OID.brainpoolP256r1,
  brainpoolP384r1: OID.brainpoolP384r1,
  brainpoolP512r1: OID.brainpoolP512r1,
};

/** TLS 1.2 ServerKeyExchange signed content: client_random + server_random + params. */
export function serverKeyExchangeContent12(clientRandom: Uint8Array, serverRandom: Uint8Array, params: Uint8Array): Uint8Array {
  return concatBytes([clientRandom, serverRandom, params]);
}

/** TLS 1.2 CertificateVerify signed content: all handshake messages so far, concatenated (signed directly). */
export function certificateVerifyContent12(messages: readonly Uint8Array[]): Uint8Array {
  return concatBytes(messages);
}

const CV13_PREFIX = new Uint8Array(64).fill(0x20);
const enc = new TextEncoder();

/** TLS 1.3 CertificateVerify signed content: 64 x 0x20, context string, 0x00, Transcript-Hash. */
export function certificateVerifyContent13(role: 'server' | 'client', transcriptHash: Uint8Array): Uint8Array {
  return concatBytes([CV13_PREFIX, enc.encode(`TLS 1.3, ${role} CertificateVerify`), Uint8Array.of(0), transcriptHash]);
}

export type VerifyError = 'unsupported_scheme' | 'bad_key' | 'key_scheme_mismatch' | 'bad_encoding' | 'bad_signature';

export interface VerifyOptions {
  /** TLS 1.3 binds the ECDSA curve to the scheme; TLS 1.2 uses only its hash. Default 13. */
  version?: 12 | 13;
}

// ---- the arithmetic's view of a signature algorithm ---------------------------

/** A signature algorithm as the arithmetic sees it; TLS schemes and X.509 AlgorithmIdentifiers both map here. */
export type SigAlg =
  | { kind: 'rsa_pkcs1'; hash: HashName }
  | { kind: 'rsa_pss'; hash: HashName; mgfHash: HashName; saltLength: number }
  | { kind: 'ecdsa'; hash: HashName }
  | { kind: 'eddsa'; curve: 'Ed25519' | 'Ed448' }
  | { kind: 'dsa'; hash: HashName };

/** The algorithm of a TLS scheme (RSA-PSS: MGF1 with the same hash, salt = hash length, RFC 8446 §4.2.3). */
export function sigAlgOfScheme(s: SchemeInfo): SigAlg {
  switch (s.kind) {
    case 'rsa_pkcs1':
      return { kind: 'rsa_pkcs1', hash: s.hash! };
    case 'rsa_pss_rsae':
    case 'rsa_pss_pss':
      return { kind: 'rsa_pss', hash: s.hash!, mgfHash: s.hash!, saltLength: hashLength(s.hash!) };
    case 'ecdsa':
      return { kind: 'ecdsa', hash: s.hash! };
    case 'ed25519':
      return { kind: 'eddsa', curve: 'Ed25519' };
    case 'ed448':
      return { kind: 'eddsa', curve: 'Ed448' };
    case 'dsa':
      return { kind: 'dsa', hash: s.hash! };
  }
}

/** The algorithm of each scheme, computed once. */
const SCHEME_ALG: ReadonlyMap<number, SigAlg> = new Map(SCHEMES.map((s) => [s.code, sigAlgOfScheme(s)]));

const HASH_BY_OID: ReadonlyMap<string, HashName> = new Map([
  [OID.md5, 'MD5'],
  [OID.sha1, 'SHA-1'],
  [OID.sha224, 'SHA-224'],
  [OID.sha256, 'SHA-256'],
  [OID.sha384, 'SHA-384'],
  [OID.sha512, 'SHA-512'],
]);

/** X.509 signature algorithm OIDs (RFC 3279, RFC 4055, RFC 5758, RFC 8410) and their algorithm (PSS: from the parameters). */
const X509_SIG_ALGS: ReadonlyMap<string, SigAlg | 'pss'> = new Map<string, SigAlg | 'pss'>([
  [oidHex('1.2.840.113549.1.1.4'), { kind: 'rsa_pkcs1', hash: 'MD5' }],
  [oidHex('1.2.840.113549.1.1.5'), { kind: 'rsa_pkcs1', hash: 'SHA-1' }],
  [oidHex('1.2.840.113549.1.1.14'), { kind: 'rsa_pkcs1', hash: 'SHA-224' }],
  [oidHex('1.2.840.113549.1.1.11'), { kind: 'rsa_pkcs1', hash: 'SHA-256' }],
  [oidHex('1.2.840.113549.1.1.12'), { kind: 'rsa_pkcs1', hash: 'SHA-384' }],
  [oidHex('1.2.840.113549.1.1.13'), { kind: 'rsa_pkcs1', hash: 'SHA-512' }],
  [OID.rsassaPss, 'pss'],
  [oidHex('1.2.840.10045.4.1'), { kind: 'ecdsa', hash: 'SHA-1' }],
  [oidHex('1.2.840.10045.4.3.1'), { kind: 'ecdsa', hash: 'SHA-224' }],
  [oidHex('1.2.840.10045.4.3.2'), { kind: 'ecdsa', hash: 'SHA-256' }],
  [oidHex('1.2.840.10045.4.3.3'), { kind: 'ecdsa', hash: 'SHA-384' }],
  [oidHex('1.2.840.10045.4.3.4'), { kind: 'ecdsa', hash: 'SHA-512' }],
  [OID.ed25519, { kind: 'eddsa', curve: 'Ed25519' }],
  [OID.ed448, { kind: 'eddsa', curve: 'Ed448' }],
  [oidHex('1.2.840.10040.4.3'), { kind: 'dsa', hash: 'SHA-1' }],
  [oidHex('2.16.840.1.101.3.4.3.1'), { kind: 'dsa', hash: 'SHA-224' }],
  [oidHex('2.16.840.1.101.3.4.3.2'), { kind: 'dsa', hash: 'SHA-256' }],
  [oidHex('2.16.840.1.101.3.4.3.3'), { kind: 'dsa', hash: 'SHA-384' }],
  [oidHex('2.16.840.1.101.3.4.3.4'), { kind: 'dsa', hash: 'SHA-512' }],
]);

/**
 * The algorithm of an X.509 AlgorithmIdentifier (OID hex, and the
 * parameters TLV for RSASSA-PSS), or a reason it has none here.
 */
export function sigAlgOfAlgorithmIdentifier(oid: string, parametersDer?: Uint8Array): SigAlg | { unsupported: string } {
  const a = X509_SIG_ALGS.get(oid);
  if (!a) return { unsupported: `signature algorithm OID ${oid} is not implemented (e.g. MD2)` };
  if (a !== 'pss') return a;
  let pp: ReturnType<typeof parsePssParams>;
  try {
    pp = parsePssParams(parametersDer);
  } catch (e) {
    return { unsupported: `malformed RSASSA-PSS parameters (${e instanceof Error ? e.message : String(e)})` };
  }
  const hash = HASH_BY_OID.get(pp.hash);
  const mgfHash = HASH_BY_OID.get(pp.mgfHash);
  if (!hash || !mgfHash) return { unsupported: `RSASSA-PSS with an unknown hash (${pp.hash} / MGF1 ${pp.mgfHash})` };
  return { kind: 'rsa_pss', hash, mgfHash, saltLength: pp.saltLength };
}

function algName(a: SigAlg): string {
  switch (a.kind) {
    case 'eddsa':
      return a.curve;
    case 'rsa_pss':
      return `RSASSA-PSS/${a.hash}/MGF1-${a.mgfHash}/salt ${a.saltLength}`;
    default:
      return `${a.kind}/${a.hash}`;
  }
}

// ---- key checks --------------------------------------------------------------

/**
 * Why `info` cannot verify `alg` (undefined when it can). RSASSA-PSS keys
 * (id-RSASSA-PSS) with parameters restrict the signatures they make to
 * their hash and MGF and a salt at least theirs (what OpenSSL enforces for
 * such keys, after RFC 4055 §3.1), and never make PKCS#1 v1.5 signatures.
 * TLS schemes add RFC 8446's stricter rule (schemeKeyProblem).
 */
function keyProblem(a: SigAlg, info: SpkiInfo): { reason: 'key_scheme_mismatch' | 'bad_key'; detail: string } | undefined {
  const mismatch = (what: string) => ({ reason: 'key_scheme_mismatch' as const, detail: `${algName(a)} needs ${what}` });
  switch (a.kind) {
    case 'rsa_pkcs1':
      return info.algorithm === OID.rsaEncryption ? undefined : mismatch('an rsaEncryption key');
    case 'rsa_pss': {
      if (info.algorithm === OID.rsaEncryption) return undefined;
      if (info.algorithm !== OID.rsassaPss) return mismatch('an RSA key');
      if (!info.parametersDer) return undefined;
      let pp: ReturnType<typeof parsePssParams>;
      try {
        pp = parsePssParams(info.parametersDer);
      } catch (e) {
        return { reason: 'bad_key', detail: `RSASSA-PSS key parameters: ${e instanceof Error ? e.message : String(e)}` };
      }
      if (HASH_BY_OID.get(pp.hash) !== a.hash || HASH_BY_OID.get(pp.mgfHash) !== a.mgfHash || a.saltLength < pp.saltLength)
        return {
          reason: 'key_scheme_mismatch',
          detail: `the RSASSA-PSS key is restricted to ${HASH_BY_OID.get(pp.hash) ?? pp.hash} with MGF1-${HASH_BY_OID.get(pp.mgfHash) ?? pp.mgfHash} and salt >= ${pp.saltLength}`,
        };
      return undefined;
    }
    case 'ecdsa':
      if (info.algorithm !== OID.ecPublicKey) return mismatch('an EC key');
      return curveByOid(info.parameters)
        ? undefined
        : { reason: 'bad_key', detail: `unknown EC curve ${info.parameters ?? '(none)'}` };
    case 'eddsa':
      return info.algorithm === (a.curve === 'Ed25519' ? OID.ed25519 : OID.ed448) ? undefined : mismatch(`an ${a.curve} key`);
    case 'dsa':
      return info.algorithm === OID.dsa ? undefined : mismatch('a DSA key');
  }
}

/**
 * Why a TLS scheme cannot be used with this key (beyond the algorithm: rsae/pss OIDs, PSS key parameters,
 * the TLS 1.3 curve binding). RFC 8446 §4.2.3: rsa_pss_rsae_*: "If the public key is carried in an X.509
 * certificate, it MUST use the rsaEncryption OID [RFC5280]." rsa_pss_pss_*: "If the public key is carried in an
 * X.509 certificate, it MUST use the RSASSA-PSS OID [RFC5756]. ... If the corresponding public key's parameters
 * are present, then the parameters in the signature MUST be identical to those in the public key." (the scheme's
 * parameters: its hash for the digest and MGF1, "The length of the Salt MUST be equal to the length of the digest
 * algorithm").
 */
function schemeKeyProblem(s: SchemeInfo, info: SpkiInfo, version: 12 | 13): string | undefined {
  if (s.kind === 'rsa_pss_rsae' && info.algorithm !== OID.rsaEncryption)
    return 'rsa_pss_rsae_* needs an rsaEncryption key (RFC 8446 §4.2.3)';
  if (s.kind === 'rsa_pss_pss' && info.algorithm !== OID.rsassaPss)
    return 'rsa_pss_pss_* needs an id-RSASSA-PSS key (RFC 8446 §4.2.3)';
  if (s.kind === 'rsa_pss_pss' && info.parametersDer) {
    let pp: ReturnType<typeof parsePssParams>;
    try {
      pp = parsePssParams(info.parametersDer);
    } catch {
      return undefined; // reported as bad_key by the algorithm check
    }
    if (HASH_BY_OID.get(pp.hash) !== s.hash || HASH_BY_OID.get(pp.mgfHash) !== s.hash || pp.saltLength !== hashLength(s.hash!))
      return `the key's RSASSA-PSS parameters (${HASH_BY_OID.get(pp.hash) ?? pp.hash}, MGF1-${HASH_BY_OID.get(pp.mgfHash) ?? pp.mgfHash}, salt ${pp.saltLength}) are not the scheme's: they MUST be identical (RFC 8446 §4.2.3)`;
  }
  if (s.kind === 'ecdsa' && version === 13 && s.curve && info.parameters !== SCHEME_CURVE_OID[s.curve])
    return `in TLS 1.3 this scheme fixes the curve to ${s.curve} (RFC 8446 §4.2.3)`;
  return undefined;
}

/**
 * Why a key (its SubjectPublicKeyInfo) cannot sign with a TLS scheme in this version, or undefined when it can: the
 * checks verification applies (algorithm, RSASSA-PSS key parameters, the TLS 1.3 curve binding), for a signer to
 * choose a scheme its key fits.
 */
export function schemeKeyMismatch(scheme: number, spki: Uint8Array, version: 12 | 13): string | undefined {
  const s = BY_CODE.get(scheme);
  if (!s) return `unsupported signature scheme 0x${scheme.toString(16)}`;
  let info: SpkiInfo;
  try {
    info = parseSpki(spki);
  } catch (e) {
    return `SubjectPublicKeyInfo: ${e instanceof Error ? e.message : String(e)}`;
  }
  return keyProblem(sigAlgOfScheme(s), info)?.detail ?? schemeKeyProblem(s, info, version);
}

// ---- what each provider's WebCrypto can do --------------------------------------

interface SubtleAlg {
  importAlg: RsaHashedImportParams | EcKeyImportParams | Algorithm;
  signAlg: Algorithm | RsaPssParams | EcdsaParams;
  /** ECDSA: size of r and s in WebCrypto's raw signatures. */
  coord?: number;
}

/**
 * The WebCrypto form of `a` for this provider and key, or undefined when its
 * WebCrypto cannot do it (then node:crypto does it).
 */
function subtleAlgOf(p: CryptoProvider, a: SigAlg, info: SpkiInfo): SubtleAlg | undefined {
  switch (a.kind) {
    case 'rsa_pkcs1':
      if (!subtleHasHash(a.hash)) return undefined;
      return { importAlg: { name: 'RSASSA-PKCS1-v1_5', hash: a.hash }, signAlg: { name: 'RSASSA-PKCS1-v1_5' } };
    case 'rsa_pss': {
      // WebCrypto's RSA-PSS uses MGF1 with the same hash.
      if (!subtleHasHash(a.hash) || a.mgfHash !== a.hash) return undefined;
      // Node's WebCrypto refuses id-RSASSA-PSS keys ("Invalid key type"); @peculiar takes them.
      if (info.algorithm === OID.rsassaPss && p.dialect !== 'peculiar') return undefined;
      const signAlg: RsaPssParams = { name: 'RSA-PSS', saltLength: a.saltLength };
      return { importAlg: { name: 'RSA-PSS', hash: a.hash }, signAlg };
    }
    case 'ecdsa': {
      const c = curveByOid(info.parameters);
      const web = c?.form === 'prime' ? c.webcrypto : undefined;
      if (!c || !web || !subtleHasHash(a.hash)) return undefined;
      if (!web.standard && p.dialect !== 'peculiar') return undefined;
      const signAlg: EcdsaParams = { name: 'ECDSA', hash: a.hash };
      return { importAlg: { name: 'ECDSA', namedCurve: web.name }, signAlg, coord: c.orderSize };
    }
    case 'eddsa':
      if (a.curve === 'Ed25519') return { importAlg: { name: 'Ed25519' }, signAlg: { name: 'Ed25519' } };
      if (p.dialect === 'node') return { importAlg: { name: 'Ed448' }, signAlg: { name: 'Ed448' } };
      if (p.dialect === 'peculiar') {
        const alg: EcKeyImportParams = { name: 'EdDSA', namedCurve: 'Ed448' };
        return { importAlg: alg, signAlg: alg };
      }
      return undefined;
    case 'dsa':
      return undefined;
  }
}

/** Whether the provider's WebCrypto (rather than node:crypto) runs `a` for keys like `info`. */
export function viaSubtle(p: CryptoProvider, a: SigAlg, info: SpkiInfo): boolean {
  return p.asymImpl === 'subtle' && subtleAlgOf(p, a, info) !== undefined;
}

// ---- verify ---------------------------------------------------------------------

/** Strict DER check of an ECDSA/DSA signature; returns the raw r||s (each `coord` bytes). */
function strictDer(sig: Uint8Array, coord: number): Uint8Array | { ok: false; reason: 'bad_encoding'; detail?: string } {
  try {
    return ecdsaDerToRaw(sig, coord);
  } catch (e) {
    if (e instanceof DecodeError) return fail('bad_encoding', e.message);
    throw e;
  }
}

function dsaCoord(key: KeyObject): number {
  const q = key.asymmetricKeyDetails?.divisorLength;
  return q ? Math.ceil(q / 8) : 64;
}

function nodeVerifyWith(a: SigAlg, key: KeyObject, content: Uint8Array, sig: Uint8Array): boolean {
  switch (a.kind) {
    case 'rsa_pkcs1':
    case 'ecdsa':
    case 'dsa':
      return nodeVerify(nodeHashName(a.hash), content, key, sig);
    case 'rsa_pss':
      return nodeVerify(
        nodeHashName(a.hash),
        content,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: a.saltLength },
        sig,
      );
    case 'eddsa':
      return nodeVerify(null, content, key, sig);
  }
}

/**
 * Verify `signature` (as carried in TLS and X.509: DER for ECDSA/DSA) over
 * `content` with the SPKI public key, under algorithm `a`.
 */
export async function verifyWith(
  p: CryptoProvider,
  a: SigAlg,
  spki: Uint8Array,
  content: Uint8Array,
  signature: Uint8Array,
): Promise<Check<VerifyError>> {
  let entry: SpkiEntry;
  try {
    entry = spkiEntry(p, spki);
  } catch (e) {
    return fail('bad_key', e instanceof Error ? e.message : String(e));
  }
  return verifyEntry(p, a, spki, entry, content, signature);
}

async function verifyEntry(
  p: CryptoProvider,
  a: SigAlg,
  spki: Uint8Array,
  entry: SpkiEntry,
  content: Uint8Array,
  signature: Uint8Array,
): Promise<Check<VerifyError>> {
  const info = entry.info;
  const kp = keyProblem(a, info);
  if (kp) return fail(kp.reason, kp.detail);
  if (a.kind === 'rsa_pss' && a.mgfHash !== a.hash)
    return fail('unsupported_scheme', `RSASSA-PSS with MGF1-${a.mgfHash} under ${a.hash} (node:crypto ties MGF1 to the hash)`);
  if (a.kind === 'eddsa' && signature.length !== (a.curve === 'Ed25519' ? 64 : 114))
    return fail(
      'bad_encoding',
      `${a.curve} signature must be ${a.curve === 'Ed25519' ? 64 : 114} bytes, got ${signature.length}`,
    );
  const sub = p.asymImpl === 'subtle' ? subtleAlgOf(p, a, info) : undefined;
  if (sub) {
    let sig = signature;
    if (a.kind === 'ecdsa') {
      const raw = strictDer(signature, sub.coord!);
      if (!(raw instanceof Uint8Array)) return raw;
      sig = raw;
    }
    let key: CryptoKey;
    try {
      key = await subtleKey(p, 'spki', spki, sub.importAlg, ['verify']);
    } catch (e) {
      return fail('bad_key', e instanceof Error ? e.message : String(e));
    }
    try {
      return (await p.subtle.verify(sub.signAlg, key, buf(sig), buf(content)))
        ? { ok: true }
        : fail('bad_signature', 'signature does not verify');
    } catch (e) {
      return fail('bad_signature', e instanceof Error ? e.message : String(e));
    }
  }
  let key: KeyObject;
  try {
    key = nodePublicKeyOf(p, spki, entry);
  } catch (e) {
    return fail('bad_key', e instanceof Error ? e.message : String(e));
  }
  if (a.kind === 'ecdsa' || a.kind === 'dsa') {
    const coord = a.kind === 'ecdsa' ? curveByOid(info.parameters)!.orderSize : dsaCoord(key);
    const raw = strictDer(signature, coord);
    if (!(raw instanceof Uint8Array)) return raw;
  }
  try {
    return nodeVerifyWith(a, key, content, signature) ? { ok: true } : fail('bad_signature', 'signature does not verify');
  } catch (e) {
    return fail('bad_signature', e instanceof Error ? e.message : String(e));
  }
}

/**
 * Verify a TLS signature (`scheme`, as carried in TLS) over `content` with
 * the SPKI public key.
 */
export async function verifySignature(
  p: CryptoProvider,
  scheme: number,
  spki: Uint8Array,
  content: Uint8Array,
  signature: Uint8Array,
  opts: VerifyOptions = {},
): Promise<Check<VerifyError>> {
  const s = BY_CODE.get(scheme);
  if (!s) return fail('unsupported_scheme', `signature scheme 0x${scheme.toString(16).padStart(4, '0')}`);
  let entry: SpkiEntry;
  try {
    entry = spkiEntry(p, spki);
  } catch (e) {
    return fail('bad_key', e instanceof Error ? e.message : String(e));
  }
  const why = schemeKeyProblem(s, entry.info, opts.version ?? 13);
  if (why) return fail('key_scheme_mismatch', `${why}; key algorithm ${entry.info.algorithm} ${entry.info.parameters ?? ''}`);
  return verifyEntry(p, SCHEME_ALG.get(scheme)!, spki, entry, content, signature);
}

// ---- sign -----------------------------------------------------------------------

export interface SigningKey {
  scheme: number;
  /** PKCS#8 DER of the private key (imported once per provider, on first use). */
  pkcs8: Uint8Array;
  /** SubjectPublicKeyInfo DER of the public key. */
  spki: Uint8Array;
}

function nodeSignWith(a: SigAlg, key: KeyObject, content: Uint8Array): Uint8Array {
  switch (a.kind) {
    case 'rsa_pkcs1':
    case 'ecdsa':
    case 'dsa':
      return new Uint8Array(nodeSign(nodeHashName(a.hash), content, key));
    case 'rsa_pss':
      return new Uint8Array(
        nodeSign(nodeHashName(a.hash), content, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: a.saltLength }),
      );
    case 'eddsa':
      return new Uint8Array(nodeSign(null, content, key));
  }
}

/**
 * Sign `content` under algorithm `a` with a PKCS#8 private key whose public
 * half is `spki`; the signature as TLS and X.509 carry it (DER for ECDSA/DSA).
 */
export async function signWith(
  p: CryptoProvider,
  a: SigAlg,
  pkcs8: Uint8Array,
  spki: Uint8Array,
  content: Uint8Array,
): Promise<Uint8Array> {
  const info = spkiEntry(p, spki).info;
  const kp = keyProblem(a, info);
  if (kp) throw new Error(`cannot sign: ${kp.detail}`);
  const sub = p.asymImpl === 'subtle' ? subtleAlgOf(p, a, info) : undefined;
  if (sub) {
    const key = await subtleKey(p, 'pkcs8', pkcs8, sub.importAlg, ['sign']);
    const sig = new Uint8Array(await p.subtle.sign(sub.signAlg, key, buf(content)));
    return a.kind === 'ecdsa' ? ecdsaRawToDer(sig) : sig;
  }
  return nodeSignWith(a, nodePrivateKey(p, pkcs8), content);
}

/** Sign `content` as TLS carries it (ECDSA signatures DER-encoded). */
export async function sign(p: CryptoProvider, key: SigningKey, content: Uint8Array): Promise<Uint8Array> {
  const s = BY_CODE.get(key.scheme);
  if (!s) throw new Error(`unsupported signature scheme 0x${key.scheme.toString(16)}`);
  return signWith(p, sigAlgOfScheme(s), key.pkcs8, key.spki, content);
}

/**
 * Bind a private key (PKCS#8 DER, with its SPKI) to a scheme it can sign
 * with, e.g. one RSA key used for PKCS#1 and PSS with any hash. Throws when
 * the key does not fit the scheme (TLS 1.2 view: any curve for ECDSA).
 */
export async function importSigningKey(
  p: CryptoProvider,
  scheme: number,
  pkcs8: Uint8Array,
  spki: Uint8Array,
): Promise<SigningKey> {
  const s = BY_CODE.get(scheme);
  if (!s) throw new Error(`unsupported signature scheme 0x${scheme.toString(16)}`);
  const info = spkiEntry(p, spki).info;
  const why = keyProblem(sigAlgOfScheme(s), info)?.detail ?? schemeKeyProblem(s, info, 12);
  if (why) throw new Error(`key does not fit scheme 0x${scheme.toString(16)}: ${why}`);
  return { scheme, pkcs8, spki };
}

/** Export a signing key's private half as PKCS#8 DER. */
export async function exportPkcs8(_p: CryptoProvider, key: SigningKey): Promise<Uint8Array> {
  return key.pkcs8;
}

const SCHEME_NODE_CURVE: Record<SchemeCurve, string> = {
  'P-256': 'prime256v1',
  'P-384': 'secp384r1',
  'P-521': 'secp521r1',
  brainpoolP256r1: 'brainpoolP256r1',
  brainpoolP384r1: 'brainpoolP384r1',
  brainpoolP512r1: 'brainpoolP512r1',
};

function nodeKeyPair(s: SchemeInfo, modulusLength: number): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (s.kind) {
    case 'rsa_pkcs1':
    case 'rsa_pss_rsae':
      return generateKeyPairSync('rsa', { modulusLength });
    case 'rsa_pss_pss': {
      const h = nodeHashName(s.hash!);
      // OpenSSL sets the key's minimum salt to the hash length when the hash is given (RFC 8446 §4.2.3: salt = hash length).
      return generateKeyPairSync('rsa-pss', { modulusLength, hashAlgorithm: h, mgf1HashAlgorithm: h });
    }
    case 'ecdsa':
      return generateKeyPairSync('ec', { namedCurve: SCHEME_NODE_CURVE[s.curve ?? 'P-256'] });
    case 'ed25519':
      return generateKeyPairSync('ed25519');
    case 'ed448':
      return generateKeyPairSync('ed448');
    case 'dsa':
      return generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 });
  }
}

/**
 * Generate a key for a scheme (RSA: `modulusLength` bits, default 2048;
 * ECDSA: the scheme's curve, P-256 for the legacy ones without one). The
 * subtle providers generate with their WebCrypto when it has the algorithm.
 */
export async function generateSigningKey(p: CryptoProvider, scheme: number, modulusLength = 2048): Promise<SigningKey> {
  const s = BY_CODE.get(scheme);
  if (!s) throw new Error(`unsupported signature scheme 0x${scheme.toString(16)}`);
  if (p.asymImpl === 'subtle') {
    const gen = subtleGenParams(p, s, modulusLength);
    if (gen) {
      const kp = (await p.subtle.generateKey(gen, true, ['sign', 'verify'])) as CryptoKeyPair;
      const pkcs8 = new Uint8Array(await p.subtle.exportKey('pkcs8', kp.privateKey));
      const spki = new Uint8Array(await p.subtle.exportKey('spki', kp.publicKey));
      return { scheme, pkcs8, spki };
    }
  }
  const kp = nodeKeyPair(s, modulusLength);
  return {
    scheme,
    pkcs8: new Uint8Array(kp.privateKey.export({ format: 'der', type: 'pkcs8' })),
    spki: new Uint8Array(kp.publicKey.export({ format: 'der', type: 'spki' })),
  };
}

function subtleGenParams(p: CryptoProvider, s: SchemeInfo, modulusLength: number): Algorithm | undefined {
  const info: SpkiInfo = {
    algorithm: s.kind === 'ecdsa' ? OID.ecPublicKey : s.kind === 'rsa_pss_pss' ? OID.rsassaPss : OID.rsaEncryption,
    publicKey: new Uint8Array(0),
  };
  if (s.kind === 'ecdsa') info.parameters = SCHEME_CURVE_OID[s.curve ?? 'P-256'];
  // id-RSASSA-PSS keys: WebCrypto generates rsaEncryption keys, so node:crypto makes those.
  if (s.kind === 'rsa_pss_pss' || s.kind === 'dsa') return undefined;
  const sub = subtleAlgOf(p, sigAlgOfScheme(s), info);
  if (!sub) return undefined;
  if (s.kind === 'rsa_pkcs1' || s.kind === 'rsa_pss_rsae') {
    const rsa: RsaHashedKeyGenParams = {
      name: s.kind === 'rsa_pkcs1' ? 'RSASSA-PKCS1-v1_5' : 'RSA-PSS',
      hash: s.hash!,
      modulusLength,
      publicExponent: Uint8Array.of(1, 0, 1),
    };
    return rsa;
  }
  return sub.importAlg;
}
