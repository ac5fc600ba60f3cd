import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeProvider } from '../crypto';
import { chainPem } from '../pki/chain';
import { keyPem } from '../pki/keypool';
import { TlsClient } from './client';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import { runClientOverSocket, runServerOverSocket } from './socket';
import { TlsServer } from './server';
import { CipherSuite12 } from './suites';

const p = nodeProvider();
let pki: TestPki;
let dir: string;
beforeAll(async () => {
  pki = await testPki();
  dir = mkdtempSync(join(tmpdir(), 'tlsprop-engine-'));
  writeFileSync(join(dir, 'server.pem'), chainPem(pki.server.rsa.slice(0, 1)));
  writeFileSync(join(dir, 'server.key'), keyPem(pki.server.rsa[0]!.key).privateKey);
  writeFileSync(join(dir, 'ca.pem'), pki.root.pem);
  writeFileSync(join(dir, 'client.pem'), chainPem(pki.client.rsa.slice(0, 1)));
  writeFileSync(join(dir, 'client.key'), keyPem(pki.client.rsa[0]!.key).privateKey);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} did not open`);
}

async function withSServer<T>(args: string[], f: (port: number) => Promise<T>): Promise<T> {
  const port = await freePort();
  const proc: ChildProcess = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', join(dir, 'server.pem'), '-key', join(dir, 'server.key'), '-CAfile', join(dir, 'ca.pem'), '-rev', ...args], { stdio: 'pipe' });
  try {
    await waitForPort(port);
    return await f(port);
  } finally {
    if (proc.pid && proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid);
  }
}

describe('client over TCP against openssl s_server', () => {
  it('TLS 1.2 ECDHE_RSA AES_256_CBC_SHA384 with client authentication, application data echoed reversed', async () => {
    await withSServer(['-tls1_2', '-Verify', '1', '-cipher', 'ECDHE-RSA-AES256-SHA384'], async (port) => {
      const client = new TlsClient({ provider: p, versions: [0x0303], cipherSuites: [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384], serverName: SERVER_NAME, trustAnchors: pki.anchors, identity: pki.identity('client', 'rsa') });
      const run = await runClientOverSocket(client, '127.0.0.1', port, { appData: new TextEncoder().encode('hello\n'), readTimeoutMs: 5000 });
      expect(run.end).toMatchObject({ kind: 'done', outcome: { kind: 'connected', session: { cipherSuite: 0xc028, clientScheme: expect.any(Number) } } });
      expect(new TextDecoder().decode(run.received[0])).toBe('olleh\n');
    });
  });

  it('TLS 1.3 with x25519', async () => {
    await withSServer(['-tls1_3'], async (port) => {
      const client = new TlsClient({ provider: p, serverName: SERVER_NAME, trustAnchors: pki.anchors });
      const run = await runClientOverSocket(client, '127.0.0.1', port, { appData: new TextEncoder().encode('abc\n') });
      expect(run.end).toMatchObject({ kind: 'done', outcome: { kind: 'connected', session: { version: 0x0304 } } });
      expect(new TextDecoder().decode(run.received.at(-1))).toBe('cba\n');
    });
  });
});

describe('server over TCP against openssl s_client', () => {
  it.each([
    ['TLS 1.2 mutual, reference suite', ['-tls1_2', '-cipher', 'ECDHE-RSA-AES256-SHA384'], 0x0303],
    ['TLS 1.3 mutual', ['-tls1_3'], 0x0304],
  ] as const)('%s', async (_n, args, version) => {
    const listener = createServer();
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', () => r()));
    const a = listener.address();
    const port = typeof a === 'object' && a ? a.port : 0;
    const accepted = new Promise<import('node:net').Socket>((r) => listener.once('connection', r));
    const proc = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', SERVER_NAME, '-CAfile', join(dir, 'ca.pem'), '-verify_return_error', '-cert', join(dir, 'client.pem'), '-key', join(dir, 'client.key'), '-quiet', ...args], { stdio: 'pipe' });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    proc.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    try {
      const socket = await accepted;
      const server = new TlsServer({ provider: p, identity: pki.identity('server', 'rsa'), clientAuth: 'require', trustAnchors: pki.anchors });
      // Written once s_client has had time to finish its handshake (stdin read earlier was sometimes lost with TLS 1.3).
      const timer = setTimeout(() => proc.stdin.write('ping\n'), 300);
      const run = await runServerOverSocket(server, socket, { appData: new TextEncoder().encode('pong\n'), readTimeoutMs: 5000 });
      clearTimeout(timer);
      expect(run.end).toMatchObject({ kind: 'done', outcome: { kind: 'connected', session: { version } } });
      expect(new TextDecoder().decode(run.received[0])).toBe('ping\n');
      await new Promise((r) => setTimeout(r, 200));
      expect(out).toContain('pong');
    } finally {
      if (proc.pid && proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid);
      listener.close();
    }
  });
});

describe('socket outcomes', () => {
  it('a silent peer gives timed_out, a peer that closes gives closed', async () => {
    const silent = createServer(() => undefined);
    const closing = createServer((s) => s.end());
    const listen = async (srv: ReturnType<typeof createServer>) => {
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
      const a = srv.address();
      return typeof a === 'object' && a ? a.port : 0;
    };
    try {
      const t = await runClientOverSocket(new TlsClient({ provider: p }), '127.0.0.1', await listen(silent), { readTimeoutMs: 300 });
      expect(t.end).toMatchObject({ kind: 'timed_out', afterMs: 300, outcome: { kind: 'handshaking', state: 'WAIT_SERVER_HELLO' } });
      const c = await runClientOverSocket(new TlsClient({ provider: p }), '127.0.0.1', await listen(closing), { readTimeoutMs: 2000 });
      expect(c.end.kind).toBe('closed');
    } finally {
      silent.close();
      closing.close();
    }
  });
});
