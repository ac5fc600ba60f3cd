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

/** DER content bytes (hex) of a dotted OID. */
export function oidHex(dotted: string): string {
  const parts = dotted.split('.').map((s) => BigInt(s));
  const [a, b, ...rest] = parts;
  if (a === undefined || b === undefined) throw new RangeError(`OID ${dotted} needs two arcs`);
  const out: number[] = [];
  for (const arc of [a * 40n + b, ...rest]) {
    const bytes = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) bytes.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...bytes);
  }
  return toHex(Uint8Array.from(out));
}

/** Algorithm and curve OIDs (hex of the content bytes, as `parseSpki` returns them). */
export const OID = {
  rsaEncryption: oidHex('1.2.840.113549.1.1.1'),
  rsassaPss: oidHex('1.2.840.113549.1.1.10'),
  mgf1: oidHex('1.2.840.113549.1.1.8'),
  ecPublicKey: oidHex('1.2.840.10045.2.1'),
  dsa: oidHex('1.2.840.10040.4.1'),
  prime192v1: oidHex('1.2.840.10045.3.1.1'),
  secp224r1: oidHex('1.3.132.0.33'),
  secp256k1: oidHex('1.3.132.0.10'),
  prime256v1: oidHex('1.2.840.10045.3.1.7'),
  secp384r1: oidHex('1.3.132.0.34'),
  secp521r1: oidHex('1.3.132.0.35'),
  brainpoolP256r1: oidHex('1.3.36.3.3.2.8.1.1.7'),
  brainpoolP384r1: oidHex('1.3.36.3.3.2.8.1.1.11'),
  brainpoolP512r1: oidHex('1.3.36.3.3.2.8.1.1.13'),
  sect163k1: oidHex('1.3.132.0.1'),
  sect283k1: oidHex('1.3.132.0.16'),
  ed25519: oidHex('1.3.101.112'),
  ed448: oidHex('1.3.101.113'),
  x25519: oidHex('1.3.101.110'),
  x448: oidHex('1.3.101.111'),
  md5: oidHex('1.2.840.113549.2.5'),
  sha1: oidHex('1.3.14.3.2.26'),
  sha224: oidHex('2.16.840.1.101.3.4.2.4'),
  sha256: oidHex('2.16.840.1.101.3.4.2.1'),
  sha384: oidHex('2.16.840.1.101.3.4.2.2'),
  sha512: oidHex('2.16.840.1.101.3.4.2.3'),
} as const;

export interface SpkiInfo {
  /** Hex of the algorithm OID content bytes. */
  algorithm: string;
  /** Hex of the parameters OID content (EC curve), if the parameter is an OID. */
  parameters?: string;
  /** The whole parameters TLV when it is not an OID (RSASSA-PSS-params, DSA Dss-Parms); NULL is left out. */
  parametersDer?: Uint8Array;
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
    else if (par.tag !== 0x05) info.parametersDer = spki.slice(par.start, par.end);
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

export interface PssParams {
  hash: string;
  /** Hash of MGF1 (the only mask generation function RFC 4055 defines). */
  mgfHash: string;
  saltLength: number;
}

/** Hex OID of the hash in an AlgorithmIdentifier TLV (parameters NULL or absent). */
function hashOidOf(b: Uint8Array, t: Tlv, path: string): string {
  expectTag(t, 0x30, path);
  const oid = readTlv(b, t.contentStart, `${path}.algorithm`, t.end);
  expectTag(oid, 0x06, `${path}.algorithm`);
  return toHex(b.subarray(oid.contentStart, oid.end));
}

/**
 * RSASSA-PSS-params (RFC 4055 §3.1, RFC 8017 A.2.3): explicit fields or the
 * defaults (SHA-1, MGF1 with SHA-1, salt 20). Only trailerField 1 exists;
 * anything else is a DecodeError. Hash values are OID hex (see OID.sha256...).
 */
export function parsePssParams(der: Uint8Array | undefined, path = 'RSASSA-PSS-params'): PssParams {
  const out: PssParams = { hash: OID.sha1, mgfHash: OID.sha1, saltLength: 20 };
  if (!der || der.length === 0) return out;
  const seq = readTlv(der, 0, path);
  expectTag(seq, 0x30, path);
  if (seq.end !== der.length) throw new DecodeError('trailing', seq.end, path, 'bytes after RSASSA-PSS-params');
  let at = seq.contentStart;
  let last = -1;
  while (at < seq.end) {
    const f = readTlv(der, at, path, seq.end);
    const n = f.tag - 0xa0;
    if (n < 0 || n > 3 || n <= last)
      throw new DecodeError('value', f.start, path, `unexpected field tag 0x${f.tag.toString(16)}`);
    last = n;
    const inner = readTlv(der, f.contentStart, `${path}[${n}]`, f.end);
    if (n === 0) out.hash = hashOidOf(der, inner, `${path}.hashAlgorithm`);
    else if (n === 1) {
      expectTag(inner, 0x30, `${path}.maskGenAlgorithm`);
      const mgf = readTlv(der, inner.contentStart, `${path}.maskGenAlgorithm.algorithm`, inner.end);
      expectTag(mgf, 0x06, `${path}.maskGenAlgorithm.algorithm`);
      if (toHex(der.subarray(mgf.contentStart, mgf.end)) !== OID.mgf1)
        throw new DecodeError('value', mgf.start, path, 'mask generation function is not MGF1');
      out.mgfHash = hashOidOf(der, readTlv(der, mgf.end, `${path}.maskGenAlgorithm.parameters`, inner.end), `${path}.mgf1`);
    } else if (n === 2) {
      expectTag(inner, 0x02, `${path}.saltLength`);
      let v = 0;
      for (let i = inner.contentStart; i < inner.end; i++) v = v * 256 + der[i]!;
      if (inner.end - inner.contentStart > 4 || der[inner.contentStart]! & 0x80)
        throw new DecodeError('value', inner.start, path, 'saltLength out of range');
      out.saltLength = v;
    } else {
      expectTag(inner, 0x02, `${path}.trailerField`);
      if (inner.end - inner.contentStart !== 1 || der[inner.contentStart] !== 1)
        throw new DecodeError('value', inner.start, path, 'trailerField must be 1');
    }
    at = f.end;
  }
  return out;
}
