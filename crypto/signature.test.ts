import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, verify as nodeVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pemToDer } from '../pki/pem';
import fc from 'fast-check';
import { DecodeError } from '../wire/errors';
import { fromHex, toHex } from '../wire/hex';
import { SignatureScheme as S } from '../wire/registry';
import { ecdsaDerToRaw, ecdsaRawToDer } from './der';
import { digest } from './hash';
import type { CryptoProvider } from './provider';
import {
  certificateVerifyContent13,
  exportPkcs8,
  generateSigningKey,
  importSigningKey,
  schemeInfo,
  type SigningKey,
  sign,
  supportedSchemes,
  verifySignature,
} from './signature';
import { loadVectors, SHARED } from './testing/data';
import { messagesFromHex, parseCertificates, parseCertificateVerify, spkiOf } from './testing/messages';
import { PROVIDERS } from './testing/providers';

// RSA keys: one generated for this file, one fixed (the Illustrated TLS server key).
const generatedRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const RSA_KEYS = [
  {
    pkcs8: new Uint8Array(generatedRsa.privateKey.export({ type: 'pkcs8', format: 'der' })),
    spki: new Uint8Array(generatedRsa.publicKey.export({ type: 'spki', format: 'der' })),
  },
  (() => {
    const k = createPrivateKey(readFileSync(join(SHARED, 'vectors/illustrated-tls13/keys/server.key')));
    return {
      pkcs8: new Uint8Array(k.export({ type: 'pkcs8', format: 'der' })),
      spki: new Uint8Array(createPublicKey(k).export({ type: 'spki', format: 'der' })),
    };
  })(),
];

// DSA: the openssl-made test key of crypto/testing/kat (DSA parameter generation is slow).
const DSA_KEY = (() => {
  const kat = JSON.parse(readFileSync(join(__dirname, 'testing', 'kat', 'kat.json'), 'utf8')) as {
    signatures: Array<{ id: string; spki: string; privateKey: string }>;
  };
  const e = kat.signatures.find((x) => x.id === 'dsa_sha256')!;
  return { pkcs8: pemToDer(e.privateKey, 'PRIVATE KEY'), spki: fromHex(e.spki) };
})();

/** One key for every supported scheme: RSA keys re-bound per scheme, the legacy ECDSA pairs on the P-256 key, fresh keys otherwise. */
async function keysFor(p: CryptoProvider): Promise<SigningKey[]> {
  const keys: SigningKey[] = [];
  let rsa = 0;
  for (const code of supportedSchemes()) {
    const s = schemeInfo(code)!;
    if (s.kind === 'rsa_pkcs1' || s.kind === 'rsa_pss_rsae') {
      const k = RSA_KEYS[rsa++ % 2]!;
      keys.push(await importSigningKey(p, code, k.pkcs8, k.spki));
    } else if (s.kind === 'dsa') keys.push(await importSigningKey(p, code, DSA_KEY.pkcs8, DSA_KEY.spki));
    else if (s.kind !== 'ecdsa' || s.curve) keys.push(await generateSigningKey(p, code));
  }
  // ecdsa_sha1 / sha224 / md5 (no curve in the scheme) with the P-256 key
  const p256 = keys.find((k) => k.scheme === S.ecdsa_secp256r1_sha256)!;
  for (const code of [S.ecdsa_sha1, S.ecdsa_sha224, S.ecdsa_md5])
    keys.push(await importSigningKey(p, code, await exportPkcs8(p, p256), p256.spki));
  return keys;
}

function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const c = b.slice();
  const i = bit % (c.length * 8);
  c[i >> 3]! ^= 1 << (i & 7);
  return c;
}

