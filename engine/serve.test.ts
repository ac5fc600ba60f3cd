/**
 * The engine's server loop over real sockets on 127.0.0.1 (engine/serve.ts): echo, an HTTP/1.0 answer, the peer's
 * close_notify answered, one summary per connection, key log lines, connections one after another and a bounded
 * count; and the faulty target built on it, which lets our tampering client through where a healthy one refuses it
 * and closes every socket on close().
 */
import { connect } from 'node:net';
import { nodeProvider } from '../crypto';
import { LoopbackListener, portAccepts } from '../testing/launch';
import { runOurClient } from '../fuzz/live';
import { AlertDescription, NamedGroup } from '../wire/registry';
import type { ClientConfig, ServerConfig } from './config';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import type { EngineHooks } from './hooks';
import { TlsClient } from './client';
import { type ConnectionSummary, serve, serveConnection, startFaultyServer } from './serve';
import { SocketReader } from './socket';
import { TlsServer } from './server';
import { CipherSuite12, CipherSuite13 } from './suites';

const p = nodeProvider();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const dropCv = (): EngineHooks => ({ beforeSend: (m) => (m.type === 'certificate_verify' ? [] : undefined) });

describe('faulty server', () => {
  it.each([
    ['1.2', 0x0303],
    ['1.3', 0x0304],
  ])(
    'TLS %s accept-missing-cv: our client without CertificateVerify completes; a healthy server refuses it',
    async (_v, version) => {
      const common = {
        identity: pki.identity('server', 'rsa'),
        versions: [version],
        clientAuth: 'require' as const,
        trustAnchors: pki.anchors,
      };
      const faulty = await startFaultyServer({ ...common, faults: ['accept-missing-cv'] });
      const healthy = await startFaultyServer({ ...common, faults: [] });
      try {
        const cfg: ClientConfig = {
          provider: p,
          versions: [version],
          serverName: SERVER_NAME,
          trustAnchors: pki.anchors,
          identity: pki.identity('client', 'rsa'),
          hooks: dropCv(),
        };
        const ok = await runOurClient(cfg, faulty.port, { appData: new TextEncoder().encode('ping\n') });
        expect(ok.run.end.outcome.kind).toBe('connected');
        expect(ok.receivedText).toBe('tlsprop faulty server\n');
        const refused = await runOurClient({ ...cfg, hooks: dropCv() }, healthy.port, {
          appData: new TextEncoder().encode('ping\n'),
        });
        expect(refused.run.end.outcome).toMatchObject({
          kind: 'alert_received',
          alert: { description: AlertDescription.unexpected_message },
        });
      } finally {
        await faulty.close();
        await healthy.close();
      }
      expect(faulty.errors).toEqual([]);
      expect(faulty.connections.map((c) => c.server.outcome.kind)).toEqual(['connected']);
      expect(healthy.connections.map((c) => c.server.outcome.kind)).toEqual(['alert_sent']);
    },
  );

  it('close() ends idle connections and stops listening', async () => {
    const s = await startFaultyServer({ identity: pki.identity('server', 'rsa'), faults: ['skip-finished-check'] });
    const sock = connect({ host: s.host, port: s.port });
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.on('error', () => undefined);
    await s.close();
    await closed;
    expect(await portAccepts(s.port)).toBe(false);
    expect(s.connections).toHaveLength(1);
    expect(s.connections[0]!.run.end.kind).not.toBe('done');
  });
});

