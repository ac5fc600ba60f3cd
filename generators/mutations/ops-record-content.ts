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
];
