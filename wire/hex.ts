/** Hex helpers (lower case, no separators; whitespace and ':' ignored on input). */
import { DecodeError } from './errors';

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(s: string, path = 'hex'): Uint8Array {
  const clean = s.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0) throw new DecodeError('length', clean.length, path, 'odd number of hex digits');
  const bad = clean.search(/[^0-9a-fA-F]/);
  if (bad >= 0) throw new DecodeError('value', bad, path, `not a hex digit: ${JSON.stringify(clean[bad])}`);
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * FNV-1a (32 bits) of `b`: a cheap fingerprint to notice that bytes changed since it was taken (not a
 * cryptographic hash: it guards against edits, not against an adversary).
 */
export function fingerprint(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) {
    h ^= b[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
