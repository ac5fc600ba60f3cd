/**
 * TLS 1.2 key schedule (RFC 5246 §5, §6.3, §7.4.9, §8.1; RFC 7627).
 * PRF = P_<hash>(secret, label + seed); hash = the suite's prfHash.
 */
import { concatBytes } from '../wire/hex';
import type { CipherSuiteInfo } from '../wire/registry';
import { type HashName, hmac } from './hash';
import type { CryptoProvider } from './provider';

const enc = new TextEncoder();

/** P_hash(secret, seed) truncated to `length` bytes (RFC 5246 §5). */
export async function pHash(
  p: CryptoProvider,
  h: HashName,
  secret: Uint8Array,
  seed: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let a = seed;
  let at = 0;
  while (at < length) {
    a = await hmac(p, h, secret, a);
    const block = await hmac(p, h, secret, concatBytes([a, seed]));
    out.set(block.subarray(0, Math.min(block.length, length - at)), at);
    at += block.length;
  }
  return out;
}

/** TLS 1.2 PRF(secret, label, seed) with the given hash. */
export async function prf12(
  p: CryptoProvider,
  h: 'SHA-256' | 'SHA-384',
  secret: Uint8Array,
  label: string,
  seed: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  return pHash(p, h, secret, concatBytes([enc.encode(label), seed]), length);
}

/** master_secret = PRF(pre_master, "master secret", client_random + server_random)[0..47]. */
export async function masterSecret(
  p: CryptoProvider,
  h: 'SHA-256' | 'SHA-384',
  preMaster: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Promise<Uint8Array> {
  return prf12(p, h, preMaster, 'master secret', concatBytes([clientRandom, serverRandom]), 48);
}

/**
 * RFC 7627: master_secret = PRF(pre_master, "extended master secret", session_hash),
 * session_hash = Hash(handshake messages up to and including ClientKeyExchange).
 */
export async function extendedMasterSecret(
  p: CryptoProvider,
  h: 'SHA-256' | 'SHA-384',
  preMaster: Uint8Array,
  sessionHash: Uint8Array,
): Promise<Uint8Array> {
  return prf12(p, h, preMaster, 'extended master secret', sessionHash, 48);
}

export interface KeyBlockSizes {
  macKeyLength: number;
  encKeyLength: number;
  fixedIvLength: number;
}

/** Key material sizes of a TLS 1.2 suite; throws for suites we cannot protect records with. */
export function keyBlockSizes(suite: CipherSuiteInfo): KeyBlockSizes {
  const macKeyLength = { SHA: 20, SHA256: 32, SHA384: 48, MD5: 16, AEAD: 0 }[suite.mac];
  let encKeyLength: number;
  let fixedIvLength: number;
  switch (suite.cipher) {
    case 'AES_128_GCM':
    case 'AES_128_CCM':
    case 'AES_128_CCM_8':
      encKeyLength = 16;
      fixedIvLength = 4;
      break;
    case 'AES_256_GCM':
    case 'AES_256_CCM':
    case 'AES_256_CCM_8':
      encKeyLength = 32;
      fixedIvLength = 4;
      break;
    case 'AES_128_CBC':
      encKeyLength = 16;
      fixedIvLength = 0;
      break;
    case 'AES_256_CBC':
      encKeyLength = 32;
      fixedIvLength = 0;
      break;
    case 'CHACHA20_POLY1305':
      encKeyLength = 32;
      fixedIvLength = 12;
      break;
    case '3DES_EDE_CBC':
      encKeyLength = 24;
      fixedIvLength = 0;
      break;
    case 'RC4_128':
      encKeyLength = 16;
      fixedIvLength = 0;
      break;
    case 'NULL':
      encKeyLength = 0;
      fixedIvLength = 0;
      break;
    default:
      throw new Error(`no TLS 1.2 key block layout for cipher ${suite.cipher} (${suite.name})`);
  }
  return { macKeyLength, encKeyLength, fixedIvLength };
}

export interface KeyBlock {
  clientMacKey: Uint8Array;
  serverMacKey: Uint8Array;
  clientKey: Uint8Array;
  serverKey: Uint8Array;
  /** Fixed (implicit) IV: 4 bytes for GCM/CCM, 12 for ChaCha20-Poly1305, empty for CBC. */
  clientIv: Uint8Array;
  serverIv: Uint8Array;
}

/** key_block = PRF(master, "key expansion", server_random + client_random), split per RFC 5246 §6.3. */
export async function keyBlock(
  p: CryptoProvider,
  suite: CipherSuiteInfo,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Promise<KeyBlock> {
  const s = keyBlockSizes(suite);
  const total = 2 * (s.macKeyLength + s.encKeyLength + s.fixedIvLength);
  const kb = await prf12(p, suite.prfHash, master, 'key expansion', concatBytes([serverRandom, clientRandom]), total);
  let at = 0;
  const take = (n: number): Uint8Array => {
    const v = kb.slice(at, at + n);
    at += n;
    return v;
  };
  const clientMacKey = take(s.macKeyLength);
  const serverMacKey = take(s.macKeyLength);
  const clientKey = take(s.encKeyLength);
  const serverKey = take(s.encKeyLength);
  const clientIv = take(s.fixedIvLength);
  const serverIv = take(s.fixedIvLength);
  return { clientMacKey, serverMacKey, clientKey, serverKey, clientIv, serverIv };
}

/**
 * Finished verify_data = PRF(master, finished_label, Hash(handshake_messages))[0..11]
 * where the hash is over all handshake messages before this Finished.
 */
export async function finished12(
  p: CryptoProvider,
  h: 'SHA-256' | 'SHA-384',
  master: Uint8Array,
  sender: 'client' | 'server',
  handshakeHash: Uint8Array,
): Promise<Uint8Array> {
  return prf12(p, h, master, sender === 'client' ? 'client finished' : 'server finished', handshakeHash, 12);
}

/**
 * The premaster secret of the TLS 1.2 PSK key exchanges (RFC 4279 §2: "The premaster secret is formed as follows: if
 * the PSK is N octets long, concatenate a uint16 with the value N, N zero octets, a second uint16 with the value N,
 * and the PSK itself"; §3 DHE_PSK and §4 RSA_PSK, RFC 5489 §2 ECDHE_PSK: `other_secret` is the Diffie-Hellman Z, the
 * 48-byte RSA premaster, or the ECDH x-coordinate): uint16 len, other_secret, uint16 len, psk. `otherSecret`
 * undefined: plain PSK (N zero octets).
 */
export function pskPremaster(psk: Uint8Array, otherSecret?: Uint8Array): Uint8Array {
  const other = otherSecret ?? new Uint8Array(psk.length);
  const out = new Uint8Array(4 + other.length + psk.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, other.length);
  out.set(other, 2);
  dv.setUint16(2 + other.length, psk.length);
  out.set(psk, 4 + other.length);
  return out;
}
