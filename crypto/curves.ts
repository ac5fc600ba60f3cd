/**
 * The elliptic curves of the TLS registries, with what our own point
 * validation needs precomputed once (BigInt constants), and how each
 * implementation names them. Constants are the SEC 2 / RFC 5639 / RFC 7748
 * domain parameters, taken from `openssl ecparam -param_enc explicit -text`
 * (OpenSSL 3.0) and checked by crypto/curves.test.ts (the generator and
 * node:crypto's fresh keys satisfy the equation; the interop test compares
 * each constant with openssl's output).
 */
import { NamedGroup } from '../wire/registry';
import { OID } from './der';

/** y^2 = x^3 + ax + b over GF(p). */
export interface PrimeCurve {
  form: 'prime';
  name: PrimeCurveName;
  /** Name for messages: NIST P-256/P-384/P-521, else the SEC 2 / RFC 5639 name. */
  namedCurve: string;
  /** SEC 2 / RFC 5639 name as node:crypto spells it (createECDH, generateKeyPair namedCurve). */
  nodeName: string;
  /** OID of the named curve (hex of the content bytes), as in an EC SubjectPublicKeyInfo. */
  oid: string;
  p: bigint;
  a: bigint;
  b: bigint;
  /** Order of the base point. */
  n: bigint;
  cofactor: number;
  /** Uncompressed base point (hex), for tests. */
  g: string;
  /** Field element size in bytes (x and y each, and the ECDH shared secret). */
  size: number;
  /** Size of the order in bytes (ECDSA r and s). */
  orderSize: number;
  /** JWK "crv" when node:crypto takes the curve as JWK (faster import than SPKI DER). */
  jwk?: 'P-256' | 'P-384' | 'P-521';
  /** WebCrypto namedCurve: Node's WebCrypto knows the NIST curves; @peculiar also the brainpool ones. */
  webcrypto?: { standard: boolean; name: string };
}

/** y^2 + xy = x^3 + ax^2 + b over GF(2^m) with reduction polynomial f. */
export interface BinaryCurve {
  form: 'binary';
  name: BinaryCurveName;
  namedCurve: string;
  nodeName: string;
  oid: string;
  /** Reduction polynomial f(x) with the x^m term (bit i = coefficient of x^i). */
  f: bigint;
  m: number;
  a: bigint;
  b: bigint;
  n: bigint;
  cofactor: number;
  g: string;
  size: number;
  orderSize: number;
}

export type PrimeCurveName =
  | 'secp192r1'
  | 'secp224r1'
  | 'secp256k1'
  | 'secp256r1'
  | 'secp384r1'
  | 'secp521r1'
  | 'brainpoolP256r1'
  | 'brainpoolP384r1'
  | 'brainpoolP512r1';
export type BinaryCurveName = 'sect163k1' | 'sect283k1';
export type WeierstrassName = PrimeCurveName | BinaryCurveName;
export type MontgomeryName = 'x25519' | 'x448';

function prime(
  name: PrimeCurveName,
  nodeName: string,
  oid: string,
  hex: { p: string; a: string; b: string; n: string; g: string },
  extra: Pick<PrimeCurve, 'jwk' | 'webcrypto'> = {},
): PrimeCurve {
  const p = BigInt(`0x${hex.p}`);
  const n = BigInt(`0x${hex.n}`);
  return {
    form: 'prime',
    name,
    namedCurve: extra.jwk ?? name,
    nodeName,
    oid,
    p,
    a: BigInt(`0x${hex.a}`),
    b: BigInt(`0x${hex.b}`),
    n,
    cofactor: 1,
    g: hex.g,
    size: Math.ceil(p.toString(2).length / 8),
    orderSize: Math.ceil(n.toString(2).length / 8),
    ...extra,
  };
}

function binary(
  name: BinaryCurveName,
  oid: string,
  hex: { f: string; a: string; b: string; n: string; g: string },
  cofactor: number,
): BinaryCurve {
  const f = BigInt(`0x${hex.f}`);
  const m = f.toString(2).length - 1;
  const n = BigInt(`0x${hex.n}`);
  return {
    form: 'binary',
    name,
    namedCurve: name,
    nodeName: name,
    oid,
    f,
    m,
    a: BigInt(`0x${hex.a}`),
    b: BigInt(`0x${hex.b}`),
    n,
    cofactor,
    g: hex.g,
    size: Math.ceil(m / 8),
    orderSize: Math.ceil(n.toString(2).length / 8),
  };
}

