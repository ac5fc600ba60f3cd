/**
 * What a protected record carries, towards servers (tlsfuzzer's test-atypical-padding, test-cve-2016-2107,
 * test-fuzzed-plaintext and test-chacha20): records our client seals properly but whose content it chose, through the
 * engine's record protection (`FramePiece.protection`: the longest TLS 1.2 CBC padding, or an edit of exactly what is
 * encrypted) and the record it sends (`beforeSendRecord`).
 *
 * - the longest CBC padding (up to 255 bytes): valid (RFC 5246 §6.2.3.2), the server goes on;
 * - valid-looking CBC padding over the MAC (the CVE-2016-2107 record: the last 48 bytes of data, MAC and padding
 *   overwritten by the byte 47, which is well-formed padding of 48 bytes), and the whole CBC plaintext (data, MAC and
 *   padding) replaced by random bytes: the MAC does not verify, bad_record_mac (RFC 5246 §6.2.3.2, §7.2.2);
 * - a TLS 1.3 inner plaintext replaced by random bytes under valid AEAD protection: its last non-zero byte is read as
 *   the content type, here one no RFC defines: unexpected_message (RFC 8446 §5, §5.4);
 * - a ChaCha20-Poly1305 record of 0 to 15 bytes, shorter than the Poly1305 tag: it cannot be decrypted, bad_record_mac
 *   (RFC 8446 §5.2, RFC 5246 §7.2.2; RFC 7905 §2).
 *
 * The TLS 1.2 CBC records are MAC-then-encrypt (our client does not offer encrypt_then_mac): with RFC 7366 the MAC
 * covers the ciphertext, so an edit of the plaintext under it would be a valid record.
 */
import type { ClientConfig } from '../../engine/config';
import type { EngineHooks, FramePiece, HookFrame } from '../../engine/hooks';
import { ContentType as CT } from '../../wire/registry';
import { VERSION_CODE } from '../../wire/vocabulary';
import type { ClientSends, Mutation } from './model';
import type { BaseEnv } from './support';

type Sends = Pick<ClientSends, 'where' | 'mutate'>;
/** Our client offers the conversation's version only, without encrypt_then_mac, with these hooks. */
const hooks = (h: (env: BaseEnv) => EngineHooks): Sends => ({
  where: 'client-sends',
  mutate: (env) => {
    const config: ClientConfig = { ...env.client, versions: [VERSION_CODE[env.spec.version]], encryptThenMac: false };
    return { config, hooks: h(env) };
  },
});

/** A deterministic byte stream of a seed and a name (mulberry32): the "random" bytes of a conversation. */
export function seededBytes(seed: number, name: string, length: number): Uint8Array {
  let x = seed >>> 0;
  for (const ch of name) x = (Math.imul(x ^ ch.charCodeAt(0), 0x9e3779b1) + 0x7f4a7c15) >>> 0;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = x;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) & 0xff;
  }
  return out;
}

/** A protected frame of our client: application data (non-empty) or a handshake message of this type. */
const appData = (f: HookFrame) => f.protected && f.contentType === CT.application_data && f.content.length > 0;
const handshake = (type: number) => (f: HookFrame) => f.protected && f.contentType === CT.handshake && f.content[0] === type;

/** The first frame `pick` matches, sealed in one record with this protection. */
const sealedAs = (pick: (f: HookFrame) => boolean, protection: FramePiece['protection']): EngineHooks => {
  let done = false;
  return {
    beforeFrame: (f) => {
      if (done || !pick(f)) return undefined;
      done = true;
      return [{ contentType: f.contentType, fragment: f.content, protection }];
    },
  };
};

/** The CVE-2016-2107 record: the last 48 bytes of data, MAC and padding overwritten by 47 (48 bytes of valid padding). */
export function paddingOverMac(padded: Uint8Array): Uint8Array {
  const out = padded.slice();
  out.fill(47, Math.max(0, out.length - 48));
  return out;
}

/** Random bytes in place of a TLS 1.2 CBC plaintext (same length: data, MAC and padding). */
const randomCbc = (env: BaseEnv, name: string) => (padded: Uint8Array) => seededBytes(env.choice.seed, name, padded.length);

