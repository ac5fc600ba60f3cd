/**
 * Every registered signature scheme and named group (wire/registry) is
 * either supported by the arithmetic on every provider, and really works
 * there (a sign/verify or derive round trip, with a wrong input failing), or
 * listed with the reason it is not. Nothing is silently missing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pemToDer } from '../pki/pem';
import { fromHex } from '../wire/hex';
import { namedGroups, signatureSchemes } from '../wire/registry';
import { arithmeticGaps, cryptoCapabilities } from './capabilities';
import { deriveEcdh, ecdhGroupOf, generateEcdhKeyPair } from './ecdh';
import { deriveDh, ffdheGroupOf, generateDhKeyPair } from './ffdhe';
import { decapsulateKemShare, encapsulateKemShare, generateKemClientShare, kemGroupOf } from './kem';
import { nodeProvider, nodeSubtleProvider, peculiarProvider } from './provider';
import { generateSigningKey, importSigningKey, schemeInfo, type SigningKey, sign, verifySignature } from './signature';
import { PROVIDERS } from './testing/providers';

const DSA = (() => {
  const kat = JSON.parse(readFileSync(join(__dirname, 'testing', 'kat', 'kat.json'), 'utf8')) as {
    signatures: Array<{ id: string; spki: string; privateKey: string }>;
  };
  const e = kat.signatures.find((x) => x.id === 'dsa_sha256')!;
  return { pkcs8: pemToDer(e.privateKey, 'PRIVATE KEY'), spki: fromHex(e.spki) };
})();

test('every registered scheme and group is listed; none is a gap (the ML-KEM groups through @noble/post-quantum)', () => {
  for (const p of [nodeProvider(), nodeSubtleProvider(), peculiarProvider()]) {
    const c = cryptoCapabilities(p);
    expect(c.signatureSchemes.map((s) => s.code).sort()).toEqual([...signatureSchemes.keys()].sort());
    expect(c.groups.map((g) => g.code).sort()).toEqual([...namedGroups.keys()].sort());
    expect(arithmeticGaps(p)).toEqual([]);
    const kem = c.groups.filter((g) => /MLKEM/.test(g.name));
    expect(kem.map((g) => g.name).sort()).toEqual(
      ['MLKEM1024', 'MLKEM512', 'MLKEM768', 'SecP256r1MLKEM768', 'SecP384r1MLKEM1024', 'X25519MLKEM768'].sort(),
    );
    for (const g of kem) expect([g.supported, g.reason]).toEqual([true, expect.stringMatching(/FIPS 203/)]);
    // legacy pairs are verified for judging, never offered by default
    const legacy = c.signatureSchemes.filter((s) => s.legacy).map((s) => s.name);
    expect(legacy).toEqual(
      expect.arrayContaining(['rsa_md5', 'rsa_pkcs1_sha1', 'ecdsa_sha1', 'rsa_pkcs1_sha224', 'ecdsa_sha224']),
    );
    expect(legacy).not.toContain('rsa_pkcs1_sha256');
  }
});

test('the node provider does everything on node:crypto; the subtle providers say where they fall back and why', () => {
  expect(cryptoCapabilities(nodeProvider()).signatureSchemes.every((s) => !s.supported || s.via === 'node:crypto')).toBe(true);
  const sub = cryptoCapabilities(nodeSubtleProvider());
  const via = (name: string) => sub.signatureSchemes.find((s) => s.name === name)?.via;
  expect(via('rsa_pss_rsae_sha256')).toBe('subtle');
  expect(via('ed448')).toBe('subtle');
  expect(via('rsa_pkcs1_sha224')).toBe('node:crypto'); // WebCrypto has no SHA-224
  expect(via('rsa_pss_pss_sha256')).toBe('node:crypto'); // Node's WebCrypto refuses id-RSASSA-PSS keys
  expect(via('ecdsa_brainpoolP256r1tls13_sha256')).toBe('node:crypto');
  const pec = cryptoCapabilities(peculiarProvider());
  expect(pec.signatureSchemes.find((s) => s.name === 'ecdsa_brainpoolP256r1tls13_sha256')?.via).toBe('subtle');
  expect(pec.groups.find((g) => g.name === 'ffdhe4096')).toMatchObject({ supported: true, via: 'node:crypto' });
  for (const c of [sub, pec])
    for (const s of [...c.signatureSchemes, ...c.groups])
      if (s.supported && s.via === 'node:crypto') expect(s.reason).toBeTruthy();
});

describe.each(PROVIDERS)('every supported capability works (%s)', (_name, make) => {
  const p = make();
  const caps = cryptoCapabilities(p);

  test.each(caps.signatureSchemes.filter((s) => s.supported).map((s) => [s.name, s.code] as const))(
    'scheme %s signs and verifies; another message does not verify',
    async (_n, code) => {
      const key: SigningKey =
        schemeInfo(code)!.kind === 'dsa'
          ? await importSigningKey(p, code, DSA.pkcs8, DSA.spki)
          : await generateSigningKey(p, code);
      const content = Uint8Array.of(1, 2, 3);
      const sig = await sign(p, key, content);
      const version = schemeInfo(code)!.legacy ? 12 : 13;
      expect(await verifySignature(p, code, key.spki, content, sig, { version })).toEqual({ ok: true });
      expect((await verifySignature(p, code, key.spki, Uint8Array.of(1, 2, 4), sig, { version })).ok).toBe(false);
    },
  );

  test.each(caps.groups.filter((g) => g.supported).map((g) => [g.name, g.code] as const))(
    'group %s: both sides derive the same secret',
    async (_n, code) => {
      const eg = ecdhGroupOf(code);
      if (eg) {
        const a = await generateEcdhKeyPair(p, eg);
        const b = await generateEcdhKeyPair(p, eg);
        const ab = await deriveEcdh(p, eg, a.privateKey, b.publicKey);
        expect(ab.ok).toBe(true);
        expect(await deriveEcdh(p, eg, b.privateKey, a.publicKey)).toEqual(ab);
        return;
      }
      const kg = kemGroupOf(code);
      if (kg) {
        const c = await generateKemClientShare(p, kg);
        const s = await encapsulateKemShare(p, kg, c.publicKey);
        if (!s.ok) throw new Error(s.reason);
        expect(await decapsulateKemShare(p, kg, c.privateKey, s.value.keyExchange)).toEqual({
          ok: true,
          value: s.value.sharedSecret,
        });
        return;
      }
      const fg = ffdheGroupOf(code)!;
      const a = await generateDhKeyPair(p, fg);
      const b = await generateDhKeyPair(p, fg);
      const ab = await deriveDh(p, fg, a.privateKey, b.publicKey, 'tls13');
      expect(ab.ok).toBe(true);
      expect(await deriveDh(p, fg, b.privateKey, a.publicKey, 'tls13')).toEqual(ab);
    },
  );
});