export const WEIERSTRASS: Readonly<Record<WeierstrassName, Readonly<PrimeCurve | BinaryCurve>>> = {
  secp192r1: prime('secp192r1', 'prime192v1', OID.prime192v1, {
    p: 'fffffffffffffffffffffffffffffffeffffffffffffffff',
    a: 'fffffffffffffffffffffffffffffffefffffffffffffffc',
    b: '64210519e59c80e70fa7e9ab72243049feb8deecc146b9b1',
    n: 'ffffffffffffffffffffffff99def836146bc9b1b4d22831',
    g: '04188da80eb03090f67cbf20eb43a18800f4ff0afd82ff101207192b95ffc8da78631011ed6b24cdd573f977a11e794811',
  }),
  secp224r1: prime('secp224r1', 'secp224r1', OID.secp224r1, {
    p: 'ffffffffffffffffffffffffffffffff000000000000000000000001',
    a: 'fffffffffffffffffffffffffffffffefffffffffffffffffffffffe',
    b: 'b4050a850c04b3abf54132565044b0b7d7bfd8ba270b39432355ffb4',
    n: 'ffffffffffffffffffffffffffff16a2e0b8f03e13dd29455c5c2a3d',
    g: '04b70e0cbd6bb4bf7f321390b94a03c1d356c21122343280d6115c1d21bd376388b5f723fb4c22dfe6cd4375a05a07476444d5819985007e34',
  }),
  // SEC 2 §2.4.1 (RFC 4492 §5.1.1 secp256k1(22); obsolete_reserved in TLS 1.3, RFC 8446 §4.2.7)
  secp256k1: prime('secp256k1', 'secp256k1', OID.secp256k1, {
    p: 'fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f',
    a: '0000000000000000000000000000000000000000000000000000000000000000',
    b: '0000000000000000000000000000000000000000000000000000000000000007',
    n: 'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141',
    g: '0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8',
  }),
  secp256r1: prime(
    'secp256r1',
    'prime256v1',
    OID.prime256v1,
    {
      p: 'ffffffff00000001000000000000000000000000ffffffffffffffffffffffff',
      a: 'ffffffff00000001000000000000000000000000fffffffffffffffffffffffc',
      b: '5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b',
      n: 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
      g: '046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5',
    },
    { jwk: 'P-256', webcrypto: { standard: true, name: 'P-256' } },
  ),
  secp384r1: prime(
    'secp384r1',
    'secp384r1',
    OID.secp384r1,
    {
      p: 'fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff',
      a: 'fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000fffffffc',
      b: 'b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef',
      n: 'ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973',
      g: '04aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab73617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f',
    },
    { jwk: 'P-384', webcrypto: { standard: true, name: 'P-384' } },
  ),
  secp521r1: prime(
    'secp521r1',
    'secp521r1',
    OID.secp521r1,
    {
      p: '01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
      a: '01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffc',
      b: '51953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00',
      n: '01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409',
      g: '0400c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650',
    },
    { jwk: 'P-521', webcrypto: { standard: true, name: 'P-521' } },
  ),
  brainpoolP256r1: prime(
    'brainpoolP256r1',
    'brainpoolP256r1',
    OID.brainpoolP256r1,
    {
      p: 'a9fb57dba1eea9bc3e660a909d838d726e3bf623d52620282013481d1f6e5377',
      a: '7d5a0975fc2c3057eef67530417affe7fb8055c126dc5c6ce94a4b44f330b5d9',
      b: '26dc5c6ce94a4b44f330b5d9bbd77cbf958416295cf7e1ce6bccdc18ff8c07b6',
      n: 'a9fb57dba1eea9bc3e660a909d838d718c397aa3b561a6f7901e0e82974856a7',
      g: '048bd2aeb9cb7e57cb2c4b482ffc81b7afb9de27e1e3bd23c23a4453bd9ace3262547ef835c3dac4fd97f8461a14611dc9c27745132ded8e545c1d54c72f046997',
    },
    { webcrypto: { standard: false, name: 'brainpoolP256r1' } },
  ),
  brainpoolP384r1: prime(
    'brainpoolP384r1',
    'brainpoolP384r1',
    OID.brainpoolP384r1,
    {
      p: '8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b412b1da197fb71123acd3a729901d1a71874700133107ec53',
      a: '7bc382c63d8c150c3c72080ace05afa0c2bea28e4fb22787139165efba91f90f8aa5814a503ad4eb04a8c7dd22ce2826',
      b: '04a8c7dd22ce28268b39b55416f0447c2fb77de107dcd2a62e880ea53eeb62d57cb4390295dbc9943ab78696fa504c11',
      n: '8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b31f166e6cac0425a7cf3ab6af6b7fc3103b883202e9046565',
      g: '041d1c64f068cf45ffa2a63a81b7c13f6b8847a3e77ef14fe3db7fcafe0cbd10e8e826e03436d646aaef87b2e247d4af1e8abe1d7520f9c2a45cb1eb8e95cfd55262b70b29feec5864e19c054ff99129280e4646217791811142820341263c5315',
    },
    { webcrypto: { standard: false, name: 'brainpoolP384r1' } },
  ),
  brainpoolP512r1: prime(
    'brainpoolP512r1',
    'brainpoolP512r1',
    OID.brainpoolP512r1,
    {
      p: 'aadd9db8dbe9c48b3fd4e6ae33c9fc07cb308db3b3c9d20ed6639cca703308717d4d9b009bc66842aecda12ae6a380e62881ff2f2d82c68528aa6056583a48f3',
      a: '7830a3318b603b89e2327145ac234cc594cbdd8d3df91610a83441caea9863bc2ded5d5aa8253aa10a2ef1c98b9ac8b57f1117a72bf2c7b9e7c1ac4d77fc94ca',
      b: '3df91610a83441caea9863bc2ded5d5aa8253aa10a2ef1c98b9ac8b57f1117a72bf2c7b9e7c1ac4d77fc94cadc083e67984050b75ebae5dd2809bd638016f723',
      n: 'aadd9db8dbe9c48b3fd4e6ae33c9fc07cb308db3b3c9d20ed6639cca70330870553e5c414ca92619418661197fac10471db1d381085ddaddb58796829ca90069',
      g: '0481aee4bdd82ed9645a21322e9c4c6a9385ed9f70b5d916c1b43b62eef4d0098eff3b1f78e2d0d48d50d1687b93b97d5f7c6d5047406a5e688b352209bcb9f8227dde385d566332ecc0eabfa9cf7822fdf209f70024a57b1aa000c55b881f8111b2dcde494a5f485e5bca4bd88a2763aed1ca2b2fa8f0540678cd1e0f3ad80892',
    },
    { webcrypto: { standard: false, name: 'brainpoolP512r1' } },
  ),
  sect163k1: binary(
    'sect163k1',
    OID.sect163k1,
    {
      f: '0800000000000000000000000000000000000000c9',
      a: '1',
      b: '1',
      n: '04000000000000000000020108a2e0cc0d99f8a5ef',
      g: '0402fe13c0537bbc11acaa07d793de4e6d5e5c94eee80289070fb05d38ff58321f2e800536d538ccdaa3d9',
    },
    2,
  ),
  sect283k1: binary(
    'sect283k1',
    OID.sect283k1,
    {
      f: '0800000000000000000000000000000000000000000000000000000000000000000010a1',
      a: '0',
      b: '1',
      n: '01ffffffffffffffffffffffffffffffffffe9ae2ed07577265dff7f94451e061e163c61',
      g: '040503213f78ca44883f1a3b8162f188e553cd265f23c1567a16876913b0c2ac245849283601ccda380f1c9e318d90f95d07e5426fe87e45c0e8184698e45962364e34116177dd2259',
    },
    4,
  ),
};