/** The content types RFC 8446 §5 knows (and 24, heartbeat, RFC 6520), and zero (padding). */
const KNOWN_TYPES = new Set([0, 20, 21, 22, 23, 24]);
/**
 * Random bytes in place of a TLS 1.3 inner plaintext (same length), the last one a content type no RFC defines, so the
 * receiver, which reads the last non-zero byte as the type (RFC 8446 §5.4), finds an unknown one.
 */
export function randomInner(seed: number, name: string, length: number): Uint8Array {
  const out = seededBytes(seed, name, Math.max(1, length));
  let last = out[out.length - 1]!;
  while (KNOWN_TYPES.has(last)) last = (last + 37) & 0xff;
  out[out.length - 1] = last;
  return out;
}

/** Our first application data record cut to `length` bytes of ciphertext (the record header says so). */
const appDataRecordCut =
  (length: (env: BaseEnv) => number) =>
  (env: BaseEnv): EngineHooks => {
    let done = false;
    return {
      beforeSendRecord: (r) => {
        if (done || !r.plaintext || r.plaintext.contentType !== CT.application_data || !r.plaintext.fragment.length)
          return undefined;
        done = true;
        const n = Math.min(length(env), r.raw.length - 5);
        const raw = r.raw.slice(0, 5 + n);
        raw[3] = n >> 8;
        raw[4] = n & 0xff;
        return [{ side: r.side, raw }];
      },
    };
  };

/** The shape of our client's TLS 1.2 CBC protection (`HookFrame.cbc`). */
type CbcShape = NonNullable<HookFrame['cbc']>;

/**
 * A number in lo..hi drawn from the run's seed and the conversation's client random (which fast-check draws, and
 * shrinks, as `cfg.random`): the random conversations of a run sweep it, and a seed and path replay one value.
 */
export function drawnIn(env: BaseEnv, name: string, lo: number, hi: number): number {
  let seed = env.choice.seed >>> 0;
  for (const b of env.choice.clientRandom) seed = Math.imul(seed ^ b, 0x01000193) >>> 0;
  const [a, b] = seededBytes(seed, name, 2);
  return lo + (((a! << 8) | b!) % (hi - lo + 1));
}

/** `content` cut or extended with zeros to `n` bytes. */
const fitted = (content: Uint8Array, n: number): Uint8Array => {
  const out = new Uint8Array(n);
  out.set(content.subarray(0, n));
  return out;
};

/**
 * Our first application data record as one TLS 1.2 MAC-then-encrypt CBC record of `size` bytes (explicit IV included)
 * whose padding length is `padding` (0-255): its data is cut or extended so that data, MAC and padding fill the
 * record, then `edit` changes what is encrypted (data, valid MAC, padding), which the MAC does not cover.
 */
const cbcRecord =
  (
    size: number,
    padding: (env: BaseEnv, shape: CbcShape) => number,
    edit: (env: BaseEnv, plaintext: Uint8Array, shape: CbcShape, padding: number) => Uint8Array,
  ) =>
  (env: BaseEnv): EngineHooks => {
    let done = false;
    return {
      beforeFrame: (f) => {
        if (done || !appData(f)) return undefined;
        done = true;
        const shape = f.cbc;
        // our client offers no encrypt_then_mac (hooks), so the server cannot take it (RFC 7366 §2)
        if (!shape || shape.encryptThenMac) throw new Error('the record is not protected MAC-then-encrypt with a CBC suite');
        const bs = shape.blockSize;
        const pad = padding(env, shape);
        const data = size - bs - shape.macLength - pad - 1;
        if (data < 0 || size % bs) throw new RangeError(`no ${size}-byte CBC record has a padding of ${pad}`);
        // the engine pads to the next block and adds whole blocks: the padding is `pad` when the record is `size` bytes
        const least = bs - 1 - ((data + shape.macLength) % bs);
        const replacePlaintext = (p: Uint8Array): Uint8Array => {
          if (p[p.length - 1] !== pad) throw new Error(`padding length ${p[p.length - 1]}, not ${pad}`);
          return edit(env, p.slice(), shape, pad);
        };
        const protection = { extraPaddingBlocks: (pad - least) / bs, replacePlaintext };
        return [{ contentType: f.contentType, fragment: fitted(f.content, data), protection }];
      },
    };
  };

/** The 512-byte record of the padding sweep (tlsfuzzer's test-lucky13: a record of 512 bytes, IV included). */
const SWEEP_SIZE = 512;
/** The 128-byte record whose padding length leaves no room for the MAC. */
const SHORT_SIZE = 128;

