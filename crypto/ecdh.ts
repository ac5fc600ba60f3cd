/**
 * ECDHE on every elliptic-curve group of the TLS registry that node:crypto
 * has: secp192r1, secp224r1, secp256r1, secp384r1, secp521r1, the brainpool
 * r1 curves (RFC 7027 codes 26-28 and RFC 8734's TLS 1.3 codes 31-33),
 * sect163k1 and sect283k1 (deprecated by RFC 8422 but registered), x25519
 * and x448 (RFC 7748).
 *
 * Peer public values are validated here, never by the provider (RFC 8446
 * §4.2.8.2, RFC 8422 §5.4 / §5.11): uncompressed format, length,
 * coordinates in the field, and the curve equation checked with BigInt on
 * precomputed constants (crypto/curves.ts); for X25519/X448 the length, and
 * the all-zero result rejected (RFC 8446 §7.4.2: "For X25519 and X448,
 * implementations MUST check whether the computed Diffie-Hellman shared
 * secret is the all-zero value and abort if so, as described in Section 6
 * of [RFC7748]").
 * Private keys are plain bytes so that generated transcripts can record
 * them; the provider imports each one once (keyed by its bytes; the keys we
 * generate are stored at generation, never re-imported). Through subtle,
 * private keys go in as PKCS#8 (never JWK for X25519: Node 20 can deadlock
 * in JWK export/import loops).
 *
 * node:crypto path: for the Weierstrass curves, an ECDH object per private
 * value and `computeSecret(peer point)`: it takes the raw point, so a fresh
 * peer value costs no key import (a KeyObject import of a P-256 point
 * checks the key, and crypto.diffieHellman checks the peer again: 2-3x the
 * cost, measured in bench/crypto.ts); for X25519/X448, KeyObjects and
 * crypto.diffieHellman (an OKP import is cheap).
 */
import { createECDH, createPrivateKey, ECDH, createPublicKey, diffieHellman, type KeyObject, randomBytes } from 'node:crypto';
import { concatBytes, fromHex } from '../wire/hex';
import { bytesKey } from './cache';
import {
  bigFromBytes,
  type BinaryCurve,
  CURVE_GROUP_CODES,
  inField,
  MONTGOMERY,
  type MontgomeryCurve,
  type MontgomeryName,
  onCurve,
  type PrimeCurve,
  WEIERSTRASS,
  type WeierstrassName,
} from './curves';
import { pkcs8ForEc, pkcs8ForOkp, privateKeyFromPkcs8 } from './der';
import { subtleKey } from './keys';
import type { CryptoProvider } from './provider';
import { type Check, fail, type Result } from './result';

export type EcdhGroup = WeierstrassName | MontgomeryName;

/** Every group this module implements. */
export const ECDH_GROUPS: readonly EcdhGroup[] = [
  ...(Object.keys(WEIERSTRASS) as WeierstrassName[]),
  ...(Object.keys(MONTGOMERY) as MontgomeryName[]),
];

/** The NamedGroup code of each group (brainpool: the TLS 1.2 code; ecdhGroupOf also takes the TLS 1.3 one). */
export const ecdhGroupCodes: Readonly<Record<EcdhGroup, number>> = Object.fromEntries(
  ECDH_GROUPS.map((g) => [g, CURVE_GROUP_CODES[g][0]!]),
) as Record<EcdhGroup, number>;

const BY_CODE: ReadonlyMap<number, EcdhGroup> = new Map(ECDH_GROUPS.flatMap((g) => CURVE_GROUP_CODES[g].map((c) => [c, g])));

export function ecdhGroupOf(code: number): EcdhGroup | undefined {
  return BY_CODE.get(code);
}

/** The Weierstrass curves by group name (constants, sizes, OIDs; see crypto/curves.ts). */
export const CURVES = WEIERSTRASS;

export function isMontgomery(g: EcdhGroup): g is MontgomeryName {
  return g === 'x25519' || g === 'x448';
}

function curveOf(g: EcdhGroup): Readonly<PrimeCurve | BinaryCurve | MontgomeryCurve> {
  return isMontgomery(g) ? MONTGOMERY[g] : WEIERSTRASS[g];
}

/** Name for messages (P-256, brainpoolP256r1, X25519...). */
export function groupLabel(g: EcdhGroup): string {
  return isMontgomery(g) ? (g === 'x25519' ? 'X25519' : 'X448') : WEIERSTRASS[g].namedCurve;
}

export type PointError = 'wrong_length' | 'identity' | 'not_uncompressed' | 'coordinate_out_of_range' | 'not_on_curve';
export type EcdhError = PointError | 'bad_private_key' | 'zero_shared_secret' | 'provider_error';

