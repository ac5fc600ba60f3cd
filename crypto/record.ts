/**
 * Record protection for TLS 1.2 and 1.3.
 *
 * - AES-GCM (TLS 1.2: 4-byte fixed IV + 8-byte explicit nonce carried in the
 *   record, RFC 5288; TLS 1.3: iv XOR seq, RFC 8446 §5.3) through subtle.
 * - ChaCha20-Poly1305 (RFC 7905 nonce in TLS 1.2; same as 1.3) through
 *   node:crypto: WebCrypto has no ChaCha20-Poly1305.
 * - AES-CCM with a 16-byte tag and AES-CCM-8 with an 8-byte tag (TLS 1.2:
 *   RFC 6655 §3 / RFC 7251, the GCM nonce layout of a 4-byte salt from the
 *   key block and an 8-byte explicit nonce in the record; TLS 1.3: RFC 8446
 *   §5.3 like the other AEADs) through node:crypto: WebCrypto has no CCM.
 * - AES-CBC + HMAC (MAC-then-encrypt, RFC 5246 §6.2.3.2, explicit IV per
 *   record; encrypt_then_mac, RFC 7366) through subtle. WebCrypto AES-CBC
 *   always adds/removes PKCS#7 padding, which is not TLS padding, so: on
 *   encrypt we pad ourselves and drop the extra block WebCrypto appends; on
 *   decrypt we append one crafted block E = AES_K(C_last XOR 0x10^16) so that
 *   WebCrypto strips exactly that block and hands back the raw plaintext.
 *   Padding and MAC checks are ours.
 * - 3DES-EDE-CBC + HMAC (RFC 5246's TLS_*_WITH_3DES_EDE_CBC_SHA: 8-byte
 *   blocks, 8-byte explicit IV) through node:crypto on every provider:
 *   WebCrypto has no 3DES. The same CBC record layout as AES-CBC.
 * With a provider whose hashImpl is 'node' (nodeProvider), AES-GCM and raw
 * AES-CBC run on synchronous node:crypto ciphers instead (no awaited job
 * per record); the padding, MAC and nonce handling above stays ours.
 * Decryption failures are typed results, never exceptions.
 */
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { bytesEqual, concatBytes } from '../wire/hex';
import type { CipherSuiteInfo } from '../wire/registry';
import { type HashName, hashLength, hmac, nodeHashName, subtleHasHash } from './hash';
import { buf, type CryptoProvider, randomBytes } from './provider';
import type { KeyBlock } from './tls12';
import type { TrafficKeys } from './tls13';

export type AeadCipher =
  | 'AES_128_GCM'
  | 'AES_256_GCM'
  | 'CHACHA20_POLY1305'
  | 'AES_128_CCM'
  | 'AES_128_CCM_8'
  | 'AES_256_CCM'
  | 'AES_256_CCM_8';
export type CbcCipher = 'AES_128_CBC' | 'AES_256_CBC' | '3DES_EDE_CBC';

export type ProtectionParams =
  | { version: 'tls12'; cipher: AeadCipher; key: Uint8Array /** 4 bytes (GCM) or 12 (ChaCha20). */; fixedIv: Uint8Array }
  | {
      version: 'tls12';
      cipher: CbcCipher;
      key: Uint8Array;
      macKey: Uint8Array;
      mac: 'SHA-1' | 'SHA-256' | 'SHA-384';
      encryptThenMac: boolean;
    }
  | { version: 'tls13'; cipher: AeadCipher; key: Uint8Array /** 12 bytes. */; iv: Uint8Array };

export type UnprotectError =
  | 'bad_record_mac'
  | 'bad_padding'
  | 'too_short'
  | 'bad_length'
  | 'no_content_type'
  | 'record_overflow';

export type UnprotectResult =
  | { ok: true; type: number; content: Uint8Array }
  | { ok: false; reason: UnprotectError; detail?: string };

