/**
 * RFC 8879 certificate compression in the engine (TLS 1.3): our client offers compress_certificate, our server sends
 * its Certificate as a CompressedCertificate with the first of its algorithms the client offered (zlib 1, brotli 2:
 * what node:zlib has), the client decompresses it and authenticates the server as from a Certificate; the transcript
 * hashes the CompressedCertificate as sent (the Finished of both sides verify). The receiver's checks: an algorithm not
 * offered is illegal_parameter, an uncompressed_length that does not match and a stream that does not decompress are
 * bad_certificate (RFC 8879 §4), a CompressedCertificate without the extension is unexpected_message; TLS 1.2 ignores
 * the extension (RFC 8879 §3).
 */
import { nodeProvider } from '../crypto';
import { checkTranscript } from '../oracles/evaluate';
import { compressCertificate } from '../wire/compress';
import { decodeHandshake, encodeBody } from '../wire/handshake';
import { AlertDescription, CertificateCompressionAlgorithm as A } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';
import type { ClientConfig, ServerConfig } from './config';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import type { EngineHooks } from './hooks';
import { runInMemory } from './memory';
import { CipherSuite12, CipherSuite13 } from './suites';

const p = nodeProvider();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki(Date.now(), p);
});

function configs(version: '1.2' | '1.3', client?: number[], server?: number[]): { c: ClientConfig; s: ServerConfig } {
  const suite = version === '1.3' ? CipherSuite13.TLS_AES_128_GCM_SHA256 : CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
  return {
    c: {
      provider: p,
      versions: [VERSION_CODE[version]],
      cipherSuites: [suite],
      serverName: SERVER_NAME,
      trustAnchors: pki.anchors,
      ...(client ? { certificateCompression: client } : {}),
    },
    s: {
      provider: p,
      versions: [VERSION_CODE[version]],
      cipherSuites: [suite],
      identity: pki.identity('server', 'rsa'),
      ...(server ? { certificateCompression: server } : {}),
    },
  };
}

const types = (r: Awaited<ReturnType<typeof runInMemory>>) => r.transcript.messages.map((m) => `${m.dir} ${m.type}`);

