import { createECDH } from 'node:crypto';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex } from '../wire/hex';
import {
  CURVES,
  deriveEcdh,
  ECDH_GROUPS,
  type EcdhGroup,
  ecdhGroupCodes,
  ecdhGroupOf,
  generateEcdhKeyPair,
  validatePublicValue,
  x25519SmallOrderPoints,
} from './ecdh';
import type { PrimeCurve } from './curves';
import { nodeProvider, nodeSubtleProvider, peculiarProvider } from './provider';
import { PROVIDERS } from './testing/providers';

const GROUPS: EcdhGroup[] = ['secp256r1', 'secp384r1', 'x25519'];

function bigToBytes(x: bigint, n: number): Uint8Array {
  return fromHex(x.toString(16).padStart(2 * n, '0'));
}

const prime = (g: 'secp256r1' | 'secp384r1'): PrimeCurve => {
  const c = CURVES[g];
  if (c.form !== 'prime') throw new Error('not a prime curve');
  return c;
};

function isOnCurve(g: 'secp256r1' | 'secp384r1', pt: Uint8Array): boolean {
  const c = prime(g);
  const x = BigInt(`0x${toHex(pt.subarray(1, 1 + c.size))}`);
  const y = BigInt(`0x${toHex(pt.subarray(1 + c.size))}`);
  return (((y * y - (x * x * x + c.a * x + c.b)) % c.p) + c.p) % c.p === 0n;
}

describe.each(PROVIDERS)('ECDH (%s)', (_name, make) => {
  const p = make();

  test.each(GROUPS)('symmetry a*(b*G) = b*(a*G) on %s, from private key bytes', async (g) => {
    await fc.assert(
      fc.asyncProperty(fc.constant(null), async () => {
        const a = await generateEcdhKeyPair(p, g);
        const b = await generateEcdhKeyPair(p, g);
        expect(a.privateKey.length).toBe(g === 'secp384r1' ? 48 : 32);
        expect(validatePublicValue(g, a.publicKey)).toEqual({ ok: true });
        const ab = await deriveEcdh(p, g, a.privateKey, b.publicKey);
        const ba = await deriveEcdh(p, g, b.privateKey, a.publicKey);
        expect(ab.ok && ba.ok).toBe(true);
        if (ab.ok && ba.ok) {
          expect(toHex(ab.value)).toBe(toHex(ba.value));
          expect(ab.value.length).toBe(g === 'secp384r1' ? 48 : 32);
        }
      }),
      { numRuns: 5 },
    );
  });

  test.each(['secp256r1', 'secp384r1'] as const)(
    '%s derivation agrees with node:crypto ECDH on the same private key',
    async (g) => {
      const a = await generateEcdhKeyPair(p, g);
      const b = await generateEcdhKeyPair(p, g);
      const ref = createECDH(g === 'secp256r1' ? 'prime256v1' : 'secp384r1');
      ref.setPrivateKey(Buffer.from(a.privateKey));
      expect(toHex(ref.getPublicKey())).toBe(toHex(a.publicKey));
      const r = await deriveEcdh(p, g, a.privateKey, b.publicKey);
      expect(r.ok && toHex(r.value)).toBe(toHex(ref.computeSecret(Buffer.from(b.publicKey))));
    },
  );

  test('the curve constants hold for generated points (y^2 = x^3 + ax + b)', async () => {
    for (const g of ['secp256r1', 'secp384r1'] as const) {
      const k = await generateEcdhKeyPair(p, g);
      expect(isOnCurve(g, k.publicKey)).toBe(true);
    }
  });

  test.each(['secp256r1', 'secp384r1'] as const)('invalid %s points are rejected by our checks', async (g) => {
    const c = prime(g);
    const mine = await generateEcdhKeyPair(p, g);
    const good = (await generateEcdhKeyPair(p, g)).publicKey;
    const x = good.subarray(1, 1 + c.size);
    const y = good.subarray(1 + c.size);
    const yPlus1 = bigToBytes((BigInt(`0x${toHex(y)}`) + 1n) % c.p, c.size);
    const cases: Array<[Uint8Array, string]> = [
      [concatBytes([Uint8Array.of(4), x, yPlus1]), 'not_on_curve'],
      [Uint8Array.of(0), 'identity'],
      [good.subarray(0, good.length - 1), 'wrong_length'],
      [concatBytes([good, Uint8Array.of(0)]), 'wrong_length'],
      [concatBytes([Uint8Array.of(2), x]), 'wrong_length'],
      [concatBytes([Uint8Array.of(3), x, y]), 'not_uncompressed'],
      // coordinates >= p are rejected by the range check, whatever their residue
      [concatBytes([Uint8Array.of(4), bigToBytes(c.p, c.size), y]), 'coordinate_out_of_range'],
      [concatBytes([Uint8Array.of(4), x, bigToBytes(c.p + 1n, c.size)]), 'coordinate_out_of_range'],
      [new Uint8Array(1 + 2 * c.size).fill(0).map((v, i) => (i === 0 ? 4 : v)), 'not_on_curve'],
    ];
    for (const [pt, reason] of cases) {
      expect(validatePublicValue(g, pt)).toMatchObject({ ok: false, reason });
      expect(await deriveEcdh(p, g, mine.privateKey, pt)).toMatchObject({ ok: false, reason });
    }
    // random off-curve points
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2 * c.size, maxLength: 2 * c.size }), (xy) => {
        const pt = concatBytes([Uint8Array.of(4), xy]);
        const r = validatePublicValue(g, pt);
        if (r.ok) expect(isOnCurve(g, pt)).toBe(true);
        else expect(['not_on_curve', 'coordinate_out_of_range']).toContain(r.reason);
      }),
      { numRuns: 50 },
    );
  });

  test('X25519: wrong lengths and small-order points are rejected', async () => {
    const mine = await generateEcdhKeyPair(p, 'x25519');
    for (const n of [0, 31, 33, 65])
      expect(await deriveEcdh(p, 'x25519', mine.privateKey, new Uint8Array(n).fill(9))).toMatchObject({
        ok: false,
        reason: 'wrong_length',
      });
    for (const pt of x25519SmallOrderPoints())
      expect(await deriveEcdh(p, 'x25519', mine.privateKey, pt)).toMatchObject({ ok: false, reason: 'zero_shared_secret' });
  });

  test('RFC 7748 §6.1 X25519 Diffie-Hellman known answer', async () => {
    const alicePriv = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bobPub = fromHex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const r = await deriveEcdh(p, 'x25519', alicePriv, bobPub);
    expect(r.ok && toHex(r.value)).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
  });

  test('a wrong-size private key is a typed failure', async () => {
    const b = await generateEcdhKeyPair(p, 'secp256r1');
    expect(await deriveEcdh(p, 'secp256r1', new Uint8Array(31), b.publicKey)).toMatchObject({
      ok: false,
      reason: 'bad_private_key',
    });
  });
});

