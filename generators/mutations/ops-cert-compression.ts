/**
 * Certificate compression (RFC 8879): the TLS 1.3 base handshake with the client offering compress_certificate (zlib)
 * and the server compressing its Certificate, then the server breaks what RFC 8879 §4 says a CompressedCertificate
 * carries. Live against a client whose compress_certificate lists an algorithm our server compresses with (the
 * probe's record, Needs.peerCompressesCertificates; Chromium offers brotli, spec/chromium-client.spec.ts): our server
 * compresses with the one it lists. `cc-not-offered` is not live: it needs a client that offers no compression and
 * decompresses all the same, which none here is (GnuTLS 3.7.9 of this machine is built without zlib, brotli and zstd;
 * OpenSSL 3.0 has no RFC 8879).
 */
import { compressCertificate, decompressCertificate } from '../../wire/compress';
import { decodeHandshake, encodeBody, type HandshakeBody } from '../../wire/handshake';
import { CertificateCompressionAlgorithm as A } from '../../wire/registry';
import type { Mutation } from './model';
import { type BaseEnv, type BaseName, onceOn } from './support';

const T13_ALL: readonly BaseName[] = ['t13-server-auth', 't13-mutual'];
const NOT_LIVE =
  'a client that offers no compress_certificate has no decompressor to find the fault with: none here does RFC 8879 without offering it (GnuTLS 3.7.9 built without zlib, brotli and zstd; OpenSSL 3.0 has no RFC 8879)';

/** The algorithms our server compresses with, in its order (its choice: the first the client lists). */
const OURS: readonly number[] = [A.zlib, A.brotli];

type Compressed = Extract<HandshakeBody, { type: 'compressed_certificate' }>;

/**
 * Our server compresses with the first of its algorithms the client lists (in memory the client offers zlib; live
 * what the probe saw); its CompressedCertificate changed by `edit`.
 */
function serverCompressed(env: BaseEnv, edit: (b: Compressed) => void) {
  return {
    config: { ...env.server, certificateCompression: [...OURS] },
    hooks: onceOn('compressed_certificate', (raw) => {
      const b = decodeHandshake(raw).message.body;
      if (b.type !== 'compressed_certificate') return [raw];
      edit(b);
      return [encodeBody(b)];
    }),
  };
}

const offersZlib = (env: BaseEnv) => ({ client: { ...env.client, certificateCompression: [A.zlib] } });

export const CERT_COMPRESSION_MUTATIONS: readonly Mutation[] = [
  {
    name: 'cc-uncompressed-length-short',
    description: "the server's CompressedCertificate states an uncompressed_length one byte short of what it decompresses to",
    versions: ['1.3'],
    rules: ['ext.cc.decompress'],
    where: 'server-sends',
    bases: T13_ALL,
    mutate: (env) =>
      serverCompressed(env, (b) => {
        b.uncompressedLength -= 1;
      }),
    inMemory: offersZlib,
    needs: { peerCompressesCertificates: 'any' },
  },
  {
    name: 'cc-not-decompressible',
    description: "the server's CompressedCertificate carries bytes that are no zlib (nor brotli) stream",
    versions: ['1.3'],
    rules: ['ext.cc.decompress'],
    where: 'server-sends',
    bases: T13_ALL,
    mutate: (env) =>
      serverCompressed(env, (b) => {
        b.compressed = Uint8Array.of(0x78, 0x9c, 0xff, 0xff, 0xff, 0xff);
      }),
    inMemory: offersZlib,
    needs: { peerCompressesCertificates: 'any' },
  },
  {
    name: 'cc-algorithm-not-offered',
    description:
      'the client offers one algorithm (zlib in memory); the server compresses its Certificate with another one (brotli; zlib to a client that offers brotli)',
    versions: ['1.3'],
    rules: ['ext.cc.offered'],
    where: 'server-sends',
    bases: T13_ALL,
    mutate: (env) => ({
      config: { ...env.server, certificateCompression: [...OURS] },
      hooks: onceOn('compressed_certificate', (raw) => {
        const b = decodeHandshake(raw).message.body;
        if (b.type !== 'compressed_certificate') return [raw];
        // the same Certificate, compressed with an algorithm of ours the client did not list
        const other = OURS.find((a) => a !== b.algorithm && !(env.client.certificateCompression ?? []).includes(a));
        const inflated = decompressCertificate(b.algorithm, b.compressed, b.uncompressedLength);
        if (!inflated.ok || other === undefined) return [raw];
        return [encodeBody({ ...b, algorithm: other, compressed: compressCertificate(other, inflated.body) })];
      }),
    }),
    inMemory: offersZlib,
    needs: { peerCompressesCertificates: 'one' },
  },
  {
    name: 'cc-not-offered',
    description: 'the client offers no compress_certificate; the server sends its Certificate compressed all the same',
    versions: ['1.3'],
    rules: ['ext.cc.offered'],
    where: 'server-sends',
    bases: T13_ALL,
    mutate: () => ({
      hooks: onceOn('certificate', (raw) => {
        const body = raw.subarray(4);
        return [
          encodeBody({
            type: 'compressed_certificate',
            algorithm: A.zlib,
            uncompressedLength: body.length,
            compressed: compressCertificate(A.zlib, body),
          }),
        ];
      }),
    }),
    notLive: NOT_LIVE,
  },
];
