/**
 * DER walking (on crypto/der's strict reader) for the few X.509 fields @peculiar/x509 does not expose
 * as raw bytes (issuer/subject Name DER, both signature AlgorithmIdentifiers,
 * the SPKI algorithm). Only definite lengths; throws DecodeError on bad input.
 */
import { type Tlv, readTlv } from '../crypto/der';
import { DecodeError } from '../wire/errors';

export type { Tlv };
export { readTlv };

/** The TLVs directly inside a constructed TLV. */
export function childrenOf(b: Uint8Array, parent: Tlv, path = 'der'): Tlv[] {
  const out: Tlv[] = [];
  let at = parent.contentStart;
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
  return b.subarray(t.start, t.end);
}

export function decodeOid(b: Uint8Array, t: Tlv): string {
  if (t.tag !== 0x06) throw new DecodeError('value', t.start, 'oid', `expected OID tag 0x06, got 0x${t.tag.toString(16)}`);
  const parts: number[] = [];
  let v = 0;
  for (let i = t.contentStart; i < t.end; i++) {
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
