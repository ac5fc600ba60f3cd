/**
 * Certificate compression (RFC 8879): the algorithms Node's zlib offers, zlib (1, RFC 1950) and brotli (2, RFC 7932);
 * Node 20 has no zstd (3). The compressed input is the body of the Certificate message that would have been sent
 * (RFC 8879 §4: "The result of applying the indicated compression algorithm to the encoded Certificate message"),
 * without its 4-byte header, as BoringSSL and GnuTLS compress it.
 */
import { brotliCompressSync, brotliDecompressSync, deflateSync, inflateSync } from 'node:zlib';
import { CertificateCompressionAlgorithm } from './registry';

/** The algorithms this build can compress and decompress, preferred first. */
export const CERT_COMPRESSION_ALGORITHMS: readonly number[] = [
  CertificateCompressionAlgorithm.brotli,
  CertificateCompressionAlgorithm.zlib,
];

export function canCompress(algorithm: number): boolean {
  return CERT_COMPRESSION_ALGORITHMS.includes(algorithm);
}

/** Compress a Certificate message body with `algorithm` (one of CERT_COMPRESSION_ALGORITHMS). */
export function compressCertificate(algorithm: number, body: Uint8Array): Uint8Array {
  if (algorithm === CertificateCompressionAlgorithm.zlib) return new Uint8Array(deflateSync(body));
  if (algorithm === CertificateCompressionAlgorithm.brotli) return new Uint8Array(brotliCompressSync(body));
  throw new Error(`certificate compression algorithm ${algorithm} is not available`);
}

/** Why a CompressedCertificate did not give a Certificate body (RFC 8879 §4: each is answered with bad_certificate). */
export type DecompressFailure = { ok: false; why: string };

/**
 * Decompress a CompressedCertificate's payload, reading at most `uncompressedLength` + 1 bytes ("Implementations SHOULD
 * bound the memory usage when decompressing the CompressedCertificate message", RFC 8879 §4): the result, or why not
 * (an algorithm not available here, a stream that does not decompress, a length other than `uncompressedLength`).
 */
export function decompressCertificate(
  algorithm: number,
  compressed: Uint8Array,
  uncompressedLength: number,
): { ok: true; body: Uint8Array } | DecompressFailure {
  const maxOutputLength = uncompressedLength + 1;
  let out: Buffer;
  try {
    if (algorithm === CertificateCompressionAlgorithm.zlib) out = inflateSync(compressed, { maxOutputLength });
    else if (algorithm === CertificateCompressionAlgorithm.brotli) out = brotliDecompressSync(compressed, { maxOutputLength });
    else return { ok: false, why: `algorithm ${algorithm} is not one this build decompresses` };
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    return {
      ok: false,
      why: /maxOutputLength|larger than|buffer/i.test(m)
        ? `it decompresses to more than the ${uncompressedLength} bytes of uncompressed_length`
        : `it does not decompress (${m})`,
    };
  }
  if (out.length !== uncompressedLength)
    return { ok: false, why: `it decompresses to ${out.length} bytes, not the ${uncompressedLength} of uncompressed_length` };
  return { ok: true, body: new Uint8Array(out) };
}