/** One padding byte (not the length byte) drawn from the seed made different from the padding length. */
const wrongPaddingByte =
  (name: string) =>
  (env: BaseEnv, p: Uint8Array, _shape: CbcShape, pad: number): Uint8Array => {
    p[p.length - 1 - pad + drawnIn(env, `${name} byte`, 0, pad - 1)]! ^= 0xff;
    return p;
  };

/** Every MAC byte inverted, the padding left valid. */
const wrongMac = (_env: BaseEnv, p: Uint8Array, shape: CbcShape, pad: number): Uint8Array => {
  const end = p.length - 1 - pad;
  for (let i = end - shape.macLength; i < end; i++) p[i]! ^= 0xff;
  return p;
};

/**
 * A padding length byte so large that padding and MAC do not fit in the record (plaintext length minus the MAC length
 * up to 255), every byte it claims as padding (as far as the record reaches) set to it: well-formed padding with no
 * room left for the MAC.
 */
const macOutOfBounds = (env: BaseEnv, p: Uint8Array, shape: CbcShape): Uint8Array => {
  const len = drawnIn(env, 't12-cbc-mac-out-of-bounds', p.length - shape.macLength, 255);
  p.fill(len, Math.max(0, p.length - 1 - len));
  return p;
};

/** A CBC padding sweep mutation (tlsfuzzer's test-lucky13, functional part). */
const sweep = (name: string, description: string, rules: Mutation['rules'], h: (env: BaseEnv) => EngineHooks): Mutation => ({
  name,
  description,
  versions: ['1.2'],
  rules,
  reactionRules: ['rec.deprotect-failure'],
  bases: [],
  needs: { cipher: 'CBC' },
  ...hooks(h),
});

/**
 * The padding sweep of tlsfuzzer's test-lucky13 (functional part): a 512-byte record with a padding of each length and
 * one wrong padding byte (RFC 5246 §6.2.3.2: "The receiver MUST check this padding and MUST use the bad_record_mac
 * alert to indicate padding errors."), the same with a valid padding and a wrong MAC, and a 128-byte record whose
 * padding length leaves no room for the MAC. The length is drawn per conversation (the run's seed and the
 * conversation's client random); the shortest and longest are their own names, so coverage runs the extremes.
 */
const CBC_SWEEP: readonly Mutation[] = [
  sweep(
    't12-cbc-padding-byte-wrong',
    'our 512-byte CBC application data record with a padding of a drawn length (1-255), one padding byte wrong, a valid MAC',
    ['rec.t12.cbc-padding'],
    cbcRecord(
      SWEEP_SIZE,
      (env) => drawnIn(env, 't12-cbc-padding-byte-wrong', 1, 255),
      wrongPaddingByte('t12-cbc-padding-byte-wrong'),
    ),
  ),
  sweep(
    't12-cbc-padding-byte-wrong-shortest',
    'our 512-byte CBC application data record with a padding of length 1 whose one padding byte is wrong, a valid MAC',
    ['rec.t12.cbc-padding'],
    cbcRecord(SWEEP_SIZE, () => 1, wrongPaddingByte('t12-cbc-padding-byte-wrong-shortest')),
  ),
  sweep(
    't12-cbc-padding-byte-wrong-longest',
    'our 512-byte CBC application data record with a padding of length 255, one padding byte wrong, a valid MAC',
    ['rec.t12.cbc-padding'],
    cbcRecord(SWEEP_SIZE, () => 255, wrongPaddingByte('t12-cbc-padding-byte-wrong-longest')),
  ),
  sweep(
    't12-cbc-mac-wrong',
    'our 512-byte CBC application data record with a valid padding of a drawn length (0-255) and a wrong MAC',
    ['rec.integrity'],
    cbcRecord(SWEEP_SIZE, (env) => drawnIn(env, 't12-cbc-mac-wrong', 0, 255), wrongMac),
  ),
  sweep(
    't12-cbc-mac-wrong-shortest-padding',
    'our 512-byte CBC application data record with a valid padding of length 0 and a wrong MAC',
    ['rec.integrity'],
    cbcRecord(SWEEP_SIZE, () => 0, wrongMac),
  ),
  sweep(
    't12-cbc-mac-wrong-longest-padding',
    'our 512-byte CBC application data record with a valid padding of length 255 and a wrong MAC',
    ['rec.integrity'],
    cbcRecord(SWEEP_SIZE, () => 255, wrongMac),
  ),
  sweep(
    't12-cbc-mac-out-of-bounds',
    'our 128-byte CBC application data record whose padding length byte (drawn, up to 255) leaves no room for the MAC',
    ['rec.integrity'],
    // one byte of data and the padding that fills the record, then the padding length raised
    cbcRecord(SHORT_SIZE, (_env, s) => SHORT_SIZE - s.blockSize - s.macLength - 2, macOutOfBounds),
  ),
];