describe('serve', () => {
  const enc = new TextEncoder();
  const serverConfig = (extra: Partial<ServerConfig> = {}): ServerConfig => ({
    provider: p,
    identity: pki.identity('server', 'rsa'),
    ...extra,
  });
  const clientConfig = (versions: number[], extra: Partial<ClientConfig> = {}): ClientConfig => ({
    provider: p,
    versions,
    serverName: SERVER_NAME,
    trustAnchors: pki.anchors,
    ...extra,
  });

  it.each([
    ['1.2', 0x0303],
    ['1.3', 0x0304],
  ])('TLS %s echo: the data comes back, and one summary says what was negotiated', async (v, version) => {
    const summaries: ConnectionSummary[] = [];
    const keylog: string[] = [];
    const s = await serve({
      config: serverConfig(),
      app: { kind: 'echo' },
      onConnection: (c) => summaries.push(c.summary),
      onKeyLog: (l) => keylog.push(l),
      maxConnections: 1,
    });
    try {
      const r = await runOurClient(clientConfig([version]), s.port, { appData: enc.encode('ping\n') });
      expect(r.receivedText).toBe('ping\n');
      await s.finished;
    } finally {
      await s.close();
    }
    expect(s.errors).toEqual([]);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({
      handshake: 'completed',
      version: v,
      peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      appBytesIn: 5,
      appBytesOut: 5,
      clientCertificates: 0,
      resumed: false,
    });
    expect(summaries[0]!.suite).toMatch(/^TLS_/);
    const lines = keylog.join('').trim().split('\n');
    expect(lines.length).toBe(version === 0x0304 ? 5 : 1);
  });

  it('http: the request is answered, then close_notify; our client answers it, and the server sees that', async () => {
    const summaries: ConnectionSummary[] = [];
    const s = await serve({
      config: serverConfig(),
      app: { kind: 'http' },
      onConnection: (c) => summaries.push(c.summary),
      maxConnections: 1,
    });
    let text: string;
    let clientEnd: string;
    try {
      const r = await runOurClient(clientConfig([0x0304]), s.port, { appData: enc.encode('GET / HTTP/1.0\r\n\r\n') });
      text = r.receivedText;
      clientEnd = r.run.end.outcome.kind;
      await s.finished;
    } finally {
      await s.close();
    }
    expect(text).toMatch(/^HTTP\/1\.0 200 OK\r\n/);
    expect(text).toContain('tlsprop serve: TLS 1.3 TLS_AES_128_GCM_SHA256');
    // the client read the response and the close_notify in one go, or the close_notify after it
    expect(['connected', 'closed']).toContain(clientEnd);
    expect(summaries[0]).toMatchObject({ handshake: 'completed', end: expect.stringMatching(/^(done|closed)$/) });
  });

  it("serveConnection: the peer's close_notify is answered with ours (RFC 5246 §7.2.1) and ends the connection", async () => {
    const listener = await LoopbackListener.open();
    try {
      const server = new TlsServer(serverConfig());
      const accepted = listener.accept(5000).then((sock) => serveConnection(server, sock, { app: { kind: 'echo' } }));
      const client = new TlsClient(clientConfig([0x0304]));
      const sock = connect({ host: '127.0.0.1', port: listener.port });
      const reader = new SocketReader(sock);
      await new Promise<void>((r) => sock.once('connect', () => r()));
      const write = (recs: { raw: Uint8Array }[]) => sock.write(Buffer.concat(recs.map((x) => x.raw)));
      write((await client.start()).send);
      while (!client.connected && !client.terminal) {
        const d = await reader.read(5000);
        if (!(d instanceof Uint8Array)) throw new Error(`client read: ${JSON.stringify(d)}`);
        write((await client.receive(d)).send);
      }
      write(await client.close());
      while (client.outcome.kind !== 'closed' || !reader.ended) {
        const d = await reader.read(5000);
        if (d instanceof Uint8Array) await client.receive(d);
        else break;
      }
      const run = await accepted;
      expect(client.outcome.kind).toBe('closed'); // the server's close_notify came back
      expect(run.end.outcome.kind).toBe('closed');
      // the server sent exactly one close_notify (its answer), as its last record
      const sentAlerts = run.records.filter((r) => r.dir === 'sent' && r.plaintext?.contentType === 21);
      expect(sentAlerts.map((r) => [...r.plaintext!.fragment])).toEqual([[1, 0]]);
      sock.destroy();
    } finally {
      await listener.close();
    }
  });

  it("greet: the greeting comes also when the client's first data is in the same segment as its Finished, and no close_notify with it", async () => {
    const listener = await LoopbackListener.open();
    try {
      const server = new TlsServer(serverConfig());
      const accepted = listener
        .accept(5000)
        .then((sock) => serveConnection(server, sock, { app: { kind: 'greet', text: enc.encode('hello\n') } }));
      const client = new TlsClient(clientConfig([0x0304]));
      const sock = connect({ host: '127.0.0.1', port: listener.port });
      const reader = new SocketReader(sock);
      await new Promise<void>((r) => sock.once('connect', () => r()));
      sock.write(Buffer.concat((await client.start()).send.map((x) => x.raw)));
      const got: Uint8Array[] = [];
      while (!client.connected) {
        const d = await reader.read(5000);
        if (!(d instanceof Uint8Array)) throw new Error(`client read: ${JSON.stringify(d)}`);
        const res = await client.receive(d);
        // the Finished and the first data leave in one write
        const data = client.connected ? await client.sendApplicationData(enc.encode('ping')) : [];
        sock.write(Buffer.concat([...res.send, ...data].map((x) => x.raw)));
      }
      while (Buffer.concat(got).length < 6 && client.outcome.kind === 'connected') {
        const d = await reader.read(5000);
        if (!(d instanceof Uint8Array)) break;
        got.push(...(await client.receive(d)).appData);
      }
      expect(Buffer.concat(got).toString()).toBe('hello\n');
      // the server waits for the client to close: a fuzzer's client must not find our close_notify with the greeting
      expect(client.outcome.kind).toBe('connected');
      sock.write(Buffer.concat((await client.close()).map((x) => x.raw)));
      const run = await accepted;
      expect(run.end.outcome.kind).toBe('closed');
      expect(run.received.map((d) => Buffer.from(d).toString())).toEqual(['ping']);
      sock.destroy();
    } finally {
      await listener.close();
    }
  });

  it('a refused handshake: the summary names the alert sent and the reason', async () => {
    const summaries: ConnectionSummary[] = [];
    const s = await serve({
      config: serverConfig({ cipherSuites: [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256] }),
      app: { kind: 'echo' },
      onConnection: (c) => summaries.push(c.summary),
      maxConnections: 1,
    });
    try {
      const r = await runOurClient(
        clientConfig([0x0304], { cipherSuites: [CipherSuite13.TLS_AES_256_GCM_SHA384], groups: [NamedGroup.x25519] }),
        s.port,
      );
      expect(r.run.end.outcome).toMatchObject({
        kind: 'alert_received',
        alert: { description: AlertDescription.handshake_failure },
      });
      await s.finished;
    } finally {
      await s.close();
    }
    expect(summaries[0]).toMatchObject({
      handshake: 'failed',
      outcome: 'alert_sent',
      alertSent: 'handshake_failure',
      state: 'WAIT_CLIENT_HELLO',
      version: '1.3',
    });
    expect(summaries[0]!.reason).toContain('no common TLS 1.3 cipher suite');
  });

  it('jobs 2: a second connection is served while the first stays open', async () => {
    const s = await serve({ config: serverConfig(), app: { kind: 'echo' }, jobs: 2, maxConnections: 2 });
    const held = connect({ host: '127.0.0.1', port: s.port });
    try {
      // the first connection: a handshake, then it stays open (echo waits for more)
      const first = new TlsClient(clientConfig([0x0304]));
      const reader = new SocketReader(held);
      await new Promise<void>((r) => held.once('connect', () => r()));
      held.write(Buffer.concat((await first.start()).send.map((x) => x.raw)));
      while (!first.connected) {
        const d = await reader.read(5000);
        if (!(d instanceof Uint8Array)) throw new Error(`first connection: ${JSON.stringify(d)}`);
        held.write(Buffer.concat((await first.receive(d)).send.map((x) => x.raw)));
      }
      // the second one completes and is echoed meanwhile
      const second = await runOurClient(clientConfig([0x0303]), s.port, { appData: enc.encode('second') });
      expect(second.receivedText).toBe('second');
      expect(held.destroyed).toBe(false);
    } finally {
      held.destroy();
      await s.finished;
      await s.close();
    }
  });

  it('maxConnections: after that many connections it stops listening; jobs 1 serves them one after another', async () => {
    const order: number[] = [];
    let n = 0;
    const s = await serve({
      config: () => serverConfig({ random: new Uint8Array(32).fill(++n) }),
      app: { kind: 'echo' },
      jobs: 1,
      maxConnections: 2,
      onConnection: (c) => order.push(c.server.random[0]!),
    });
    try {
      const [a, b] = await Promise.all([
        runOurClient(clientConfig([0x0304]), s.port, { appData: enc.encode('a') }),
        runOurClient(clientConfig([0x0303]), s.port, { appData: enc.encode('b') }),
      ]);
      expect([a.receivedText, b.receivedText]).toEqual(['a', 'b']);
      await s.finished;
      expect(await portAccepts(s.port)).toBe(false);
    } finally {
      await s.close();
    }
    // one TlsServer per connection, created when its turn came
    expect(order.sort()).toEqual([2, 3]);
  });
});
