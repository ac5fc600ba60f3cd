/**
 * Minimal strict DER reading/writing for what the crypto layer needs at the
 * TLS boundary: ECDSA-Sig-Value (SEQUENCE { INTEGER r, INTEGER s }),
 * SubjectPublicKeyInfo, and PKCS#8 wrappers for raw private keys. Malformed
 * input throws DecodeError (wire/errors) with the offset of the problem.
 */
import { DecodeError } from '../wire/errors';
import { concatBytes, fromHex, toHex } from '../wire/hex';

export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
}

/** Read one TLV at `at` (single-byte tags only), strictly: definite, minimal length encoding. */
export function readTlv(b: Uint8Array, at: number, path: string, limit = b.length): Tlv {
  if (at + 2 > limit) throw new DecodeError('truncated', at, path, 'DER header truncated');
  const tag = b[at]!;
  if ((tag & 0x1f) === 0x1f) throw new DecodeError('value', at, path, 'multi-byte DER tags not supported');
  let len = b[at + 1]!;
  let contentStart = at + 2;
  if (len === 0x80) throw new DecodeError('value', at + 1, path, 'indefinite length is not DER');
  if (len > 0x80) {
    const n = len & 0x7f;
    if (n > 4) throw new DecodeError('length', at + 1, path, `length of length ${n} too large`);
    if (contentStart + n > limit) throw new DecodeError('truncated', at + 1, path, 'DER length truncated');
    if (b[contentStart] === 0) throw new DecodeError('value', contentStart, path, 'non-minimal DER length (leading zero)');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[contentStart + i]!;
    if (len < 0x80) throw new DecodeError('value', at + 1, path, 'non-minimal DER length (long form for < 128)');
    contentStart += n;
  }
  const end = contentStart + len;
  if (end > limit)
    throw new DecodeError('truncated', contentStart, path, `DER content needs ${len} byte(s), ${limit - contentStart} left`);
  return { tag, start: at, contentStart, end };
}

function expectTag(t: Tlv, tag: number, path: string): void {
  if (t.tag !== tag)
    throw new DecodeError('value', t.start, path, `expected DER tag 0x${tag.toString(16)}, got 0x${t.tag.toString(16)}`);
}

function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function encodeTlv(tag: number, content: Uint8Array): Uint8Array {
  return concatBytes([Uint8Array.of(tag), encodeLength(content.length), content]);
}

/** Read a strict DER positive INTEGER's magnitude (no superfluous leading zero, not negative, not zero). */
function readPositiveInteger(b: Uint8Array, t: Tlv, path: string): Uint8Array {
  expectTag(t, 0x02, path);
  const c = b.subarray(t.contentStart, t.end);
  if (c.length === 0) throw new DecodeError('length', t.start, path, 'empty INTEGER');
  if (c[0]! & 0x80) throw new DecodeError('value', t.contentStart, path, 'negative INTEGER');
  if (c[0] === 0 && c.length > 1 && !(c[1]! & 0x80))
    throw new DecodeError('value', t.contentStart, path, 'non-minimal INTEGER (superfluous leading zero)');
  const mag = c[0] === 0 ? c.subarray(1) : c;
  if (mag.length === 0) throw new DecodeError('value', t.contentStart, path, 'INTEGER is zero');
  return mag;
}

/** ECDSA DER signature -> raw r||s with each half left-padded to `coordLen` bytes. */
export function ecdsaDerToRaw(der: Uint8Array, coordLen: number, path = 'ecdsa_signature'): Uint8Array {
  const seq = readTlv(der, 0, path);
  expectTag(seq, 0x30, path);
  if (seq.end !== der.length)
    throw new DecodeError('trailing', seq.end, path, `${der.length - seq.end} byte(s) after the signature`);
  const rT = readTlv(der, seq.contentStart, `${path}.r`, seq.end);
  const r = readPositiveInteger(der, rT, `${path}.r`);
  const sT = readTlv(der, rT.end, `${path}.s`, seq.end);
  const s = readPositiveInteger(der, sT, `${path}.s`);
  if (sT.end !== seq.end) throw new DecodeError('trailing', sT.end, path, 'bytes after s inside the SEQUENCE');
  if (r.length > coordLen) throw new DecodeError('value', rT.contentStart, `${path}.r`, `r longer than ${coordLen} bytes`);
  if (s.length > coordLen) throw new DecodeError('value', sT.contentStart, `${path}.s`, `s longer than ${coordLen} bytes`);
  const out = new Uint8Array(2 * coordLen);
  out.set(r, coordLen - r.length);
  out.set(s, 2 * coordLen - s.length);
  return out;
}

function integerFromMagnitude(m: Uint8Array): Uint8Array {
  let i = 0;
  while (i < m.length - 1 && m[i] === 0) i++;
  const v = m.subarray(i);
  return encodeTlv(0x02, v[0]! & 0x80 ? concatBytes([Uint8Array.of(0), v]) : v);
}

/** Raw r||s -> DER ECDSA-Sig-Value. */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) throw new RangeError(`raw ECDSA signature has odd/zero length ${raw.length}`);
  const n = raw.length / 2;
  return encodeTlv(0x30, concatBytes([integerFromMagnitude(raw.subarray(0, n)), integerFromMagnitude(raw.subarray(n))]));
}

