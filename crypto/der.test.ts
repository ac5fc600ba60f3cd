import { generateKeyPairSync } from 'node:crypto';
import { DecodeError } from '../wire/errors';
import { fromHex, toHex } from '../wire/hex';
import { encodeTlv, OID, parseSpki, pkcs8ForEc, pkcs8ForOkp, privateKeyFromPkcs8, readTlv } from './der';
import { defaultProvider, nodeProvider, peculiarProvider, randomBytes } from './provider';

describe('DER helpers', () => {
  test('TLV lengths: short and long form round-trip; non-minimal forms are rejected', () => {
    for (const n of [0, 1, 127, 128, 255, 256, 70000]) {
      const t = encodeTlv(0x04, new Uint8Array(n));
      const r = readTlv(t, 0, 'x');
      expect([r.tag, r.end - r.contentStart, r.end]).toEqual([4, n, t.length]);
    }
    expect(() => readTlv(fromHex('04817f') /* long form for 127 */, 0, 'x')).toThrow(DecodeError);
    expect(() => readTlv(fromHex('0482000100'), 0, 'x')).toThrow(DecodeError);
    expect(() => readTlv(fromHex('0480'), 0, 'x')).toThrow(DecodeError);
    expect(() => readTlv(fromHex('0403aabb'), 0, 'x')).toThrow(DecodeError);
    expect(() => readTlv(fromHex('04'), 0, 'x')).toThrow(DecodeError);
  });

  test('SPKI parsing picks the algorithm and curve of real keys', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'der' });
    expect(parseSpki(new Uint8Array(ec))).toMatchObject({ algorithm: OID.ecPublicKey, parameters: OID.secp384r1 });
    expect(parseSpki(new Uint8Array(ec)).publicKey.length).toBe(97);
    const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' });
    expect(parseSpki(new Uint8Array(ed))).toMatchObject({ algorithm: OID.ed25519 });
    const withTrailer = new Uint8Array([...ed, 0]);
    expect(() => parseSpki(withTrailer)).toThrow(DecodeError);
  });

  test('PKCS#8 wrappers for raw keys round-trip and match node:crypto encodings', () => {
    const x = generateKeyPairSync('x25519').privateKey.export({ type: 'pkcs8', format: 'der' });
    const raw = privateKeyFromPkcs8(new Uint8Array(x));
    expect(raw.length).toBe(32);
    expect(toHex(pkcs8ForOkp(OID.x25519, raw))).toBe(x.toString('hex'));
    const d = new Uint8Array(32).fill(5);
    expect(toHex(privateKeyFromPkcs8(pkcs8ForEc(OID.prime256v1, d)))).toBe(toHex(d));
  });
});

describe('providers', () => {
  test('are fresh objects, and random bytes work past the 64 KiB WebCrypto limit', () => {
    expect(defaultProvider()).not.toBe(defaultProvider());
    for (const p of [nodeProvider(), peculiarProvider()]) {
      const r = randomBytes(p, 70000);
      expect(r.length).toBe(70000);
      expect(r.subarray(66000).some((b) => b !== 0)).toBe(true);
    }
  });
});