export interface MontgomeryCurve {
  form: 'montgomery';
  name: MontgomeryName;
  /** Public value, private key and shared secret length (RFC 7748 §5: 32 / 56 bytes). */
  size: number;
  /** Field prime (for the small-order list). */
  p: bigint;
  oid: string;
  /** node:crypto key type and WebCrypto name. */
  nodeType: 'x25519' | 'x448';
  /** WebCrypto: X25519 is in the common set; X448 only in Node's ('X448') and @peculiar's ('ECDH-ES'/X448). */
  webcrypto: { standard: boolean };
}

export const MONTGOMERY: Readonly<Record<MontgomeryName, Readonly<MontgomeryCurve>>> = {
  x25519: {
    form: 'montgomery',
    name: 'x25519',
    size: 32,
    p: (1n << 255n) - 19n,
    oid: OID.x25519,
    nodeType: 'x25519',
    webcrypto: { standard: true },
  },
  x448: {
    form: 'montgomery',
    name: 'x448',
    size: 56,
    p: (1n << 448n) - (1n << 224n) - 1n,
    oid: OID.x448,
    nodeType: 'x448',
    webcrypto: { standard: false },
  },
};

/** TLS NamedGroup codes of each curve (brainpool: the TLS 1.2 code first, then RFC 8734's TLS 1.3 code). */
export const CURVE_GROUP_CODES: Readonly<Record<WeierstrassName | MontgomeryName, readonly number[]>> = {
  sect163k1: [NamedGroup.sect163k1],
  sect283k1: [NamedGroup.sect283k1],
  secp192r1: [NamedGroup.secp192r1],
  secp224r1: [NamedGroup.secp224r1],
  secp256k1: [NamedGroup.secp256k1],
  secp256r1: [NamedGroup.secp256r1],
  secp384r1: [NamedGroup.secp384r1],
  secp521r1: [NamedGroup.secp521r1],
  brainpoolP256r1: [NamedGroup.brainpoolP256r1, NamedGroup.brainpoolP256r1tls13],
  brainpoolP384r1: [NamedGroup.brainpoolP384r1, NamedGroup.brainpoolP384r1tls13],
  brainpoolP512r1: [NamedGroup.brainpoolP512r1, NamedGroup.brainpoolP512r1tls13],
  x25519: [NamedGroup.x25519],
  x448: [NamedGroup.x448],
};

