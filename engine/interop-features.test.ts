/** The new features against OpenSSL s_server: HelloRetryRequest, TLS 1.3 PSK and TLS 1.2 resumption, DHE_RSA, KeyUpdate. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeProvider } from '../crypto';
import { chainPem } from '../pki/chain';
import { keyPem } from '../pki/keypool';
import { NamedGroup } from '../wire/registry';
import { TlsClient } from './client';
import type { ClientConfig } from './config';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import { newClientSessionStore, ServerSessionCache } from './session';
import { runServerOverSocket } from './socket';
import { TlsServer } from './server';
import type { ServerConfig } from './config';
import { CipherSuite12, CipherSuiteDhe12 } from './suites';

const p = nodeProvider();
let pki: TestPki;
let dir: string;
beforeAll(async () => {
  pki = await testPki();
  dir = mkdtempSync(join(tmpdir(), 'tlsprop-engine-features-'));
  writeFileSync(join(dir, 'server.pem'), chainPem(pki.server.rsa.slice(0, 1)));
  writeFileSync(join(dir, 'server.key'), keyPem(pki.server.rsa[0]!.key).privateKey);
  writeFileSync(join(dir, 'ca.pem'), pki.root.pem);
  // RFC 7919 ffdhe2048 as DH parameters (OpenSSL 3.0 picks other primes for TLS 1.2 DHE on its own).
  writeFileSync(join(dir, 'ffdhe2048.pem'), execFileSync('openssl', ['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', 'group:ffdhe2048']));
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
  const proc: ChildProcess = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', join(dir, 'server.pem'), '-key', join(dir, 'server.key'), '-rev', ...args], { stdio: 'pipe' });
  try {
    await waitForPort(port);
    return await f(port);
  } finally {
    if (proc.pid && proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid);
  }
}

const base = (): ClientConfig => ({ provider: p, serverName: SERVER_NAME, trustAnchors: pki.anchors });
const data = new TextEncoder().encode('abc\n');

/**
 * Handshake, one line echoed reversed, then close_notify (OpenSSL drops a cached
 * session whose connection was not shut down properly, RFC 5246 §7.2.1).
 */
async function connectOnce(cfg: ClientConfig, port: number, keyUpdate = false): Promise<TlsClient> {
  const client = new TlsClient(cfg);
  const socket = connect({ host: '127.0.0.1', port });
  const chunks: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  socket.on('data', (d: Buffer) => {
    chunks.push(new Uint8Array(d));
    wake?.();
  });
  socket.on('close', () => wake?.());
  await new Promise<void>((r, j) => {
    socket.once('connect', () => r());
    socket.once('error', j);
  });
  const send = (recs: readonly { raw: Uint8Array }[]) => {
    for (const r of recs) socket.write(r.raw);
  };
  const received: Uint8Array[] = [];
  send((await client.start()).send);
  const until = Date.now() + 5000;
  let sent = false;
  let updated = !keyUpdate;
  while (Date.now() < until && !client.terminal && received.length < (keyUpdate ? 2 : 1)) {
    if (client.connected && !sent) {
      sent = true;
      send(await client.sendApplicationData(data));
    }
    if (received.length === 1 && !updated) {
      // RFC 8446 §4.6.3: KeyUpdate with update_requested, then data under the new keys; the peer answers with its own KeyUpdate.
      updated = true;
      send(await client.keyUpdate(true));
      send(await client.sendApplicationData(data));
    }
    if (!chunks.length) {
      let t: NodeJS.Timeout | undefined;
      await new Promise<void>((r) => {
        wake = r;
        t = setTimeout(r, 200);
      });
      clearTimeout(t);
    }
    const bytes = chunks.splice(0);
    for (const b of bytes) {
      const res = await client.receive(b);
      received.push(...res.appData);
      send(res.send);
    }
  }
  if (client.connected) send(await client.close());
  await new Promise((r) => setTimeout(r, 100));
  socket.destroy();
  if (received.length < (keyUpdate ? 2 : 1)) throw new Error(`${received.length} echo(es); client ${JSON.stringify(client.outcome)}`);
  expect(new TextDecoder().decode(received.at(-1))).toBe('cba\n');
  return client;
}

