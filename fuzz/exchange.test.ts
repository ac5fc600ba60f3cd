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