test('group codes map both ways; the RFC 8734 TLS 1.3 brainpool codes name the same curves', () => {
  for (const g of ECDH_GROUPS) expect(ecdhGroupOf(ecdhGroupCodes[g])).toBe(g);
  expect(ecdhGroupOf(0x0100)).toBeUndefined();
  expect([31, 32, 33].map(ecdhGroupOf)).toEqual(['brainpoolP256r1', 'brainpoolP384r1', 'brainpoolP512r1']);
  expect(ecdhGroupCodes.secp521r1).toBe(25);
  expect(ecdhGroupCodes.x448).toBe(30);
});

// The subtle path's provider is faked here: its WebCrypto answers anything; our checks must still hold.
test('the all-zero X25519 check is ours: a provider that returns zeros is still caught', async () => {
  const real = nodeSubtleProvider();
  const subtle = Object.create(real.subtle) as SubtleCrypto;
  subtle.deriveBits = async () => new ArrayBuffer(32);
  subtle.importKey = real.subtle.importKey.bind(real.subtle);
  const fake = { ...real, name: 'zeros', subtle };
  const a = await generateEcdhKeyPair(real, 'x25519');
  const b = await generateEcdhKeyPair(real, 'x25519');
  expect(await deriveEcdh(fake, 'x25519', a.privateKey, b.publicKey)).toMatchObject({ ok: false, reason: 'zero_shared_secret' });
});

test('point validation is ours: a provider that accepts anything never sees an invalid point', async () => {
  const real = nodeSubtleProvider();
  let calls = 0;
  const subtle = Object.create(real.subtle) as SubtleCrypto;
  subtle.importKey = (async (...args: Parameters<SubtleCrypto['importKey']>) => {
    calls++;
    return (real.subtle.importKey as (...a: unknown[]) => Promise<CryptoKey>)(...args);
  }) as SubtleCrypto['importKey'];
  const fake = { ...real, subtle };
  const a = await generateEcdhKeyPair(real, 'secp256r1');
  const offCurve = a.publicKey.slice();
  offCurve[64]! ^= 1;
  expect(await deriveEcdh(fake, 'secp256r1', a.privateKey, offCurve)).toMatchObject({ ok: false, reason: 'not_on_curve' });
  expect(calls).toBe(0);
});

describe('X25519 / X448 key generation in the node provider (keys made from their bytes, crypto/ecdh.ts nodeGenerate)', () => {
  const node = nodeProvider();
  const subtle = peculiarProvider();

  it.each(['x25519', 'x448'] as const)(
    '%s: the public value is the private value times the base point (checked against another implementation)',
    async (g) => {
      for (let i = 0; i < 20; i++) {
        const a = await generateEcdhKeyPair(node, g);
        const b = await generateEcdhKeyPair(subtle, g);
        const ab = await deriveEcdh(node, g, a.privateKey, b.publicKey);
        const ba = await deriveEcdh(subtle, g, b.privateKey, a.publicKey);
        expect(ab.ok && ba.ok && toHex(ab.value) === toHex(ba.value)).toBe(true);
      }
    },
  );
});