describe.each(PROVIDERS)('signatures (%s)', (_name, make) => {
  const p = make();
  let keys: SigningKey[] = [];
  beforeAll(async () => {
    keys = await keysFor(p);
  });

  test('every supported scheme has a key in this test', () => {
    expect(new Set(keys.map((k) => k.scheme))).toEqual(new Set(supportedSchemes()));
  });

  test('sign-then-verify holds for every scheme; any flipped bit in content or signature fails', async () => {
    for (const key of keys) {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), async (content, b1, b2) => {
          const sig = await sign(p, key, content);
          expect(await verifySignature(p, key.scheme, key.spki, content, sig, { version: 12 })).toEqual({ ok: true });
          if (content.length > 0)
            expect((await verifySignature(p, key.scheme, key.spki, flipBit(content, b1), sig, { version: 12 })).ok).toBe(false);
          const r = await verifySignature(p, key.scheme, key.spki, content, flipBit(sig, b2), { version: 12 });
          expect(r.ok).toBe(false);
          if (!r.ok) expect(['bad_signature', 'bad_encoding']).toContain(r.reason);
        }),
        { numRuns: 4 },
      );
    }
  });

  test('signatures cross-verify between providers', async () => {
    const other = PROVIDERS.map(([, m]) => m()).filter((q) => q.name !== p.name);
    const content = fromHex('0102030405');
    for (const key of keys) {
      const sig = await sign(p, key, content);
      for (const q of other)
        expect(await verifySignature(q, key.scheme, key.spki, content, sig, { version: 12 })).toEqual({ ok: true });
    }
  });

  test('RSA-PSS uses salt length = hash length (checked with node:crypto)', async () => {
    for (const key of keys.filter((k) => k.scheme >= S.rsa_pss_rsae_sha256 && k.scheme <= S.rsa_pss_rsae_sha512)) {
      const content = fromHex('cafe');
      const sig = await sign(p, key, content);
      const h = {
        [S.rsa_pss_rsae_sha256]: ['sha256', 32],
        [S.rsa_pss_rsae_sha384]: ['sha384', 48],
        [S.rsa_pss_rsae_sha512]: ['sha512', 64],
      }[key.scheme] as [string, number];
      const pub = createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' });
      expect(nodeVerify(h[0], content, { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: h[1] }, sig)).toBe(true);
    }
  });

  test('key/scheme mismatches and unknown schemes are typed failures', async () => {
    const rsa = keys.find((k) => k.scheme === S.rsa_pss_rsae_sha256)!;
    const p256 = keys.find((k) => k.scheme === S.ecdsa_secp256r1_sha256)!;
    const p384 = keys.find((k) => k.scheme === S.ecdsa_secp384r1_sha384)!;
    const c = fromHex('00');
    const sig = await sign(p, rsa, c);
    expect(await verifySignature(p, S.ecdsa_secp256r1_sha256, rsa.spki, c, sig)).toMatchObject({
      ok: false,
      reason: 'key_scheme_mismatch',
    });
    expect(await verifySignature(p, S.ed25519, p256.spki, c, sig)).toMatchObject({ ok: false, reason: 'key_scheme_mismatch' });
    // rsa_pss_pss needs an id-RSASSA-PSS key, rsa_pss_rsae an rsaEncryption one (RFC 8446 §4.2.3)
    expect(await verifySignature(p, S.rsa_pss_pss_sha256, rsa.spki, c, sig)).toMatchObject({
      ok: false,
      reason: 'key_scheme_mismatch',
    });
    const pss = keys.find((k) => k.scheme === S.rsa_pss_pss_sha256)!;
    expect(await verifySignature(p, S.rsa_pss_rsae_sha256, pss.spki, c, await sign(p, pss, c))).toMatchObject({
      ok: false,
      reason: 'key_scheme_mismatch',
    });
    // the pool's RSASSA-PSS keys restrict the hash (RFC 4055 §3.1 parameters)
    expect(await verifySignature(p, S.rsa_pss_pss_sha384, pss.spki, c, await sign(p, pss, c))).toMatchObject({
      ok: false,
      reason: 'key_scheme_mismatch',
    });
    expect(await verifySignature(p, 0x0b0b, rsa.spki, c, sig)).toMatchObject({ ok: false, reason: 'unsupported_scheme' });
    // RFC 8446 §4.2.3: the key's PSS parameters, when present, MUST be identical to the scheme's (salt 20 is not 32)
    const hex = Buffer.from(pss.spki).toString('hex');
    expect(hex).toContain('a203020120');
    const salt20 = fromHex(hex.replace('a203020120', 'a203020114'));
    expect(await verifySignature(p, S.rsa_pss_pss_sha256, salt20, c, await sign(p, pss, c))).toMatchObject({
      ok: false,
      reason: 'key_scheme_mismatch',
    });
    expect(await verifySignature(p, S.rsa_pss_rsae_sha256, fromHex('3000'), c, sig)).toMatchObject({
      ok: false,
      reason: 'bad_key',
    });
    // TLS 1.3 binds the curve to the scheme; TLS 1.2 only the hash.
    const p384as256 = await importSigningKey(p, S.ecdsa_secp256r1_sha256, await exportPkcs8(p, p384), p384.spki);
    const s384 = await sign(p, p384as256, c);
    expect(await verifySignature(p, S.ecdsa_secp256r1_sha256, p384.spki, c, s384, { version: 13 })).toMatchObject({
      ok: false,
      reason: 'key_scheme_mismatch',
    });
    expect(await verifySignature(p, S.ecdsa_secp256r1_sha256, p384.spki, c, s384, { version: 12 })).toEqual({ ok: true });
    // a raw (non-DER) ECDSA signature is an encoding error, not a crash
    expect(await verifySignature(p, S.ecdsa_secp256r1_sha256, p256.spki, c, new Uint8Array(64))).toMatchObject({
      ok: false,
      reason: 'bad_encoding',
    });
    expect(
      await verifySignature(p, S.ed25519, keys.find((k) => k.scheme === S.ed25519)!.spki, c, new Uint8Array(63)),
    ).toMatchObject({ ok: false, reason: 'bad_encoding' });
  });

  test('RFC 8448 §3 server CertificateVerify (rsa_pss_rsae_sha256) verifies', async () => {
    const v = loadVectors('rfc8448-section3');
    const msgs = messagesFromHex(v.handshake_messages.map((m) => m.hex));
    const cvAt = msgs.findIndex((m) => m.type === 15);
    const cv = parseCertificateVerify(msgs[cvAt]!);
    const spki = spkiOf(parseCertificates(msgs.find((m) => m.type === 11)!, true)[0]!);
    const th = await digest(p, 'SHA-256', Buffer.concat(msgs.slice(0, cvAt).map((m) => m.bytes)));
    expect(cv.scheme).toBe(S.rsa_pss_rsae_sha256);
    expect(await verifySignature(p, cv.scheme, spki, certificateVerifyContent13('server', th), cv.signature)).toEqual({
      ok: true,
    });
    expect((await verifySignature(p, cv.scheme, spki, certificateVerifyContent13('client', th), cv.signature)).ok).toBe(false);
  });
});