export const OID = {
  rsaEncryption: '2a864886f70d010101',
  rsassaPss: '2a864886f70d01010a',
  ecPublicKey: '2a8648ce3d0201',
  prime256v1: '2a8648ce3d030107',
  secp384r1: '2b81040022',
  secp521r1: '2b81040023',
  ed25519: '2b6570',
  x25519: '2b656e',
} as const;

export interface SpkiInfo {
  /** Hex of the algorithm OID content bytes. */
  algorithm: string;
  /** Hex of the parameters OID content (EC curve), if the parameter is an OID. */
  parameters?: string;
  /** The subjectPublicKey BIT STRING content without the unused-bits byte. */
  publicKey: Uint8Array;
}

/** Parse SubjectPublicKeyInfo DER strictly enough to pick the algorithm and curve. */
export function parseSpki(spki: Uint8Array, path = 'spki'): SpkiInfo {
  const seq = readTlv(spki, 0, path);
  expectTag(seq, 0x30, path);
  if (seq.end !== spki.length) throw new DecodeError('trailing', seq.end, path, 'bytes after SubjectPublicKeyInfo');
  const alg = readTlv(spki, seq.contentStart, `${path}.algorithm`, seq.end);
  expectTag(alg, 0x30, `${path}.algorithm`);
  const oid = readTlv(spki, alg.contentStart, `${path}.algorithm.oid`, alg.end);
  expectTag(oid, 0x06, `${path}.algorithm.oid`);
  const info: SpkiInfo = { algorithm: toHex(spki.subarray(oid.contentStart, oid.end)), publicKey: new Uint8Array(0) };
  if (oid.end < alg.end) {
    const par = readTlv(spki, oid.end, `${path}.algorithm.parameters`, alg.end);
    if (par.tag === 0x06) info.parameters = toHex(spki.subarray(par.contentStart, par.end));
  }
  const bits = readTlv(spki, alg.end, `${path}.subjectPublicKey`, seq.end);
  expectTag(bits, 0x03, `${path}.subjectPublicKey`);
  if (bits.end !== seq.end) throw new DecodeError('trailing', bits.end, path, 'bytes after subjectPublicKey');
  if (bits.end === bits.contentStart || spki[bits.contentStart] !== 0)
    throw new DecodeError('value', bits.contentStart, `${path}.subjectPublicKey`, 'BIT STRING must have 0 unused bits');
  info.publicKey = spki.slice(bits.contentStart + 1, bits.end);
  return info;
}

/** PKCS#8 PrivateKeyInfo for a raw X25519/Ed25519 private key (RFC 8410). */
export function pkcs8ForOkp(oidHex: string, raw: Uint8Array): Uint8Array {
  const alg = encodeTlv(0x30, encodeTlv(0x06, fromHex(oidHex)));
  return encodeTlv(0x30, concatBytes([Uint8Array.of(2, 1, 0), alg, encodeTlv(0x04, encodeTlv(0x04, raw))]));
}

/** PKCS#8 PrivateKeyInfo for a raw EC private scalar (RFC 5915 ECPrivateKey without the public key). */
export function pkcs8ForEc(curveOidHex: string, d: Uint8Array): Uint8Array {
  const alg = encodeTlv(0x30, concatBytes([encodeTlv(0x06, fromHex(OID.ecPublicKey)), encodeTlv(0x06, fromHex(curveOidHex))]));
  const ecpk = encodeTlv(0x30, concatBytes([Uint8Array.of(2, 1, 1), encodeTlv(0x04, d)]));
  return encodeTlv(0x30, concatBytes([Uint8Array.of(2, 1, 0), alg, encodeTlv(0x04, ecpk)]));
}

/** The raw private key inside a PKCS#8 (OKP: the inner OCTET STRING; EC: ECPrivateKey.privateKey). */
export function privateKeyFromPkcs8(pkcs8: Uint8Array, path = 'pkcs8'): Uint8Array {
  const seq = readTlv(pkcs8, 0, path);
  expectTag(seq, 0x30, path);
  const ver = readTlv(pkcs8, seq.contentStart, `${path}.version`, seq.end);
  const alg = readTlv(pkcs8, ver.end, `${path}.algorithm`, seq.end);
  const oct = readTlv(pkcs8, alg.end, `${path}.privateKey`, seq.end);
  expectTag(oct, 0x04, `${path}.privateKey`);
  const inner = readTlv(pkcs8, oct.contentStart, `${path}.privateKey.inner`, oct.end);
  if (inner.tag === 0x04) return pkcs8.slice(inner.contentStart, inner.end);
  expectTag(inner, 0x30, `${path}.privateKey.inner`);
  const v = readTlv(pkcs8, inner.contentStart, `${path}.ecPrivateKey.version`, inner.end);
  const d = readTlv(pkcs8, v.end, `${path}.ecPrivateKey.privateKey`, inner.end);
  expectTag(d, 0x04, `${path}.ecPrivateKey.privateKey`);
  return pkcs8.slice(d.contentStart, d.end);
}
