/**
 * The deliberately faulty target: our engine's server with named faults
 * (engine/faults.ts) listening on 127.0.0.1, one TlsServer per connection
 * driven by engine/socket.ts. A fuzzer pointed at it must find each fault
 * and name its rules. The faulty client is `tlsprop connect --fault NAME`
 * (cli/connect.ts), usable as a `--client-cmd`.
 *
 * Test use only; nothing here listens off loopback.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { nodeProvider } from '../crypto';
import type { ClientAuthMode, Identity, ServerConfig } from '../engine/config';
import type { Fault } from '../engine/faults';
import { TlsServer } from '../engine/server';
import { runServerOverSocket, type SocketRun } from '../engine/socket';
import { LOOPBACK } from './launch';

export interface FaultyServerOptions {
  identity: Identity;
  /** Versions enabled (default TLS 1.3 and 1.2). */
  versions?: number[];
  clientAuth?: ClientAuthMode;
  /** DER trust anchors for client certificates (without them client chains are not validated). */
  trustAnchors?: Uint8Array[];
  /** The faults switched on (server-side ones; a client-only fault is refused when the first connection comes). */
  faults: readonly Fault[];
  /** Anything else of the server configuration (suites, groups, schemes, ...). */
  config?: Omit<ServerConfig, 'identity' | 'versions' | 'clientAuth' | 'trustAnchors' | 'faults'>;
  /** Sent once a handshake completes (default "tlsprop faulty server\n"); the server then waits for one record of the client's. */
  reply?: Uint8Array;
  readTimeoutMs?: number;
  totalTimeoutMs?: number;
}

/** How one connection went. */
export interface FaultyConnection {
  run: SocketRun;
  server: TlsServer;
}

export interface FaultyServer {
  host: typeof LOOPBACK;
  port: number;
  /** Connections finished so far, in order. */
  readonly connections: readonly FaultyConnection[];
  /** Errors that were not TLS outcomes (a bug in the engine or the configuration), in order. */
  readonly errors: readonly string[];
  /** Stop listening, destroy every socket, and wait for the running connections to end. */
  close(): Promise<void>;
}

/** Validate the fault list the way the engine will (so a bad list fails here, not per connection). */
function checkedConfig(o: FaultyServerOptions): ServerConfig {
  const cfg: ServerConfig = { provider: nodeProvider(), ...o.config, identity: o.identity, faults: [...o.faults] };
  if (o.versions) cfg.versions = o.versions;
  if (o.clientAuth) cfg.clientAuth = o.clientAuth;
  if (o.trustAnchors) cfg.trustAnchors = o.trustAnchors;
  new TlsServer(cfg); // throws FaultConfigError for a fault the server cannot have
  return cfg;
}

export async function startFaultyServer(o: FaultyServerOptions): Promise<FaultyServer> {
  const cfg = checkedConfig(o);
  const reply = o.reply ?? new TextEncoder().encode('tlsprop faulty server\n');
  const sockets = new Set<Socket>();
  const running = new Set<Promise<void>>();
  const connections: FaultyConnection[] = [];
  const errors: string[] = [];
  const handle = async (socket: Socket): Promise<void> => {
    const server = new TlsServer(cfg);
    try {
      const opts: Parameters<typeof runServerOverSocket>[2] = { appData: reply };
      if (o.readTimeoutMs !== undefined) opts.readTimeoutMs = o.readTimeoutMs;
      if (o.totalTimeoutMs !== undefined) opts.totalTimeoutMs = o.totalTimeoutMs;
      connections.push({ run: await runServerOverSocket(server, socket, opts), server });
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
      socket.destroy();
    }
  };
  const listener: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined); // the run records resets; an unhandled 'error' must not crash the process
    const p = handle(socket).finally(() => running.delete(p));
    running.add(p);
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(0, LOOPBACK, () => resolve());
  });
  const a = listener.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  let closed: Promise<void> | undefined;
  return {
    host: LOOPBACK,
    port,
    connections,
    errors,
    close() {
      closed ??= (async () => {
        const stopped = new Promise<void>((r) => listener.close(() => r()));
        for (const s of sockets) s.destroy();
        await Promise.all([...running]);
        await stopped;
      })();
      return closed;
    },
  };
}