describe('certificate compression (RFC 8879)', () => {
  it.each([
    ['zlib', A.zlib],
    ['brotli', A.brotli],
  ])('TLS 1.3 %s: the server sends a CompressedCertificate, the client authenticates the server from it', async (_n, alg) => {
    const { c, s } = configs('1.3', [A.brotli, A.zlib], [alg]);
    const data = new TextEncoder().encode('hello compressed\n');
    const r = await runInMemory(c, s, {}, { appData: { client: data, server: data } });
    expect([r.clientOutcome.kind, r.serverOutcome.kind]).toEqual(['connected', 'connected']);
    expect(types(r)).toContain('S->C compressed_certificate');
    expect(types(r)).not.toContain('S->C certificate');
    const cc = r.transcript.messages.find((m) => m.type === 'compressed_certificate')!;
    const body = decodeHandshake(cc.raw!).message.body;
    expect(body.type === 'compressed_certificate' && body.algorithm).toBe(alg);
    // smaller than the Certificate it stands for
    const uncompressed = body.type === 'compressed_certificate' ? body.uncompressedLength : 0;
    expect(cc.raw!.length).toBeLessThan(uncompressed + 4);
    const { verdicts } = await checkTranscript(r.transcript, { trustAnchors: pki.anchors });
    expect(verdicts.filter((v) => v.status === 'violation').map((v) => `${v.rule}: ${v.detail}`)).toEqual([]);
    expect(
      verdicts
        .filter((v) => v.status === 'inconclusive' && /certificate|chain|cert/.test(v.rule))
        .map((v) => `${v.rule}: ${v.detail}`),
    ).toEqual([]);
  });

  it('the server takes the first of its algorithms the client offered; none in common: an uncompressed Certificate', async () => {
    const both = configs('1.3', [A.zlib, A.brotli], [A.brotli, A.zlib]);
    const r = await runInMemory(both.c, both.s);
    const cc = r.transcript.messages.find((m) => m.type === 'compressed_certificate')!;
    const b = decodeHandshake(cc.raw!).message.body;
    expect(b.type === 'compressed_certificate' && b.algorithm).toBe(A.brotli);
    const none = configs('1.3', [A.zlib], [A.brotli]);
    const n = await runInMemory(none.c, none.s);
    expect(n.clientOutcome.kind).toBe('connected');
    expect(types(n)).toContain('S->C certificate');
    const off = configs('1.3', undefined, [A.zlib]);
    expect(types(await runInMemory(off.c, off.s))).toContain('S->C certificate');
  });

  it('client certificates: the server lists its algorithms in the CertificateRequest, the client compresses its chain', async () => {
    const { c, s } = configs('1.3', [A.zlib], [A.brotli, A.zlib]);
    const r = await runInMemory(
      { ...c, identity: pki.identity('client', 'rsa') },
      { ...s, clientAuth: 'require', trustAnchors: pki.anchors },
    );
    expect([r.clientOutcome.kind, r.serverOutcome.kind]).toEqual(['connected', 'connected']);
    // the server's Certificate with the client's only algorithm, the client's with the first of the server's it has
    const cc = r.transcript.messages.filter((m) => m.type === 'compressed_certificate');
    expect(cc.map((m) => [m.dir, (decodeHandshake(m.raw!).message.body as { algorithm: number }).algorithm])).toEqual([
      ['S->C', A.zlib],
      ['C->S', A.zlib],
    ]);
    const { verdicts } = await checkTranscript(r.transcript, { trustAnchors: pki.anchors });
    expect(verdicts.filter((v) => v.status === 'violation').map((v) => `${v.rule}: ${v.detail}`)).toEqual([]);
    expect(verdicts.filter((v) => v.rule === 'ext.cc.offered').map((v) => v.status)).toEqual(['pass', 'pass']);
    // the certificate rules judge the client chain inside its CompressedCertificate, and the CertificateVerify after it
    const client = cc.find((m) => m.dir === 'C->S')!.index;
    expect(verdicts.filter((v) => v.rule === 'cert.path.trust-anchor' && v.message === client).map((v) => v.status)).toEqual([
      'pass',
    ]);
    expect(verdicts.filter((v) => v.rule === 't13.neg.cv-sigalg').map((v) => v.status)).toEqual(['pass', 'pass']);
  });

  it('TLS 1.2 ignores it: an uncompressed Certificate', async () => {
    const { c, s } = configs('1.2', [A.zlib], [A.zlib]);
    const r = await runInMemory({ ...c, versions: [VERSION_CODE['1.2'], VERSION_CODE['1.3']] }, s);
    expect(r.clientOutcome.kind).toBe('connected');
    expect(types(r)).toContain('S->C certificate');
    expect(types(r)).not.toContain('S->C compressed_certificate');
  });

  /** The server's CompressedCertificate changed by `edit` (the server's transcript follows what it sent). */
  const editing = (
    edit: (b: { algorithm: number; uncompressedLength: number; compressed: Uint8Array }) => void,
  ): EngineHooks => ({
    beforeSend: (m) => {
      if (m.type !== 'compressed_certificate') return undefined;
      const b = decodeHandshake(m.raw).message.body;
      if (b.type !== 'compressed_certificate') return undefined;
      edit(b);
      return [encodeBody(b)];
    },
  });

  it.each([
    [
      'an algorithm the client did not offer',
      A.brotli,
      editing((b) => {
        b.algorithm = A.brotli;
      }),
      'illegal_parameter',
    ],
    [
      'an uncompressed_length one byte short',
      A.zlib,
      editing((b) => {
        b.uncompressedLength -= 1;
      }),
      'bad_certificate',
    ],
    [
      'a stream that does not decompress',
      A.zlib,
      editing((b) => {
        b.compressed = Uint8Array.of(1, 2, 3, 4);
      }),
      'bad_certificate',
    ],
  ] as const)('the client refuses %s', async (_what, _alg, hooks, alert) => {
    const { c, s } = configs('1.3', [A.zlib], [A.zlib]);
    const r = await runInMemory(c, s, { server: hooks });
    const o = r.clientOutcome;
    expect(o.kind === 'alert_sent' && o.alert.description).toBe(AlertDescription[alert]);
  });

  it('a CompressedCertificate the client did not ask for is unexpected_message', async () => {
    const { c, s } = configs('1.3', undefined, [A.zlib]);
    // the server compresses as if the client had offered zlib
    const hooks: EngineHooks = {
      beforeSend: (m) => {
        if (m.type !== 'certificate') return undefined;
        const body = m.raw.subarray(4);
        return [
          encodeBody({
            type: 'compressed_certificate',
            algorithm: A.zlib,
            uncompressedLength: body.length,
            compressed: compressCertificate(A.zlib, body),
          }),
        ];
      },
    };
    const r = await runInMemory(c, s, { server: hooks });
    const o = r.clientOutcome;
    expect(o.kind === 'alert_sent' && o.alert.description).toBe(AlertDescription.unexpected_message);
  });
});
