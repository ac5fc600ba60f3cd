/**
 * Handshake signatures (RFC 5246 §7.4.3/§7.4.8, RFC 8446 §4.4.3) through the
 * provider's subtle: RSASSA-PKCS1-v1_5, RSA-PSS (rsae, salt = hash length),
 * ECDSA (TLS carries DER, WebCrypto wants raw r||s: converted here with
 * strict DER checks) and Ed25519. Public keys come in as SubjectPublicKeyInfo
 * DER. Verification returns a typed result instead of throwing.
 */
import { DecodeError } from '../wire/errors';
import { concatBytes } from '../wire/hex';
import { SignatureScheme } from '../wire/registry';
import { ecdsaDerToRaw, ecdsaRawToDer, OID, parseSpki, type SpkiInfo } from './der';
import { type HashName, hashLength } from './hash';
import { buf, type CryptoProvider } from './provider';
import { type Check, fail } from './result';

export type SchemeKind = 'rsa_pkcs1' | 'rsa_pss_rsae' | 'ecdsa' | 'ed25519';

export interface SchemeInfo {
  code: number;
  kind: SchemeKind;
  /** Hash of the scheme (undefined for Ed25519, which hashes internally). */
  hash?: HashName;
  /** Curve bound to the scheme in TLS 1.3 (ECDSA only; ecdsa_sha1 has none). */
  curve?: 'P-256' | 'P-384';
}

const S = SignatureScheme;
const SCHEMES: readonly SchemeInfo[] = [
  { code: S.rsa_pkcs1_sha1, kind: 'rsa_pkcs1', hash: 'SHA-1' },
  { code: S.rsa_pkcs1_sha256, kind: 'rsa_pkcs1', hash: 'SHA-256' },
  { code: S.rsa_pkcs1_sha384, kind: 'rsa_pkcs1', hash: 'SHA-384' },
  { code: S.rsa_pkcs1_sha512, kind: 'rsa_pkcs1', hash: 'SHA-512' },
  { code: S.rsa_pss_rsae_sha256, kind: 'rsa_pss_rsae', hash: 'SHA-256' },
  { code: S.rsa_pss_rsae_sha384, kind: 'rsa_pss_rsae', hash: 'SHA-384' },
  { code: S.rsa_pss_rsae_sha512, kind: 'rsa_pss_rsae', hash: 'SHA-512' },
  { code: S.ecdsa_sha1, kind: 'ecdsa', hash: 'SHA-1' },
  { code: S.ecdsa_secp256r1_sha256, kind: 'ecdsa', hash: 'SHA-256', curve: 'P-256' },
  { code: S.ecdsa_secp384r1_sha384, kind: 'ecdsa', hash: 'SHA-384', curve: 'P-384' },
  { code: S.ed25519, kind: 'ed25519' },
];

/** Scheme details, or undefined for a scheme this layer does not implement. */
export function schemeInfo(code: number): SchemeInfo | undefined {
  const s = SCHEMES.find((x) => x.code === code);
  return s ? { ...s } : undefined;
}

/** Codes of every implemented scheme. */
export function supportedSchemes(): number[] {
  return SCHEMES.map((s) => s.code);
}

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

function curveOf(info: SpkiInfo): 'P-256' | 'P-384' | 'P-521' | undefined {
  if (info.parameters === OID.prime256v1) return 'P-256';
  if (info.parameters === OID.secp384r1) return 'P-384';
  if (info.parameters === OID.secp521r1) return 'P-521';
  return undefined;
}

const COORD: Record<'P-256' | 'P-384' | 'P-521', number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

function importParams(
  s: SchemeInfo,
  info: SpkiInfo,
  version: 12 | 13,
): { alg: RsaHashedImportParams | EcKeyImportParams | Algorithm; curve?: 'P-256' | 'P-384' | 'P-521' } | VerifyError {
  switch (s.kind) {
    case 'rsa_pkcs1':
    case 'rsa_pss_rsae':
      if (info.algorithm !== OID.rsaEncryption) return 'key_scheme_mismatch';
      return { alg: { name: s.kind === 'rsa_pkcs1' ? 'RSASSA-PKCS1-v1_5' : 'RSA-PSS', hash: s.hash! } };
    case 'ecdsa': {
      if (info.algorithm !== OID.ecPublicKey) return 'key_scheme_mismatch';
      const curve = curveOf(info);
      if (!curve) return 'bad_key';
      if (version === 13 && s.curve && s.curve !== curve) return 'key_scheme_mismatch';
      return { alg: { name: 'ECDSA', namedCurve: curve }, curve };
    }
    case 'ed25519':
      if (info.algorithm !== OID.ed25519) return 'key_scheme_mismatch';
      return { alg: { name: 'Ed25519' } };
  }
}

function signParams(s: SchemeInfo): AlgorithmIdentifier | RsaPssParams | EcdsaParams {
  switch (s.kind) {
    case 'rsa_pkcs1':
      return { name: 'RSASSA-PKCS1-v1_5' };
    case 'rsa_pss_rsae':
      return { name: 'RSA-PSS', saltLength: hashLength(s.hash!) } as RsaPssParams;
    case 'ecdsa':
      return { name: 'ECDSA', hash: s.hash! } as EcdsaParams;
    case 'ed25519':
      return { name: 'Ed25519' };
  }
}

