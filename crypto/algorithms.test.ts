/**
 * The algorithms beyond the common WebCrypto set, on every provider, against
 * answers nobody computed with our code: the RFC 7748 (X448) and RFC 8032
 * (Ed448) vectors from the RFC text, and the openssl command-line known
 * answers of crypto/testing/kat (signatures with MD5/SHA-1/SHA-224, DSA,
 * P-521, brainpool, RSASSA-PSS keys, Ed448; agreements on P-192/224/521,
 * brainpool, sect163k1/283k1, X448, ffdhe4096/6144/8192).
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex } from '../wire/hex';
import { SignatureScheme } from '../wire/registry';
import { bigFromBytes, bytesFromBig, MONTGOMERY, WEIERSTRASS, type WeierstrassName } from './curves';
import { OID, parseSpki, pkcs8ForOkp, privateKeyFromPkcs8, readTlv } from './der';
import {
  deriveEcdh,
  type EcdhGroup,
  generateEcdhKeyPair,
  sharedSecretLength,
  smallOrderPoints,
  validatePublicValue,
} from './ecdh';
import { deriveDh, type FfdheGroup } from './ffdhe';
import { pemToDer } from '../pki/pem';
import { schemeInfo, sign, verifySignature } from './signature';
import { PROVIDERS } from './testing/providers';

interface KatSignature {
  id: string;
  commands: string[];
  spki: string;
  privateKey: string;
  signature: string;
}
interface KatAgreement {
  id: string;
  commands: string[];
  privateKeyA: string;
  spkiA: string;
  spkiB: string;
  shared: string;
}
const KAT = JSON.parse(readFileSync(join(__dirname, 'testing', 'kat', 'kat.json'), 'utf8')) as {
  message: string;
  signatures: KatSignature[];
  agreements: KatAgreement[];
};
const X448 = JSON.parse(readFileSync(join(__dirname, 'testing', 'vectors', 'rfc7748-x448.json'), 'utf8')) as {
  x448: Array<{ scalar: string; u: string; output: string }>;
  dh: Record<'alicePrivate' | 'alicePublic' | 'bobPrivate' | 'bobPublic' | 'shared', string>;
};
const ED448 = JSON.parse(readFileSync(join(__dirname, 'testing', 'vectors', 'rfc8032-ed448.json'), 'utf8')) as {
  vectors: Array<{ name: string; secretKey: string; publicKey: string; message: string; signature: string }>;
};

const message = fromHex(KAT.message);
const schemeCode = (id: string): number => {
  const code = (SignatureScheme as Record<string, number>)[id];
  if (code === undefined) throw new Error(`no scheme ${id}`);
  return code;
};
const flip = (b: Uint8Array, i: number): Uint8Array => {
  const c = b.slice();
  c[i % c.length]! ^= 0x01;
  return c;
};

/** The DER INTEGER inside `der` at `at` (DH private x in PKCS#8, Y in an SPKI). */
function integerAt(der: Uint8Array, at: number): Uint8Array {
  const t = readTlv(der, at, 'integer');
  const v = der.subarray(t.contentStart, t.end);
  return v[0] === 0 ? v.subarray(1) : v;
}

/** The raw private value of a PKCS#8 key of an agreement (EC scalar padded to the field, X448 string, DH exponent). */
function rawPrivate(pem: string, group: EcdhGroup | FfdheGroup): Uint8Array {
  const pkcs8 = pemToDer(pem, 'PRIVATE KEY');
  if (group.startsWith('ffdhe')) {
    // PrivateKeyInfo { version, algorithm, OCTET STRING { INTEGER x } }
    const seq = readTlv(pkcs8, 0, 'pkcs8');
    const ver = readTlv(pkcs8, seq.contentStart, 'version');
    const alg = readTlv(pkcs8, ver.end, 'alg');
    const oct = readTlv(pkcs8, alg.end, 'oct');
    return integerAt(pkcs8, oct.contentStart);
  }
  const d = privateKeyFromPkcs8(pkcs8);
  const n = sharedSecretLength(group as EcdhGroup);
  return d.length >= n ? d : concatBytes([new Uint8Array(n - d.length), d]);
}

function rawPublic(spkiHex: string, group: EcdhGroup | FfdheGroup): Uint8Array {
  const pub = parseSpki(fromHex(spkiHex)).publicKey;
  return group.startsWith('ffdhe') ? integerAt(pub, 0) : pub;
}

