/**
 * fuzz/exchange.ts: a decided conversation returns with its socket closed (a run returns with none of its sockets
 * open: spec/fuzz-servers saw the last conversation's socket still open after gnutls-serv was stopped).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { TlsClient } from '../engine/client';
import { connectTo, exchange } from './exchange';

/** An endpoint that sends nothing and has already stopped: the exchange ends at once. */
const stopped = {
  start: async () => ({ send: [], done: true, outcome: { kind: 'handshaking', state: 'START' } }),
  terminal: true,
  connected: false,
  transportClosed: false,
  outcome: { kind: 'handshaking', state: 'START' },
} as unknown as TlsClient;

describe('exchange', () => {
  let server: Server;
  let port = 0;
  const accepted: Socket[] = [];
  beforeAll(async () => {
    // a peer that closes once we have (after a moment, as a real target does)
    server = createServer((s) => {
      accepted.push(s);
      s.on('end', () => setTimeout(() => s.end(), 20));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const a = server.address();
    port = typeof a === 'object' && a ? a.port : 0;
  });
  afterAll(async () => {
    for (const s of accepted) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('returns once its socket is closed', async () => {
    const c = await connectTo('127.0.0.1', port);
    if ('error' in c) throw new Error(c.error);
    const run = await exchange(stopped, c.socket, { answerMs: 100, quietMs: 50, totalMs: 1000, afterConnect: 'stop' });
    expect(run.end.kind).toBe('done');
    expect(c.socket.destroyed).toBe(true);
  });
});

describe('exchange holdFrom: our flight split before a record, the rest sent after the peer was silent', () => {
  const HS = Uint8Array.of(22, 3, 3, 0, 1, 16);
  const CCS = Uint8Array.of(20, 3, 3, 0, 1, 1);
  /** An endpoint whose first flight is a handshake record then a ChangeCipherSpec; any answer of the peer stops it. */
  const endpoint = () => {
    const e = {
      terminal: false,
      connected: false,
      transportClosed: false,
      outcome: { kind: 'handshaking', state: 'WAIT' },
      start: async () => ({ send: [{ raw: HS }, { raw: CCS }] }),
      receive: async () => {
        e.terminal = true;
        return { send: [], appData: [] };
      },
    };
    return e;
  };
  /** A peer that answers `answer` to the first bytes it reads (or stays silent), and keeps all it read. */
  async function peer(
    answer: Uint8Array | undefined,
  ): Promise<{ port: number; read: () => Uint8Array; close: () => Promise<void> }> {
    const got: Buffer[] = [];
    const sockets: Socket[] = [];
    const srv = createServer((s) => {
      sockets.push(s);
      s.on('data', (d) => {
        if (!got.length && answer) s.write(answer);
        got.push(d);
      });
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const a = srv.address();
    return {
      port: typeof a === 'object' && a ? a.port : 0,
      read: () => new Uint8Array(Buffer.concat(got)),
      close: async () => {
        for (const s of sockets) s.destroy();
        await new Promise<void>((r) => srv.close(() => r()));
      },
    };
  }
  const policy = {
    answerMs: 500,
    quietMs: 100,
    totalMs: 3000,
    afterConnect: 'stop' as const,
    holdFrom: (r: { raw: Uint8Array }) => r.raw[0] === 20,
  };

  it('a silent peer gets the rest after the quiet wait', async () => {
    const p = await peer(undefined);
    try {
      const c = await connectTo('127.0.0.1', p.port);
      if ('error' in c) throw new Error(c.error);
      const run = await exchange(endpoint() as unknown as TlsClient, c.socket, policy);
      expect(run.records.filter((r) => r.dir === 'sent').map((r) => r.raw[0])).toEqual([22, 20]);
      await new Promise((r) => setTimeout(r, 50));
      expect([...p.read()]).toEqual([...HS, ...CCS]);
    } finally {
      await p.close();
    }
  });

  it('a peer that answers the first part alone: its answer is recorded before the rest, which never goes out', async () => {
    const alert = Uint8Array.of(21, 3, 3, 0, 2, 2, 51);
    const p = await peer(alert);
    try {
      const c = await connectTo('127.0.0.1', p.port);
      if ('error' in c) throw new Error(c.error);
      const run = await exchange(endpoint() as unknown as TlsClient, c.socket, policy);
      expect(run.records.map((r) => `${r.dir} ${r.raw[0]}`)).toEqual(['sent 22', 'received 21']);
      expect([...p.read()]).toEqual([...HS]);
    } finally {
      await p.close();
    }
  });
});

describe('exchange holdFrom at two points: our ChangeCipherSpec and our Finished each wait for the peer to be silent', () => {
  const HS = Uint8Array.of(22, 3, 3, 0, 1, 16);
  const CCS = Uint8Array.of(20, 3, 3, 0, 1, 1);
  const FIN = Uint8Array.of(22, 3, 3, 0, 1, 20);
  /** An endpoint whose first flight is a handshake record, a ChangeCipherSpec, then a Finished; any answer stops it. */
  const endpoint = () => {
    const e = {
      terminal: false,
      connected: false,
      transportClosed: false,
      outcome: { kind: 'handshaking', state: 'WAIT' },
      start: async () => ({ send: [{ raw: HS }, { raw: CCS }, { raw: FIN }] }),
      receive: async () => {
        e.terminal = true;
        return { send: [], appData: [] };
      },
    };
    return e;
  };
  /** Split before the ChangeCipherSpec and before the record after it (fuzz/target.ts holdFinished). */
  const policy = {
    answerMs: 500,
    quietMs: 100,
    totalMs: 3000,
    afterConnect: 'stop' as const,
    holdFrom: (r: { raw: Uint8Array }, i: number, flight: readonly { raw: Uint8Array }[]) =>
      r.raw[0] === 20 || (i > 0 && flight[i - 1]?.raw[0] === 20),
  };
  /** A peer that keeps each read apart and answers `answer` to the first read that starts with `on` (or never). */
  async function peer(
    on: number,
    answer: Uint8Array | undefined,
  ): Promise<{ port: number; reads: () => number[][]; close: () => Promise<void> }> {
    const got: number[][] = [];
    const sockets: Socket[] = [];
    const srv = createServer((s) => {
      sockets.push(s);
      s.on('data', (d) => {
        if (answer && d[0] === on && !got.some((g) => g[0] === on)) s.write(answer);
        got.push([...d]);
      });
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const a = srv.address();
    return {
      port: typeof a === 'object' && a ? a.port : 0,
      reads: () => got,
      close: async () => {
        for (const s of sockets) s.destroy();
        await new Promise<void>((r) => srv.close(() => r()));
      },
    };
  }

  it('a silent peer gets the three parts, each in a write of its own', async () => {
    const p = await peer(0, undefined);
    try {
      const c = await connectTo('127.0.0.1', p.port);
      if ('error' in c) throw new Error(c.error);
      const run = await exchange(endpoint() as unknown as TlsClient, c.socket, policy);
      expect(run.records.filter((r) => r.dir === 'sent').map((r) => r.raw[0])).toEqual([22, 20, 22]);
      await new Promise((r) => setTimeout(r, 50));
      expect(p.reads()).toEqual([[...HS], [...CCS], [...FIN]]);
    } finally {
      await p.close();
    }
  });

  it('a peer that answers our ChangeCipherSpec: its answer is recorded before our Finished, which never goes out', async () => {
    const alert = Uint8Array.of(21, 3, 3, 0, 2, 2, 51);
    const p = await peer(20, alert);
    try {
      const c = await connectTo('127.0.0.1', p.port);
      if ('error' in c) throw new Error(c.error);
      const run = await exchange(endpoint() as unknown as TlsClient, c.socket, policy);
      expect(run.records.map((r) => `${r.dir} ${r.raw[0]}`)).toEqual(['sent 22', 'sent 20', 'received 21']);
      expect(p.reads()).toEqual([[...HS], [...CCS]]);
    } finally {
      await p.close();
    }
  });
});

describe('exchange afterHandshake: our KeyUpdates go out once the peer has been silent for an owed answer', () => {
  const FIN = Uint8Array.of(22, 3, 3, 0, 1, 20);
  const GREETING = Uint8Array.of(23, 3, 3, 0, 1, 1);
  const KU = Uint8Array.of(23, 3, 3, 0, 1, 24);
  const DATA = Uint8Array.of(23, 3, 3, 0, 1, 2);
  /** An endpoint connected once its first flight is out; whatever the peer sends is data (no answer of ours). */
  const endpoint = () => ({
    terminal: false,
    connected: true,
    transportClosed: false,
    renegotiationInProgress: false,
    renegotiations: 0,
    warningsReceived: [],
    outcome: { kind: 'connected' },
    start: async () => ({ send: [{ raw: FIN }] }),
    receive: async () => ({ send: [], appData: [] }),
    sendApplicationData: async () => [{ raw: DATA }],
  });

  it('a greeting that comes later than quietMs after the handshake is in before our update_requested', async () => {
    // the peer greets 4 quiet waits after our Finished (a loaded target): the update must not cross the greeting
    const policy = { answerMs: 1500, quietMs: 50, totalMs: 5000, afterConnect: 'probe' as const, appData: DATA };
    const order: string[] = [];
    const sockets: Socket[] = [];
    const srv = createServer((s) => {
      sockets.push(s);
      let greeted = false;
      s.on('data', (d) => {
        if (d[0] === 22 && !greeted) {
          greeted = true;
          setTimeout(() => {
            order.push('greeting');
            s.write(GREETING);
          }, 200);
        }
        for (let i = 0; i + 5 < d.length; i += 6) if (d[i + 5] === 24) order.push('update read');
      });
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const a = srv.address();
    try {
      const c = await connectTo('127.0.0.1', typeof a === 'object' && a ? a.port : 0);
      if ('error' in c) throw new Error(c.error);
      const run = await exchange(endpoint() as unknown as TlsClient, c.socket, {
        ...policy,
        afterHandshake: async () => [{ raw: KU }] as never,
      });
      expect(run.records.map((r) => `${r.dir} ${r.raw[5]}`)).toEqual(['sent 20', 'received 1', 'sent 24', 'sent 2']);
      expect(order).toEqual(['greeting', 'update read']);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });
});
