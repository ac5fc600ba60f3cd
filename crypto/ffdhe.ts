/**
 * Finite-field DHE with the RFC 7919 groups (g = 2). WebCrypto has no DH,
 * so this uses node:crypto createDiffieHellman with the RFC 7919 primes
 * typed in below (NOT getDiffieHellman('modp..'), which are the RFC 3526
 * groups). The 1 < Y < p-1 check is ours. Output formatting:
 * TLS 1.2 DHE strips leading zero bytes (RFC 5246 §8.1.2); TLS 1.3 keeps the
 * secret left-padded to the size of p (RFC 8446 §7.4.1).
 */
import { createDiffieHellman } from 'node:crypto';
import { fromHex } from '../wire/hex';
import { NamedGroup } from '../wire/registry';
import type { CryptoProvider } from './provider';
import { type Check, fail, type Result } from './result';

export type FfdheGroup = 'ffdhe2048' | 'ffdhe3072';

const FFDHE2048 =
  'FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617AD3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797ABC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F619172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005C58EF1837D1683B2C6F34A26C1B2EFFA886B423861285C97FFFFFFFFFFFFFFFF';
const FFDHE3072 =
  'FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617AD3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797ABC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F619172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035BBC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91CAEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B66C62E37FFFFFFFFFFFFFFFF';

export interface FfdheParams {
  name: FfdheGroup;
  code: number;
  /** Prime p, big-endian, size of the group in bytes. */
  p: Uint8Array;
  g: number;
  /** Short exponent size (bits) used for our own key generation (RFC 7919 §5.2 guidance, generous). */
  exponentBits: number;
}

/** RFC 7919 group parameters (fresh objects on each call). */
export function ffdheParams(name: FfdheGroup): FfdheParams {
  return name === 'ffdhe2048'
    ? { name, code: NamedGroup.ffdhe2048, p: fromHex(FFDHE2048), g: 2, exponentBits: 256 }
    : { name, code: NamedGroup.ffdhe3072, p: fromHex(FFDHE3072), g: 2, exponentBits: 320 };
}

export function ffdheGroupOf(code: number): FfdheGroup | undefined {
  if (code === NamedGroup.ffdhe2048) return 'ffdhe2048';
  if (code === NamedGroup.ffdhe3072) return 'ffdhe3072';
  return undefined;
}

function big(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString('hex')}`);
}

export type DhValueError = 'out_of_range' | 'wrong_length';

/**
 * 1 < Y < p-1 (RFC 7919 §5.1). In TLS 1.3 the key_share must also be exactly
 * the size of p (RFC 8446 §4.2.8.1): pass `exactLength` then.
 */
export function validateDhPublic(group: FfdheGroup, y: Uint8Array, exactLength = false): Check<DhValueError> {
  const p = ffdheParams(group).p;
  if (exactLength && y.length !== p.length) return fail('wrong_length', `expected ${p.length} bytes, got ${y.length}`);
  if (y.length > p.length && y.subarray(0, y.length - p.length).some((b) => b !== 0)) return fail('out_of_range', 'Y >= p');
  const Y = big(y);
  if (Y <= 1n || Y >= big(p) - 1n) return fail('out_of_range', 'Y must satisfy 1 < Y < p-1');
  return { ok: true };
}

export interface DhKeyPair {
  group: FfdheGroup;
  /** Private exponent x (big-endian). */
  privateKey: Uint8Array;
  /** Y = g^x mod p, left-padded to the size of p. */
  publicKey: Uint8Array;
}

function leftPad(b: Uint8Array, n: number): Uint8Array {
  if (b.length >= n) return b;
  const out = new Uint8Array(n);
  out.set(b, n - b.length);
  return out;
}

function stripLeadingZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.slice(i);
}

/** Key pair with a random exponent from the provider's RNG (so both providers are exercised). */
export async function generateDhKeyPair(p: CryptoProvider, group: FfdheGroup): Promise<DhKeyPair> {
  const params = ffdheParams(group);
  const x = p.getRandomValues(new Uint8Array(params.exponentBits / 8));
  x[0]! |= 0x80; // full-size exponent, never 0 or 1
  return { group, privateKey: x, publicKey: await dhPublicFromPrivate(p, group, x) };
}

/** Y = g^x mod p for a given private exponent. (`_p` unused: node:crypto is the only implementation.) */
export async function dhPublicFromPrivate(_p: CryptoProvider, group: FfdheGroup, x: Uint8Array): Promise<Uint8Array> {
  const params = ffdheParams(group);
  const dh = createDiffieHellman(Buffer.from(params.p), Buffer.from([params.g]));
  dh.setPrivateKey(Buffer.from(x));
  // setPrivateKey does not recompute the public key; computeSecret(g) = g^x.
  const y = new Uint8Array(dh.computeSecret(Buffer.from([params.g])));
  return leftPad(stripLeadingZeros(y), params.p.length);
}

export type DhError = DhValueError | 'bad_private_key';

/**
 * Z = Y^x mod p after checking Y. `format` 'tls12' strips leading zeros
 * (RFC 5246 §8.1.2); 'tls13' left-pads to the size of p (RFC 8446 §7.4.1).
 */
export async function deriveDh(
  _p: CryptoProvider,
  group: FfdheGroup,
  privateKey: Uint8Array,
  peerPublic: Uint8Array,
  format: 'tls12' | 'tls13',
): Promise<Result<Uint8Array, DhError>> {
  const v = validateDhPublic(group, peerPublic);
  if (!v.ok) return v;
  if (privateKey.length === 0 || big(privateKey) <= 1n) return fail('bad_private_key', 'private exponent must be > 1');
  const params = ffdheParams(group);
  const dh = createDiffieHellman(Buffer.from(params.p), Buffer.from([params.g]));
  dh.setPrivateKey(Buffer.from(privateKey));
  const z = stripLeadingZeros(new Uint8Array(dh.computeSecret(Buffer.from(peerPublic))));
  return { ok: true, value: format === 'tls12' ? z : leftPad(z, params.p.length) };
}