describe('client features against openssl s_server', () => {
  it('TLS 1.3 HelloRetryRequest (server only accepts P-256), then PSK resumption with its ticket', async () => {
    await withSServer(['-tls1_3', '-groups', 'P-256'], async (port) => {
      const store = newClientSessionStore();
      const cfg = { ...base(), groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519], sessionStore: store };
      const first = await connectOnce(cfg, port);
      expect(first.outcome).toMatchObject({ session: { group: NamedGroup.secp256r1 } });
      expect(store.tls13.length).toBeGreaterThan(0);
      const again = await connectOnce(cfg, port);
      expect(again.resumedSession).toBe(true);
    });
  });

  it('TLS 1.3 KeyUpdate with update_requested: s_server answers with its own and echoes under the new keys', async () => {
    await withSServer(['-tls1_3'], async (port) => {
      const c = await connectOnce(base(), port, true);
      expect(c.keyUpdates).toEqual({ sent: 1, received: 1 });
    });
  });

  it('TLS 1.3 psk_ke resumption', async () => {
    await withSServer(['-tls1_3', '-allow_no_dhe_kex'], async (port) => {
      const store = newClientSessionStore();
      const cfg = { ...base(), sessionStore: store, pskModes: [0] };
      await connectOnce(cfg, port);
      const again = await connectOnce(cfg, port);
      expect(again.resumedSession).toBe(true);
      expect(again.outcome).not.toMatchObject({ session: { group: expect.any(Number) } });
    });
  });

  it.each([
    ['RFC 5077 ticket', []],
    ['session ID', ['-no_ticket']],
  ])('TLS 1.2 resumption by %s', async (_n, args) => {
    await withSServer(['-tls1_2', ...args], async (port) => {
      const store = newClientSessionStore();
      const cfg = { ...base(), versions: [0x0303], cipherSuites: [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256], sessionStore: store };
      await connectOnce(cfg, port);
      expect(store.tls12).toHaveLength(1);
      const again = await connectOnce(cfg, port);
      expect(again.resumedSession).toBe(true);
    });
  });

  it('TLS 1.2 DHE_RSA with an RFC 7919 group', async () => {
    await withSServer(['-tls1_2', '-cipher', 'DHE-RSA-AES128-GCM-SHA256', '-dhparam', join(dir, 'ffdhe2048.pem')], async (port) => {
      const c = await connectOnce({ ...base(), versions: [0x0303], cipherSuites: [CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256], groups: [NamedGroup.ffdhe2048] }, port);
      expect(c.outcome).toMatchObject({ session: { group: NamedGroup.ffdhe2048 } });
    });
  });
});

/** One s_client connection to a TlsServer; returns the server (after its run) and s_client's output. */
async function sClient(cfg: ServerConfig, args: string[]): Promise<{ server: TlsServer; out: string }> {
  const listener = createServer();
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', () => r()));
  const a = listener.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  const accepted = new Promise<import('node:net').Socket>((r) => listener.once('connection', r));
  const proc = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', SERVER_NAME, '-CAfile', join(dir, 'ca.pem'), '-verify_return_error', ...args], { stdio: 'pipe' });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise((r) => proc.once('exit', r));
  try {
    const socket = await accepted;
    const server = new TlsServer(cfg);
    const timer = setTimeout(() => proc.stdin.write('ping\n'), 300);
    const run = await runServerOverSocket(server, socket, { appData: new TextEncoder().encode('pong\n'), readTimeoutMs: 5000 });
    clearTimeout(timer);
    if (run.end.kind !== 'done' || run.end.outcome.kind !== 'connected') throw new Error(`${JSON.stringify(run.end)}\n${out}`);
    proc.stdin.end();
    let t: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (t = setTimeout(r, 2000)))]);
    clearTimeout(t);
    return { server, out };
  } finally {
    if (proc.pid && proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid);
    listener.close();
  }
}

describe('server features against openssl s_client', () => {
  it('HelloRetryRequest with a cookie (s_client shares X25519, the server wants P-256)', async () => {
    const { server, out } = await sClient({ provider: p, identity: pki.identity('server', 'rsa'), groups: [NamedGroup.secp256r1, NamedGroup.x25519], helloRetryForPreferredGroup: true, helloRetryCookie: true }, ['-tls1_3', '-groups', 'X25519:P-256', '-quiet']);
    expect(server.sentHelloRetryRequest).toBe(true);
    expect(server.outcome).toMatchObject({ kind: 'connected', session: { group: NamedGroup.secp256r1 } });
    expect(out).toContain('pong');
  });

  it.each([
    ['TLS 1.3 PSK (psk_dhe_ke)', ['-tls1_3']],
    ['TLS 1.2 RFC 5077 ticket', ['-tls1_2']],
    ['TLS 1.2 session ID', ['-tls1_2', '-no_ticket']],
  ])('%s: s_client resumes the session it saved', async (_n, args) => {
    const cfg: ServerConfig = { provider: p, identity: pki.identity('server', 'rsa'), sessionCache: new ServerSessionCache(p) };
    const sess = join(dir, `sess-${args.join('')}.pem`);
    const first = await sClient(cfg, [...args, '-sess_out', sess, '-quiet']);
    expect(first.server.resumedSession).toBe(false);
    const again = await sClient(cfg, [...args, '-sess_in', sess, '-quiet']);
    expect(again.server.resumedSession).toBe(true);
    expect(again.out).toContain('pong');
  });
});
