import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { concatBytes, toHex } from '../wire/hex';
import { cipherSuites } from '../wire/registry';
import { nodeProvider, peculiarProvider } from './provider';
import { createRecordProtection, type ProtectionParams, RecordDirection, tls12Params, tls13Params } from './record';
import { PROVIDERS } from './testing/providers';
import { keyBlock } from './tls12';

const k = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (seed + i * 7) & 0xff);

const MODES: Array<[string, ProtectionParams]> = [
  ['TLS 1.2 AES-128-GCM', { version: 'tls12', cipher: 'AES_128_GCM', key: k(16, 1), fixedIv: k(4, 2) }],
  ['TLS 1.2 AES-256-GCM', { version: 'tls12', cipher: 'AES_256_GCM', key: k(32, 3), fixedIv: k(4, 4) }],
  ['TLS 1.2 ChaCha20-Poly1305', { version: 'tls12', cipher: 'CHACHA20_POLY1305', key: k(32, 5), fixedIv: k(12, 6) }],
  [
    'TLS 1.2 AES-128-CBC HMAC-SHA1 MtE',
    { version: 'tls12', cipher: 'AES_128_CBC', key: k(16, 7), macKey: k(20, 8), mac: 'SHA-1', encryptThenMac: false },
  ],
  [
    'TLS 1.2 AES-256-CBC HMAC-SHA384 MtE',
    { version: 'tls12', cipher: 'AES_256_CBC', key: k(32, 9), macKey: k(48, 10), mac: 'SHA-384', encryptThenMac: false },
  ],
  [
    'TLS 1.2 AES-128-CBC HMAC-SHA256 EtM',
    { version: 'tls12', cipher: 'AES_128_CBC', key: k(16, 11), macKey: k(32, 12), mac: 'SHA-256', encryptThenMac: true },
  ],
  [
    'TLS 1.2 AES-256-CBC HMAC-SHA384 EtM',
    { version: 'tls12', cipher: 'AES_256_CBC', key: k(32, 13), macKey: k(48, 14), mac: 'SHA-384', encryptThenMac: true },
  ],
  ['TLS 1.3 AES-128-GCM', { version: 'tls13', cipher: 'AES_128_GCM', key: k(16, 15), iv: k(12, 16) }],
  ['TLS 1.3 AES-256-GCM', { version: 'tls13', cipher: 'AES_256_GCM', key: k(32, 17), iv: k(12, 18) }],
  ['TLS 1.3 ChaCha20-Poly1305', { version: 'tls13', cipher: 'CHACHA20_POLY1305', key: k(32, 19), iv: k(12, 20) }],
  [
    'TLS 1.2 3DES-EDE-CBC HMAC-SHA1 MtE',
    { version: 'tls12', cipher: '3DES_EDE_CBC', key: k(24, 21), macKey: k(20, 22), mac: 'SHA-1', encryptThenMac: false },
  ],
  [
    'TLS 1.2 3DES-EDE-CBC HMAC-SHA1 EtM',
    { version: 'tls12', cipher: '3DES_EDE_CBC', key: k(24, 23), macKey: k(20, 24), mac: 'SHA-1', encryptThenMac: true },
  ],
];
const CBC_ALG = { AES_128_CBC: 'aes-128-cbc', AES_256_CBC: 'aes-256-cbc', '3DES_EDE_CBC': 'des-ede3-cbc' } as const;

const u64 = (s: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(s);
  return b;
};

