/**
 * Key pool: a fixed number of keys per key type, selected by index, so that a
 * fast-check seed picks a key by number and a failing case replays within a
 * run. Slots below the committed test-key count are loaded from
 * pki/testkeys/*.pem (no keygen cost); the rest are generated lazily once per
 * pool and then reused. The pool is a plain object: create one per run and
 * pass it around.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { derToPem, pemToDer } from './pem';

export const KEY_TYPES = ['rsa2048', 'ecdsa-p256', 'ecdsa-p384', 'ed25519'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

/** A pool slot: key type plus index (taken modulo the pool's `perType`). */
export interface KeyRef {
  type: KeyType;
  index: number;
}

export interface PoolKey {
  type: KeyType;
  /** Slot actually used (the requested index modulo `perType`). */
  index: number;
  origin: 'committed' | 'generated';
  /** Extractable WebCrypto pair. RSA keys are imported for RSASSA-PKCS1-v1_5/SHA-256;
   * re-import `pkcs8` for RSA-PSS or another hash. */
  keyPair: CryptoKeyPair;
  pkcs8: Uint8Array;
  spki: Uint8Array;
}

/** WebCrypto algorithm a key of that type is imported/generated with. */
export function keyAlgorithm(type: KeyType): RsaHashedImportParams | EcKeyImportParams | Algorithm {
  switch (type) {
    case 'rsa2048':
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    case 'ecdsa-p256':
      return { name: 'ECDSA', namedCurve: 'P-256' };
    case 'ecdsa-p384':
      return { name: 'ECDSA', namedCurve: 'P-384' };
    case 'ed25519':
      return { name: 'Ed25519' };
  }
}

/** Certificate signature algorithm used when a key of that type signs:
 * sha256WithRSAEncryption, ecdsa-with-SHA256, ecdsa-with-SHA384, Ed25519. */
export function certSigningAlgorithm(type: KeyType): Algorithm | EcdsaParams {
  switch (type) {
    case 'rsa2048':
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as Algorithm;
    case 'ecdsa-p256':
      return { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams;
    case 'ecdsa-p384':
      return { name: 'ECDSA', hash: 'SHA-384' } as EcdsaParams;
    case 'ed25519':
      return { name: 'Ed25519' };
  }
}

export const DEFAULT_TESTKEY_DIR = join(__dirname, 'testkeys');

export interface KeyPoolOptions {
  crypto: Crypto;
  /** Keys per type; indices are taken modulo this. Default 3. */
  perType?: number;
  /** Directory of committed `<type>-<n>.pem` PKCS#8 keys; null disables loading. */
  committedDir?: string | null;
}

export class KeyPool {
  readonly perType: number;
  private readonly crypto: Crypto;
  private readonly dir: string | null;
  private readonly slots = new Map<string, Promise<PoolKey>>();

  constructor(opts: KeyPoolOptions) {
    this.crypto = opts.crypto;
    this.perType = opts.perType ?? 3;
    if (!Number.isInteger(this.perType) || this.perType < 1)
      throw new RangeError(`perType must be a positive integer, got ${this.perType}`);
    this.dir = opts.committedDir === undefined ? DEFAULT_TESTKEY_DIR : opts.committedDir;
  }

  /** Path of the committed key file for a slot, or null when there is none. */
  committedFile(type: KeyType, index: number): string | null {
    if (this.dir === null) return null;
    const f = join(this.dir, `${type}-${index}.pem`);
    return existsSync(f) ? f : null;
  }

  /** The key in slot `index mod perType` of that type (same object on every call). */
  key(type: KeyType, index: number): Promise<PoolKey> {
    const slot = ((Math.trunc(index) % this.perType) + this.perType) % this.perType;
    const id = `${type}/${slot}`;
    let p = this.slots.get(id);
    if (!p) {
      p = this.load(type, slot);
      this.slots.set(id, p);
      // A failed load is not cached, so a later call retries.
      p.catch(() => this.slots.delete(id));
    }
    return p;
  }

  keyOf(ref: KeyRef): Promise<PoolKey> {
    return this.key(ref.type, ref.index);
  }

  private async load(type: KeyType, slot: number): Promise<PoolKey> {
    const file = this.committedFile(type, slot);
    if (file) {
      const pkcs8 = pemToDer(readFileSync(file, 'utf8'), 'PRIVATE KEY');
      return importPkcs8(type, pkcs8, this.crypto, slot, 'committed');
    }
    return generateKey(type, this.crypto, slot);
  }
}

function copy(b: ArrayBuffer): Uint8Array {
  return new Uint8Array(b.slice(0));
}

/** Import a PKCS#8 private key of the given type and derive its public half. */
export async function importPkcs8(
  type: KeyType,
  pkcs8: Uint8Array,
  crypto: Crypto,
  index = 0,
  origin: PoolKey['origin'] = 'committed',
): Promise<PoolKey> {
  const alg = keyAlgorithm(type);
  const own = Uint8Array.from(pkcs8);
  const privateKey = await crypto.subtle.importKey('pkcs8', own, alg, true, ['sign']);
  const jwk = await crypto.subtle.exportKey('jwk', privateKey);
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, ...pub } = jwk;
  const publicKey = await crypto.subtle.importKey('jwk', { ...pub, key_ops: ['verify'] }, alg, true, ['verify']);
  const spki = copy(await crypto.subtle.exportKey('spki', publicKey));
  return { type, index, origin, keyPair: { privateKey, publicKey }, pkcs8: own, spki };
}

/** Generate a fresh key of the given type (RSA: 2048 bits, e = 65537). */
export async function generateKey(type: KeyType, crypto: Crypto, index = 0): Promise<PoolKey> {
  const base = keyAlgorithm(type);
  const alg: Algorithm =
    type === 'rsa2048'
      ? ({ ...base, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) } as RsaHashedKeyGenParams)
      : base;
  const kp = (await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const pkcs8 = copy(await crypto.subtle.exportKey('pkcs8', kp.privateKey));
  const spki = copy(await crypto.subtle.exportKey('spki', kp.publicKey));
  return { type, index, origin: 'generated', keyPair: kp, pkcs8, spki };
}

/** PEM files of a pool key: PKCS#8 private key and SPKI public key (for openssl/gnutls peers). */
export function keyPem(key: PoolKey): { privateKey: string; publicKey: string } {
  return { privateKey: derToPem(key.pkcs8, 'PRIVATE KEY'), publicKey: derToPem(key.spki, 'PUBLIC KEY') };
}
