import { createServer } from 'node:net';
import { nodeProvider } from '../crypto';
import { freePort, LoopbackListener, PeerGroup, type PeerProcess } from '../testing/launch';
import { opensslClient, opensslServer } from '../testing/peers';
import { type PkiFiles, writePki } from '../testing/pki';
import { TlsClient } from './client';
import { SERVER_NAME, type TestPki } from './fixtures';
import { runClientOverSocket, runServerOverSocket } from './socket';
import { TlsServer } from './server';
import { CipherSuite12 } from './suites';

const p = nodeProvider();
let files: PkiFiles;
let pki: TestPki;
const peers = new PeerGroup();
beforeAll(async () => {
  files = await writePki();
  pki = files.pki;
});
afterAll(async () => {
  await peers.stopAll();
  files.cleanup();
});

async function withSServer<T>(args: string[], f: (port: number) => Promise<T>): Promise<T> {
  const port = await freePort();
  const server = await peers.launch(opensslServer({ port, files, key: 'rsa', extra: args }));
  try {
    return await f(port);
  } finally {
    await server.stop();
  }
}

describe('client over TCP against openssl s_server', () => {
  it('TLS 1.2 ECDHE_RSA AES_256_CBC_SHA384 with client authentication, application data echoed reversed', async () => {
    await withSServer(['-tls1_2', '-Verify', '1', '-cipher', 'ECDHE-RSA-AES256-SHA384'], async (port) => {
      const client = new TlsClient({
        provider: p,
        versions: [0x0303],
        cipherSuites: [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384],
        serverName: SERVER_NAME,
        trustAnchors: pki.anchors,
        identity: pki.identity('client', 'rsa'),
      });
      const run = await runClientOverSocket(client, '127.0.0.1', port, {
        appData: new TextEncoder().encode('hello\n'),
        readTimeoutMs: 5000,
      });
      expect(run.end).toMatchObject({
        kind: 'done',
        outcome: { kind: 'connected', session: { cipherSuite: 0xc028, clientScheme: expect.any(Number) } },
      });
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
    ['TLS 1.2 mutual, reference suite', { cipher: 'ECDHE-RSA-AES256-SHA384' }, 0x0303],
    ['TLS 1.3 mutual', { cipher: 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256' }, 0x0304],
  ] as const)('%s', async (_n, args, version) => {
    const listener = await LoopbackListener.open();
    let proc: PeerProcess | undefined;
    try {
      const tls13 = version === 0x0304;
      proc = await peers.launch(
        opensslClient({
          port: listener.port,
          files,
          version: tls13 ? '1.3' : '1.2',
          cipher: args.cipher,
          group: 'X25519:P-256',
          identity: files.client.rsa,
          servername: SERVER_NAME,
        }),
      );
      const socket = await listener.accept();
      const server = new TlsServer({
        provider: p,
        identity: pki.identity('server', 'rsa'),
        clientAuth: 'require',
        trustAnchors: pki.anchors,
      });
      const serving = runServerOverSocket(server, socket, { appData: new TextEncoder().encode('pong\n'), readTimeoutMs: 5000 });
      // s_client sends its stdin once it has printed our data: its handshake is over by then.
      if (await proc.waitForOutput('pong', 5000)) proc.write('ping\n');
      const run = await serving;
      expect(run.end).toMatchObject({ kind: 'done', outcome: { kind: 'connected', session: { version } } });
      expect(new TextDecoder().decode(run.received[0])).toBe('ping\n');
      expect(proc.output).toContain('pong');
    } finally {
      await proc?.stop();
      await listener.close();
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
      const t = await runClientOverSocket(new TlsClient({ provider: p }), '127.0.0.1', await listen(silent), {
        readTimeoutMs: 300,
      });
      expect(t.end).toMatchObject({
        kind: 'timed_out',
        afterMs: 300,
        outcome: { kind: 'handshaking', state: 'WAIT_SERVER_HELLO' },
      });
      const c = await runClientOverSocket(new TlsClient({ provider: p }), '127.0.0.1', await listen(closing), {
        readTimeoutMs: 2000,
      });
      expect(c.end.kind).toBe('closed');
    } finally {
      silent.close();
      closing.close();
    }
  });
});

describe('child processes', () => {
  it('none is left running', async () => {
    await peers.stopAll();
    expect(peers.running()).toEqual([]);
  });
});

describe('settleMs: a TLS 1.3 rejection of our Finished is read before our application data is written', () => {
  it('openssl s_server rejecting a corrupted client Finished: the run ends with its alert, every time', async () => {
    await withSServer(['-tls1_3'], async (port) => {
      for (let i = 0; i < 4; i++) {
        const client = new TlsClient({
          provider: p,
          versions: [0x0304],
          serverName: SERVER_NAME,
          trustAnchors: pki.anchors,
          hooks: {
            beforeSend: (m) => {
              if (m.type !== 'finished') return undefined;
              const bad = m.raw.slice();
              bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
              return [bad];
            },
          },
        });
        const run = await runClientOverSocket(client, '127.0.0.1', port, {
          appData: new TextEncoder().encode('hello\n'),
          readTimeoutMs: 3000,
          settleMs: 500,
        });
        // 51: decrypt_error (RFC 8446 §4.4.4); without the settle read the write of our application data may fail first (EPIPE) and lose the alert
        expect(run.end).toMatchObject({ kind: 'done', outcome: { kind: 'alert_received', alert: { description: 51 } } });
      }
    });
  });
});
