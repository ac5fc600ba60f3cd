import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { bytesEqual, concatBytes, fromHex, toHex } from '../wire/hex';
import { NamedGroup } from '../wire/registry';
import { deriveEcdh, publicValueLength, x25519SmallOrderPoints } from './ecdh';
import {
  checkEncapsulationKey,
  decapsulateKemShare,
  encapsulateKemShare,
  generateKemClientShare,
  KEM_GROUP_NAMES,
  KEM_GROUPS,
  kemClientShareLength,
  kemCiphertextOf,
  kemEcdhPartOf,
  kemEncapsulationKeyOf,
  kemErrorAlert,
  kemGroupOf,
  kemImplicitlyRejected,
  kemServerShareLength,
  kemSharedSecretLength,
  MLKEM_SIZES,
  recomputeKemEncapsulation,
} from './kem';
import { PROVIDERS } from './testing/providers';

/** `name = hex` lines of a fixtures/mlkem file (comments start with #). */
function vector(file: string): Record<string, Uint8Array> {
  const text = readFileSync(join(__dirname, '../fixtures/mlkem', file), 'utf8');
  const out: Record<string, Uint8Array> = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [k, v] = line.split(' = ');
    out[k!] = fromHex(v!);
  }
  return out;
}

describe('ML-KEM known answers (FIPS 203)', () => {
  test('ML-KEM-768 KeyGen from the seed d||z gives the Wycheproof encapsulation key; dk embeds ek, H(ek), z', () => {
    const v = vector('wycheproof-768-keygen-1.txt');
    const kp = ml_kem768.keygen(v['seed']!);
    expect(toHex(kp.publicKey)).toBe(toHex(v['ek']!));
    const dk = kp.secretKey;
    expect(dk.length).toBe(MLKEM_SIZES['ML-KEM-768'].decapsulationKey);
    expect(toHex(dk.subarray(1152, 1152 + 1184))).toBe(toHex(v['ek']!));
    expect(toHex(dk.subarray(2336, 2368))).toBe(toHex(v['hek']!));
    expect(toHex(new Uint8Array(createHash('sha3-256').update(v['ek']!).digest()))).toBe(toHex(v['hek']!));
    expect(toHex(dk.subarray(2368))).toBe(toHex(v['seed']!.subarray(32)));
    expect(checkEncapsulationKey('ML-KEM-768', v['ek']!)).toEqual({ ok: true });
  });

  test('ML-KEM-768 Decaps of the CCTV strcmp ciphertext is the implicit rejection K = J(z||c), and we detect it', () => {
    const v = vector('cctv-strcmp-768.txt');
    expect(toHex(ml_kem768.decapsulate(v['c']!, v['dk']!))).toBe(toHex(v['K']!));
    // as a pure MLKEM768 share: the client private key is dk alone, the server share is c alone
    expect(kemImplicitlyRejected('MLKEM768', v['dk']!, v['c']!)).toBe(true);
  });
});

describe('FIPS 203 §7.2 encapsulation key check', () => {
  test('the modulus check finds a coefficient >= q at any position; a wrong length fails the type check', () => {
    const ek = ml_kem768.keygen(new Uint8Array(64).fill(7)).publicKey;
    expect(checkEncapsulationKey('ML-KEM-768', ek).ok).toBe(true);
    fc.assert(
      fc.property(fc.nat((384 * 3) / 3 - 1), fc.boolean(), fc.integer({ min: 3329, max: 4095 }), (triple, high, c) => {
        const bad = ek.slice();
        const i = triple * 3;
        if (high) {
          bad[i + 1] = (bad[i + 1]! & 0x0f) | ((c & 0x0f) << 4);
          bad[i + 2] = c >> 4;
        } else {
          bad[i] = c & 0xff;
          bad[i + 1] = (bad[i + 1]! & 0xf0) | (c >> 8);
        }
        const r = checkEncapsulationKey('ML-KEM-768', bad);
        return !r.ok && r.reason === 'modulus';
      }),
      { numRuns: 50 },
    );
    // the 32-byte rho at the end is not checked
    const rho = ek.slice();
    rho[rho.length - 1] = 0xff;
    expect(checkEncapsulationKey('ML-KEM-768', rho).ok).toBe(true);
    const short = checkEncapsulationKey('ML-KEM-768', ek.subarray(1));
    expect(!short.ok && short.reason).toBe('wrong_length');
  });
});

describe('the groups: codes, lengths, layouts (draft-ietf-tls-ecdhe-mlkem §3.1, draft-ietf-tls-mlkem §3)', () => {
  test('codes and the lengths the drafts state', () => {
    expect(kemGroupOf(0x11ec)).toBe('X25519MLKEM768');
    expect(kemGroupOf(0x11eb)).toBe('SecP256r1MLKEM768');
    expect(kemGroupOf(0x11ed)).toBe('SecP384r1MLKEM1024');
    expect([0x0200, 0x0201, 0x0202].map(kemGroupOf)).toEqual(['MLKEM512', 'MLKEM768', 'MLKEM1024']);
    expect(kemGroupOf(NamedGroup.x25519)).toBeUndefined();
    const lengths = KEM_GROUP_NAMES.map((g) => [g, kemClientShareLength(g), kemServerShareLength(g), kemSharedSecretLength(g)]);
    expect(lengths).toEqual([
      ['X25519MLKEM768', 1216, 1120, 64],
      ['SecP256r1MLKEM768', 1249, 1153, 64],
      ['SecP384r1MLKEM1024', 1665, 1665, 80],
      ['MLKEM512', 800, 768, 32],
      ['MLKEM768', 1184, 1088, 32],
      ['MLKEM1024', 1568, 1568, 32],
    ]);
  });

  test('the alert for each failure: internal_error only for a decapsulation failure', () => {
    expect(kemErrorAlert('wrong_length')).toBe('illegal_parameter');
    expect(kemErrorAlert('modulus')).toBe('illegal_parameter');
    expect(kemErrorAlert('not_on_curve')).toBe('illegal_parameter');
    expect(kemErrorAlert('decapsulation_failed')).toBe('internal_error');
  });
});

