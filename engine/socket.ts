/**
 * Drive one endpoint over a TCP socket: every read has a timeout, and the
 * run ends with a typed outcome (handshake done, alert sent/received, peer
 * closed, connection reset, timed out).
 */
import { connect, type Socket } from 'node:net';
import { concatBytes } from '../wire/hex';
import type { TlsClient } from './client';
import type { TlsServer } from './server';
import type { Outcome, WireRecord } from './types';

export type SocketEnd =
  | { kind: 'done'; outcome: Outcome }
  | { kind: 'closed'; outcome: Outcome }
  | { kind: 'reset'; error: string; outcome: Outcome }
  /** `overall`: the whole run's deadline passed (a peer trickling bytes never lets a single read time out). */
  | { kind: 'timed_out'; afterMs: number; overall: boolean; outcome: Outcome };

export interface SocketRunOptions {
  /** Timeout for each read, in ms (default 5000). */
  readTimeoutMs?: number;
  /** Deadline for the whole run, in ms (default 30000): every conversation ends, whatever the peer does. */
  totalTimeoutMs?: number;
  /** Application data to send once connected; the run then waits for one reply. */
  appData?: Uint8Array;
  /**
   * Before sending `appData`, read for up to this many ms (default 0). A TLS
   * 1.3 client is connected as soon as it has sent its Finished; a peer that
   * rejects that flight answers with an alert and closes, and writing our
   * application data into the closed connection fails (EPIPE) and loses the
   * alert. The fuzzers set this for conversations that must be rejected, so
   * the verdict does not depend on timing.
   */
  settleMs?: number;
}

export interface SocketRun {
  end: SocketEnd;
  /** Records as they crossed the socket, in order, with our plaintext for protected ones we sent. */
  records: Array<{ dir: 'sent' | 'received'; raw: Uint8Array; plaintext?: WireRecord['plaintext'] }>;
  received: Uint8Array[];
}

/** Bytes from the socket, all that arrived per call, with a timeout; how the socket ended once it has. */
export class SocketReader {
  private chunks: Uint8Array[] = [];
  private closedAs: { kind: 'closed' } | { kind: 'reset'; error: string } | undefined;
  private wake: (() => void) | undefined;
  constructor(socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.chunks.push(new Uint8Array(d));
      this.wake?.();
    });
    socket.on('connect', () => undefined);
    socket.on('end', () => {
      this.closedAs ??= { kind: 'closed' };
      this.wake?.();
    });
    socket.on('close', () => {
      this.closedAs ??= { kind: 'closed' };
      this.wake?.();
    });
    socket.on('error', (e) => {
      this.closedAs = { kind: 'reset', error: e.message };
      this.wake?.();
    });
  }
  /** The peer closed or reset the connection (bytes may still be waiting in `read`). */
  get ended(): boolean {
    return this.closedAs !== undefined;
  }
  async read(
    timeoutMs: number,
  ): Promise<Uint8Array | { kind: 'closed' } | { kind: 'reset'; error: string } | { kind: 'timed_out' }> {
    if (!this.chunks.length && !this.closedAs) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
      this.wake = undefined;
    }
    if (this.chunks.length) {
      const out = concatBytes(this.chunks);
      this.chunks = [];
      return out;
    }
    return this.closedAs ?? { kind: 'timed_out' };
  }
}

async function drive(
  endpoint: TlsClient | TlsServer,
  socket: Socket,
  reader: SocketReader,
  first: WireRecord[],
  opts: SocketRunOptions,
): Promise<SocketRun> {
  const timeout = opts.readTimeoutMs ?? 5000;
  const total = opts.totalTimeoutMs ?? 30_000;
  const deadline = Date.now() + total;
  const run: SocketRun = { end: { kind: 'done', outcome: endpoint.outcome }, records: [], received: [] };
  // a hook ended our side of the transport (a truncation): nothing more is written, the peer's answer is still read
  let finSent = false;
  const send = (recs: readonly WireRecord[]) => {
    if (finSent) return;
    for (const r of recs)
      run.records.push(r.plaintext ? { dir: 'sent', raw: r.raw, plaintext: r.plaintext } : { dir: 'sent', raw: r.raw });
    if (recs.length && !socket.destroyed) socket.write(concatBytes(recs.map((r) => r.raw)));
    if (endpoint.transportClosed && !socket.destroyed) {
      finSent = true;
      socket.end();
    }
  };
  send(first);
  let appSent = false;
  let settled = false;
  for (;;) {
    if (endpoint.terminal) break;
    if (endpoint.connected && !finSent) {
      if (!opts.appData) break;
      if (!appSent && !settled && (opts.settleMs ?? 0) > 0) {
        settled = true;
        const r = await reader.read(Math.min(opts.settleMs ?? 0, Math.max(0, deadline - Date.now())));
        if (r instanceof Uint8Array) {
          run.records.push({ dir: 'received', raw: r });
          const res = await endpoint.receive(r);
          run.received.push(...res.appData);
          send(res.send);
          continue;
        }
        if (r.kind !== 'timed_out') {
          run.end =
            r.kind === 'reset'
              ? { kind: 'reset', error: r.error, outcome: endpoint.outcome }
              : { kind: 'closed', outcome: endpoint.outcome };
          socket.destroy();
          return run;
        }
      }
      if (!appSent) {
        appSent = true;
        send(await endpoint.sendApplicationData(opts.appData));
      }
      // the peer's data may already have come during the settle read: then the run is complete once ours is sent
      if (run.received.length) break;
    }
    const left = deadline - Date.now();
    const r = left > 0 ? await reader.read(Math.min(timeout, left)) : ({ kind: 'timed_out' } as const);
    if (!(r instanceof Uint8Array)) {
      const overall = Date.now() >= deadline;
      run.end =
        r.kind === 'timed_out'
          ? { kind: 'timed_out', afterMs: overall ? total : timeout, overall, outcome: endpoint.outcome }
          : r.kind === 'reset'
            ? { kind: 'reset', error: r.error, outcome: endpoint.outcome }
            : { kind: 'closed', outcome: endpoint.outcome };
      socket.destroy();
      return run;
    }
    run.records.push({ dir: 'received', raw: r });
    const res = await endpoint.receive(r);
    run.received.push(...res.appData);
    send(res.send);
  }
  run.end = { kind: 'done', outcome: endpoint.outcome };
  socket.end();
  return run;
}

/** Connect a client to host:port and run the handshake (and optional one-shot application data). */
export async function runClientOverSocket(
  client: TlsClient,
  host: string,
  port: number,
  opts: SocketRunOptions = {},
): Promise<SocketRun> {
  const socket = connect({ host, port });
  const reader = new SocketReader(socket);
  const connected = await new Promise<true | string>((resolve) => {
    socket.once('connect', () => resolve(true));
    socket.once('error', (e) => resolve(e.message));
  });
  if (connected !== true) return { end: { kind: 'reset', error: connected, outcome: client.outcome }, records: [], received: [] };
  return drive(client, socket, reader, (await client.start()).send, opts);
}

/** Run a server on an accepted socket. */
export async function runServerOverSocket(server: TlsServer, socket: Socket, opts: SocketRunOptions = {}): Promise<SocketRun> {
  const reader = new SocketReader(socket);
  return drive(server, socket, reader, (await server.start()).send, opts);
}
