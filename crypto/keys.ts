/**
 * Imported keys, owned by one provider instance (CryptoProvider.keys):
 * every key is parsed and imported once, keyed by its bytes (SPKI, PKCS#8,
 * or a raw ECDH value with its group), in bounded LRU caches. Nothing here
 * is module state; a fresh provider has an empty store.
 *
 * - node:crypto KeyObjects for the 'node' path (one-shot sync calls);
 * - WebCrypto CryptoKeys (as promises, so concurrent callers share one
 *   import) for the 'subtle' path, keyed by algorithm and bytes;
 * - parsed SubjectPublicKeyInfo (algorithm, curve, parameters) for both.
 */
import { createPrivateKey, createPublicKey, type ECDH, type KeyObject } from 'node:crypto';
import { BoundedCache, bytesKey } from './cache';
import { parseSpki, type SpkiInfo } from './der';
import type { CryptoProvider } from './provider';

export interface SpkiEntry {
  info: SpkiInfo;
  /** The node:crypto public key, imported on first use. */
  node?: KeyObject;
}

export class KeyStore {
  /** Parsed SPKIs (and their node KeyObjects) by SPKI bytes. */
  readonly spki: BoundedCache<string, SpkiEntry>;
  /** node:crypto private keys by PKCS#8 bytes, or by `group:raw` for ECDH private values. */
  readonly privates: BoundedCache<string, KeyObject>;
  /** node:crypto public keys of raw X25519/X448 values by `group:raw`. */
  readonly publics: BoundedCache<string, KeyObject>;
  /** node:crypto ECDH objects (Weierstrass curves) holding our private value, by `group:raw`. */
  readonly ecdh: BoundedCache<string, ECDH>;
  /** WebCrypto keys by `algorithm|usage|format:` + bytes. */
  readonly subtle: BoundedCache<string, Promise<CryptoKey>>;
  /** Keys actually imported (cache misses that built a key), for tests and the bench. */
  imports = 0;

  constructor(limit = 512) {
    this.spki = new BoundedCache(limit);
    this.privates = new BoundedCache(limit);
    this.publics = new BoundedCache(limit);
    this.ecdh = new BoundedCache(limit);
    this.subtle = new BoundedCache(limit);
  }
}

/** The parsed SPKI (throws DecodeError on malformed input; a failure is not cached). */
export function spkiEntry(p: CryptoProvider, spki: Uint8Array): SpkiEntry {
  const k = bytesKey(spki);
  const hit = p.keys.spki.get(k);
  if (hit) return hit;
  const e: SpkiEntry = { info: parseSpki(spki) };
  p.keys.spki.set(k, e);
  return e;
}

/** node:crypto public key of an SPKI (whose store entry the caller holds), imported once per provider. */
export function nodePublicKeyOf(p: CryptoProvider, spki: Uint8Array, entry: SpkiEntry = spkiEntry(p, spki)): KeyObject {
  if (!entry.node) {
    p.keys.imports++;
    entry.node = createPublicKey({
      key: Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength),
      format: 'der',
      type: 'spki',
    });
  }
  return entry.node;
}

/** node:crypto private key of a PKCS#8 DER, imported once per provider. */
export function nodePrivateKey(p: CryptoProvider, pkcs8: Uint8Array): KeyObject {
  return p.keys.privates.getOrSet(`pkcs8:${bytesKey(pkcs8)}`, () => {
    p.keys.imports++;
    return createPrivateKey({ key: Buffer.from(pkcs8.buffer, pkcs8.byteOffset, pkcs8.byteLength), format: 'der', type: 'pkcs8' });
  });
}

/** A WebCrypto key imported once per provider (a failed import is not kept). */
export function subtleKey(
  p: CryptoProvider,
  format: 'spki' | 'pkcs8' | 'raw',
  bytes: Uint8Array,
  alg: AlgorithmIdentifier | RsaHashedImportParams | EcKeyImportParams,
  usages: KeyUsage[],
): Promise<CryptoKey> {
  const id = `${JSON.stringify(alg)}|${usages.join(',')}|${format}:${bytesKey(bytes)}`;
  const hit = p.keys.subtle.get(id);
  if (hit) return hit;
  p.keys.imports++;
  const own = new Uint8Array(bytes.length);
  own.set(bytes);
  const made = p.subtle.importKey(format, own, alg, false, usages);
  p.keys.subtle.set(id, made);
  made.catch(() => p.keys.subtle.delete(id));
  return made;
}

/**
 * SubjectPublicKeyInfo DER of a PKCS#8 private key. WebCrypto cannot derive
 * a public key from a private one (only through a JWK round trip, which
 * Node 20 can deadlock on for X25519), so node:crypto does it for every
 * provider; the private key is imported once (the provider's store).
 */
export function spkiOfPrivateKey(p: CryptoProvider, pkcs8: Uint8Array): Uint8Array {
  return new Uint8Array(createPublicKey(nodePrivateKey(p, pkcs8)).export({ format: 'der', type: 'spki' }));
}
