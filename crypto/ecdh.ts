/**
 * ECDHE on secp256r1, secp384r1 and x25519 through the provider's subtle
 * (both providers support all three). Peer public values are validated here,
 * never by the provider: uncompressed format, length, coordinates < p, and
 * y^2 = x^3 + ax + b checked with BigInt; X25519 all-zero results rejected
 * (which rejects small-order points). Private keys are plain bytes so that
 * generated transcripts can record them; they go into the provider as PKCS#8
 * (never JWK for X25519: Node 20 can deadlock in JWK export/import loops).
 */
import { fromHex } from '../wire/hex';
import { NamedGroup } from '../wire/registry';
import { OID, pkcs8ForEc, pkcs8ForOkp, privateKeyFromPkcs8 } from './der';
import { buf, type CryptoProvider } from './provider';
import { type Check, fail, type Result } from './result';

export type EcdhGroup = 'secp256r1' | 'secp384r1' | 'x25519';

export const ecdhGroupCodes: Readonly<Record<EcdhGroup, number>> = {
  secp256r1: NamedGroup.secp256r1,
  secp384r1: NamedGroup.secp384r1,
  x25519: NamedGroup.x25519,
};

export function ecdhGroupOf(code: number): EcdhGroup | undefined {
  for (const [name, c] of Object.entries(ecdhGroupCodes)) if (c === code) return name as EcdhGroup;
  return undefined;
}

interface Curve {
  p: bigint;
  a: bigint;
  b: bigint;
  /** Field element size in bytes. */
  size: number;
  namedCurve: 'P-256' | 'P-384';
  oid: string;
}

const P256_P = (1n << 256n) - (1n << 224n) + (1n << 192n) + (1n << 96n) - 1n;
const P384_P = (1n << 384n) - (1n << 128n) - (1n << 96n) + (1n << 32n) - 1n;

export const CURVES: Readonly<Record<'secp256r1' | 'secp384r1', Readonly<Curve>>> = {
  secp256r1: {
    p: P256_P,
    a: P256_P - 3n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    size: 32,
    namedCurve: 'P-256',
    oid: OID.prime256v1,
  },
  secp384r1: {
    p: P384_P,
    a: P384_P - 3n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    size: 48,
    namedCurve: 'P-384',
    oid: OID.secp384r1,
  },
};

export type PointError = 'wrong_length' | 'identity' | 'not_uncompressed' | 'coordinate_out_of_range' | 'not_on_curve';
export type EcdhError = PointError | 'bad_private_key' | 'zero_shared_secret' | 'provider_error';

