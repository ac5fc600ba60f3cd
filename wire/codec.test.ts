import fc from 'fast-check';
import { contextFreeMessage, extensionList, keyExchangeMessage, versionedMessage } from '../generators/wire';
import { DecodeError } from './errors';
import type { ExtContext } from './extensions';
import { readExtensions, writeExtensions } from './extensions';
import { type DecodeContext, type HandshakeBody, decodeHandshake, encodeBody, encodeHandshake } from './handshake';
import { Reader } from './reader';
import type { KeyExchange } from './registry';
import { Writer } from './writer';

const runs = { numRuns: Number(process.env['TLSPROP_CODEC_RUNS'] ?? 300) };

/** Every message family with the context its decoder needs. */
const families: Array<[string, fc.Arbitrary<HandshakeBody>, DecodeContext]> = [
  ['context-free messages', contextFreeMessage, {}],
  ['TLS 1.2 forms (Certificate, CertificateRequest, NewSessionTicket)', versionedMessage('1.2'), { version: 0x0303 }],
  ['TLS 1.3 forms (Certificate, CertificateRequest, NewSessionTicket)', versionedMessage('1.3'), { version: 0x0304 }],
  ...(['ECDHE_RSA', 'ECDHE_ECDSA', 'ECDH_anon', 'DHE_RSA', 'DH_anon', 'RSA'] as KeyExchange[]).map(
    (kex): [string, fc.Arbitrary<HandshakeBody>, DecodeContext] => [
      `${kex} key exchange messages`,
      keyExchangeMessage(kex),
      { version: 0x0303, kex },
    ],
  ),
  ['key exchange messages before the suite is known', keyExchangeMessage('NULL'), {}],
];

describe.each(families)('%s', (_name, arb, ctx) => {
  it('decode(encode(m)) gives back m, without findings', () => {
    fc.assert(
      fc.property(arb, (body) => {
        const { message, findings } = decodeHandshake(encodeBody(body), ctx);
        expect(message).toEqual({ body });
        expect(findings.filter((f) => f.code !== 'duplicate-extension')).toEqual([]);
      }),
      runs,
    );
  });

  it('encode(decode(bytes)) gives back the bytes', () => {
    fc.assert(
      fc.property(arb, (body) => {
        const bytes = encodeBody(body);
        expect(encodeHandshake(decodeHandshake(bytes, ctx).message)).toEqual(bytes);
      }),
      runs,
    );
  });

  it('no strict prefix of an encoding decodes as a complete message', () => {
    fc.assert(
      fc.property(arb, fc.nat(), (body, cut) => {
        const bytes = encodeBody(body);
        const n = cut % bytes.length;
        expect(() => decodeHandshake(bytes.subarray(0, n), ctx)).toThrow(DecodeError);
      }),
      runs,
    );
  });
});

describe('extension lists', () => {
  const contexts: ExtContext[] = [
    'client_hello',
    'server_hello',
    'hello_retry_request',
    'encrypted_extensions',
    'certificate',
    'certificate_request',
    'new_session_ticket',
  ];
  it.each(contexts)('round-trip in %s', (ctx) => {
    fc.assert(
      fc.property(extensionList(ctx, 10), (exts) => {
        const w = new Writer();
        writeExtensions(w, exts);
        const bytes = w.finish();
        const r = new Reader(bytes);
        expect(readExtensions(r, ctx)).toEqual(exts);
        r.end();
        const again = new Writer();
        writeExtensions(again, readExtensions(new Reader(bytes), ctx));
        expect(again.finish()).toEqual(bytes);
      }),
      runs,
    );
  });
});

