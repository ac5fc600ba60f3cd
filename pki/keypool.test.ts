import { webcrypto } from 'node:crypto';
import { KEY_TYPES, KeyPool } from './keypool';

const crypto = webcrypto as unknown as Crypto;

describe('KeyPool', () => {
  it('loads committed keys for the first slots and selects by index modulo perType', async () => {
    const pool = new KeyPool({ crypto, perType: 2 });
    for (const t of KEY_TYPES) {
      const a = await pool.key(t, 0);
      const b = await pool.key(t, 2);
      expect(b).toBe(a);
      expect(a.origin).toBe('committed');
      expect(a.type).toBe(t);
      expect(a.pkcs8.length).toBeGreaterThan(40);
      expect(a.spki.length).toBeGreaterThan(40);
      const c = await pool.key(t, 1);
      expect(Buffer.from(c.spki).equals(Buffer.from(a.spki))).toBe(false);
    }
  });

  it('keys sign and verify with their WebCrypto pair', async () => {
    const pool = new KeyPool({ crypto });
    const data = new TextEncoder().encode('tlsprop');
    for (const t of KEY_TYPES) {
      const k = await pool.key(t, 0);
      const alg = t.startsWith('ecdsa')
        ? { name: 'ECDSA', hash: t === 'ecdsa-p384' ? 'SHA-384' : 'SHA-256' }
        : k.keyPair.privateKey.algorithm;
      const sig = await crypto.subtle.sign(alg, k.keyPair.privateKey, data);
      expect(await crypto.subtle.verify(alg, k.keyPair.publicKey, sig, data)).toBe(true);
    }
  });

  it('generates beyond the committed keys, once per slot', async () => {
    const pool = new KeyPool({ crypto, perType: 4 });
    expect(pool.committedFile('ed25519', 3)).toBeNull();
    const [a, b] = await Promise.all([pool.key('ed25519', 3), pool.key('ed25519', 7)]);
    expect(a.origin).toBe('generated');
    expect(b).toBe(a);
  });

  it('can run without committed keys', async () => {
    const pool = new KeyPool({ crypto, committedDir: null });
    const k = await pool.key('ecdsa-p256', 0);
    expect(k.origin).toBe('generated');
  });

  it('rejects a non-positive perType', () => {
    expect(() => new KeyPool({ crypto, perType: 0 })).toThrow(RangeError);
  });
});