function bigFrom(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString('hex')}`);
}

function mod(x: bigint, p: bigint): bigint {
  const r = x % p;
  return r < 0n ? r + p : r;
}

/** Public value length of a group (uncompressed point, or 32 for X25519). */
export function publicValueLength(g: EcdhGroup): number {
  return g === 'x25519' ? 32 : 1 + 2 * CURVES[g].size;
}

/** Validate a peer's public value as carried in TLS (RFC 8446 §4.2.8.2, RFC 8422 §5.4). */
export function validatePublicValue(g: EcdhGroup, pub: Uint8Array): Check<PointError> {
  if (g === 'x25519')
    return pub.length === 32 ? { ok: true } : fail('wrong_length', `X25519 public value must be 32 bytes, got ${pub.length}`);
  const c = CURVES[g];
  if (pub.length === 1 && pub[0] === 0) return fail('identity', 'point at infinity');
  if (pub.length !== 1 + 2 * c.size) return fail('wrong_length', `expected ${1 + 2 * c.size} bytes, got ${pub.length}`);
  if (pub[0] !== 0x04) return fail('not_uncompressed', `point format byte 0x${pub[0]!.toString(16).padStart(2, '0')}`);
  const x = bigFrom(pub.subarray(1, 1 + c.size));
  const y = bigFrom(pub.subarray(1 + c.size));
  if (x >= c.p || y >= c.p) return fail('coordinate_out_of_range', 'coordinate >= p');
  const lhs = mod(y * y, c.p);
  const rhs = mod(x * x * x + c.a * x + c.b, c.p);
  if (lhs !== rhs) return fail('not_on_curve', 'y^2 != x^3 + ax + b');
  return { ok: true };
}

export interface EcdhKeyPair {
  group: EcdhGroup;
  /** Private scalar bytes (EC: big-endian d, field size; X25519: 32-byte string). */
  privateKey: Uint8Array;
  /** Public value as sent in TLS (uncompressed point or 32-byte u). */
  publicKey: Uint8Array;
}

function algorithmOf(g: EcdhGroup): EcKeyImportParams | Algorithm {
  return g === 'x25519' ? { name: 'X25519' } : { name: 'ECDH', namedCurve: CURVES[g].namedCurve };
}

/** Fresh ephemeral key pair with the private key exported as bytes. */
export async function generateEcdhKeyPair(p: CryptoProvider, g: EcdhGroup): Promise<EcdhKeyPair> {
  const kp = (await p.subtle.generateKey(algorithmOf(g), true, ['deriveBits'])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await p.subtle.exportKey('raw', kp.publicKey));
  let privateKey = privateKeyFromPkcs8(new Uint8Array(await p.subtle.exportKey('pkcs8', kp.privateKey)));
  if (g !== 'x25519') {
    const size = CURVES[g].size;
    if (privateKey.length < size) {
      const padded = new Uint8Array(size);
      padded.set(privateKey, size - privateKey.length);
      privateKey = padded;
    }
  }
  return { group: g, privateKey, publicKey };
}

async function importPrivate(p: CryptoProvider, g: EcdhGroup, priv: Uint8Array): Promise<CryptoKey> {
  const pkcs8 = g === 'x25519' ? pkcs8ForOkp(OID.x25519, priv) : pkcs8ForEc(CURVES[g].oid, priv);
  return p.subtle.importKey('pkcs8', buf(pkcs8), algorithmOf(g), false, ['deriveBits']);
}

/**
 * Shared secret from our private key bytes and the peer's public value, after
 * our own validation. EC: the x coordinate (field size); X25519: 32 bytes.
 */
export async function deriveEcdh(
  p: CryptoProvider,
  g: EcdhGroup,
  privateKey: Uint8Array,
  peerPublic: Uint8Array,
): Promise<Result<Uint8Array, EcdhError>> {
  const v = validatePublicValue(g, peerPublic);
  if (!v.ok) return v;
  const size = g === 'x25519' ? 32 : CURVES[g].size;
  if (privateKey.length !== size) return fail('bad_private_key', `private key must be ${size} bytes, got ${privateKey.length}`);
  let priv: CryptoKey;
  try {
    priv = await importPrivate(p, g, privateKey);
  } catch (e) {
    return fail('bad_private_key', e instanceof Error ? e.message : String(e));
  }
  let bits: Uint8Array;
  try {
    const pub = await p.subtle.importKey('raw', buf(peerPublic), algorithmOf(g), false, []);
    bits = new Uint8Array(
      await p.subtle.deriveBits({ name: g === 'x25519' ? 'X25519' : 'ECDH', public: pub } as EcdhKeyDeriveParams, priv, size * 8),
    );
  } catch (e) {
    // Both providers (Node 20 webcrypto, @peculiar/webcrypto) throw on an
    // all-zero X25519 result themselves; our own all-zero check below stays.
    if (g === 'x25519') return fail('zero_shared_secret', `provider refused: ${e instanceof Error ? e.message : String(e)}`);
    return fail('provider_error', e instanceof Error ? e.message : String(e));
  }
  if (g === 'x25519' && bits.every((x) => x === 0))
    return fail('zero_shared_secret', 'X25519 result is all zero (small-order peer point)');
  return { ok: true, value: bits };
}

/** X25519 small-order points (u = 0, 1, the order-8 points, p-1, p, p+1), fresh copies, for tests and generators. */
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
