import { constants, createPrivateKey, createPublicKey, privateDecrypt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { concatBytes, toHex } from '../wire/hex';
import { decryptPremaster, encryptPremaster, makePremaster, pkcs1v15Pad, rsaEncryptRaw } from './rsa';
import { SHARED } from './testing/data';
import { PROVIDERS } from './testing/providers';

// Fixed RSA-2048 key (the Illustrated TLS server key): no key generation here.
const key = createPrivateKey(readFileSync(join(SHARED, 'vectors/illustrated-tls12/keys/server.key')));
const PKCS8 = new Uint8Array(key.export({ type: 'pkcs8', format: 'der' }));
const SPKI = new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }));
const K = 256;

describe.each(PROVIDERS)('RSA key transport (%s)', (_name, make) => {
  const p = make();

  test('encrypt then decrypt returns the premaster (client_version first)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0x0303, 0x0302, 0x0301), async (v) => {
        const pm = makePremaster(p, v);
        expect([pm[0], pm[1], pm.length]).toEqual([v >> 8, v & 0xff, 48]);
        const ct = await encryptPremaster(p, SPKI, pm);
        expect(ct.length).toBe(K);
        expect(await decryptPremaster(p, PKCS8, ct, v)).toEqual({ ok: true, value: pm });
      }),
      { numRuns: 5 },
    );
  });

  test('our PKCS#1 v1.5 encoding is standard (raw RSA gives back the block)', async () => {
    const pm = makePremaster(p, 0x0303);
    const em = pkcs1v15Pad(p, pm, K);
    expect([em[0], em[1], em[K - 49]]).toEqual([0, 2, 0]);
    expect(em.subarray(2, K - 49).every((b) => b !== 0)).toBe(true);
    // raw decryption gives back the exact encoded block
    const raw = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, await encryptPremaster(p, SPKI, pm));
    expect(toHex(raw.subarray(K - 48))).toBe(toHex(pm));
  });

  test('each malformed encryption reports its failure kind', async () => {
    const pm = makePremaster(p, 0x0303);
    const good = pkcs1v15Pad(p, pm, K);
    const withBlock = async (f: (b: Uint8Array) => void) => {
      const b = good.slice();
      f(b);
      return await rsaEncryptRaw(p, SPKI, b);
    };
    const ps = (n: number) => new Uint8Array(n).fill(0x55);
    expect(await decryptPremaster(p, PKCS8, await withBlock((b) => (b[1] = 1)), 0x0303)).toMatchObject({
      ok: false,
      reason: 'bad_padding_header',
    });
    expect(await decryptPremaster(p, PKCS8, await withBlock((b) => b.fill(0x55, 2)), 0x0303)).toMatchObject({
      ok: false,
      reason: 'no_separator',
    });
    expect(
      await decryptPremaster(
        p,
        PKCS8,
        await rsaEncryptRaw(p, SPKI, concatBytes([Uint8Array.of(0, 2), ps(5), Uint8Array.of(0), new Uint8Array(K - 8).fill(3)])),
        0x0303,
      ),
    ).toMatchObject({ ok: false, reason: 'short_padding' });
    const short = concatBytes([Uint8Array.of(0, 2), ps(K - 3 - 47), Uint8Array.of(0), pm.subarray(0, 47)]);
    expect(await decryptPremaster(p, PKCS8, await rsaEncryptRaw(p, SPKI, short), 0x0303)).toMatchObject({
      ok: false,
      reason: 'wrong_premaster_length',
    });
    expect(await decryptPremaster(p, PKCS8, await encryptPremaster(p, SPKI, pm), 0x0302)).toMatchObject({
      ok: false,
      reason: 'wrong_version',
      message: pm,
    });
    expect(await decryptPremaster(p, PKCS8, new Uint8Array(K - 1), 0x0303)).toMatchObject({
      ok: false,
      reason: 'wrong_ciphertext_length',
    });
    expect(await decryptPremaster(p, PKCS8, new Uint8Array(K).fill(0xff), 0x0303)).toMatchObject({
      ok: false,
      reason: 'decrypt_error',
    });
  });
});
