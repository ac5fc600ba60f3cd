/**
 * Each key is imported once per provider (its key store, keyed by the key
 * bytes), the store is bounded, and nothing is shared between providers.
 */
import fc from 'fast-check';
import { SignatureScheme as S } from '../wire/registry';
import { BoundedCache } from './cache';
import { deriveEcdh, generateEcdhKeyPair } from './ecdh';
import { nodeProvider } from './provider';
import { generateSigningKey, sign, verifySignature } from './signature';
import { PROVIDERS } from './testing/providers';

describe('BoundedCache', () => {
  test('keeps at most `limit` entries, evicting the least recently used', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 60 }), (limit, keys) => {
        const c = new BoundedCache<number, number>(limit);
        const model: number[] = []; // most recent last
        for (const k of keys) {
          if (c.get(k) === undefined) c.set(k, k * 2);
          const at = model.indexOf(k);
          if (at >= 0) model.splice(at, 1);
          model.push(k);
          if (model.length > limit) model.shift();
          expect(c.size).toBe(model.length);
        }
        for (const k of model) expect(c.has(k)).toBe(true);
      }),
      { numRuns: 100 },
    );
    expect(() => new BoundedCache(0)).toThrow(RangeError);
  });
});

describe.each(PROVIDERS)('key store (%s)', (_name, make) => {
  test('a public key is imported once across verifications; a new provider starts empty', async () => {
    const p = make();
    const key = await generateSigningKey(p, S.ecdsa_secp256r1_sha256);
    const content = new Uint8Array(100).fill(3);
    const sig = await sign(p, key, content);
    expect(await verifySignature(p, key.scheme, key.spki, content, sig)).toEqual({ ok: true });
    const after1 = p.keys.imports;
    for (let i = 0; i < 20; i++) expect(await verifySignature(p, key.scheme, key.spki, content, sig)).toEqual({ ok: true });
    await sign(p, key, content);
    expect(p.keys.imports).toBe(after1);
    // keyed by the bytes, not the object: a copy of the SPKI hits the same entry
    expect(await verifySignature(p, key.scheme, Uint8Array.from(key.spki), content, sig)).toEqual({ ok: true });
    expect(p.keys.imports).toBe(after1);
    const q = make();
    expect(q.keys.imports).toBe(0);
    expect(await verifySignature(q, key.scheme, key.spki, content, sig)).toEqual({ ok: true });
    expect(q.keys.imports).toBe(1);
  });

  test('an ECDH private key we generated is never re-imported; repeated derivations import nothing new', async () => {
    const p = make();
    const a = await generateEcdhKeyPair(p, 'x25519');
    const b = await generateEcdhKeyPair(p, 'x25519');
    await deriveEcdh(p, 'x25519', a.privateKey, b.publicKey);
    const first = p.keys.imports;
    for (let i = 0; i < 5; i++) await deriveEcdh(p, 'x25519', a.privateKey, b.publicKey);
    expect(p.keys.imports).toBe(first);
    // the node path stores the generated private key at generation: only the peer value was imported
    if (p.asymImpl === 'node') expect(first).toBe(1);
  });

  test('on the node path a Weierstrass agreement imports nothing: our ECDH object takes the raw peer point', async () => {
    const p = make();
    const a = await generateEcdhKeyPair(p, 'secp256r1');
    for (let i = 0; i < 3; i++) {
      const b = await generateEcdhKeyPair(p, 'secp256r1');
      expect((await deriveEcdh(p, 'secp256r1', a.privateKey, b.publicKey)).ok).toBe(true);
    }
    if (p.asymImpl === 'node') expect(p.keys.imports).toBe(0);
  });
});

test('the store is bounded: old keys are evicted past the limit', async () => {
  const p = nodeProvider({ keyCacheLimit: 4 });
  const content = Uint8Array.of(1);
  for (let i = 0; i < 10; i++) {
    const k = await generateSigningKey(p, S.ed25519);
    await verifySignature(p, k.scheme, k.spki, content, await sign(p, k, content));
  }
  expect(p.keys.spki.size).toBe(4);
  expect(p.keys.privates.size).toBe(4);
});
