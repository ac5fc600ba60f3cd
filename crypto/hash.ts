/**
 * Digests and HMAC, through the provider: node:crypto sync calls when
 * `p.hashImpl === 'node'`, WebCrypto subtle otherwise (same results; both
 * are tested). WebCrypto has no MD5 and no SHA-224 (only legacy signature
 * schemes use them): those always go to node:crypto. Also the transcript
 * hash over raw handshake message bytes.
 */
import { createHash, createHmac, type Hash } from 'node:crypto';
import { concatBytes } from '../wire/hex';
import { buf, type CryptoProvider } from './provider';

export type HashName = 'MD5' | 'SHA-1' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512';

const LEN: Record<HashName, number> = { MD5: 16, 'SHA-1': 20, 'SHA-224': 28, 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };
const NODE_NAME: Record<HashName, string> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-224': 'sha224',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

/** Hashes WebCrypto defines (the others always run on node:crypto). */
export function subtleHasHash(h: HashName): boolean {
  return h !== 'MD5' && h !== 'SHA-224';
}

/** Output length in bytes. */
export function hashLength(h: HashName): number {
  return LEN[h];
}

/** node:crypto algorithm name of a hash. */
export function nodeHashName(h: HashName): string {
  return NODE_NAME[h];
}

export async function digest(p: CryptoProvider, h: HashName, data: Uint8Array): Promise<Uint8Array> {
  if (p.hashImpl === 'node' || !subtleHasHash(h)) return new Uint8Array(createHash(NODE_NAME[h]).update(data).digest());
  return new Uint8Array(await p.subtle.digest(h, buf(data)));
}

export async function hmac(p: CryptoProvider, h: HashName, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  if (p.hashImpl === 'node' || !subtleHasHash(h)) return new Uint8Array(createHmac(NODE_NAME[h], key).update(data).digest());
  // WebCrypto rejects zero-length HMAC keys; HMAC pads short keys with zeros
  // to the block size, so a one-zero-byte key is the same function.
  const k = key.length === 0 ? new Uint8Array(1) : key;
  const ck = await p.subtle.importKey('raw', buf(k), { name: 'HMAC', hash: h }, false, ['sign']);
  return new Uint8Array(await p.subtle.sign('HMAC', ck, buf(data)));
}

/** Hash of the concatenation of the given handshake messages (each with its 4-byte header). */
export async function transcriptHash(p: CryptoProvider, h: HashName, messages: readonly Uint8Array[]): Promise<Uint8Array> {
  return digest(p, h, concatBytes(messages));
}

/**
 * The hash of a list of handshake messages that grows at its end (an engine's transcript), fed one message at a time:
 * `of(messages)` is the hash of their concatenation, as `transcriptHash` gives it. Each message is fed once while the
 * list only grows (node:crypto `Hash.copy()` gives each intermediate value); when an entry already fed is no longer the
 * same object at the same place (the list was cut, replaced or started again) the hash starts over. On a provider that
 * hashes through WebCrypto (no incremental digest there) each call digests the concatenation.
 */
export class RunningHash {
  private fed: Uint8Array[] = [];
  private state: Hash | undefined;

  constructor(
    private readonly p: CryptoProvider,
    readonly h: HashName,
  ) {}

  async of(messages: readonly Uint8Array[]): Promise<Uint8Array> {
    if (this.p.hashImpl !== 'node' && subtleHasHash(this.h)) return transcriptHash(this.p, this.h, messages);
    let state = this.state;
    let same = state !== undefined && this.fed.length <= messages.length;
    for (let i = 0; same && i < this.fed.length; i++) same = this.fed[i] === messages[i];
    if (!state || !same) {
      state = createHash(NODE_NAME[this.h]);
      this.state = state;
      this.fed = [];
    }
    for (let i = this.fed.length; i < messages.length; i++) {
      const m = messages[i]!;
      state.update(m);
      this.fed.push(m);
    }
    return new Uint8Array(state.copy().digest());
  }
}
