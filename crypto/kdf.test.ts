import { createHash, createHmac, hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import { concatBytes, fromHex, toHex } from '../wire/hex';
import { cipherSuites } from '../wire/registry';
import { digest, hmac, RunningHash, transcriptHash } from './hash';
import { PROVIDERS } from './testing/providers';
import { extendedMasterSecret, finished12, keyBlock, keyBlockSizes, masterSecret, prf12 } from './tls12';
import {
  binderKey,
  deriveSecret,
  exporter13,
  finished13,
  hkdfExpand,
  hkdfExpandLabel,
  hkdfExtract,
  hkdfLabel,
  messageHashSubstitute,
  nextTrafficSecret,
  pskBinder,
  resumptionPsk,
  tls13Schedule,
  transcriptWithHrr,
} from './tls13';

const bytes = (n: number, start: number) => Uint8Array.from({ length: n }, (_, i) => start + i);

// RFC 5869 Appendix A, test cases 1-3 (SHA-256).
const HKDF_CASES = [
  {
    name: 'case 1',
    ikm: new Uint8Array(22).fill(0x0b),
    salt: bytes(13, 0),
    info: bytes(10, 0xf0),
    L: 42,
    prk: '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5',
    okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  },
  {
    name: 'case 2',
    ikm: bytes(80, 0),
    salt: bytes(80, 0x60),
    info: bytes(80, 0xb0),
    L: 82,
    prk: '06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244',
    okm: 'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
  },
  {
    name: 'case 3',
    ikm: new Uint8Array(22).fill(0x0b),
    salt: new Uint8Array(0),
    info: new Uint8Array(0),
    L: 42,
    prk: '19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04',
    okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
  },
];

const PRF_VECTOR = {
  secret: '9bbe436ba940f017b17652849a71db35',
  seed: 'a0ba9f936cda311827a6f796ffd5198c',
  label: 'test label',
  out: 'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66',
};

/** Independent P_SHA-x with node:crypto HMAC, for cross-checks. */
function refPrf(hash: string, secret: Uint8Array, label: string, seed: Uint8Array, n: number): string {
  const s = concatBytes([new TextEncoder().encode(label), seed]);
  let a: Uint8Array = s;
  let out = Buffer.alloc(0);
  while (out.length < n) {
    a = createHmac(hash, secret).update(a).digest();
    out = Buffer.concat([out, createHmac(hash, secret).update(a).update(s).digest()]);
  }
  return out.subarray(0, n).toString('hex');
}

describe.each(PROVIDERS)('key derivation (%s)', (_name, make) => {
  const p = make();

  test.each(HKDF_CASES)('RFC 5869 HKDF $name', async (c) => {
    const prk = await hkdfExtract(p, 'SHA-256', c.salt, c.ikm);
    expect(toHex(prk)).toBe(c.prk);
    expect(toHex(await hkdfExpand(p, 'SHA-256', prk, c.info, c.L))).toBe(c.okm);
    // and node's own HKDF agrees
    expect(Buffer.from(hkdfSync('sha256', c.ikm, c.salt, c.info, c.L)).toString('hex')).toBe(c.okm);
  });

  test('TLS 1.2 PRF (P_SHA256) known answer, 100 bytes', async () => {
    const out = await prf12(p, 'SHA-256', fromHex(PRF_VECTOR.secret), PRF_VECTOR.label, fromHex(PRF_VECTOR.seed), 100);
    expect(toHex(out)).toBe(PRF_VECTOR.out);
    expect(refPrf('sha256', fromHex(PRF_VECTOR.secret), PRF_VECTOR.label, fromHex(PRF_VECTOR.seed), 100)).toBe(PRF_VECTOR.out);
  });

  test('PRF matches an independent HMAC computation for both hashes and any length', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.integer({ min: 0, max: 150 }),
        fc.boolean(),
        async (secret, seed, n, sha384) => {
          const out = await prf12(p, sha384 ? 'SHA-384' : 'SHA-256', secret, 'lbl', seed, n);
          expect(toHex(out)).toBe(refPrf(sha384 ? 'sha384' : 'sha256', secret, 'lbl', seed, n));
        },
      ),
      { numRuns: 25 },
    );
  });

  test('HKDF-Expand agrees with node hkdf for random inputs and both hashes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.integer({ min: 1, max: 200 }),
        fc.boolean(),
        async (ikm, salt, info, L, sha384) => {
          const h = sha384 ? 'SHA-384' : 'SHA-256';
          const prk = await hkdfExtract(p, h, salt, ikm);
          const okm = await hkdfExpand(p, h, prk, info, L);
          expect(toHex(okm)).toBe(Buffer.from(hkdfSync(sha384 ? 'sha384' : 'sha256', ikm, salt, info, L)).toString('hex'));
        },
      ),
      { numRuns: 20 },
    );
  });

  test('digest and HMAC agree with node:crypto', async () => {
    const data = fromHex('00010203ff');
    for (const [h, n] of [
      ['SHA-1', 'sha1'],
      ['SHA-256', 'sha256'],
      ['SHA-384', 'sha384'],
      ['SHA-512', 'sha512'],
    ] as const) {
      expect(toHex(await digest(p, h, data))).toBe(createHash(n).update(data).digest('hex'));
      expect(toHex(await hmac(p, h, data, data))).toBe(createHmac(n, data).update(data).digest('hex'));
      expect(toHex(await hmac(p, h, new Uint8Array(0), data))).toBe(createHmac(n, Buffer.alloc(0)).update(data).digest('hex'));
    }
    expect(toHex(await transcriptHash(p, 'SHA-256', [fromHex('0100'), fromHex('02')]))).toBe(
      createHash('sha256').update(fromHex('010002')).digest('hex'),
    );
  });

  test('HkdfLabel layout and Derive-Secret definition', async () => {
    expect(toHex(hkdfLabel('key', new Uint8Array(0), 16))).toBe(`0010${'09'}${Buffer.from('tls13 key').toString('hex')}00`);
    const secret = bytes(32, 1);
    const th = await digest(p, 'SHA-256', fromHex('01'));
    expect(await deriveSecret(p, 'SHA-256', secret, 'c hs traffic', th)).toEqual(
      await hkdfExpandLabel(p, 'SHA-256', secret, 'c hs traffic', th, 32),
    );
  });

  test('master secret, extended master secret, key block and Finished (TLS 1.2) match the PRF definitions', async () => {
    const pm = bytes(48, 3);
    const cr = bytes(32, 0x10);
    const sr = bytes(32, 0x50);
    const ms = await masterSecret(p, 'SHA-256', pm, cr, sr);
    expect(toHex(ms)).toBe(refPrf('sha256', pm, 'master secret', concatBytes([cr, sr]), 48));
    const sh = bytes(48, 7);
    expect(toHex(await extendedMasterSecret(p, 'SHA-384', pm, sh))).toBe(refPrf('sha384', pm, 'extended master secret', sh, 48));
    const suite = cipherSuites.get(0xc028)!; // ECDHE_RSA_WITH_AES_256_CBC_SHA384
    expect(keyBlockSizes(suite)).toEqual({ macKeyLength: 48, encKeyLength: 32, fixedIvLength: 0 });
    const kb = await keyBlock(p, suite, ms, cr, sr);
    const ref = refPrf('sha384', ms, 'key expansion', concatBytes([sr, cr]), 160);
    expect(toHex(concatBytes([kb.clientMacKey, kb.serverMacKey, kb.clientKey, kb.serverKey]))).toBe(ref);
    const gcm = await keyBlock(p, cipherSuites.get(0xc02f)!, ms, cr, sr);
    expect([gcm.clientMacKey.length, gcm.clientKey.length, gcm.clientIv.length, gcm.serverIv.length]).toEqual([0, 16, 4, 4]);
    const cc = await keyBlock(p, cipherSuites.get(0xcca8)!, ms, cr, sr);
    expect([cc.clientKey.length, cc.serverIv.length]).toEqual([32, 12]);
    const hh = bytes(32, 9);
    expect(toHex(await finished12(p, 'SHA-256', ms, 'client', hh))).toBe(refPrf('sha256', ms, 'client finished', hh, 12));
    expect(toHex(await finished12(p, 'SHA-256', ms, 'server', hh))).toBe(refPrf('sha256', ms, 'server finished', hh, 12));
  });

  test('HelloRetryRequest message_hash substitution', async () => {
    const ch1 = fromHex('0100000401020304');
    const mh = await messageHashSubstitute(p, 'SHA-256', ch1);
    expect(toHex(mh)).toBe(`fe000020${createHash('sha256').update(ch1).digest('hex')}`);
    const hrr = fromHex('020000020303');
    const ch2 = fromHex('0100000105');
    const t = await transcriptWithHrr(p, 'SHA-384', [ch1, hrr, ch2], true);
    expect(t[0]![3]).toBe(48);
    expect(t.slice(1)).toEqual([hrr, ch2]);
    expect(await transcriptWithHrr(p, 'SHA-384', [ch1, hrr], false)).toEqual([ch1, hrr]);
  });

  test('PSK binder, resumption PSK, KeyUpdate and exporter follow RFC 8446 definitions', async () => {
    const h = 'SHA-256';
    const psk = bytes(32, 0x40);
    const zeros = new Uint8Array(32);
    const emptyH = createHash('sha256').digest();
    const early = createHmac('sha256', zeros).update(psk).digest();
    const expandRef = (secret: Uint8Array, label: string, ctx: Uint8Array, n: number): Buffer => {
      // single-block HKDF-Expand (n <= 32), written out independently
      const info = Buffer.concat([
        Buffer.from([0, n]),
        Buffer.from([6 + label.length]),
        Buffer.from(`tls13 ${label}`),
        Buffer.from([ctx.length]),
        Buffer.from(ctx),
      ]);
      return createHmac('sha256', secret)
        .update(info)
        .update(Buffer.from([1]))
        .digest()
        .subarray(0, n);
    };
    const bk = expandRef(early, 'res binder', emptyH, 32);
    expect(toHex(await binderKey(p, h, psk, 'resumption'))).toBe(bk.toString('hex'));
    expect(toHex(await binderKey(p, h, psk, 'external'))).toBe(expandRef(early, 'ext binder', emptyH, 32).toString('hex'));
    const s = await tls13Schedule(p, { hash: h, psk, serverHelloHash: emptyH });
    expect(toHex(s.resBinderKey)).toBe(bk.toString('hex'));
    const partial = createHash('sha256').update('truncated client hello').digest();
    const fk = expandRef(bk, 'finished', new Uint8Array(0), 32);
    expect(toHex(await pskBinder(p, h, bk, partial))).toBe(createHmac('sha256', fk).update(partial).digest('hex'));
    const rms = bytes(32, 0x77);
    expect(toHex(await resumptionPsk(p, h, rms, fromHex('0001')))).toBe(
      expandRef(rms, 'resumption', fromHex('0001'), 32).toString('hex'),
    );
    expect(toHex(await nextTrafficSecret(p, h, rms))).toBe(expandRef(rms, 'traffic upd', new Uint8Array(0), 32).toString('hex'));
    const ems = bytes(32, 0x22);
    const ctx = fromHex('abcdef');
    const inner = expandRef(ems, 'EXPORTER-test', emptyH, 32);
    expect(toHex(await exporter13(p, h, ems, 'EXPORTER-test', ctx, 20))).toBe(
      expandRef(inner, 'exporter', createHash('sha256').update(ctx).digest(), 20).toString('hex'),
    );
    expect(toHex(await finished13(p, h, rms, partial))).toBe(
      createHmac('sha256', expandRef(rms, 'finished', new Uint8Array(0), 32))
        .update(partial)
        .digest('hex'),
    );
  });
});

describe.each(PROVIDERS)('running transcript hash (%s)', (_name, make) => {
  const p = make();

  test('equals the hash of the concatenation as the list grows, is cut, has an entry replaced and starts again', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        fc.boolean(),
        async (messages, cutAt, other, sha384) => {
          const h = sha384 ? 'SHA-384' : 'SHA-256';
          const r = new RunningHash(p, h);
          const list: Uint8Array[] = [];
          const same = async () => expect(toHex(await r.of(list))).toBe(toHex(await transcriptHash(p, h, list)));
          await same();
          for (const m of messages) {
            list.push(m);
            await same();
          }
          list.splice(cutAt % list.length); // a message sent and taken back out (a post-handshake message), a renegotiation
          await same();
          list.push(other);
          await same();
          list[0] = other.slice(); // an entry replaced by another object (same or other bytes)
          await same();
          list.push(...messages);
          await same();
        },
      ),
      { numRuns: 40 },
    );
  });
});