/** Public value length of a group (uncompressed point, or the RFC 7748 u-coordinate). */
export function publicValueLength(g: EcdhGroup): number {
  const c = curveOf(g);
  return c.form === 'montgomery' ? c.size : 1 + 2 * c.size;
}

/** Shared secret and private key length: the field size (EC x coordinate, RFC 8446 §7.4.2) or 32 / 56. */
export function sharedSecretLength(g: EcdhGroup): number {
  return curveOf(g).size;
}

/** Validate a peer's public value as carried in TLS (RFC 8446 §4.2.8.2, RFC 8422 §5.4). */
export function validatePublicValue(g: EcdhGroup, pub: Uint8Array): Check<PointError> {
  const c = curveOf(g);
  if (c.form === 'montgomery')
    return pub.length === c.size
      ? { ok: true }
      : fail('wrong_length', `${groupLabel(g)} public value must be ${c.size} bytes, got ${pub.length}`);
  if (pub.length === 1 && pub[0] === 0) return fail('identity', 'point at infinity');
  if (pub.length !== 1 + 2 * c.size) return fail('wrong_length', `expected ${1 + 2 * c.size} bytes, got ${pub.length}`);
  if (pub[0] !== 0x04) return fail('not_uncompressed', `point format byte 0x${pub[0]!.toString(16).padStart(2, '0')}`);
  const x = bigFromBytes(pub.subarray(1, 1 + c.size));
  const y = bigFromBytes(pub.subarray(1 + c.size));
  if (!inField(c, x) || !inField(c, y))
    return fail('coordinate_out_of_range', c.form === 'prime' ? 'coordinate >= p' : `coordinate of degree >= ${c.m}`);
  if (!onCurve(c, x, y)) return fail('not_on_curve', c.form === 'prime' ? 'y^2 != x^3 + ax + b' : 'y^2 + xy != x^3 + ax^2 + b');
  return { ok: true };
}

export interface EcdhKeyPair {
  group: EcdhGroup;
  /** Private scalar bytes (EC: big-endian d, field size; X25519/X448: the 32/56-byte string). */
  privateKey: Uint8Array;
  /** Public value as sent in TLS (uncompressed point or u-coordinate). */
  publicKey: Uint8Array;
}

// ---- WebCrypto forms --------------------------------------------------------------

interface SubtleEcdh {
  importAlg: EcKeyImportParams | Algorithm;
  deriveName: string;
}

/** The WebCrypto form of a group for this provider, or undefined when its WebCrypto lacks it (node:crypto then). */
function subtleEcdhOf(p: CryptoProvider, g: EcdhGroup): SubtleEcdh | undefined {
  if (p.asymImpl !== 'subtle') return undefined;
  if (g === 'x25519') return { importAlg: { name: 'X25519' }, deriveName: 'X25519' };
  if (g === 'x448') {
    if (p.dialect === 'node') return { importAlg: { name: 'X448' }, deriveName: 'X448' };
    if (p.dialect === 'peculiar') {
      const alg: EcKeyImportParams = { name: 'ECDH-ES', namedCurve: 'X448' };
      return { importAlg: alg, deriveName: 'ECDH-ES' };
    }
    return undefined;
  }
  const c = WEIERSTRASS[g];
  if (c.form !== 'prime' || !c.webcrypto) return undefined;
  if (!c.webcrypto.standard && p.dialect !== 'peculiar') return undefined;
  const alg: EcKeyImportParams = { name: 'ECDH', namedCurve: c.webcrypto.name };
  return { importAlg: alg, deriveName: 'ECDH' };
}

/** Whether the provider's WebCrypto (rather than node:crypto) agrees keys on this group. */
export function ecdhViaSubtle(p: CryptoProvider, g: EcdhGroup): boolean {
  return subtleEcdhOf(p, g) !== undefined;
}

function pkcs8Of(g: EcdhGroup, priv: Uint8Array): Uint8Array {
  return isMontgomery(g) ? pkcs8ForOkp(MONTGOMERY[g].oid, priv) : pkcs8ForEc(WEIERSTRASS[g].oid, priv);
}

function leftPad(b: Uint8Array, n: number): Uint8Array {
  if (b.length >= n) return b;
  const out = new Uint8Array(n);
  out.set(b, n - b.length);
  return out;
}

// ---- node:crypto keys ---------------------------------------------------------------

const keyId = (g: EcdhGroup, raw: Uint8Array): string => `${g}:${bytesKey(raw)}`;

