/**
 * Crypto provider: passed explicitly to every function of the crypto layer
 * (and through it to pki, the engine and the oracles). Nothing here is
 * global: each factory call builds a fresh provider with its own key store.
 *
 * Implementation choices (see each module's header for details):
 * - Hashes and HMAC (transcript hash, TLS 1.2 PRF, HKDF, record MACs) and
 *   the AES record ciphers run either through `subtle` (hashImpl 'subtle')
 *   or through synchronous node:crypto (hashImpl 'node'), which avoids the
 *   importKey + awaited job per HMAC block or record. The API stays async.
 * - Signatures and key agreement (asymImpl): 'node' uses node:crypto
 *   KeyObjects, imported once per key and kept in the provider's key store,
 *   and one-shot synchronous `crypto.verify` / `crypto.sign` /
 *   `crypto.diffieHellman`, because WebCrypto's per-call cost (a key import
 *   and an awaited job on the thread pool) is several times the arithmetic;
 *   'subtle' uses the provider's WebCrypto with CryptoKeys imported once and
 *   kept in the same store.
 * - What a provider's WebCrypto lacks (SHA-224/MD5 signatures, DSA, FFDHE,
 *   ChaCha20-Poly1305, raw RSA, binary and brainpool curves on Node's
 *   WebCrypto, id-RSASSA-PSS keys on Node's WebCrypto) goes to node:crypto
 *   behind the same interface; `cryptoCapabilities()` lists which path each
 *   scheme and group takes.
 *
 * `nodeProvider()` is the fast one (node hashes, node asymmetric);
 * `nodeSubtleProvider()` and `peculiarProvider()` run every hash and every
 * signature/agreement WebCrypto has through subtle, so both paths are tested.
 */
import { webcrypto } from 'node:crypto';
import { Crypto as PeculiarCrypto } from '@peculiar/webcrypto';
import { KeyStore } from './keys';

export type HashImpl = 'subtle' | 'node';
export type AsymImpl = 'subtle' | 'node';
/**
 * How the provider's WebCrypto spells and supports algorithms beyond the
 * common set (RSA, ECDSA/ECDH on P-256/384/521, Ed25519/X25519): Node's
 * ('Ed448', 'X448'; no brainpool, no id-RSASSA-PSS keys) or @peculiar's
 * ('EdDSA'/'ECDH-ES' with namedCurve Ed448/X448; brainpool curves;
 * id-RSASSA-PSS keys). 'standard': only the common set.
 */
export type SubtleDialect = 'node' | 'peculiar' | 'standard';

export interface CryptoProvider {
  /** Human-readable name, used in test titles and reports. */
  readonly name: string;
  /** The WebCrypto object itself, for libraries that take one (@peculiar/x509's certificate encoder). */
  readonly webcrypto: Crypto;
  readonly subtle: SubtleCrypto;
  getRandomValues<T extends Uint8Array<ArrayBuffer>>(array: T): T;
  /** Which implementation computes digests, HMACs and the record ciphers (AES-GCM, AES-CBC). */
  readonly hashImpl: HashImpl;
  /** Which implementation signs, verifies and agrees keys. */
  readonly asymImpl: AsymImpl;
  readonly dialect: SubtleDialect;
  /** Imported keys (node KeyObjects, CryptoKeys, parsed SPKIs), owned by this provider, bounded. */
  readonly keys: KeyStore;
}

export interface ProviderOptions {
  hashImpl?: HashImpl;
  asymImpl?: AsymImpl;
  dialect?: SubtleDialect;
  /** Entries per key cache (default 512). */
  keyCacheLimit?: number;
}

/** Wrap any WebCrypto `Crypto` object. */
export function providerFrom(name: string, c: Crypto, opts: ProviderOptions = {}): CryptoProvider {
  return {
    name,
    webcrypto: c,
    subtle: c.subtle,
    hashImpl: opts.hashImpl ?? 'subtle',
    asymImpl: opts.asymImpl ?? 'subtle',
    dialect: opts.dialect ?? 'standard',
    keys: new KeyStore(opts.keyCacheLimit),
    getRandomValues<T extends Uint8Array<ArrayBuffer>>(array: T): T {
      // Both WebCrypto implementations cap a single call at 65536 bytes.
      for (let at = 0; at < array.length; at += 65536) c.getRandomValues(array.subarray(at, Math.min(array.length, at + 65536)));
      return array;
    },
  };
}

/**
 * Node's own WebCrypto object, typed as the DOM `Crypto`: Node installs it as
 * `globalThis.crypto` (the same object as `require('node:crypto').webcrypto`,
 * checked here, so a replaced global is refused rather than trusted).
 */
function nodeWebCrypto(): Crypto {
  const c = globalThis.crypto;
  if (!Object.is(c, webcrypto))
    throw new Error('globalThis.crypto is not node:crypto webcrypto; refusing to use it as the Node provider');
  return c;
}

/** Node: sync node:crypto hashes/HMAC, node:crypto KeyObjects and one-shot calls for signatures and key agreement (fastest). */
export function nodeProvider(opts: Pick<ProviderOptions, 'keyCacheLimit'> = {}): CryptoProvider {
  return providerFrom('node', nodeWebCrypto(), { ...opts, hashImpl: 'node', asymImpl: 'node', dialect: 'node' });
}

/** Node's built-in WebCrypto for every hash, HMAC, signature and key agreement it has. */
export function nodeSubtleProvider(opts: Pick<ProviderOptions, 'keyCacheLimit'> = {}): CryptoProvider {
  return providerFrom('node-subtle', nodeWebCrypto(), { ...opts, hashImpl: 'subtle', asymImpl: 'subtle', dialect: 'node' });
}

/** @peculiar/webcrypto (a WebCrypto facade over node:crypto). */
export function peculiarProvider(opts: Pick<ProviderOptions, 'keyCacheLimit'> = {}): CryptoProvider {
  return providerFrom('peculiar', new PeculiarCrypto(), { ...opts, hashImpl: 'subtle', asymImpl: 'subtle', dialect: 'peculiar' });
}

/** The provider used when a caller has no preference (outermost entry points only). */
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
