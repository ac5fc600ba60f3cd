/**
 * Crypto provider: a WebCrypto `Crypto` (subtle + getRandomValues) passed
 * explicitly to every function of the crypto layer. Nothing here is global
 * or mutable; `defaultProvider()` builds a fresh object on each call.
 *
 * Implementation choices (see each module's header for details):
 * - Hashes and HMAC (transcript hash, TLS 1.2 PRF, HKDF, record MACs) run
 *   either through `subtle` (hashImpl 'subtle') or through synchronous
 *   node:crypto createHash/createHmac (hashImpl 'node'), which avoids the
 *   importKey + awaited sign per HMAC block. The API stays async either way.
 *   `nodeProvider()` uses the sync path; `nodeSubtleProvider()` and
 *   `peculiarProvider()` use subtle, so both paths are covered by the tests.
 * - Algorithms that WebCrypto lacks (ChaCha20-Poly1305, FFDHE, raw RSA for
 *   PKCS#1 v1.5 key transport) use node:crypto behind the same interface.
 */
import { webcrypto } from 'node:crypto';
import { Crypto as PeculiarCrypto } from '@peculiar/webcrypto';

export type HashImpl = 'subtle' | 'node';

export interface CryptoProvider {
  /** Human-readable name, used in test titles and reports. */
  readonly name: string;
  readonly subtle: SubtleCrypto;
  getRandomValues<T extends Uint8Array<ArrayBuffer>>(array: T): T;
  /** Which implementation computes digests and HMACs. */
  readonly hashImpl: HashImpl;
}

/** Wrap any WebCrypto `Crypto` object. */
export function providerFrom(name: string, c: Crypto, hashImpl: HashImpl = 'subtle'): CryptoProvider {
  const subtle = c.subtle;
  return {
    name,
    subtle,
    hashImpl,
    getRandomValues<T extends Uint8Array<ArrayBuffer>>(array: T): T {
      // Both providers cap a single call at 65536 bytes.
      for (let at = 0; at < array.length; at += 65536) c.getRandomValues(array.subarray(at, Math.min(array.length, at + 65536)));
      return array;
    },
  };
}

/** Node's built-in WebCrypto, with sync node:crypto hashes/HMAC (fastest). */
export function nodeProvider(): CryptoProvider {
  return providerFrom('node', webcrypto as unknown as Crypto, 'node');
}

/** Node's built-in WebCrypto with every hash/HMAC through subtle. */
export function nodeSubtleProvider(): CryptoProvider {
  return providerFrom('node-subtle', webcrypto as unknown as Crypto, 'subtle');
}

/** @peculiar/webcrypto (a pure WebCrypto facade over node:crypto). */
export function peculiarProvider(): CryptoProvider {
  return providerFrom('peculiar', new PeculiarCrypto() as unknown as Crypto, 'subtle');
}

/** The provider used when a caller has no preference. */
export function defaultProvider(): CryptoProvider {
  return nodeProvider();
}

/** Fresh random bytes from the provider. */
export function randomBytes(p: CryptoProvider, n: number): Uint8Array {
  return p.getRandomValues(new Uint8Array(n));
}

/** Copy into a fresh ArrayBuffer-backed Uint8Array (for BufferSource params). */
export function buf(b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}
