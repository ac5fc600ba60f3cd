/**
 * The CBC padding sweep (tlsfuzzer's test-lucky13, functional part): the record each mutation has our client seal,
 * opened here with the same keys: its size, its padding length, and what is wrong in it (one padding byte, the MAC, or
 * a padding length that leaves no room for the MAC), the rest valid.
 */
import { createDecipheriv, createHmac } from 'node:crypto';
import { cbcLayout, createRecordProtection, nodeProvider, type ProtectionParams } from '../../crypto';
import { type TestPki, testPki } from '../../engine/fixtures';
import type { FramePiece } from '../../engine/hooks';
import { ContentType as CT, NamedGroup } from '../../wire/registry';
import { VERSION_CODE } from '../../wire/vocabulary';
import { RECORD_CONTENT_MUTATIONS } from './ops-record-content';
import { baseEnv } from './support';

const p = nodeProvider();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const AES: ProtectionParams = {
  version: 'tls12',
  cipher: 'AES_256_CBC',
  key: new Uint8Array(32).fill(1),
  macKey: new Uint8Array(48).fill(2),
  mac: 'SHA-384',
  encryptThenMac: false,
};
const DES3: ProtectionParams = {
  version: 'tls12',
  cipher: '3DES_EDE_CBC',
  key: new Uint8Array(24).fill(3),
  macKey: new Uint8Array(20).fill(4),
  mac: 'SHA-1',
  encryptThenMac: false,
};
const CONTENT = new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n');

/** The record the mutation has our client seal (client random `r`, seed 1), decrypted: the whole CBC plaintext. */
async function sealed(name: string, params: ProtectionParams, r = 0): Promise<{ size: number; pt: Uint8Array }> {
  const m = RECORD_CONTENT_MUTATIONS.find((x) => x.name === name);
  if (m?.where !== 'client-sends') throw new Error(`${name} does not act on our client's sends`);
  const env = baseEnv(pki, {
    base: 't12-ecdhe-rsa-cbc-mutual',
    suiteIndex: 0,
    group: NamedGroup.x25519,
    compat: false,
    clientRandom: new Uint8Array(32).fill(r),
    serverRandom: new Uint8Array(32),
    seed: 1,
  });
  const change = await m.mutate(env);
  expect(change.config?.encryptThenMac).toBe(false);
  const shape = cbcLayout(params);
  if (!shape) throw new Error('not CBC');
  const pieces = (await change.hooks?.beforeFrame?.({
    side: 'client',
    contentType: CT.application_data,
    content: CONTENT,
    protected: true,
    cbc: shape,
    closeTransport: () => {},
  })) as FramePiece[];
  expect(pieces).toHaveLength(1);
  const piece = pieces[0]!;
  const prot = await createRecordProtection(p, params);
  const rec = await prot.protect(0n, CT.application_data, VERSION_CODE['1.2'], piece.fragment, piece.protection);
  const bs = shape.blockSize;
  const algo = params.cipher === '3DES_EDE_CBC' ? 'des-ede3-cbc' : 'aes-256-cbc';
  const d = createDecipheriv(algo, params.key, rec.fragment.subarray(0, bs));
  d.setAutoPadding(false);
  const pt = new Uint8Array(Buffer.concat([d.update(rec.fragment.subarray(bs)), d.final()]));
  // the receiver's verdict on it: never a record that opens
  const opened = await prot.unprotect(0n, CT.application_data, VERSION_CODE['1.2'], rec.fragment);
  expect(opened.ok).toBe(false);
  return { size: rec.fragment.length, pt };
}

