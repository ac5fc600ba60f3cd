/**
 * `tlsprop serve` as a process on 127.0.0.1 (started on a free port, stopped by PID): a JSON line per connection,
 * --write-ca, --keylog, --max-connections, --client-auth with the generated root, --fault; usage errors in process.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeProvider } from '../crypto';
import type { ClientConfig } from '../engine/config';
import { SERVER_NAME, type TestPki, testPki } from '../engine/fixtures';
import { TlsClient } from '../engine/client';
import { newClientSessionStore } from '../engine/session';
import { CipherSuite12 } from '../engine/suites';
import type { PeerProcess } from '../testing/launch';
import { runOurClient } from '../fuzz/live';
import { pemBlocks } from '../pki/pem';
import { tlsprop } from '../spec/support/cli';
import { startServe as start, summariesOf } from '../spec/support/serve';
import { AlertDescription } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';

const p = nodeProvider();
const enc = new TextEncoder();
let pki: TestPki;
let dir: string;
const running: PeerProcess[] = [];
beforeAll(async () => {
  pki = await testPki();
  dir = mkdtempSync(join(tmpdir(), 'tlsprop-serve-'));
});
afterAll(async () => {
  for (const r of running) await r.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function startServe(args: readonly string[]): Promise<{ proc: PeerProcess; port: number }> {
  const r = await start(args);
  running.push(r.proc);
  return r;
}

const clientOf = (ca: Uint8Array[], extra: Partial<ClientConfig> = {}): ClientConfig => ({
  provider: p,
  serverName: 'localhost',
  trustAnchors: ca,
  ...extra,
});

describe('tlsprop serve (a process)', () => {
  it('generated identity, --write-ca, --keylog, --echo, --max-connections: one JSON line each, then exit 0', async () => {
    const ca = join(dir, 'ca.pem');
    const keylog = join(dir, 'keys.log');
    const { proc, port } = await startServe(['--write-ca', ca, '--keylog', keylog, '--echo', '--max-connections', '2']);
    const anchors = pemBlocks(readFileSync(ca, 'utf8'), 'CERTIFICATE');
    const a = await runOurClient(clientOf(anchors, { versions: [VERSION_CODE['1.3']] }), port, { appData: enc.encode('one') });
    const b = await runOurClient(clientOf(anchors, { versions: [VERSION_CODE['1.2']] }), port, { appData: enc.encode('two') });
    expect([a.receivedText, b.receivedText]).toEqual(['one', 'two']);
    const exit = await proc.waitForExit(20_000);
    expect(exit?.code).toBe(0);
    const lines = summariesOf(proc);
    expect(lines.map((l) => [l.handshake, l.version])).toEqual([
      ['completed', '1.3'],
      ['completed', '1.2'],
    ]);
    expect(proc.output).toMatch(new RegExp(`listening on 127\\.0\\.0\\.1:${port}`));
    // 5 TLS 1.3 secrets + 1 TLS 1.2 master secret, each for our clients' randoms
    const logged = readFileSync(keylog, 'utf8').trim().split('\n');
    expect(logged).toHaveLength(6);
    expect(logged.every((l) => /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]+$/.test(l))).toBe(true);
  });

  it('--client-auth require with the generated root: a client certificate is required and counted', async () => {
    const { proc, port } = await startServe(['--client-auth', 'require', '--version', '1.2', '--max-connections', '2']);
    const anchors = pki.anchors; // the same committed root key and name as the process's generated root
    const ok = await runOurClient(clientOf(anchors, { identity: pki.identity('client', 'rsa') }), port, {
      appData: enc.encode('GET / HTTP/1.0\r\n\r\n'),
    });
    expect(ok.receivedText).toMatch(/^HTTP\/1\.0 200 OK/);
    const none = await runOurClient(clientOf(anchors), port, { appData: enc.encode('GET / HTTP/1.0\r\n\r\n') });
    expect(none.run.end.outcome).toMatchObject({
      kind: 'alert_received',
      alert: { description: AlertDescription.handshake_failure },
    });
    await proc.waitForExit(20_000);
    const [first, second] = summariesOf(proc);
    expect(first).toMatchObject({ handshake: 'completed', clientCertificates: 1, version: '1.2' });
    expect(second).toMatchObject({ handshake: 'failed', alertSent: 'handshake_failure', state: 'WAIT_CLIENT_CERTIFICATE' });
    expect(second!.reason).toContain('no certificate');
  });

  it.each([
    ['1.3', VERSION_CODE['1.3']],
    ['1.2', VERSION_CODE['1.2']],
  ])('TLS %s --tickets 2 --alpn: the second connection resumes, ALPN is chosen by the server preference', async (v, version) => {
    const { proc, port } = await startServe(['--tickets', '2', '--alpn', 'h2,http/1.1', '--max-connections', '2']);
    const store = newClientSessionStore();
    const cfg = clientOf(pki.anchors, { versions: [version], sessionStore: store, alpn: ['http/1.1', 'h2'] });
    const request = { appData: enc.encode('GET / HTTP/1.0\r\n\r\n') };
    const first = await runOurClient(cfg, port, request);
    expect(first.receivedText).toMatch(/^HTTP\/1\.0 200 OK/);
    if (v === '1.3') expect(first.endpoint instanceof TlsClient && first.endpoint.tickets.length).toBe(2);
    const second = await runOurClient(cfg, port, request);
    expect(second.receivedText).toMatch(/^HTTP\/1\.0 200 OK/);
    await proc.waitForExit(20_000);
    expect(summariesOf(proc).map((l) => [l.version, l.resumed, l.alpn])).toEqual([
      [v, false, 'h2'],
      [v, true, 'h2'],
    ]);
  });

  it('--max-early-data 512: tickets allow 512 bytes of 0-RTT data, accepted on the resumption (RFC 8446 §4.2.10, §4.6.1)', async () => {
    const { proc, port } = await startServe(['--version', '1.3', '--max-early-data', '512', '--max-connections', '2']);
    const store = newClientSessionStore();
    const cfg = clientOf(pki.anchors, { versions: [VERSION_CODE['1.3']], sessionStore: store });
    const request = { appData: enc.encode('GET / HTTP/1.0\r\n\r\n') };
    await runOurClient(cfg, port, request);
    expect(store.tls13.at(-1)?.maxEarlyDataSize).toBe(512);
    const second = await runOurClient({ ...cfg, earlyData: enc.encode('GET / HTTP/1.0\r\n\r\n') }, port, request);
    expect(second.endpoint instanceof TlsClient && second.endpoint.earlyData).toMatchObject({ offered: true, accepted: true });
    await proc.waitForExit(20_000);
    expect(summariesOf(proc).map((l) => l.resumed)).toEqual([false, true]);
  });

  it('--fault accept-missing-cv: a client without CertificateVerify gets through (test only)', async () => {
    const { proc, port } = await startServe([
      '--client-auth',
      'require',
      '--fault',
      'accept-missing-cv',
      '--suites',
      'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
      '--max-connections',
      '1',
    ]);
    const r = await runOurClient(
      clientOf(pki.anchors, {
        versions: [VERSION_CODE['1.2']],
        cipherSuites: [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384],
        identity: pki.identity('client', 'rsa'),
        serverName: SERVER_NAME,
        hooks: { beforeSend: (m) => (m.type === 'certificate_verify' ? [] : undefined) },
      }),
      port,
      { appData: enc.encode('GET / HTTP/1.0\r\n\r\n') },
    );
    expect(r.receivedText).toContain('TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384');
    await proc.waitForExit(20_000);
    expect(proc.output).toContain('faulty server (test only): accept-missing-cv');
  });

  it.each([
    [['--listen', '10.1.2.3:4433'], /not a loopback address/],
    [['--listen', '127.0.0.1:4433', '--version', '1.1'], /--version must be/],
    [['--listen', '127.0.0.1:4433', '--suites', 'TLS_RSA_WITH_RC4_128_SHA'], /not implemented by the engine/],
    [['--listen', '127.0.0.1:4433', '--groups', 'secp999'], /unknown group/],
    [['--listen', '127.0.0.1:4433', '--fault', 'accept-nothing'], /unknown fault/],
    [['--listen', '127.0.0.1:4433', '--cert', 'x.pem'], /--cert and --key go together/],
    [['--listen', '127.0.0.1:4433', '--no-such-option'], /unknown option/i],
    [[], /--listen HOST:PORT is required/],
  ])('usage error: %j', async (args, message) => {
    const r = await tlsprop(['serve', ...args]);
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toMatch(message);
  });

  it('--help prints the options with examples', async () => {
    const r = await tlsprop(['serve', '--help']);
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).toMatch(/examples:\n {2}tlsprop serve --listen 127\.0\.0\.1:4433/);
  });
});