/**
 * Verify `signature` (as carried in TLS: DER for ECDSA) over `content` with
 * the SPKI public key under `scheme`.
 */
export async function verifySignature(
  p: CryptoProvider,
  scheme: number,
  spki: Uint8Array,
  content: Uint8Array,
  signature: Uint8Array,
  opts: VerifyOptions = {},
): Promise<Check<VerifyError>> {
  const s = schemeInfo(scheme);
  if (!s) return fail('unsupported_scheme', `signature scheme 0x${scheme.toString(16).padStart(4, '0')}`);
  let info: SpkiInfo;
  try {
    info = parseSpki(spki);
  } catch (e) {
    return fail('bad_key', e instanceof Error ? e.message : String(e));
  }
  const ip = importParams(s, info, opts.version ?? 13);
  if (typeof ip === 'string')
    return fail(ip, `key algorithm ${info.algorithm} ${info.parameters ?? ''} vs scheme 0x${scheme.toString(16)}`);
  let sig = signature;
  if (s.kind === 'ecdsa') {
    try {
      sig = ecdsaDerToRaw(signature, COORD[ip.curve!]);
    } catch (e) {
      if (e instanceof DecodeError) return fail('bad_encoding', e.message);
      throw e;
    }
  } else if (s.kind === 'ed25519' && signature.length !== 64) {
    return fail('bad_encoding', `Ed25519 signature must be 64 bytes, got ${signature.length}`);
  }
  let key: CryptoKey;
  try {
    key = await p.subtle.importKey('spki', buf(spki), ip.alg, false, ['verify']);
  } catch (e) {
    return fail('bad_key', e instanceof Error ? e.message : String(e));
  }
  let good: boolean;
  try {
    good = await p.subtle.verify(signParams(s), key, buf(sig), buf(content));
  } catch (e) {
    return fail('bad_signature', e instanceof Error ? e.message : String(e));
  }
  return good ? { ok: true } : fail('bad_signature', 'signature does not verify');
}

export interface SigningKey {
  scheme: number;
  privateKey: CryptoKey;
  /** SubjectPublicKeyInfo DER of the public key. */
  spki: Uint8Array;
}

function keyAlgorithm(s: SchemeInfo, modulusLength: number): RsaHashedKeyGenParams | EcKeyGenParams | Algorithm {
  switch (s.kind) {
    case 'rsa_pkcs1':
    case 'rsa_pss_rsae':
      return {
        name: s.kind === 'rsa_pkcs1' ? 'RSASSA-PKCS1-v1_5' : 'RSA-PSS',
        hash: s.hash!,
        modulusLength,
        publicExponent: Uint8Array.of(1, 0, 1),
      };
    case 'ecdsa':
      return { name: 'ECDSA', namedCurve: s.curve ?? 'P-256' };
    case 'ed25519':
      return { name: 'Ed25519' };
  }
}

/** Generate a key for a scheme (RSA: `modulusLength` bits, default 2048). */
export async function generateSigningKey(p: CryptoProvider, scheme: number, modulusLength = 2048): Promise<SigningKey> {
  const s = schemeInfo(scheme);
  if (!s) throw new Error(`unsupported signature scheme 0x${scheme.toString(16)}`);
  const kp = (await p.subtle.generateKey(keyAlgorithm(s, modulusLength), true, ['sign', 'verify'])) as CryptoKeyPair;
  return { scheme, privateKey: kp.privateKey, spki: new Uint8Array(await p.subtle.exportKey('spki', kp.publicKey)) };
}

/**
 * Re-bind an existing private key (as PKCS#8 DER) to another scheme of the
 * same key type, e.g. one RSA key used for PKCS#1 and PSS with any hash.
 */
export async function importSigningKey(
  p: CryptoProvider,
  scheme: number,
  pkcs8: Uint8Array,
  spki: Uint8Array,
): Promise<SigningKey> {
  const s = schemeInfo(scheme);
  if (!s) throw new Error(`unsupported signature scheme 0x${scheme.toString(16)}`);
  const info = parseSpki(spki);
  const ip = importParams(s, info, 12);
  if (typeof ip === 'string') throw new Error(`key does not fit scheme 0x${scheme.toString(16)}: ${ip}`);
  const privateKey = await p.subtle.importKey('pkcs8', buf(pkcs8), ip.alg, true, ['sign']);
  return { scheme, privateKey, spki };
}

/** Export a signing key's private half as PKCS#8 DER. */
export async function exportPkcs8(p: CryptoProvider, key: SigningKey): Promise<Uint8Array> {
  return new Uint8Array(await p.subtle.exportKey('pkcs8', key.privateKey));
}

/** Sign `content` as TLS carries it (ECDSA signatures DER-encoded). */
export async function sign(p: CryptoProvider, key: SigningKey, content: Uint8Array): Promise<Uint8Array> {
  const s = schemeInfo(key.scheme)!;
  const sig = new Uint8Array(await p.subtle.sign(signParams(s), key.privateKey, buf(content)));
  return s.kind === 'ecdsa' ? ecdsaRawToDer(sig) : sig;
}
