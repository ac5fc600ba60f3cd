/**
 * AES-CCM record protection (16- and 8-byte tags) against the RFC constructions written out here with node:crypto:
 * TLS 1.3 (RFC 8446 §5.2, §5.3: nonce = iv XOR seq, additional data = the record header, inner content type) and
 * TLS 1.2 (RFC 6655 §3 / RFC 7251: nonce = 4-byte salt || 8-byte explicit nonce carried in the record, additional data
 * = seq_num || type || version || length of the plaintext).
 */
import { createCipheriv } from 'node:crypto';
import { cipherSuites } from '../wire/registry';
import { nodeProvider } from './provider';
import { type AeadCipher, createRecordProtection, tls12Params, tls13Params } from './record';

const p = nodeProvider();
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

function ccm(cipher: AeadCipher, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Uint8Array {
  const tag = cipher.endsWith('_8') ? 8 : 16;
  const c = createCipheriv(key.length === 16 ? 'aes-128-ccm' : 'aes-256-ccm', key, nonce, { authTagLength: tag });
  c.setAAD(aad, { plaintextLength: pt.length });
  return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
}

describe('TLS 1.3 AES-CCM records', () => {
  it.each([
    ['TLS_AES_128_CCM_SHA256', 16, 0x1304],
    ['TLS_AES_128_CCM_8_SHA256', 8, 0x1305],
  ])(
    '%s: seal is the RFC 8446 §5.2 construction with a %d-byte tag; open reverses it and refuses a changed bit',
    async (_n, tag, code) => {
      const suite = cipherSuites.get(code)!;
      const key = bytes(16, 0x11);
      const iv = bytes(12, 0x22);
      const prot = await createRecordProtection(p, tls13Params(suite, { key, iv }));
      const content = new TextEncoder().encode('hello ccm');
      const seq = 5n;
      const rec = await prot.protect(seq, 23, 0x0303, content);
      const inner = Uint8Array.of(...content, 23);
      const nonce = iv.slice();
      nonce[11]! ^= 5;
      const aad = Uint8Array.of(23, 3, 3, 0, inner.length + tag);
      expect(Buffer.from(rec.fragment).toString('hex')).toBe(
        Buffer.from(ccm(suite.cipher as AeadCipher, key, nonce, aad, inner)).toString('hex'),
      );
      expect(rec.fragment.length).toBe(inner.length + tag);
      expect(await prot.unprotect(seq, 23, 0x0303, rec.fragment)).toEqual({ ok: true, type: 23, content });
      const bad = rec.fragment.slice();
      bad[0]! ^= 1;
      expect(await prot.unprotect(seq, 23, 0x0303, bad)).toMatchObject({ ok: false, reason: 'bad_record_mac' });
    },
  );
});

describe('TLS 1.2 AES-CCM records', () => {
  it.each([
    ['TLS_ECDHE_ECDSA_WITH_AES_128_CCM', 16, 16, 0xc0ac],
    ['TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8', 32, 8, 0xc0af],
    ['TLS_RSA_WITH_AES_128_CCM_8', 16, 8, 0xc0a0],
    ['TLS_DHE_RSA_WITH_AES_256_CCM', 32, 16, 0xc09f],
  ])(
    '%s: explicit nonce || CCM(salt || explicit, seq || header) with a %d-byte key and a %d-byte tag',
    async (_n, keyLen, tag, code) => {
      const suite = cipherSuites.get(code)!;
      const kb = {
        clientMacKey: new Uint8Array(0),
        serverMacKey: new Uint8Array(0),
        clientKey: bytes(keyLen, 0x33),
        serverKey: bytes(keyLen, 0x44),
        clientIv: bytes(4, 0x55),
        serverIv: bytes(4, 0x66),
      };
      const prot = await createRecordProtection(p, tls12Params(suite, kb, 'client'));
      const content = new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n');
      const seq = 1n;
      const explicit = bytes(8, 0x77);
      const rec = await prot.protect(seq, 23, 0x0303, content, { explicitNonce: explicit });
      const aad = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1, 23, 3, 3, 0, content.length);
      const expected = Uint8Array.of(
        ...explicit,
        ...ccm(suite.cipher as AeadCipher, kb.clientKey, Uint8Array.of(...kb.clientIv, ...explicit), aad, content),
      );
      expect(Buffer.from(rec.fragment).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
      expect(rec.fragment.length).toBe(8 + content.length + tag);
      expect(await prot.unprotect(seq, 23, 0x0303, rec.fragment)).toEqual({ ok: true, type: 23, content });
      expect(await prot.unprotect(seq + 1n, 23, 0x0303, rec.fragment)).toMatchObject({ ok: false, reason: 'bad_record_mac' });
      expect(await prot.unprotect(seq, 23, 0x0303, rec.fragment.subarray(0, 8 + tag - 1))).toMatchObject({
        ok: false,
        reason: 'too_short',
      });
    },
  );
});