export const RECORD_CONTENT_MUTATIONS: readonly Mutation[] = [
  {
    name: 't12-cbc-longest-padding',
    description: 'our CBC application data and Finished records carry the longest padding that fits (up to 255 bytes)',
    versions: ['1.2'],
    rules: ['rec.t12.cbc-padding-any-length'],
    bases: [],
    needs: { cipher: 'CBC' },
    ...hooks(() => ({
      beforeFrame: (f) =>
        appData(f) || handshake(20)(f)
          ? [{ contentType: f.contentType, fragment: f.content, protection: { longestPadding: true } }]
          : undefined,
    })),
  },
  {
    name: 't12-cbc-padding-over-mac',
    description:
      'the last 48 bytes of our CBC application data record (data, MAC, padding) overwritten by 47: valid-looking padding, wrong MAC (CVE-2016-2107)',
    versions: ['1.2'],
    rules: ['rec.integrity'],
    reactionRules: ['rec.deprotect-failure'],
    bases: [],
    needs: { cipher: 'CBC' },
    ...hooks(() => sealedAs(appData, { replacePlaintext: paddingOverMac })),
  },
  {
    name: 't12-cbc-fuzzed-appdata-plaintext',
    description: 'our CBC application data record encrypts random bytes in place of its data, MAC and padding',
    versions: ['1.2'],
    rules: ['rec.integrity'],
    reactionRules: ['rec.deprotect-failure'],
    bases: [],
    needs: { cipher: 'CBC' },
    ...hooks((env) => sealedAs(appData, { replacePlaintext: randomCbc(env, 't12-cbc-fuzzed-appdata-plaintext') })),
  },
  {
    name: 't12-cbc-fuzzed-finished-plaintext',
    description: 'our CBC Finished record encrypts random bytes in place of its message, MAC and padding',
    versions: ['1.2'],
    rules: ['rec.integrity'],
    reactionRules: ['rec.deprotect-failure'],
    bases: [],
    needs: { cipher: 'CBC' },
    ...hooks((env) => sealedAs(handshake(20), { replacePlaintext: randomCbc(env, 't12-cbc-fuzzed-finished-plaintext') })),
  },
  {
    name: 't13-fuzzed-appdata-plaintext',
    description: 'our TLS 1.3 application data record seals random bytes (an undefined content type last) as its inner plaintext',
    versions: ['1.3'],
    rules: ['rec.content-type-known'],
    bases: [],
    ...hooks((env) =>
      sealedAs(appData, { replacePlaintext: (p) => randomInner(env.choice.seed, 't13-fuzzed-appdata-plaintext', p.length) }),
    ),
  },
  {
    name: 't13-fuzzed-finished-plaintext',
    description: 'our TLS 1.3 Finished record seals random bytes (an undefined content type last) as its inner plaintext',
    versions: ['1.3'],
    rules: ['rec.content-type-known'],
    bases: [],
    ...hooks((env) =>
      sealedAs(handshake(20), {
        replacePlaintext: (p) => randomInner(env.choice.seed, 't13-fuzzed-finished-plaintext', p.length),
      }),
    ),
  },
  {
    name: 'chacha20-ciphertext-shorter-than-tag',
    description: 'our first ChaCha20-Poly1305 application data record cut to 0-15 bytes, shorter than the Poly1305 tag',
    versions: ['1.2', '1.3'],
    rules: ['rec.integrity'],
    reactionRules: ['rec.deprotect-failure'],
    bases: [],
    needs: { cipher: 'CHACHA20_POLY1305' },
    ...hooks(appDataRecordCut((env) => seededBytes(env.choice.seed, 'chacha20-ciphertext-shorter-than-tag', 1)[0]! % 16)),
  },
  ...CBC_SWEEP,
];