/** node:crypto private key of our raw private value (stored at generation; imported once otherwise). */
function nodePrivate(p: CryptoProvider, g: EcdhGroup, priv: Uint8Array): KeyObject {
  return p.keys.privates.getOrSet(keyId(g, priv), () => {
    p.keys.imports++;
    return createPrivateKey({ key: Buffer.from(pkcs8Of(g, priv)), format: 'der', type: 'pkcs8' });
  });
}

/** node:crypto public key of a (validated) X25519/X448 peer value, imported once per provider. */
function nodePublic(p: CryptoProvider, g: MontgomeryName, pub: Uint8Array): KeyObject {
  return p.keys.publics.getOrSet(keyId(g, pub), () => {
    p.keys.imports++;
    const x = Buffer.from(pub).toString('base64url');
    return createPublicKey({ key: { kty: 'OKP', crv: g === 'x25519' ? 'X25519' : 'X448', x }, format: 'jwk' });
  });
}

/** The ECDH object of our private value on a Weierstrass curve (made at generation; set up once otherwise). */
function nodeEcdh(p: CryptoProvider, g: WeierstrassName, priv: Uint8Array): ECDH {
  return p.keys.ecdh.getOrSet(keyId(g, priv), () => {
    p.keys.imports++;
    const e = createECDH(WEIERSTRASS[g].nodeName);
    e.setPrivateKey(Buffer.from(priv));
    return e;
  });
}

function nodeGenerate(p: CryptoProvider, g: EcdhGroup): EcdhKeyPair {
  if (isMontgomery(g)) {
    // RFC 7748 §5: the private key is that many random bytes (the function clamps them), the public key the function
    // applied to it and the base point u = 9 (X25519) or 5 (X448), §6. Not generateKeyPairSync: in Node 20, exporting
    // a freshly generated X25519/X448 key holds the key's mutex while it allocates, and a garbage collection in that
    // allocation may run the finished key-generation job's destructor, which takes the same mutex: the process
    // deadlocks, idle for good (seen as a jest worker, the bench and a helper's run that never ended; gdb:
    // ExportJWKEdKey -> GC -> ~KeyGenJob<NidKeyPairGenTraits> -> uv_mutex_lock; a loop of generate + export hangs
    // within ~7,000 keys). A key imported from its bytes has no such job. The JWK import takes `d` alone and derives
    // the public half itself (`x` is not read; crypto/ecdh.test.ts checks each pair against another implementation).
    const { size } = MONTGOMERY[g];
    const privateKey = new Uint8Array(randomBytes(size));
    const key = createPrivateKey({
      key: { kty: 'OKP', crv: g === 'x25519' ? 'X25519' : 'X448', d: Buffer.from(privateKey).toString('base64url'), x: '' },
      format: 'jwk',
    });
    p.keys.privates.set(keyId(g, privateKey), key);
    const base = new Uint8Array(size);
    base[0] = g === 'x25519' ? 9 : 5;
    // the base point is a constant of the group, not a value imported from a peer: made once, not counted as an import
    const basePoint = p.keys.publics.getOrSet(keyId(g, base), () =>
      createPublicKey({
        key: { kty: 'OKP', crv: g === 'x25519' ? 'X25519' : 'X448', x: Buffer.from(base).toString('base64url') },
        format: 'jwk',
      }),
    );
    const publicKey = new Uint8Array(diffieHellman({ privateKey: key, publicKey: basePoint }));
    return { group: g, privateKey, publicKey };
  }
  const e = createECDH(WEIERSTRASS[g].nodeName);
  e.generateKeys();
  const privateKey = leftPad(new Uint8Array(e.getPrivateKey()), WEIERSTRASS[g].size);
  p.keys.ecdh.set(keyId(g, privateKey), e);
  return { group: g, privateKey, publicKey: new Uint8Array(e.getPublicKey()) };
}

// ---- key pairs and agreement ------------------------------------------------------------

/** Fresh ephemeral key pair with the private key as bytes (its key object kept in the provider's store). */
export async function generateEcdhKeyPair(p: CryptoProvider, g: EcdhGroup): Promise<EcdhKeyPair> {
  const sub = subtleEcdhOf(p, g);
  if (!sub) return nodeGenerate(p, g);
  const kp = (await p.subtle.generateKey(sub.importAlg, true, ['deriveBits'])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await p.subtle.exportKey('raw', kp.publicKey));
  const privateKey = leftPad(
    privateKeyFromPkcs8(new Uint8Array(await p.subtle.exportKey('pkcs8', kp.privateKey))),
    sharedSecretLength(g),
  );
  return { group: g, privateKey, publicKey };
}

/**
 * Shared secret from our private key bytes and the peer's public value, after
 * our own validation. EC: the x coordinate (field size); X25519/X448: 32/56 bytes.
 */