export interface ProtectOptions {
  /** TLS 1.3: number of zero padding bytes after the content type. */
  padding?: number;
  /** TLS 1.2 GCM: 8-byte explicit nonce (default: the sequence number). */
  explicitNonce?: Uint8Array;
  /** TLS 1.2 CBC: explicit IV of one block, 16 bytes (AES) or 8 (3DES) (default: random from the provider). */
  iv?: Uint8Array;
  /** TLS 1.2 CBC: extra padding blocks (padding length stays < 256). */
  extraPaddingBlocks?: number;
  /**
   * TLS 1.2 CBC: the longest padding that fits, up to 255 bytes (RFC 5246 §6.2.3.2: "The padding MAY be any length up
   * to 255 bytes, as long as it results in the TLSCiphertext.length being an integral multiple of the block length").
   */
  longestPadding?: boolean;
  /**
   * A test tool's edit of exactly what is encrypted, made after the record is built and before it is sealed: TLS 1.3
   * the TLSInnerPlaintext (content, type, padding); TLS 1.2 CBC the data, MAC and padding (encrypt-then-MAC: the data
   * and padding, the MAC then covers the edited ciphertext); TLS 1.2 AEAD the plaintext. CBC edits keep the length a
   * multiple of the block size.
   */
  replacePlaintext?: (plaintext: Uint8Array) => Uint8Array;
}

export interface ProtectedRecord {
  /** Outer content type (23 for TLS 1.3). */
  type: number;
  version: number;
  fragment: Uint8Array;
}

export interface RecordProtection {
  readonly params: ProtectionParams;
  protect(seq: bigint, type: number, version: number, plaintext: Uint8Array, opts?: ProtectOptions): Promise<ProtectedRecord>;
  /** `type`/`version` are the record header values as received. */
  unprotect(seq: bigint, type: number, version: number, fragment: Uint8Array): Promise<UnprotectResult>;
}

/**
 * What decides a record's protection besides the sequence number and the
 * record itself: a form (version, cipher, MAC, encrypt_then_mac) and the key
 * bytes. Two protections with the same form and byte-identical keys open a
 * record at the same sequence number to the same result (oracles/record-open.ts
 * relies on it to reuse a capture reader's plaintext).
 */
export function keyMaterial(p: ProtectionParams): { form: string; keys: Uint8Array[] } {
  if (p.version === 'tls13') return { form: `tls13 ${p.cipher}`, keys: [p.key, p.iv] };
  if ('macKey' in p) return { form: `tls12 ${p.cipher} ${p.mac}${p.encryptThenMac ? ' etm' : ''}`, keys: [p.key, p.macKey] };
  return { form: `tls12 ${p.cipher}`, keys: [p.key, p.fixedIv] };
}

/**
 * The shape of a TLS 1.2 CBC protection (undefined for AEAD and TLS 1.3): the block size, the MAC length and whether
 * the MAC covers the ciphertext (RFC 7366), what a test tool needs to size a record's padding.
 */
export function cbcLayout(p: ProtectionParams): { blockSize: number; macLength: number; encryptThenMac: boolean } | undefined {
  if (p.version !== 'tls12' || !('macKey' in p)) return undefined;
  return { blockSize: p.cipher === '3DES_EDE_CBC' ? 8 : 16, macLength: hashLength(p.mac), encryptThenMac: p.encryptThenMac };
}

const MAX_PLAINTEXT = 1 << 14;
/** TLSCiphertext.length limit of TLS 1.2 (RFC 5246 §6.2.3). */
const MAX_CIPHERTEXT_12 = (1 << 14) + 2048;
const TAG = 16;

function u64(seq: bigint): Uint8Array {
  if (seq < 0n || seq > 0xffffffffffffffffn) throw new RangeError('sequence number out of range');
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, seq);
  return b;
}

function u16(n: number): Uint8Array {
  return Uint8Array.of((n >> 8) & 0xff, n & 0xff);
}

function xorNonce(iv: Uint8Array, seq: bigint): Uint8Array {
  const n = iv.slice();
  const s = u64(seq);
  for (let i = 0; i < 8; i++) n[n.length - 8 + i]! ^= s[i]!;
  return n;
}

/** seq_num + type + version + length: the TLS 1.2 AEAD additional data and MAC prefix. */
function header12(seq: bigint, type: number, version: number, length: number): Uint8Array {
  return concatBytes([u64(seq), Uint8Array.of(type), u16(version), u16(length)]);
}