describe('signed content and DER conversion', () => {
  test('TLS 1.3 CertificateVerify content layout', () => {
    const th = new Uint8Array(32).fill(0xab);
    const c = certificateVerifyContent13('server', th);
    expect(c.length).toBe(64 + 33 + 1 + 32);
    expect(c.subarray(0, 64).every((b) => b === 0x20)).toBe(true);
    expect(Buffer.from(c.subarray(64, 97)).toString()).toBe('TLS 1.3, server CertificateVerify');
    expect(c[97]).toBe(0);
    expect(c.subarray(98)).toEqual(th);
  });

  test('raw -> DER -> raw is the identity (P-256 and P-384 sizes)', () => {
    fc.assert(
      fc.property(fc.constantFrom(32, 48), fc.uint8Array({ minLength: 96, maxLength: 96 }), (n, bytes) => {
        const raw = bytes.slice(0, 2 * n);
        raw[0] = raw[0] || 1; // r, s non-zero
        raw[n] = raw[n] || 1;
        expect(toHex(ecdsaDerToRaw(ecdsaRawToDer(raw), n))).toBe(toHex(raw));
      }),
      { numRuns: 200 },
    );
  });

  test.each([
    ['trailing byte', '300602010102010100'],
    ['non-minimal integer', '300702020001020101'],
    ['negative integer', '3006020180020101'],
    ['zero integer', '3006020100020101'],
    ['long-form length for a short sequence', '308106020101020101'],
    ['indefinite length', '30800201010201010000'],
    ['wrong outer tag', '3106020101020101'],
    ['sequence length past the end', '3007020101020101'],
    ['r longer than the field', `3026022100${'01'.repeat(32)}020101`],
    ['bytes after s inside the sequence', '30080201010201010500'],
  ])('strict DER rejects %s', (_label, hex) => {
    expect(() => ecdsaDerToRaw(fromHex(hex), 32)).toThrow(DecodeError);
  });
});