describe.each(PROVIDERS)('record protection (%s)', (_name, make) => {
  const p = make();
  const other = p.name === 'peculiar' ? nodeProvider() : peculiarProvider();

  test.each(MODES)('%s: unprotect(protect(x)) = x, across providers; any flipped bit fails', async (_m, params) => {
    const mine = await createRecordProtection(p, params);
    const theirs = await createRecordProtection(other, params);
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.constantFrom(21, 22, 23),
        fc.integer({ min: 0, max: 40 }),
        fc.nat(),
        async (content, seq, type, padding, bit) => {
          const r = await mine.protect(seq, type, 0x0303, content, { padding, extraPaddingBlocks: padding % 3 });
          for (const q of [mine, theirs])
            expect(await q.unprotect(seq, r.type, r.version, r.fragment)).toEqual({ ok: true, type, content });
          const bad = r.fragment.slice();
          const i = bit % (bad.length * 8);
          bad[i >> 3]! ^= 1 << (i & 7);
          expect((await mine.unprotect(seq, r.type, r.version, bad)).ok).toBe(false);
          // the sequence number, type and version are authenticated too
          expect((await mine.unprotect(seq ^ 1n, r.type, r.version, r.fragment)).ok).toBe(false);
          expect((await mine.unprotect(seq, r.type ^ 1, r.version, r.fragment)).ok).toBe(false);
          expect((await mine.unprotect(seq, r.type, r.version ^ 1, r.fragment)).ok).toBe(false);
        },
      ),
      { numRuns: 12 },
    );
  });

  test.each(MODES)('%s: truncated and oversized records are typed failures', async (_m, params) => {
    const prot = await createRecordProtection(p, params);
    expect(await prot.unprotect(0n, 23, 0x0303, new Uint8Array((1 << 14) + 2049))).toMatchObject({
      ok: false,
      reason: 'record_overflow',
    });
    for (const n of [0, 1, 15, 16]) {
      const r = await prot.unprotect(0n, 23, 0x0303, new Uint8Array(n));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(['too_short', 'bad_length', 'bad_record_mac']).toContain(r.reason);
    }
  });

  test.each(MODES.filter(([m]) => m.includes('CBC')))(
    '%s: longestPadding pads to the longest length up to 255 that fills a block, and the record opens',
    async (m, params) => {
      const prot = await createRecordProtection(p, params);
      for (const n of [0, 1, 17, 100]) {
        const content = k(n, 3);
        const short = await prot.protect(0n, 23, 0x0303, content);
        const long = await prot.protect(0n, 23, 0x0303, content, { longestPadding: true });
        // blocks of 16 bytes (AES) or 8 (3DES): the padding length grows by whole blocks up to at most 255
        const bs = m.includes('3DES') ? 8 : 16;
        const grown = long.fragment.length - short.fragment.length;
        expect(grown % bs).toBe(0);
        expect(grown).toBeGreaterThan(255 - 2 * bs);
        expect(grown).toBeLessThan(256);
        expect(await prot.unprotect(0n, 23, 0x0303, long.fragment)).toEqual({ ok: true, type: 23, content });
      }
    },
  );

  test.each(MODES)('%s: replacePlaintext seals exactly the bytes it returns', async (m, params) => {
    const prot = await createRecordProtection(p, params);
    const content = k(40, 5);
    const seen: number[] = [];
    const same = await prot.protect(0n, 23, 0x0303, content, {
      replacePlaintext: (x) => {
        seen.push(x.length);
        return x;
      },
    });
    expect(seen).toHaveLength(1);
    expect(await prot.unprotect(0n, 23, 0x0303, same.fragment)).toEqual({ ok: true, type: 23, content });
    const edited = await prot.protect(0n, 23, 0x0303, content, { replacePlaintext: (x) => x.map((b) => b ^ 0x5a) });
    const r = await prot.unprotect(0n, 23, 0x0303, edited.fragment);
    if (m.includes('MtE')) expect(r).toMatchObject({ ok: false });
    else if (params.version === 'tls12' && !m.includes('EtM'))
      expect(r).toEqual({ ok: true, type: 23, content: content.map((b) => b ^ 0x5a) });
    else if (params.version === 'tls13') expect(r.ok && r.content).not.toEqual(content);
    if (m.includes('CBC'))
      await expect(prot.protect(0n, 23, 0x0303, content, { replacePlaintext: (x) => x.subarray(1) })).rejects.toThrow(RangeError);
  });

  test('TLS 1.2 GCM carries the explicit nonce (default: seq) and uses fixed_iv || explicit', async () => {
    const params = MODES[0]![1] as Extract<ProtectionParams, { fixedIv: Uint8Array }>;
    const prot = await createRecordProtection(p, params);
    const pt = Buffer.from('hello');
    const r = await prot.protect(5n, 23, 0x0303, pt);
    expect(toHex(r.fragment.subarray(0, 8))).toBe('0000000000000005');
    const c = createCipheriv('aes-128-gcm', params.key, concatBytes([params.fixedIv, u64(5n)]));
    c.setAAD(concatBytes([u64(5n), Uint8Array.of(23, 3, 3, 0, 5)]));
    expect(toHex(r.fragment.subarray(8))).toBe(Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]).toString('hex'));
    const custom = await prot.protect(5n, 23, 0x0303, pt, { explicitNonce: k(8, 99) });
    expect(custom.fragment.subarray(0, 8)).toEqual(k(8, 99));
    expect(await prot.unprotect(5n, 23, 0x0303, custom.fragment)).toEqual({ ok: true, type: 23, content: new Uint8Array(pt) });
  });

  test('TLS 1.2 ChaCha20-Poly1305 uses the RFC 7905 nonce (iv XOR padded seq), no explicit part', async () => {
    const params = MODES[2]![1] as Extract<ProtectionParams, { fixedIv: Uint8Array }>;
    const prot = await createRecordProtection(p, params);
    const r = await prot.protect(0x0102n, 22, 0x0303, Uint8Array.of(1, 2, 3));
    const nonce = params.fixedIv.slice();
    nonce[10]! ^= 1;
    nonce[11]! ^= 2;
    const c = createCipheriv('chacha20-poly1305', params.key, nonce, { authTagLength: 16 });
    c.setAAD(concatBytes([u64(0x0102n), Uint8Array.of(22, 3, 3, 0, 3)]), { plaintextLength: 3 });
    expect(toHex(r.fragment)).toBe(Buffer.concat([c.update(Uint8Array.of(1, 2, 3)), c.final(), c.getAuthTag()]).toString('hex'));
  });

  test('CBC MAC-then-encrypt layout matches an independent node:crypto computation', async () => {
    const params = MODES[3]![1] as Extract<ProtectionParams, { macKey: Uint8Array }>;
    const prot = await createRecordProtection(p, params);
    const iv = k(16, 50);
    const content = Buffer.from('abc');
    const r = await prot.protect(1n, 23, 0x0303, content, { iv });
    const mac = createHmac('sha1', params.macKey)
      .update(concatBytes([u64(1n), Uint8Array.of(23, 3, 3, 0, 3), content]))
      .digest();
    const padLen = 16 - ((3 + 20 + 1) % 16);
    const plain = Buffer.concat([content, mac, Buffer.alloc(padLen + 1, padLen)]);
    const c = createCipheriv('aes-128-cbc', params.key, iv).setAutoPadding(false);
    expect(toHex(r.fragment)).toBe(toHex(concatBytes([iv, c.update(plain), c.final()])));
  });

  test('3DES-EDE-CBC MAC-then-encrypt layout (8-byte blocks and explicit IV) matches an independent node:crypto computation', async () => {
    const params = MODES[10]![1] as Extract<ProtectionParams, { macKey: Uint8Array }>;
    const prot = await createRecordProtection(p, params);
    const iv = k(8, 51);
    const content = Buffer.from('abcdefghij');
    const r = await prot.protect(2n, 23, 0x0303, content, { iv });
    const mac = createHmac('sha1', params.macKey)
      .update(concatBytes([u64(2n), Uint8Array.of(23, 3, 3, 0, 10), content]))
      .digest();
    const padLen = 7 - ((10 + 20) % 8);
    const plain = Buffer.concat([content, mac, Buffer.alloc(padLen + 1, padLen)]);
    const c = createCipheriv('des-ede3-cbc', params.key, iv).setAutoPadding(false);
    expect(toHex(r.fragment)).toBe(toHex(concatBytes([iv, c.update(plain), c.final()])));
    expect(r.fragment.length % 8).toBe(0);
    await expect(prot.protect(2n, 23, 0x0303, content, { iv: k(16, 51) })).rejects.toThrow('CBC IV must be 8 bytes');
  });

  test('CBC: bad padding is reported as bad_padding (ours, not the provider)', async () => {
    for (const [, params] of MODES.filter(([, m]) => 'macKey' in m)) {
      const cp = params as Extract<ProtectionParams, { macKey: Uint8Array }>;
      const prot = await createRecordProtection(p, cp);
      const alg = CBC_ALG[cp.cipher];
      const bs = cp.cipher === '3DES_EDE_CBC' ? 8 : 16;
      const h = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384' }[cp.mac];
      const iv = k(bs, 60);
      const content = Buffer.from('payload!');
      const enc = (data: Buffer) => {
        const c = createCipheriv(alg, cp.key, iv).setAutoPadding(false);
        return Buffer.concat([iv, c.update(data), c.final()]);
      };
      /** TLS padding for `dataLen` bytes (always >= one block), then broken one way or another. */
      const badPad = (dataLen: number, how: 'one_wrong' | 'too_long') => {
        const n = bs - 1 - (dataLen % bs) + bs;
        const pad = Buffer.alloc(n + 1, n);
        if (how === 'one_wrong') pad[0] = n ^ 1;
        else pad[n] = 255;
        return pad;
      };
      for (const how of ['one_wrong', 'too_long'] as const) {
        if (cp.encryptThenMac) {
          const ivct = enc(Buffer.concat([content, badPad(content.length, how)]));
          const mac = createHmac(h, cp.macKey)
            .update(concatBytes([u64(0n), Uint8Array.of(23, 3, 3, ivct.length >> 8, ivct.length & 0xff), ivct]))
            .digest();
          expect(await prot.unprotect(0n, 23, 0x0303, Buffer.concat([ivct, mac]))).toMatchObject({
            ok: false,
            reason: 'bad_padding',
          });
        } else {
          const mac = createHmac(h, cp.macKey)
            .update(concatBytes([u64(0n), Uint8Array.of(23, 3, 3, 0, content.length), content]))
            .digest();
          const body = Buffer.concat([content, mac]);
          expect(await prot.unprotect(0n, 23, 0x0303, enc(Buffer.concat([body, badPad(body.length, how)])))).toMatchObject({
            ok: false,
            reason: 'bad_padding',
          });
        }
      }
    }
  });

  test('TLS 1.3: padding is stripped, the inner type found; all-zero inner plaintext is rejected', async () => {
    const prot = await createRecordProtection(p, MODES[7]![1]);
    const r = await prot.protect(3n, 22, 0x0303, Uint8Array.of(9, 9), { padding: 10 });
    expect(r.type).toBe(23);
    expect(r.fragment.length).toBe(2 + 1 + 10 + 16);
    expect(await prot.unprotect(3n, 23, 0x0303, r.fragment)).toEqual({ ok: true, type: 22, content: Uint8Array.of(9, 9) });
    const zeros = await prot.protect(4n, 0, 0x0303, new Uint8Array(0), { padding: 5 });
    expect(await prot.unprotect(4n, 23, 0x0303, zeros.fragment)).toMatchObject({ ok: false, reason: 'no_content_type' });
  });

  test('RecordDirection keeps one sequence number per direction', async () => {
    const params = MODES[8]![1];
    const writer = new RecordDirection(await createRecordProtection(p, params));
    const reader = new RecordDirection(await createRecordProtection(p, params));
    const recs = [];
    for (let i = 0; i < 3; i++) recs.push(await writer.seal(23, 0x0303, Uint8Array.of(i)));
    expect(writer.sequence).toBe(3n);
    expect(await reader.open(23, 0x0303, recs[1]!.fragment)).toMatchObject({ ok: false, reason: 'bad_record_mac' });
    expect(reader.sequence).toBe(0n);
    for (let i = 0; i < 3; i++)
      expect(await reader.open(23, 0x0303, recs[i]!.fragment)).toEqual({ ok: true, type: 23, content: Uint8Array.of(i) });
    expect(reader.sequence).toBe(3n);
  });

  test('parameters from a key block / traffic keys', async () => {
    const suite = cipherSuites.get(0xc028)!;
    const kb = await keyBlock(p, suite, k(48, 1), k(32, 2), k(32, 3));
    const cp = tls12Params(suite, kb, 'client', true);
    expect(cp).toMatchObject({
      cipher: 'AES_256_CBC',
      mac: 'SHA-384',
      encryptThenMac: true,
      key: kb.clientKey,
      macKey: kb.clientMacKey,
    });
    expect(tls12Params(cipherSuites.get(0xc02f)!, { ...kb, serverIv: k(4, 1) }, 'server')).toMatchObject({
      cipher: 'AES_128_GCM',
      fixedIv: k(4, 1),
    });
    expect(tls13Params(cipherSuites.get(0x1303)!, { key: k(32, 1), iv: k(12, 1) })).toMatchObject({
      version: 'tls13',
      cipher: 'CHACHA20_POLY1305',
    });
    // TLS_RSA_WITH_3DES_EDE_CBC_SHA: 24-byte key, HMAC-SHA1; RC4 has no record protection here
    const des = await keyBlock(p, cipherSuites.get(0x000a)!, k(48, 1), k(32, 2), k(32, 3));
    expect(des.clientKey.length).toBe(24);
    expect(tls12Params(cipherSuites.get(0x000a)!, des, 'client')).toMatchObject({ cipher: '3DES_EDE_CBC', mac: 'SHA-1' });
    expect(() => tls12Params(cipherSuites.get(0x0005)!, kb, 'client')).toThrow();
  });
});

test('CBC decryption without padding removal equals raw node:crypto decryption', async () => {
  // exercised indirectly above; here directly against createDecipheriv on random data
  const params = MODES[4]![1] as Extract<ProtectionParams, { macKey: Uint8Array }>;
  const prot = await createRecordProtection(peculiarProvider(), params);
  const iv = k(16, 70);
  const r = await prot.protect(9n, 23, 0x0303, k(33, 1), { iv });
  const d = createDecipheriv('aes-256-cbc', params.key, iv).setAutoPadding(false);
  const raw = Buffer.concat([d.update(r.fragment.subarray(16)), d.final()]);
  expect(toHex(raw.subarray(0, 33))).toBe(toHex(k(33, 1)));
  expect(raw[raw.length - 1]).toBe(raw.length - 33 - 48 - 1);
});
