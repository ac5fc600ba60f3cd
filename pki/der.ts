/**
 * Minimal DER walker for the few X.509 fields @peculiar/x509 does not expose
 * as raw bytes (issuer/subject Name DER, both signature AlgorithmIdentifiers,
 * the SPKI algorithm). Only definite lengths; throws DecodeError on bad input.
 */
import { DecodeError } from '../wire/errors';

export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  headerStart: number;
  /** Offset of the first content byte. */
  start: number;
  /** Offset just past the content. */
  end: number;
}

export function readTlv(b: Uint8Array, at: number, path = 'der'): Tlv {
  if (at + 2 > b.length) throw new DecodeError('truncated', at, path, 'DER header past end of input');
  const tag = b[at]!;
  if ((tag & 0x1f) === 0x1f) throw new DecodeError('value', at, path, 'multi-byte DER tags are not supported');
  let len = b[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DecodeError('length', at + 1, path, `unsupported DER length form 0x${len.toString(16)}`);
    if (start + n > b.length) throw new DecodeError('truncated', at + 1, path, 'DER length past end of input');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i]!;
    start += n;
  }
  const end = start + len;
  if (end > b.length) throw new DecodeError('truncated', start, path, `DER content of ${len} bytes past end of input`);
  return { tag, headerStart: at, start, end };
}

/** The TLVs directly inside a constructed TLV. */
export function childrenOf(b: Uint8Array, parent: Tlv, path = 'der'): Tlv[] {
  const out: Tlv[] = [];
  let at = parent.start;
  while (at < parent.end) {
    const t = readTlv(b, at, `${path}[${out.length}]`);
    if (t.end > parent.end) throw new DecodeError('length', at, path, 'child overruns its parent');
    out.push(t);
    at = t.end;
  }
  return out;
}

/** Whole encoding (header + content) of a TLV. */
export function tlvBytes(b: Uint8Array, t: Tlv): Uint8Array {
  return b.subarray(t.headerStart, t.end);
}

export function decodeOid(b: Uint8Array, t: Tlv): string {
  if (t.tag !== 0x06) throw new DecodeError('value', t.headerStart, 'oid', `expected OID tag 0x06, got 0x${t.tag.toString(16)}`);
  const parts: number[] = [];
  let v = 0;
  for (let i = t.start; i < t.end; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) {
      if (parts.length === 0) {
        const first = v < 80 ? Math.floor(v / 40) : 2;
        parts.push(first, v - first * 40);
      } else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}