interface Aead {
  /** Bytes of authentication tag at the end of each ciphertext. */
  readonly tagLength: number;
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  /** undefined when authentication fails. */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array | undefined>;
}

const CCM: Partial<Record<AeadCipher, { alg: 'aes-128-ccm' | 'aes-256-ccm'; tag: 8 | 16 }>> = {
  AES_128_CCM: { alg: 'aes-128-ccm', tag: 16 },
  AES_128_CCM_8: { alg: 'aes-128-ccm', tag: 8 },
  AES_256_CCM: { alg: 'aes-256-ccm', tag: 16 },
  AES_256_CCM_8: { alg: 'aes-256-ccm', tag: 8 },
};

/** AES-CCM (RFC 3610 as RFC 6655 / RFC 8446 use it: 12-byte nonce, 16- or 8-byte tag) through node:crypto. */
function ccmAead(alg: 'aes-128-ccm' | 'aes-256-ccm', tag: 8 | 16, key: Uint8Array): Aead {
  const k = Buffer.from(key);
  return {
    tagLength: tag,
    async seal(nonce, aad, plaintext) {
      const c = createCipheriv(alg, k, nonce, { authTagLength: tag });
      c.setAAD(aad, { plaintextLength: plaintext.length });
      return concatBytes([c.update(plaintext), c.final(), c.getAuthTag()]);
    },
    async open(nonce, aad, ct) {
      if (ct.length < tag) return undefined;
      const d = createDecipheriv(alg, k, nonce, { authTagLength: tag });
      d.setAuthTag(ct.subarray(ct.length - tag));
      d.setAAD(aad, { plaintextLength: ct.length - tag });
      try {
        return concatBytes([d.update(ct.subarray(0, ct.length - tag)), d.final()]);
      } catch {
        return undefined;
      }
    },
  };
}

