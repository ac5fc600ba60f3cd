/**
 * Byte-level surgery on handshake messages for the mutations that send what
 * no encoder would write: a ClientHello whose length fields are off, cut
 * short or followed by trailing bytes, a message split or merged into records
 * of any size. Every function works on raw bytes as they go on the wire
 * (header included) and returns a copy; none re-encodes what it does not
 * change.
 */
import { concatBytes } from '../../wire/hex';

const u16at = (b: Uint8Array, at: number): number => ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);

/** Where the fields of a ClientHello (header included) start: each offset is that of the field's length prefix. */
export interface HelloLayout {
  /** legacy_session_id<0..32> length byte. */
  sessionId: number;
  /** cipher_suites<2..2^16-2> length. */
  suites: number;
  /** legacy_compression_methods<1..2^8-1> length byte. */
  compression: number;
  /** extensions<8..2^16-1> length, when the message has an extensions block. */
  extensions?: number;
  /** Every extension: its type, the offset of its header and of its body, and the body length. */
  entries: { type: number; at: number; body: number; length: number }[];
}

/** The layout of a well-formed ClientHello as our engine sends it (throws on anything else: a bug, not a mutation). */
export function helloLayout(raw: Uint8Array): HelloLayout {
  if (raw[0] !== 1) throw new Error('not a ClientHello');
  const sessionId = 4 + 2 + 32;
  const suites = sessionId + 1 + raw[sessionId]!;
  const compression = suites + 2 + u16at(raw, suites);
  const afterCompression = compression + 1 + raw[compression]!;
  if (afterCompression >= raw.length) return { sessionId, suites, compression, entries: [] };
  const extensions = afterCompression;
  const end = extensions + 2 + u16at(raw, extensions);
  if (end !== raw.length) throw new Error('ClientHello with data after its extensions');
  const entries: HelloLayout['entries'] = [];
  for (let at = extensions + 2; at + 4 <= end; ) {
    const length = u16at(raw, at + 2);
    entries.push({ type: u16at(raw, at), at, body: at + 4, length });
    at += 4 + length;
  }
  return { sessionId, suites, compression, extensions, entries };
}

/** A handshake message with its 3-byte length set to the body length it now has. */
export function fixLength(raw: Uint8Array): Uint8Array {
  const out = raw.slice();
  const n = raw.length - 4;
  out[1] = (n >> 16) & 0xff;
  out[2] = (n >> 8) & 0xff;
  out[3] = n & 0xff;
  return out;
}

/** Add `delta` to the big-endian length field of `size` bytes at `at` (nothing else moves). */
export function bumpLength(raw: Uint8Array, at: number, size: 1 | 2 | 3, delta: number): Uint8Array {
  const out = raw.slice();
  let v = 0;
  for (let i = 0; i < size; i++) v = (v << 8) | out[at + i]!;
  v = (v + delta + (1 << (8 * size))) % (1 << (8 * size));
  for (let i = size - 1; i >= 0; i--) {
    out[at + i] = v & 0xff;
    v >>= 8;
  }
  return out;
}

/** Insert `bytes` at `at`, with the handshake length fixed and each listed length field grown by their size. */
export function insertAt(
  raw: Uint8Array,
  at: number,
  bytes: Uint8Array,
  grow: readonly { at: number; size: 1 | 2 | 3 }[],
): Uint8Array {
  let out = concatBytes([raw.subarray(0, at), bytes, raw.subarray(at)]);
  for (const g of grow) out = bumpLength(out, g.at, g.size, bytes.length);
  return fixLength(out);
}

/** Remove `count` bytes at `at`, with the handshake length fixed and each listed length field shrunk by `count`. */
export function removeAt(
  raw: Uint8Array,
  at: number,
  count: number,
  shrink: readonly { at: number; size: 1 | 2 | 3 }[],
): Uint8Array {
  let out = concatBytes([raw.subarray(0, at), raw.subarray(at + count)]);
  for (const g of shrink) out = bumpLength(out, g.at, g.size, -count);
  return fixLength(out);
}

/** Split `content` into pieces of at most `size` bytes (one empty piece for empty content). */
export function chunks(content: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < content.length; at += size) out.push(content.subarray(at, at + size));
  return out.length ? out : [content];
}