describe.each(PROVIDERS)('hybrid and pure ML-KEM key exchange (%s)', (_name, make) => {
  const p = make();

  test.each(KEM_GROUP_NAMES)(
    '%s: both sides derive the same secret; the layout puts each part where the draft says',
    async (g) => {
      const info = KEM_GROUPS[g];
      const client = await generateKemClientShare(p, g);
      expect(client.publicKey.length).toBe(kemClientShareLength(g));
      const ek = kemEncapsulationKeyOf(g, client.publicKey)!;
      // the client share's ML-KEM part is the encapsulation key inside our decapsulation key (dk_PKE || ek || H(ek) || z)
      const dkLen = MLKEM_SIZES[info.kem].decapsulationKey;
      expect(toHex(client.privateKey.subarray(dkLen - 64 - ek.length, dkLen - 64))).toBe(toHex(ek));
      if (info.kemFirst) expect(toHex(client.publicKey.subarray(0, ek.length))).toBe(toHex(ek));
      else expect(toHex(client.publicKey.subarray(client.publicKey.length - ek.length))).toBe(toHex(ek));
      const server = await encapsulateKemShare(p, g, client.publicKey);
      if (!server.ok) throw new Error(server.reason);
      expect(server.value.keyExchange.length).toBe(kemServerShareLength(g));
      expect(server.value.sharedSecret.length).toBe(kemSharedSecretLength(g));
      const got = await decapsulateKemShare(p, g, client.privateKey, server.value.keyExchange);
      if (!got.ok) throw new Error(got.reason);
      expect(toHex(got.value)).toBe(toHex(server.value.sharedSecret));
      expect(kemImplicitlyRejected(g, client.privateKey, server.value.keyExchange)).toBe(false);
      // the server's private key (m || ECDH private) recomputes the same ciphertext and secret
      const again = await recomputeKemEncapsulation(p, g, client.publicKey, server.value.privateKey);
      if (!again.ok) throw new Error(again.reason);
      expect(toHex(again.value.ciphertext)).toBe(toHex(kemCiphertextOf(g, server.value.keyExchange)!));
      expect(toHex(again.value.sharedSecret)).toBe(toHex(server.value.sharedSecret));
      if (info.ecdh) {
        // the shared secret is the ML-KEM secret and the ECDH secret in the group's order
        const ecdhPriv = client.privateKey.subarray(dkLen);
        const z = await deriveEcdh(p, info.ecdh, ecdhPriv, kemEcdhPartOf(g, server.value.keyExchange, 'server')!);
        if (!z.ok) throw new Error(z.reason);
        const s = server.value.sharedSecret;
        const ecdhAt = info.kemFirst ? s.subarray(32) : s.subarray(0, s.length - 32);
        expect(toHex(ecdhAt)).toBe(toHex(z.value));
        expect(kemEcdhPartOf(g, client.publicKey, 'client')!.length).toBe(publicValueLength(info.ecdh));
      }
    },
  );

  test('a flipped ciphertext bit is implicitly rejected: a different secret, and the rejection is seen', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(1087 * 8), async (bit) => {
        const g = 'X25519MLKEM768';
        const client = await generateKemClientShare(p, g);
        const server = await encapsulateKemShare(p, g, client.publicKey);
        if (!server.ok) return false;
        const bad = server.value.keyExchange.slice();
        bad[bit >> 3]! ^= 1 << (bit & 7);
        const got = await decapsulateKemShare(p, g, client.privateKey, bad);
        return (
          got.ok && !bytesEqual(got.value, server.value.sharedSecret) && kemImplicitlyRejected(g, client.privateKey, bad) === true
        );
      }),
      { numRuns: 5 },
    );
  });

  test('the server refuses a client share of the wrong length, a key failing the modulus check, a bad ECDH half', async () => {
    const g = 'X25519MLKEM768';
    const client = await generateKemClientShare(p, g);
    const short = await encapsulateKemShare(p, g, client.publicKey.subarray(0, 1215));
    expect(!short.ok && short.reason).toBe('wrong_length');
    const bad = client.publicKey.slice();
    bad[0] = 0xff;
    bad[1] = 0x0f; // first coefficient 4095
    const mod = await encapsulateKemShare(p, g, bad);
    expect(!mod.ok && mod.reason).toBe('modulus');
    const zero = concatBytes([client.publicKey.subarray(0, 1184), x25519SmallOrderPoints()[0]!]);
    const small = await encapsulateKemShare(p, g, zero);
    expect(!small.ok && small.reason).toBe('zero_shared_secret');
    const pg = 'SecP256r1MLKEM768';
    const pc = await generateKemClientShare(p, pg);
    const offCurve = pc.publicKey.slice();
    offCurve[64]! ^= 1; // last byte of the P-256 point, which comes first
    const oc = await encapsulateKemShare(p, pg, offCurve);
    expect(!oc.ok && oc.reason).toBe('not_on_curve');
  });

  test('the client refuses a server share of the wrong length', async () => {
    const g = 'SecP384r1MLKEM1024';
    const client = await generateKemClientShare(p, g);
    const server = await encapsulateKemShare(p, g, client.publicKey);
    if (!server.ok) throw new Error(server.reason);
    const r = await decapsulateKemShare(p, g, client.privateKey, server.value.keyExchange.subarray(1));
    expect(!r.ok && r.reason).toBe('wrong_length');
  });
});