describe('hostile bytes', () => {
  const ctxs: DecodeContext[] = [
    {},
    { version: 0x0303, kex: 'ECDHE_RSA' },
    { version: 0x0303, kex: 'DHE_RSA' },
    { version: 0x0304 },
  ];
  it('random bytes give a decoded message or a DecodeError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(...ctxs), (bytes, ctx) => {
        try {
          const { message } = decodeHandshake(bytes, ctx);
          // Whatever decodes must re-encode to the same bytes.
          expect(encodeHandshake(message)).toEqual(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: runs.numRuns * 3 },
    );
  });

  it('random bodies under a valid header of each type decode or fail with a typed error', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom(...ctxs),
        (type, body, ctx) => {
          const w = new Writer();
          w.u8(type).opaque(3, body);
          const bytes = w.finish();
          try {
            expect(encodeHandshake(decodeHandshake(bytes, ctx).message)).toEqual(bytes);
          } catch (e) {
            expect(e).toBeInstanceOf(DecodeError);
          }
        },
      ),
      { numRuns: runs.numRuns * 3 },
    );
  });

  it('a length field claiming 16 MiB fails at once with the offset of the field', () => {
    const bytes = Uint8Array.of(11, 0xff, 0xff, 0xff, 0, 0, 1);
    try {
      decodeHandshake(bytes);
      throw new Error('should not decode');
    } catch (e) {
      expect(e).toBeInstanceOf(DecodeError);
      const d = e as DecodeError;
      expect(d.code).toBe('truncated');
      expect(d.path).toBe('handshake.length');
      expect(d.offset).toBe(1);
    }
  });

  it('errors name the field path and absolute offset inside nested vectors', () => {
    // ClientHello whose 2nd extension (key_share) claims more bytes than the block holds.
    const w = new Writer();
    w.u8(1).vec(3, (b) => {
      b.u16(0x0303).bytes(new Uint8Array(32)).opaque(1, new Uint8Array(0)).uintList(2, 2, [0x1301]).uintList(1, 1, [0]);
      b.vec(2, (e) => {
        e.u16(23).u16(0);
        e.u16(51).u16(10).u16(50);
      });
    });
    const bytes = w.finish();
    try {
      decodeHandshake(bytes);
      throw new Error('should not decode');
    } catch (e) {
      expect(e).toBeInstanceOf(DecodeError);
      expect((e as DecodeError).path).toBe('client_hello.extensions[1].key_share');
      // The offset is that of the length field that over-claims.
      expect((e as DecodeError).offset).toBe(bytes.length - 4);
    }
  });
});

describe('findings instead of silent fixes', () => {
  it('keeps a duplicate extension as a finding and both copies in the message', () => {
    const ch: HandshakeBody = {
      type: 'client_hello',
      legacyVersion: 0x0303,
      random: new Uint8Array(32),
      sessionId: new Uint8Array(0),
      cipherSuites: [0x1301],
      compressionMethods: [0],
      extensions: [
        { type: 23, body: { kind: 'empty' } },
        { type: 23, body: { kind: 'empty' } },
      ],
    };
    const { message, findings } = decodeHandshake(encodeBody(ch));
    expect(message.body).toEqual(ch);
    expect(findings.map((f) => f.code)).toEqual(['duplicate-extension']);
    expect(findings[0]!.path).toBe('client_hello.extensions[1].extended_master_secret');
  });

  it('keeps trailing bytes after a message body as a finding and re-encodes them', () => {
    const bytes = Uint8Array.of(14, 0, 0, 2, 0xaa, 0xbb);
    const { message, findings } = decodeHandshake(bytes);
    expect(message.body).toEqual({ type: 'server_hello_done' });
    expect(message.trailing).toEqual(Uint8Array.of(0xaa, 0xbb));
    expect(findings.map((f) => [f.code, f.offset])).toEqual([['trailing-bytes', 4]]);
    expect(encodeHandshake(message)).toEqual(bytes);
  });

  it('keeps a malformed extension body as opaque bytes with a finding', () => {
    // supported_groups with an odd-length list.
    const ee = Uint8Array.of(8, 0, 0, 9, 0, 7, 0, 10, 0, 3, 0, 1, 0x17);
    const { message, findings } = decodeHandshake(ee);
    expect(message.body).toEqual({
      type: 'encrypted_extensions',
      extensions: [{ type: 10, body: { kind: 'opaque', data: Uint8Array.of(0, 1, 0x17) } }],
    });
    expect(findings.map((f) => f.code)).toEqual(['bad-value']);
    expect(encodeHandshake(message)).toEqual(ee);
  });
});