/** Whether the MAC before a padding of `pad` bytes is the valid MAC of the data before it (sequence number 0). */
function macValid(params: ProtectionParams, pt: Uint8Array, pad: number): boolean {
  if (!('macKey' in params)) throw new Error('not CBC');
  const macLen = params.mac === 'SHA-1' ? 20 : 48;
  const end = pt.length - 1 - pad;
  const data = pt.subarray(0, end - macLen);
  const header = new Uint8Array(13);
  header.set([CT.application_data, 3, 3], 8);
  new DataView(header.buffer).setUint16(11, data.length);
  const mac = createHmac(params.mac === 'SHA-1' ? 'sha1' : 'sha384', params.macKey)
    .update(header)
    .update(data)
    .digest();
  return Buffer.from(pt.subarray(end - macLen, end)).equals(mac);
}

const wrongBytes = (pt: Uint8Array, pad: number) =>
  [...pt.subarray(pt.length - 1 - pad, pt.length - 1)].filter((x) => x !== pad).length;

describe('the CBC padding sweep (test-lucky13)', () => {
  it.each([
    ['t12-cbc-padding-byte-wrong-shortest', AES, 1],
    ['t12-cbc-padding-byte-wrong-longest', AES, 255],
    ['t12-cbc-padding-byte-wrong-shortest', DES3, 1],
    ['t12-cbc-padding-byte-wrong-longest', DES3, 255],
  ] as const)(
    '%s (%#): a 512-byte record, padding of the length named, one padding byte wrong, a valid MAC',
    async (name, params, pad) => {
      const { size, pt } = await sealed(name, params);
      expect(size).toBe(512);
      expect(pt[pt.length - 1]).toBe(pad);
      expect(wrongBytes(pt, pad)).toBe(1);
      expect(macValid(params, pt, pad)).toBe(true);
    },
  );

  it('t12-cbc-padding-byte-wrong draws the padding length from the conversation (1-255) and sweeps it', async () => {
    const seen = new Set<number>();
    for (const r of [0, 1, 2, 3, 4, 5, 6, 7]) {
      const { size, pt } = await sealed('t12-cbc-padding-byte-wrong', AES, r);
      const pad = pt[pt.length - 1]!;
      expect(size).toBe(512);
      expect(pad).toBeGreaterThanOrEqual(1);
      expect(wrongBytes(pt, pad)).toBe(1);
      expect(macValid(AES, pt, pad)).toBe(true);
      seen.add(pad);
    }
    expect(seen.size).toBeGreaterThan(4);
    // the same conversation replays the same length
    expect((await sealed('t12-cbc-padding-byte-wrong', AES, 3)).pt).toEqual(
      (await sealed('t12-cbc-padding-byte-wrong', AES, 3)).pt,
    );
  });

  it.each([
    ['t12-cbc-mac-wrong-shortest-padding', 0],
    ['t12-cbc-mac-wrong-longest-padding', 255],
    ['t12-cbc-mac-wrong', undefined],
  ] as const)('%s: a 512-byte record, a valid padding, a wrong MAC', async (name, length) => {
    for (const params of [AES, DES3]) {
      const { size, pt } = await sealed(name, params, 5);
      const pad = pt[pt.length - 1]!;
      expect(size).toBe(512);
      if (length !== undefined) expect(pad).toBe(length);
      expect(wrongBytes(pt, pad)).toBe(0);
      expect(macValid(params, pt, pad)).toBe(false);
    }
  });

  it('t12-cbc-mac-out-of-bounds: a 128-byte record whose padding length leaves no room for the MAC', async () => {
    for (const [params, macLen] of [
      [AES, 48],
      [DES3, 20],
    ] as const) {
      for (const r of [0, 1, 2, 3]) {
        const { size, pt } = await sealed('t12-cbc-mac-out-of-bounds', params, r);
        const pad = pt[pt.length - 1]!;
        expect(size).toBe(128);
        expect(pad + 1 + macLen).toBeGreaterThan(pt.length);
        // every byte the padding length claims, as far as the record reaches, is the padding length
        expect([...pt.subarray(Math.max(0, pt.length - 1 - pad))].every((x) => x === pad)).toBe(true);
      }
    }
  });
});
