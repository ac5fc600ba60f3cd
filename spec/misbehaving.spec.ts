/**
 * Misbehaving peers: a server and a client that reset mid-handshake, stall,
 * trickle one byte per 100 ms, send garbage, an oversized record, endless
 * HelloRequest, or close right after ServerHello. Our engine ends every run
 * within its deadline with a clear outcome, goes on with the next one, and
 * leaves no socket open.
 */
import { type Server, type Socket, connect, createServer } from 'node:net';
import { nodeProvider } from '../crypto';
import { TlsClient } from '../engine/client';
import { SERVER_NAME, type TestPki, testPki } from '../engine/fixtures';
import { TlsServer } from '../engine/server';
import { type SocketRun, runClientOverSocket, runServerOverSocket } from '../engine/socket';
import { type HandshakeBody, encodeBody } from '../wire/handshake';
import { encodeRecord } from '../wire/record';

const p = nodeProvider();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const READ_MS = 400;
const TOTAL_MS = 1500;
const opts = { readTimeoutMs: READ_MS, totalTimeoutMs: TOTAL_MS };

const record = (type: number, fragment: Uint8Array) => encodeRecord({ contentType: type, version: 0x0303, fragment });
const HELLO_REQUEST = record(22, encodeBody({ type: 'hello_request' }));
const serverHello = (): Uint8Array =>
  record(
    22,
    encodeBody({
      type: 'server_hello',
      legacyVersion: 0x0303,
      random: new Uint8Array(32).fill(7),
      sessionId: new Uint8Array(0),
      cipherSuite: 0xc02f,
      compressionMethod: 0,
      extensions: [],
    } satisfies HandshakeBody),
  );

type Behaviour = (socket: Socket, firstData: Promise<void>, stop: AbortSignal) => void;

const servers: Record<string, Behaviour> = {
  'resets after the ClientHello': (s, first) => void first.then(() => s.resetAndDestroy()),
  'stalls forever': () => undefined,
  'trickles one byte per 100 ms': (s, _f, stop) => {
    const bytes = serverHello();
    let i = 0;
    const t = setInterval(() => {
      if (stop.aborted || s.destroyed) return clearInterval(t);
      s.write(bytes.subarray(i % bytes.length, (i % bytes.length) + 1));
      i++;
    }, 100);
  },
  'sends garbage': (s, first) => void first.then(() => s.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'))),
  'sends an oversized record': (s, first) =>
    void first.then(() => s.write(Buffer.concat([Buffer.from([22, 3, 3, 0x48, 0x01]), Buffer.alloc(0x4801, 1)]))),
  'sends endless HelloRequest': (s, first, stop) =>
    void first.then(() => {
      const t = setInterval(() => {
        if (stop.aborted || s.destroyed) return clearInterval(t);
        s.write(HELLO_REQUEST);
      }, 20);
    }),
  'closes right after ServerHello': (s, first) =>
    void first.then(() => {
      s.write(serverHello());
      s.end();
    }),
};

/** A TCP server on 127.0.0.1 that misbehaves; every accepted socket is tracked and destroyed at close. */
async function misbehavingServer(b: Behaviour): Promise<{ port: number; close: () => Promise<number> }> {
  const sockets = new Set<Socket>();
  const stop = new AbortController();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    const first = new Promise<void>((r) => s.once('data', () => r()));
    b(s, first, stop.signal);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return {
    port,
    close: async () => {
      stop.abort();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      return sockets.size;
    },
  };
}

function openSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;
}

/** What a run ended with, in one word, for the table below. */
function verdictOf(run: SocketRun): string {
  const e = run.end;
  if (e.kind === 'timed_out') return e.overall ? 'timed_out(overall)' : 'timed_out(read)';
  if (e.kind === 'done' && e.outcome.kind === 'alert_sent') return `alert_sent(${e.outcome.alert.description})`;
  return e.kind;
}

describe('our client against misbehaving servers', () => {
  const before = { sockets: 0 };
  beforeAll(() => {
    before.sockets = openSockets();
  });

  it.each([
    ['resets after the ClientHello', ['reset', 'closed']],
    ['stalls forever', ['timed_out(read)']],
    // the overall deadline, or the idle read timeout when a loaded machine stretches one gap past it
    ['trickles one byte per 100 ms', ['timed_out(overall)', 'timed_out(read)']],
    ['sends garbage', ['alert_sent(50)', 'alert_sent(10)', 'alert_sent(70)']],
    ['sends an oversized record', ['alert_sent(22)']],
    // RFC 5246 §7.4.1.1: ignored while handshaking (until the deadline); a client also offering TLS 1.3 may refuse it.
    ['sends endless HelloRequest', ['timed_out(overall)', 'alert_sent(10)']],
    ['closes right after ServerHello', ['closed', 'alert_sent(47)', 'alert_sent(40)']],
  ])('a server that %s: the run ends within its deadline with a clear outcome', async (name, allowed) => {
    const srv = await misbehavingServer(servers[name]!);
    try {
      const client = new TlsClient({ provider: p, serverName: SERVER_NAME, trustAnchors: pki.anchors });
      const run = await runClientOverSocket(client, '127.0.0.1', srv.port, opts);
      // Returning at all is the point (a hang fails on jest's test timeout); the outcome says why it ended.
      expect(allowed).toContain(verdictOf(run));
    } finally {
      await srv.close();
    }
  });

  it('leaves no socket open after all of them', async () => {
    await new Promise((r) => setTimeout(r, 100));
    expect(openSockets()).toBeLessThanOrEqual(before.sockets);
  });
});

describe('our server against misbehaving clients', () => {
  const clients: Record<string, (s: Socket) => void> = {
    'resets at once': (s) => s.resetAndDestroy(),
    'stalls forever': () => undefined,
    'sends garbage': (s) => s.write(Buffer.from('GET / HTTP/1.1\r\n\r\n')),
    'sends an oversized record': (s) => s.write(Buffer.concat([Buffer.from([22, 3, 1, 0x48, 0x01]), Buffer.alloc(0x4801, 1)])),
  };

  it.each([
    ['resets at once', ['reset', 'closed']],
    ['stalls forever', ['timed_out(read)']],
    ['sends garbage', ['alert_sent(50)', 'alert_sent(10)', 'alert_sent(70)']],
    ['sends an oversized record', ['alert_sent(22)']],
  ])('a client that %s: our server ends with a clear outcome', async (name, allowed) => {
    const listener = createServer();
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', () => r()));
    const a = listener.address();
    const port = typeof a === 'object' && a ? a.port : 0;
    const accepted = new Promise<Socket>((r) => listener.once('connection', r));
    const peer = connect({ host: '127.0.0.1', port });
    peer.on('error', () => undefined);
    try {
      await new Promise<void>((r) => peer.once('connect', () => r()));
      clients[name]!(peer);
      const server = new TlsServer({ provider: p, identity: pki.identity('server', 'rsa'), trustAnchors: pki.anchors });
      const run = await runServerOverSocket(server, await accepted, opts);
      expect(allowed).toContain(verdictOf(run));
    } finally {
      peer.destroy();
      await new Promise<void>((r) => listener.close(() => r()));
    }
  });
});
