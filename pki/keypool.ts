/**
 * Key pool: a fixed number of keys per key type, selected by index, so that a
 * fast-check seed picks a key by number and a failing case replays within a
 * run. Slots below the committed test-key count are loaded from
 * pki/testkeys/*.pem (no keygen cost); the rest are generated lazily once per
 * pool (through the pool's crypto provider) and then reused. The pool is a
 * plain object: create one per run and pass it around.
 *
 * A pool key is its PKCS#8 and SPKI DER; signing goes through the crypto
 * layer (crypto/signature signWith), which imports each key once per
 * provider.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CryptoProvider } from '../crypto/provider';
import { generateSigningKey, type SigAlg } from '../crypto/signature';
import { spkiOfPrivateKey } from '../crypto/keys';
import { SignatureScheme } from '../wire/registry';
import { derToPem, pemToDer } from './pem';

export const KEY_TYPES = [
  'rsa2048',
  'ecdsa-p256',
  'ecdsa-p384',
  'ed25519',
  'ecdsa-p521',
  'ed448',
  'rsa-pss2048',
  'rsa-pss2048-sha384',
  'rsa-pss2048-sha512',
] as const;
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
  /** PKCS#8 DER of the private key. */
  pkcs8: Uint8Array;
  /**
   * SubjectPublicKeyInfo DER (rsa-pss2048: id-RSASSA-PSS with SHA-256 / MGF1-SHA-256 / salt 32 parameters;
   * rsa-pss2048-sha384 and -sha512: SHA-384 / salt 48 and SHA-512 / salt 64, rsa_pss_pss_sha384 / rsa_pss_pss_sha512).
   */
  spki: Uint8Array;
}

/** The TLS scheme used to generate a fresh key of each type. */
const GENERATE_AS: Record<KeyType, number> = {
  rsa2048: SignatureScheme.rsa_pkcs1_sha256,
  'ecdsa-p256': SignatureScheme.ecdsa_secp256r1_sha256,
  'ecdsa-p384': SignatureScheme.ecdsa_secp384r1_sha384,
  ed25519: SignatureScheme.ed25519,
  'ecdsa-p521': SignatureScheme.ecdsa_secp521r1_sha512,
  ed448: SignatureScheme.ed448,
  'rsa-pss2048': SignatureScheme.rsa_pss_pss_sha256,
  'rsa-pss2048-sha384': SignatureScheme.rsa_pss_pss_sha384,
  'rsa-pss2048-sha512': SignatureScheme.rsa_pss_pss_sha512,
};

/**
 * Certificate signature algorithm used when a key of that type signs:
 * sha256WithRSAEncryption, ecdsa-with-SHA256/384/512, Ed25519, Ed448,
 * RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32: RFC 4055 §3.1).
 */
export function certSigningAlgorithm(type: KeyType): SigAlg {
  switch (type) {
    case 'rsa2048':
      return { kind: 'rsa_pkcs1', hash: 'SHA-256' };
    case 'ecdsa-p256':
      return { kind: 'ecdsa', hash: 'SHA-256' };
    case 'ecdsa-p384':
      return { kind: 'ecdsa', hash: 'SHA-384' };
    case 'ecdsa-p521':
      return { kind: 'ecdsa', hash: 'SHA-512' };
    case 'ed25519':
      return { kind: 'eddsa', curve: 'Ed25519' };
    case 'ed448':
      return { kind: 'eddsa', curve: 'Ed448' };
    case 'rsa-pss2048':
      return { kind: 'rsa_pss', hash: 'SHA-256', mgfHash: 'SHA-256', saltLength: 32 };
    // RFC 8446 §4.2.3 / RFC 4055 §3.1: a key restricted to a hash signs with it, its MGF1 and a salt of its length
    case 'rsa-pss2048-sha384':
      return { kind: 'rsa_pss', hash: 'SHA-384', mgfHash: 'SHA-384', saltLength: 48 };
    case 'rsa-pss2048-sha512':
      return { kind: 'rsa_pss', hash: 'SHA-512', mgfHash: 'SHA-512', saltLength: 64 };
  }
}

export const DEFAULT_TESTKEY_DIR = join(__dirname, 'testkeys');

export interface KeyPoolOptions {
  provider: CryptoProvider;
  /** Keys per type; indices are taken modulo this. Default 3. */
  perType?: number;
  /** Directory of committed `<type>-<n>.pem` PKCS#8 keys; null disables loading. */
  committedDir?: string | null;
}

export class KeyPool {
  readonly perType: number;
  readonly provider: CryptoProvider;
  private readonly dir: string | null;
  private readonly slots = new Map<string, Promise<PoolKey>>();

  constructor(opts: KeyPoolOptions) {
    this.provider = opts.provider;
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
      return importPkcs8(type, pkcs8, this.provider, slot, 'committed');
    }
    return generateKey(type, this.provider, slot);
  }
}

/** A pool key from a PKCS#8 private key of the given type (its public half derived from it). */
export async function importPkcs8(
  type: KeyType,
  pkcs8: Uint8Array,
  provider: CryptoProvider,
  index = 0,
  origin: PoolKey['origin'] = 'committed',
): Promise<PoolKey> {
  const own = Uint8Array.from(pkcs8);
  return { type, index, origin, pkcs8: own, spki: spkiOfPrivateKey(provider, own) };
}

/** Generate a fresh key of the given type (RSA: 2048 bits, e = 65537). */
export async function generateKey(type: KeyType, provider: CryptoProvider, index = 0): Promise<PoolKey> {
  const k = await generateSigningKey(provider, GENERATE_AS[type], 2048);
  return { type, index, origin: 'generated', pkcs8: k.pkcs8, spki: k.spki };
}

/** PEM files of a pool key: PKCS#8 private key and SPKI public key (for openssl/gnutls peers). */
export function keyPem(key: PoolKey): { privateKey: string; publicKey: string } {
  return { privateKey: derToPem(key.pkcs8, 'PRIVATE KEY'), publicKey: derToPem(key.spki, 'PUBLIC KEY') };
}
