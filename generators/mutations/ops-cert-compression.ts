/**
 * Certificate compression (RFC 8879): the TLS 1.3 base handshake with the client offering compress_certificate (zlib)
 * and the server compressing its Certificate, then the server breaks what RFC 8879 §4 says a CompressedCertificate
 * carries. Not live: no TLS client here offers compress_certificate (GnuTLS 3.7.9 of this machine is built without
 * zlib, brotli and zstd: `gnutls-cli --compress-cert=zlib` says "Unknown compression method"; OpenSSL 3.0 has none).
 */
import { compressCertificate, decompressCertificate } from '../../wire/compress';
import { decodeHandshake, encodeBody, type HandshakeBody } from '../../wire/handshake';
import { CertificateCompressionAlgorithm as A } from '../../wire/registry';
import type { Mutation } from './model';
import { type BaseEnv, type BaseName, onceOn } from './support';

const T13_ALL: readonly BaseName[] = ['t13-server-auth', 't13-mutual'];
const NOT_LIVE =
  'needs a client that offers compress_certificate: none here does (GnuTLS 3.7.9 built without zlib, brotli and zstd; OpenSSL 3.0 has no RFC 8879)';

type Compressed = Extract<HandshakeBody, { type: 'compressed_certificate' }>;

/** Our server compresses with zlib; its CompressedCertificate changed by `edit` (the in-memory client offered zlib). */
function serverCompressed(env: BaseEnv, edit: (b: Compressed) => void) {
  return {
    config: { ...env.server, certificateCompression: [A.zlib] },
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
    notLive: NOT_LIVE,
  },
  {
    name: 'cc-not-decompressible',
    description: "the server's CompressedCertificate carries bytes that are no zlib stream",
    versions: ['1.3'],
    rules: ['ext.cc.decompress'],
    where: 'server-sends',
    bases: T13_ALL,
    mutate: (env) =>
      serverCompressed(env, (b) => {
        b.compressed = Uint8Array.of(0x78, 0x9c, 0xff, 0xff, 0xff, 0xff);
      }),
    inMemory: offersZlib,
    notLive: NOT_LIVE,
  },
  {
    name: 'cc-algorithm-not-offered',
    description: 'the client offers zlib only; the server compresses its Certificate with brotli',
    versions: ['1.3'],
    rules: ['ext.cc.offered'],
    where: 'server-sends',
    bases: T13_ALL,
    mutate: (env) => ({
      config: { ...env.server, certificateCompression: [A.zlib] },
      hooks: onceOn('compressed_certificate', (raw) => {
        const b = decodeHandshake(raw).message.body;
        if (b.type !== 'compressed_certificate') return [raw];
        // the same Certificate, compressed with the algorithm the client did not list
        const inflated = decompressCertificate(b.algorithm, b.compressed, b.uncompressedLength);
        if (!inflated.ok) return [raw];
        return [encodeBody({ ...b, algorithm: A.brotli, compressed: compressCertificate(A.brotli, inflated.body) })];
      }),
    }),
    inMemory: offersZlib,
    notLive: NOT_LIVE,
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