async function makeAead(p: CryptoProvider, cipher: AeadCipher, key: Uint8Array): Promise<Aead> {
  const need = cipher === 'AES_128_GCM' || cipher === 'AES_128_CCM' || cipher === 'AES_128_CCM_8' ? 16 : 32;
  if (key.length !== need) throw new RangeError(`${cipher} key must be ${need} bytes, got ${key.length}`);
  const ccm = CCM[cipher];
  if (ccm) return ccmAead(ccm.alg, ccm.tag, key);
  if (cipher === 'CHACHA20_POLY1305') {
    const k = Buffer.from(key);
    return {
      tagLength: TAG,
      async seal(nonce, aad, plaintext) {
        const c = createCipheriv('chacha20-poly1305', k, nonce, { authTagLength: TAG });
        c.setAAD(aad, { plaintextLength: plaintext.length });
        return concatBytes([c.update(plaintext), c.final(), c.getAuthTag()]);
      },
      async open(nonce, aad, ct) {
        if (ct.length < TAG) return undefined;
        const d = createDecipheriv('chacha20-poly1305', k, nonce, { authTagLength: TAG });
        d.setAAD(aad, { plaintextLength: ct.length - TAG });
        d.setAuthTag(ct.subarray(ct.length - TAG));
        try {
          return concatBytes([d.update(ct.subarray(0, ct.length - TAG)), d.final()]);
        } catch {
          return undefined;
        }
      },
    };
  }
  if (p.hashImpl === 'node') {
    const k = Buffer.from(key);
    const alg = cipher === 'AES_128_GCM' ? 'aes-128-gcm' : 'aes-256-gcm';
    return {
      tagLength: TAG,
      async seal(nonce, aad, plaintext) {
        const c = createCipheriv(alg, k, nonce, { authTagLength: TAG });
        c.setAAD(aad);
        return concatBytes([c.update(plaintext), c.final(), c.getAuthTag()]);
      },
      async open(nonce, aad, ct) {
        if (ct.length < TAG) return undefined;
        const d = createDecipheriv(alg, k, nonce, { authTagLength: TAG });
        d.setAAD(aad);
        d.setAuthTag(ct.subarray(ct.length - TAG));
        try {
          return concatBytes([d.update(ct.subarray(0, ct.length - TAG)), d.final()]);
        } catch {
          return undefined;
        }
      },
    };
  }
  const ck = await p.subtle.importKey('raw', buf(key), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  return {
    tagLength: TAG,
    async seal(nonce, aad, plaintext) {
      return new Uint8Array(
        await p.subtle.encrypt({ name: 'AES-GCM', iv: buf(nonce), additionalData: buf(aad), tagLength: 128 }, ck, buf(plaintext)),
      );
    },
    async open(nonce, aad, ct) {
      if (ct.length < TAG) return undefined;
      try {
        return new Uint8Array(
          await p.subtle.decrypt({ name: 'AES-GCM', iv: buf(nonce), additionalData: buf(aad), tagLength: 128 }, ck, buf(ct)),
        );
      } catch {
        return undefined;
      }
    },
  };
}

interface RawCbc {
  /** The cipher's block size: 16 (AES), 8 (3DES). */
  blockSize: number;
  /** Encrypt block-aligned data without any padding. */
  encrypt(iv: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  /** Decrypt block-aligned data without removing any padding. */
  decrypt(iv: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
}

const PKCS7_FULL_BLOCK = new Uint8Array(16).fill(16);

async function makeRawCbc(p: CryptoProvider, cipher: CbcCipher, key: Uint8Array): Promise<RawCbc> {
  if (cipher === '3DES_EDE_CBC') {
    if (key.length !== 24) throw new RangeError(`3DES-EDE-CBC key must be 24 bytes, got ${key.length}`);
  } else if (key.length !== (cipher === 'AES_128_CBC' ? 16 : 32))
    throw new RangeError(`${cipher} key must be ${cipher === 'AES_128_CBC' ? 16 : 32} bytes, got ${key.length}`);
  // WebCrypto has no 3DES: node:crypto on every provider
  if (p.hashImpl === 'node' || cipher === '3DES_EDE_CBC') {
    const k = Buffer.from(key);
    const alg = cipher === '3DES_EDE_CBC' ? 'des-ede3-cbc' : cipher === 'AES_128_CBC' ? 'aes-128-cbc' : 'aes-256-cbc';
    const run = (c: ReturnType<typeof createCipheriv> | ReturnType<typeof createDecipheriv>, data: Uint8Array) => {
      c.setAutoPadding(false);
      const head = c.update(data);
      const tail = c.final();
      // Without padding, whole blocks come out of update and final adds nothing: no copy into a third array.
      return tail.length === 0 ? new Uint8Array(head.buffer, head.byteOffset, head.byteLength) : concatBytes([head, tail]);
    };
    return {
      blockSize: cipher === '3DES_EDE_CBC' ? 8 : 16,
      async encrypt(iv, data) {
        return run(createCipheriv(alg, k, iv), data);
      },
      async decrypt(iv, data) {
        return run(createDecipheriv(alg, k, iv), data);
      },
    };
  }
  const ck = await p.subtle.importKey('raw', buf(key), { name: 'AES-CBC' }, false, ['encrypt', 'decrypt']);
  const enc = async (iv: Uint8Array, data: Uint8Array) =>
    new Uint8Array(await p.subtle.encrypt({ name: 'AES-CBC', iv: buf(iv) }, ck, buf(data)));
  return {
    blockSize: 16,
    async encrypt(iv, data) {
      // WebCrypto appends a full PKCS#7 block to aligned input: drop it.
      return (await enc(iv, data)).subarray(0, data.length);
    },
    async decrypt(iv, data) {
      if (data.length === 0) return new Uint8Array(0);
      // E = AES_K(C_last XOR 0x10^16): CBC-decrypting E after C_last yields a
      // valid PKCS#7 block, which WebCrypto removes, leaving our raw plaintext.
      const e = (await enc(data.subarray(data.length - 16), PKCS7_FULL_BLOCK)).subarray(0, 16);
      return new Uint8Array(await p.subtle.decrypt({ name: 'AES-CBC', iv: buf(iv) }, ck, buf(concatBytes([data, e]))));
    },
  };
}

/** Create the record protection of one direction from its keys. */
export async function createRecordProtection(p: CryptoProvider, params: ProtectionParams): Promise<RecordProtection> {
  if (params.version === 'tls13') return tls13Aead(params, await makeAead(p, params.cipher, params.key));
  if ('macKey' in params) return tls12Cbc(p, params, await makeRawCbc(p, params.cipher, params.key));
  return tls12Aead(params, await makeAead(p, params.cipher, params.key));
}

function tls13Aead(params: Extract<ProtectionParams, { version: 'tls13' }>, aead: Aead): RecordProtection {
  if (params.iv.length !== 12) throw new RangeError('TLS 1.3 iv must be 12 bytes');
  return {
    params,
    async protect(seq, type, version, plaintext, opts = {}) {
      const built = concatBytes([plaintext, Uint8Array.of(type), new Uint8Array(opts.padding ?? 0)]);
      const inner = opts.replacePlaintext ? opts.replacePlaintext(built) : built;
      const outerVersion = version;
      const aad = concatBytes([Uint8Array.of(23), u16(outerVersion), u16(inner.length + aead.tagLength)]);
      return { type: 23, version: outerVersion, fragment: await aead.seal(xorNonce(params.iv, seq), aad, inner) };
    },
    async unprotect(seq, type, version, fragment) {
      if (fragment.length < aead.tagLength + 1) return { ok: false, reason: 'too_short', detail: `${fragment.length} bytes` };
      if (fragment.length > MAX_PLAINTEXT + 256)
        return { ok: false, reason: 'record_overflow', detail: `${fragment.length} bytes` };
      const aad = concatBytes([Uint8Array.of(type), u16(version), u16(fragment.length)]);
      const inner = await aead.open(xorNonce(params.iv, seq), aad, fragment);
      if (!inner) return { ok: false, reason: 'bad_record_mac' };
      let i = inner.length - 1;
      while (i >= 0 && inner[i] === 0) i--;
      if (i < 0) return { ok: false, reason: 'no_content_type', detail: 'inner plaintext is all zeros' };
      if (inner.length > MAX_PLAINTEXT + 1)
        return { ok: false, reason: 'record_overflow', detail: `inner plaintext ${inner.length} bytes` };
      return { ok: true, type: inner[i]!, content: inner.slice(0, i) };
    },
  };
}

function tls12Aead(params: Extract<ProtectionParams, { version: 'tls12'; fixedIv: Uint8Array }>, aead: Aead): RecordProtection {
  // GCM (RFC 5288 §3) and CCM (RFC 6655 §3): 4-byte salt + 8-byte explicit nonce; ChaCha20-Poly1305 (RFC 7905 §2): none
  const gcm = params.cipher !== 'CHACHA20_POLY1305';
  if (params.fixedIv.length !== (gcm ? 4 : 12)) throw new RangeError(`${params.cipher} fixed IV must be ${gcm ? 4 : 12} bytes`);
  const explicitLen = gcm ? 8 : 0;
  const tag = aead.tagLength;
  return {
    params,
    async protect(seq, type, version, plaintext, opts = {}) {
      const explicit = gcm ? (opts.explicitNonce ?? u64(seq)) : new Uint8Array(0);
      if (explicit.length !== explicitLen) throw new RangeError('explicit nonce must be 8 bytes');
      const nonce = gcm ? concatBytes([params.fixedIv, explicit]) : xorNonce(params.fixedIv, seq);
      const pt = opts.replacePlaintext ? opts.replacePlaintext(plaintext) : plaintext;
      const ct = await aead.seal(nonce, header12(seq, type, version, pt.length), pt);
      return { type, version, fragment: concatBytes([explicit, ct]) };
    },
    async unprotect(seq, type, version, fragment) {
      if (fragment.length > MAX_CIPHERTEXT_12)
        return { ok: false, reason: 'record_overflow', detail: `${fragment.length} bytes` };
      if (fragment.length < explicitLen + tag) return { ok: false, reason: 'too_short', detail: `${fragment.length} bytes` };
      const explicit = fragment.subarray(0, explicitLen);
      const ct = fragment.subarray(explicitLen);
      const nonce = gcm ? concatBytes([params.fixedIv, explicit]) : xorNonce(params.fixedIv, seq);
      const pt = await aead.open(nonce, header12(seq, type, version, ct.length - tag), ct);
      if (!pt) return { ok: false, reason: 'bad_record_mac' };
      if (pt.length > MAX_PLAINTEXT) return { ok: false, reason: 'record_overflow', detail: `${pt.length} bytes` };
      return { ok: true, type, content: pt };
    },
  };
}

function tls12Cbc(p: CryptoProvider, params: Extract<ProtectionParams, { macKey: Uint8Array }>, cbc: RawCbc): RecordProtection {
  const h: HashName = params.mac;
  const macLen = hashLength(h);
  // node:crypto: the header and the data hashed in two updates (no copy of the record into a new array for each MAC);
  // otherwise the provider's hmac.
  const nodeMac = p.hashImpl === 'node' || !subtleHasHash(h);
  const mac = (seq: bigint, type: number, version: number, data: Uint8Array): Promise<Uint8Array> =>
    nodeMac
      ? Promise.resolve(
          new Uint8Array(
            createHmac(nodeHashName(h), params.macKey)
              .update(header12(seq, type, version, data.length))
              .update(data)
              .digest(),
          ),
        )
      : hmac(p, h, params.macKey, concatBytes([header12(seq, type, version, data.length), data]));
  const bs = cbc.blockSize;
  const pad = (len: number, opts: ProtectOptions): Uint8Array => {
    const least = bs - 1 - (len % bs);
    const padLen = opts.longestPadding
      ? least + bs * Math.floor((255 - least) / bs)
      : least + bs * (opts.extraPaddingBlocks ?? 0);
    if (padLen > 255) throw new RangeError('padding too long');
    return new Uint8Array(padLen + 1).fill(padLen);
  };
  /** Check TLS padding in place; returns the unpadded length, or undefined. */
  const unpad = (pt: Uint8Array, minLen: number): number | undefined => {
    const padLen = pt[pt.length - 1]!;
    if (padLen + 1 + minLen > pt.length) return undefined;
    for (let i = pt.length - 1 - padLen; i < pt.length; i++) if (pt[i] !== padLen) return undefined;
    return pt.length - 1 - padLen;
  };
  return {
    params,
    async protect(seq, type, version, plaintext, opts = {}) {
      const iv = opts.iv ?? randomBytes(p, bs);
      if (iv.length !== bs) throw new RangeError(`CBC IV must be ${bs} bytes`);
      const edit = (padded: Uint8Array) => {
        const out = opts.replacePlaintext ? opts.replacePlaintext(padded) : padded;
        if (out.length % bs !== 0) throw new RangeError(`CBC plaintext of ${out.length} bytes is not a multiple of ${bs}`);
        return out;
      };
      if (params.encryptThenMac) {
        const ct = await cbc.encrypt(iv, edit(concatBytes([plaintext, pad(plaintext.length, opts)])));
        const body = concatBytes([iv, ct]);
        return { type, version, fragment: concatBytes([body, await mac(seq, type, version, body)]) };
      }
      const m = await mac(seq, type, version, plaintext);
      const data = concatBytes([plaintext, m]);
      const ct = await cbc.encrypt(iv, edit(concatBytes([data, pad(data.length, opts)])));
      return { type, version, fragment: concatBytes([iv, ct]) };
    },
    async unprotect(seq, type, version, fragment) {
      if (fragment.length > MAX_CIPHERTEXT_12)
        return { ok: false, reason: 'record_overflow', detail: `${fragment.length} bytes` };
      if (params.encryptThenMac) {
        if (fragment.length < bs + bs + macLen) return { ok: false, reason: 'too_short', detail: `${fragment.length} bytes` };
        const body = fragment.subarray(0, fragment.length - macLen);
        if ((body.length - bs) % bs !== 0)
          return { ok: false, reason: 'bad_length', detail: 'ciphertext not a multiple of the block size' };
        const expected = await mac(seq, type, version, body);
        if (!bytesEqual(expected, fragment.subarray(fragment.length - macLen))) return { ok: false, reason: 'bad_record_mac' };
        const pt = await cbc.decrypt(body.subarray(0, bs), body.subarray(bs));
        const n = unpad(pt, 0);
        if (n === undefined) return { ok: false, reason: 'bad_padding' };
        if (n > MAX_PLAINTEXT) return { ok: false, reason: 'record_overflow', detail: `${n} bytes` };
        return { ok: true, type, content: pt.slice(0, n) };
      }
      if (fragment.length < bs + Math.ceil((macLen + 1) / bs) * bs)
        return { ok: false, reason: 'too_short', detail: `${fragment.length} bytes` };
      if (fragment.length % bs !== 0)
        return { ok: false, reason: 'bad_length', detail: 'ciphertext not a multiple of the block size' };
      const pt = await cbc.decrypt(fragment.subarray(0, bs), fragment.subarray(bs));
      const n = unpad(pt, macLen);
      if (n === undefined) return { ok: false, reason: 'bad_padding' };
      const content = pt.slice(0, n - macLen);
      const expected = await mac(seq, type, version, content);
      if (!bytesEqual(expected, pt.subarray(n - macLen, n))) return { ok: false, reason: 'bad_record_mac' };
      if (content.length > MAX_PLAINTEXT) return { ok: false, reason: 'record_overflow', detail: `${content.length} bytes` };
      return { ok: true, type, content };
    },
  };
}

function macHashOf(suite: CipherSuiteInfo): 'SHA-1' | 'SHA-256' | 'SHA-384' {
  if (suite.mac === 'SHA') return 'SHA-1';
  if (suite.mac === 'SHA256') return 'SHA-256';
  if (suite.mac === 'SHA384') return 'SHA-384';
  throw new Error(`no HMAC for ${suite.name}`);
}

/** Parameters of one TLS 1.2 direction ('client' = client_write keys) from the key block. */
export function tls12Params(
  suite: CipherSuiteInfo,
  kb: KeyBlock,
  writer: 'client' | 'server',
  encryptThenMac = false,
): ProtectionParams {
  const key = writer === 'client' ? kb.clientKey : kb.serverKey;
  switch (suite.cipher) {
    case 'AES_128_GCM':
    case 'AES_256_GCM':
    case 'CHACHA20_POLY1305':
    case 'AES_128_CCM':
    case 'AES_128_CCM_8':
    case 'AES_256_CCM':
    case 'AES_256_CCM_8':
      return { version: 'tls12', cipher: suite.cipher, key, fixedIv: writer === 'client' ? kb.clientIv : kb.serverIv };
    case 'AES_128_CBC':
    case 'AES_256_CBC':
    case '3DES_EDE_CBC':
      return {
        version: 'tls12',
        cipher: suite.cipher,
        key,
        macKey: writer === 'client' ? kb.clientMacKey : kb.serverMacKey,
        mac: macHashOf(suite),
        encryptThenMac,
      };
    default:
      throw new Error(`record protection not implemented for ${suite.name}`);
  }
}

/** Parameters of one TLS 1.3 direction from its traffic keys. */
const TLS13_AEADS: ReadonlySet<string> = new Set<AeadCipher>([
  'AES_128_GCM',
  'AES_256_GCM',
  'CHACHA20_POLY1305',
  'AES_128_CCM',
  'AES_128_CCM_8',
]);

export function tls13Params(suite: CipherSuiteInfo, keys: TrafficKeys): ProtectionParams {
  if (suite.kex !== 'TLS13' || !TLS13_AEADS.has(suite.cipher))
    throw new Error(`record protection not implemented for ${suite.name}`);
  return { version: 'tls13', cipher: suite.cipher as AeadCipher, key: keys.key, iv: keys.iv };
}

/**
 * One direction of a connection: the protection plus its sequence number
 * (starts at 0, +1 per record sealed or successfully opened). Create one per
 * direction and epoch; nothing is shared.
 */
export class RecordDirection {
  private seq = 0n;
  constructor(readonly protection: RecordProtection) {}

  get sequence(): bigint {
    return this.seq;
  }

  private advance(): bigint {
    const s = this.seq;
    if (s >= 0xffffffffffffffffn) throw new RangeError('sequence number would wrap');
    this.seq = s + 1n;
    return s;
  }

  async seal(type: number, version: number, plaintext: Uint8Array, opts?: ProtectOptions): Promise<ProtectedRecord> {
    const s = this.seq;
    const r = await this.protection.protect(s, type, version, plaintext, opts);
    this.advance();
    return r;
  }

  async open(type: number, version: number, fragment: Uint8Array): Promise<UnprotectResult> {
    const r = await this.protection.unprotect(this.seq, type, version, fragment);
    if (r.ok) this.advance();
    return r;
  }
}