export async function deriveEcdh(
  p: CryptoProvider,
  g: EcdhGroup,
  privateKey: Uint8Array,
  peerPublic: Uint8Array,
): Promise<Result<Uint8Array, EcdhError>> {
  const v = validatePublicValue(g, peerPublic);
  if (!v.ok) return v;
  const size = sharedSecretLength(g);
  if (privateKey.length !== size) return fail('bad_private_key', `private key must be ${size} bytes, got ${privateKey.length}`);
  const sub = subtleEcdhOf(p, g);
  let bits: Uint8Array;
  if (sub) {
    let priv: CryptoKey;
    try {
      priv = await subtleKey(p, 'pkcs8', pkcs8Of(g, privateKey), sub.importAlg, ['deriveBits']);
    } catch (e) {
      return fail('bad_private_key', e instanceof Error ? e.message : String(e));
    }
    try {
      const pub = await subtleKey(p, 'raw', peerPublic, sub.importAlg, []);
      const params: EcdhKeyDeriveParams = { name: sub.deriveName, public: pub };
      bits = new Uint8Array(await p.subtle.deriveBits(params, priv, size * 8));
    } catch (e) {
      // Node's WebCrypto and @peculiar refuse an all-zero X25519/X448 result themselves; our own check below stays.
      if (isMontgomery(g)) return fail('zero_shared_secret', `provider refused: ${e instanceof Error ? e.message : String(e)}`);
      return fail('provider_error', e instanceof Error ? e.message : String(e));
    }
  } else if (isMontgomery(g)) {
    let priv: KeyObject;
    try {
      priv = nodePrivate(p, g, privateKey);
    } catch (e) {
      return fail('bad_private_key', e instanceof Error ? e.message : String(e));
    }
    try {
      bits = new Uint8Array(diffieHellman({ privateKey: priv, publicKey: nodePublic(p, g, peerPublic) }));
    } catch (e) {
      // OpenSSL refuses an all-zero X25519/X448 result ("failed during derivation").
      return fail('zero_shared_secret', `node:crypto refused: ${e instanceof Error ? e.message : String(e)}`);
    }
  } else {
    let e: ECDH;
    try {
      e = nodeEcdh(p, g, privateKey);
    } catch (err) {
      return fail('bad_private_key', err instanceof Error ? err.message : String(err));
    }
    try {
      // The x coordinate, left-padded to the field size (RFC 8446 §7.4.2, RFC 8422 §5.10).
      bits = new Uint8Array(e.computeSecret(Buffer.from(peerPublic.buffer, peerPublic.byteOffset, peerPublic.byteLength)));
    } catch (err) {
      return fail('provider_error', err instanceof Error ? err.message : String(err));
    }
  }
  if (isMontgomery(g) && bits.every((x) => x === 0))
    return fail('zero_shared_secret', `${groupLabel(g)} result is all zero (small-order peer value)`);
  return { ok: true, value: bits };
}

/**
 * The uncompressed point with this x coordinate (either y: an x-only ECDH
 * gives the same shared secret), or undefined when x is not on the curve
 * (node:crypto decompresses and checks). For the engine's deliberate
 * accept-an-invalid-point fault.
 */
export function pointFromX(g: WeierstrassName, x: Uint8Array): Uint8Array | undefined {
  const c = WEIERSTRASS[g];
  try {
    const compressed = Buffer.from(concatBytes([Uint8Array.of(0x02), leftPad(x, c.size)]));
    return new Uint8Array(ECDH.convertKey(compressed, c.nodeName, undefined, undefined, 'uncompressed') as Buffer);
  } catch {
    return undefined;
  }
}

/** Small-order and non-canonical u-coordinates of X25519 (u = 0, 1, the order-8 points, p-1, p, p+1). */
export function x25519SmallOrderPoints(): Uint8Array[] {
  return [
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0100000000000000000000000000000000000000000000000000000000000000',
    'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
    '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  ].map((h) => fromHex(h));
}

/**
 * Small-order u-coordinates of a Montgomery group, little-endian as on the
 * wire: X25519 above; X448 u = 0, 1, p-1 (order 1, 4 and 2 on the curve or
 * its twist) and the non-canonical p, p+1, all of which give an all-zero
 * shared secret (RFC 7748 §5, §6.2).
 */
export function smallOrderPoints(g: MontgomeryName): Uint8Array[] {
  if (g === 'x25519') return x25519SmallOrderPoints();
  const p = MONTGOMERY.x448.p;
  return [0n, 1n, p - 1n, p, p + 1n].map((u) => {
    const out = new Uint8Array(56);
    for (let i = 0, v = u; i < 56; i++, v >>= 8n) out[i] = Number(v & 0xffn);
    return out;
  });
}