describe.each(PROVIDERS)('algorithms beyond WebCrypto (%s)', (_name, make) => {
  const p = make();

  test.each(KAT.signatures.map((s) => [s.id, s] as const))(
    'openssl signature %s verifies; a flipped bit does not',
    async (id, s) => {
      const code = schemeCode(id);
      const spki = fromHex(s.spki);
      const sig = fromHex(s.signature);
      // TLS 1.2 view for the legacy pairs (no curve binding), TLS 1.3 for the rest.
      const version = schemeInfo(code)!.legacy ? 12 : 13;
      expect(await verifySignature(p, code, spki, message, sig, { version })).toEqual({ ok: true });
      expect((await verifySignature(p, code, spki, flip(message, 3), sig, { version })).ok).toBe(false);
      expect((await verifySignature(p, code, spki, message, flip(sig, sig.length - 9), { version })).ok).toBe(false);
    },
  );

  test.each(KAT.signatures.map((s) => [s.id, s] as const))('our %s signature verifies under the same key', async (id, s) => {
    const code = schemeCode(id);
    const pkcs8 = pemToDer(s.privateKey, 'PRIVATE KEY');
    const spki = fromHex(s.spki);
    const sig = await sign(p, { scheme: code, pkcs8, spki }, message);
    const version = schemeInfo(code)!.legacy ? 12 : 13;
    expect(await verifySignature(p, code, spki, message, sig, { version })).toEqual({ ok: true });
    if (id === 'ed448' || id === 'ed25519') expect(toHex(sig)).toBe(s.signature); // EdDSA is deterministic
  });

  test.each(KAT.agreements.map((a) => [a.id, a] as const))('openssl agreement %s: we derive the same secret', async (id, a) => {
    if (id.startsWith('ffdhe')) {
      const g = id as FfdheGroup;
      const x = rawPrivate(a.privateKeyA, g);
      const y = rawPublic(a.spkiB, g);
      // OpenSSL's DH derive strips leading zeros, as TLS 1.2 does (RFC 5246 §8.1.2).
      expect(await deriveDh(p, g, x, y, 'tls12')).toEqual({ ok: true, value: fromHex(a.shared) });
      const z13 = await deriveDh(p, g, x, y, 'tls13');
      expect(z13.ok && toHex(z13.value).endsWith(a.shared)).toBe(true);
      return;
    }
    const g = id as EcdhGroup;
    const pub = rawPublic(a.spkiB, g);
    expect(validatePublicValue(g, pub)).toEqual({ ok: true });
    expect(validatePublicValue(g, rawPublic(a.spkiA, g))).toEqual({ ok: true });
    expect(await deriveEcdh(p, g, rawPrivate(a.privateKeyA, g), pub)).toEqual({ ok: true, value: fromHex(a.shared) });
  });

  test('RFC 7748 §5.2 X448 vectors and §6.2 Diffie-Hellman', async () => {
    for (const v of X448.x448)
      expect(await deriveEcdh(p, 'x448', fromHex(v.scalar), fromHex(v.u))).toEqual({ ok: true, value: fromHex(v.output) });
    const base = concatBytes([Uint8Array.of(5), new Uint8Array(55)]);
    const d = X448.dh;
    expect(await deriveEcdh(p, 'x448', fromHex(d.alicePrivate), base)).toEqual({ ok: true, value: fromHex(d.alicePublic) });
    expect(await deriveEcdh(p, 'x448', fromHex(d.bobPrivate), base)).toEqual({ ok: true, value: fromHex(d.bobPublic) });
    expect(await deriveEcdh(p, 'x448', fromHex(d.alicePrivate), fromHex(d.bobPublic))).toEqual({
      ok: true,
      value: fromHex(d.shared),
    });
    expect(await deriveEcdh(p, 'x448', fromHex(d.bobPrivate), fromHex(d.alicePublic))).toEqual({
      ok: true,
      value: fromHex(d.shared),
    });
  });

  test('X448: small-order values give the RFC 7748 §6.2 all-zero check; wrong lengths are rejected', async () => {
    const mine = await generateEcdhKeyPair(p, 'x448');
    expect(mine.privateKey.length).toBe(56);
    expect(mine.publicKey.length).toBe(56);
    for (const u of smallOrderPoints('x448'))
      expect(await deriveEcdh(p, 'x448', mine.privateKey, u)).toMatchObject({ ok: false, reason: 'zero_shared_secret' });
    for (const n of [0, 32, 55, 57])
      expect(await deriveEcdh(p, 'x448', mine.privateKey, new Uint8Array(n).fill(9))).toMatchObject({
        ok: false,
        reason: 'wrong_length',
      });
  });

  test('RFC 8032 §7.4 Ed448: the public key, the deterministic signature, and verification', async () => {
    for (const v of ED448.vectors) {
      const pkcs8 = pkcs8ForOkp(OID.ed448, fromHex(v.secretKey));
      const spki = fromHex(`3043300506032b6571033a00${v.publicKey}`);
      const derived = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
      expect(derived.asymmetricKeyType).toBe('ed448');
      const key = { scheme: SignatureScheme.ed448, pkcs8, spki };
      expect(toHex(await sign(p, key, fromHex(v.message)))).toBe(v.signature);
      expect(await verifySignature(p, SignatureScheme.ed448, spki, fromHex(v.message), fromHex(v.signature))).toEqual({
        ok: true,
      });
      expect((await verifySignature(p, SignatureScheme.ed448, spki, Uint8Array.of(7), fromHex(v.signature))).ok).toBe(false);
    }
  });

  test.each(Object.keys(WEIERSTRASS) as WeierstrassName[])(
    '%s: key pairs agree, and invalid points are ours to reject',
    async (g) => {
      const c = WEIERSTRASS[g];
      const a = await generateEcdhKeyPair(p, g);
      const b = await generateEcdhKeyPair(p, g);
      expect(a.privateKey.length).toBe(c.size);
      expect(a.publicKey.length).toBe(1 + 2 * c.size);
      expect(validatePublicValue(g, a.publicKey)).toEqual({ ok: true });
      const ab = await deriveEcdh(p, g, a.privateKey, b.publicKey);
      const ba = await deriveEcdh(p, g, b.privateKey, a.publicKey);
      expect(ab.ok && ba.ok && toHex(ab.value) === toHex(ba.value) && ab.value.length === c.size).toBe(true);
      const x = a.publicKey.subarray(1, 1 + c.size);
      const y = a.publicKey.subarray(1 + c.size);
      const off = concatBytes([Uint8Array.of(4), x, flip(y, c.size - 1)]);
      expect(await deriveEcdh(p, g, b.privateKey, off)).toMatchObject({ ok: false, reason: 'not_on_curve' });
      expect(await deriveEcdh(p, g, b.privateKey, Uint8Array.of(0))).toMatchObject({ ok: false, reason: 'identity' });
      expect(await deriveEcdh(p, g, b.privateKey, concatBytes([Uint8Array.of(2), x]))).toMatchObject({
        ok: false,
        reason: 'wrong_length',
      });
      const big = c.form === 'prime' ? c.p : 1n << BigInt(c.m);
      expect(validatePublicValue(g, concatBytes([Uint8Array.of(4), bytesFromBig(big, c.size), y]))).toMatchObject({
        ok: false,
        reason: 'coordinate_out_of_range',
      });
    },
  );
});

describe('curve constants', () => {
  test.each(Object.keys(WEIERSTRASS) as WeierstrassName[])(
    '%s: the base point satisfies the equation, its neighbours do not',
    (g) => {
      const c = WEIERSTRASS[g];
      const G = fromHex(c.g);
      expect(G.length).toBe(1 + 2 * c.size);
      expect(validatePublicValue(g, G)).toEqual({ ok: true });
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 1000 }), (k) => {
          const y = bigFromBytes(G.subarray(1 + c.size));
          const moved = concatBytes([
            G.subarray(0, 1 + c.size),
            bytesFromBig((y + BigInt(k)) % (c.form === 'prime' ? c.p : 1n << BigInt(c.m)), c.size),
          ]);
          expect(validatePublicValue(g, moved).ok).toBe(false);
        }),
        { numRuns: 20 },
      );
    },
  );

  test('Montgomery sizes and the field primes of RFC 7748', () => {
    expect(MONTGOMERY.x25519.size).toBe(32);
    expect(MONTGOMERY.x448.size).toBe(56);
    expect(MONTGOMERY.x448.p).toBe(2n ** 448n - 2n ** 224n - 1n);
    expect(MONTGOMERY.x25519.p).toBe(2n ** 255n - 19n);
  });
});