/** The Weierstrass curve of an EC SPKI's namedCurve OID (hex), if we know it. */
export function curveByOid(oidHex: string | undefined): Readonly<PrimeCurve | BinaryCurve> | undefined {
  if (oidHex === undefined) return undefined;
  for (const c of Object.values(WEIERSTRASS)) if (c.oid === oidHex) return c;
  return undefined;
}

export function bigFromBytes(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`);
}

export function bytesFromBig(x: bigint, n: number): Uint8Array {
  return Uint8Array.from(Buffer.from(x.toString(16).padStart(2 * n, '0'), 'hex'));
}

function mod(x: bigint, p: bigint): bigint {
  const r = x % p;
  return r < 0n ? r + p : r;
}

/** Carry-less product of two GF(2)[x] polynomials. */
function clmul(a: bigint, b: bigint): bigint {
  let r = 0n;
  let x = a;
  for (let y = b; y > 0n; y >>= 1n) {
    if (y & 1n) r ^= x;
    x <<= 1n;
  }
  return r;
}

/** a mod f in GF(2)[x], f of degree m. */
function gf2Reduce(a: bigint, f: bigint, m: number): bigint {
  let r = a;
  for (let d = r.toString(2).length - 1; d >= m; d = r.toString(2).length - 1) r ^= f << BigInt(d - m);
  return r;
}

/** Whether (x, y) satisfies the curve equation (coordinates already range-checked). */
export function onCurve(c: Readonly<PrimeCurve | BinaryCurve>, x: bigint, y: bigint): boolean {
  if (c.form === 'prime') return mod(y * y - (x * x * x + c.a * x + c.b), c.p) === 0n;
  const mul = (u: bigint, v: bigint) => gf2Reduce(clmul(u, v), c.f, c.m);
  const x2 = mul(x, x);
  const lhs = mul(y, y) ^ mul(x, y);
  const rhs = mul(x2, x) ^ mul(c.a, x2) ^ c.b;
  return lhs === rhs;
}

/** Whether a coordinate is a field element (prime: < p; binary: degree < m). */
export function inField(c: Readonly<PrimeCurve | BinaryCurve>, v: bigint): boolean {
  return c.form === 'prime' ? v < c.p : v >> BigInt(c.m) === 0n;
}
