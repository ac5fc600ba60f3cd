/**
 * The engine as a standalone TLS server (`tlsprop serve`, and the deliberately faulty target of the fuzzer specs):
 * a TCP listener that runs one TlsServer per connection over the socket, one connection after another or `jobs` at
 * once, each to its end:
 * - the handshake (the engine's outcome: completed, alert sent with its reason, alert received, ...);
 * - then the application: `echo` sends every record of application data back; `http` reads up to the blank line
 *   ending an HTTP/1.0 request, answers it, and closes with close_notify (what test suites such as tlsfuzzer
 *   expect of a server); `greet` sends a greeting at once, then only reads until the peer closes (the faulty
 *   target: a fuzzer's client closes once it has the greeting, and must not find our close_notify with it);
 * - the peer's close_notify is answered with ours (engine/core) and the connection closed.
 * Every read has a timeout and every connection a deadline. Each connection ends with a summary (peer, outcome,
 * what was negotiated, the alerts sent and received) for the caller to print; key log lines are handed out as soon
 * as the keys exist.
 *
 * The listener binds where it is told: the command line keeps it on loopback unless told otherwise.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { formatKeyLog, nodeProvider } from '../crypto';
import { concatBytes } from '../wire/hex';
import { type AlertName, alertDescriptions, cipherSuites, nameOf, namedGroups, type NamedGroupName } from '../wire/registry';
import { type TlsVersion, versionOfCode } from '../wire/vocabulary';
import type { ClientAuthMode, Identity, ServerConfig } from './config';
import { type Fault, FaultCrash, drawnOnce } from './faults';
import { TlsServer } from './server';
import { type SocketEnd, type SocketRun, SocketReader } from './socket';
import type { Outcome, WireRecord } from './types';

/** What the server does with the connection once the handshake is done. */
export type ServeApp =
  /** Send every record of application data back. */
  | { kind: 'echo' }
  /** Read an HTTP/1.0 request up to its blank line, answer 200 with a one-line text body, then close_notify. */
  | { kind: 'http' }
  /**
   * Send `text` at once (or `delayMs` after the handshake: a target whose greeting comes late, for the learner's
   * tests), then only read (what comes is dropped) until the peer closes or a timeout.
   */
  | { kind: 'greet'; text: Uint8Array; delayMs?: number };

export interface ServeOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: a free one, see Serving.port). */
  port?: number;
  /** The engine configuration, or a function giving one per connection. */
  config: ServerConfig | (() => ServerConfig);
  app: ServeApp;
  /** Connections served at once (default 1: one after another; the others wait, accepted, in order). */
  jobs?: number;
  /** Timeout of each read, in ms (default 10000). */
  readTimeoutMs?: number;
  /** Deadline of a whole connection, in ms (default 120000). */
  totalTimeoutMs?: number;
  /** Stop accepting after this many connections; `finished` resolves once they are served. */
  maxConnections?: number;
  /** Keep every connection (records, the TlsServer) in `connections` (tests; default false). */
  keepConnections?: boolean;
  /** Key log lines (NSS format), as soon as the engine derives them. */
  onKeyLog?: (lines: string) => void;
  /** A connection ended. */
  onConnection?: (c: ServedConnection) => void;
}

/** One connection as it ended. */
export interface ServedConnection {
  summary: ConnectionSummary;
  server: TlsServer;
  run: SocketRun;
}

/** One connection in one JSON-friendly line. */
export interface ConnectionSummary {
  /** host:port of the peer. */
  peer: string;
  /** The handshake completed (also when the connection went on to fail or close). */
  handshake: 'completed' | 'failed';
  /** The engine's outcome at the end. */
  outcome: Outcome['kind'];
  /** How the socket ended: the engine stopped (done), the peer closed or reset it, or a timeout. */
  end: SocketEnd['kind'];
  version?: TlsVersion;
  suite?: string;
  group?: NamedGroupName | string;
  alpn?: string;
  resumed?: boolean;
  /** The client sent a certificate chain (its length). */
  clientCertificates?: number;
  /** The external PSK identity the handshake authenticated with (TLS 1.2 PSK suite, TLS 1.3 external PSK). */
  pskIdentity?: string;
  /** TLS 1.2 renegotiations completed on the connection. */
  renegotiations?: number;
  /** The engine's state when it stopped, and its reason for an alert it sent. */
  state?: string;
  reason?: string;
  alertSent?: AlertName | string;
  alertReceived?: AlertName | string;
  /** Warning alerts received and let pass (TLS 1.2). */
  warningsReceived?: string[];
  /** Bytes of application data received and sent. */
  appBytesIn: number;
  appBytesOut: number;
  ms: number;
}

export interface Serving {
  host: string;
  port: number;
  /** Connections ended so far, in order (only with keepConnections). */
  readonly connections: readonly ServedConnection[];
  /** Errors that were not TLS outcomes (a bug in the engine or the configuration), in order. */
  readonly errors: readonly string[];
  /** Resolves once maxConnections connections were served (never without maxConnections), or after close(). */
  readonly finished: Promise<void>;
  /** Stop listening, destroy every socket, and wait for the running connections to end. */
  close(): Promise<void>;
}

const enc = new TextEncoder();
/** An HTTP request longer than this without its blank line is answered 431 (RFC 6585 §5). */
const MAX_REQUEST = 16 * 1024;

const alertName = (d: number): string => nameOf(alertDescriptions, d, 2);

/** The summary line of a connection. */
export function summarize(peer: string, server: TlsServer, run: SocketRun, ms: number): ConnectionSummary {
  const o = run.end.outcome;
  const session = o.kind === 'connected' || o.kind === 'closed' ? o.session : undefined;
  const n = server.negotiated;
  const s: ConnectionSummary = {
    peer,
    handshake: session ? 'completed' : 'failed',
    outcome: o.kind,
    end: run.end.kind,
    appBytesIn: run.received.reduce((a, b) => a + b.length, 0),
    appBytesOut: run.records.reduce(
      (a, r) => a + (r.dir === 'sent' && r.plaintext?.contentType === 23 ? r.plaintext.fragment.length : 0),
      0,
    ),
    ms,
  };
  const version = n.version !== undefined ? versionOfCode(n.version) : undefined;
  if (version) s.version = version;
  if (n.cipherSuite !== undefined) s.suite = cipherSuites.get(n.cipherSuite)?.name ?? `0x${n.cipherSuite.toString(16)}`;
  if (n.group !== undefined) s.group = nameOf(namedGroups, n.group);
  if (n.alpn !== undefined) s.alpn = n.alpn;
  if (session) {
    s.resumed = session.resumed === true;
    s.clientCertificates = session.peerCertificates.length;
    if (session.pskIdentity) s.pskIdentity = new TextDecoder().decode(session.pskIdentity);
    if (server.renegotiations) s.renegotiations = server.renegotiations;
  }
  if (o.kind === 'handshaking' || o.kind === 'alert_sent' || o.kind === 'alert_received') s.state = o.state;
  if (o.kind === 'alert_sent') {
    s.alertSent = alertName(o.alert.description);
    s.reason = o.reason;
  }
  if (o.kind === 'alert_received') s.alertReceived = alertName(o.alert.description);
  if (server.warningsReceived.length) s.warningsReceived = server.warningsReceived.map((a) => alertName(a.description));
  return s;
}

function httpAnswer(server: TlsServer): Uint8Array {
  const n = server.negotiated;
  const body = `tlsprop serve: TLS ${n.version !== undefined ? versionOfCode(n.version) : '?'} ${
    n.cipherSuite !== undefined ? (cipherSuites.get(n.cipherSuite)?.name ?? n.cipherSuite) : '?'
  }\n`;
  return enc.encode(
    `HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${enc.encode(body).length}\r\nConnection: close\r\n\r\n${body}`,
  );
}

const TOO_LARGE = enc.encode('HTTP/1.0 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');

/** Run one connection to its end (see the header). */
export async function serveConnection(
  server: TlsServer,
  socket: Socket,
  o: Pick<ServeOptions, 'app' | 'readTimeoutMs' | 'totalTimeoutMs' | 'onKeyLog'>,
): Promise<SocketRun> {
  const reader = new SocketReader(socket);
  const timeout = o.readTimeoutMs ?? 10_000;
  const total = o.totalTimeoutMs ?? 120_000;
  const deadline = Date.now() + total;
  const run: SocketRun = { end: { kind: 'done', outcome: server.outcome }, records: [], received: [] };
  let logged = 0;
  const keylog = () => {
    const k = server.keylog;
    if (k.length > logged && o.onKeyLog) o.onKeyLog(formatKeyLog(k.slice(logged)));
    logged = k.length;
  };
  const send = (recs: readonly WireRecord[]) => {
    for (const r of recs)
      run.records.push(r.plaintext ? { dir: 'sent', raw: r.raw, plaintext: r.plaintext } : { dir: 'sent', raw: r.raw });
    if (recs.length && !socket.destroyed && socket.writable) socket.write(concatBytes(recs.map((r) => r.raw)));
  };
  send((await server.start()).send);
  let started = false;
  /** Our close_notify is out (the write side is closed): only the peer's answer or its close is awaited now. */
  let closing = false;
  let request = '';
  const closeNow = async () => {
    send(await server.close());
    closing = true;
    socket.end();
  };
  /** The application's first move, once connected (before the peer's first data is handled). */
  const start = async () => {
    if (!server.connected || started) return;
    started = true;
    const app = o.app;
    if (app.kind !== 'greet') return;
    if (app.delayMs) await new Promise((r) => setTimeout(r, app.delayMs));
    if (!server.terminal && server.connected) send(await server.sendApplicationData(app.text));
  };
  for (;;) {
    keylog();
    if (server.terminal) {
      // a half-open TLS 1.3 connection (the peer closed first, its last data is answered): our close_notify now
      send(await server.close());
      break;
    }
    await start();
    const left = deadline - Date.now();
    // once our close_notify is out, the peer's answer is only waited for a little (RFC 5246 §7.2.1: "It is not
    // required for the initiator of the close to wait for the responding close_notify alert")
    const wait = Math.min(closing ? Math.min(timeout, 2000) : timeout, left);
    const r = left > 0 ? await reader.read(wait) : ({ kind: 'timed_out' } as const);
    if (!(r instanceof Uint8Array)) {
      const overall = Date.now() >= deadline;
      run.end =
        r.kind === 'timed_out'
          ? { kind: 'timed_out', afterMs: overall ? total : wait, overall, outcome: server.outcome }
          : r.kind === 'reset'
            ? { kind: 'reset', error: r.error, outcome: server.outcome }
            : { kind: 'closed', outcome: server.outcome };
      keylog();
      socket.destroy();
      return run;
    }
    run.records.push({ dir: 'received', raw: r });
    const res = await server.receive(r);
    send(res.send);
    await start();
    for (const data of res.appData) {
      run.received.push(data);
      if (closing || !(server.connected || server.halfOpen)) continue;
      if (o.app.kind === 'echo') send(await server.sendApplicationData(data));
      else {
        request += Buffer.from(data).toString('latin1');
        if (/\r?\n\r?\n/.test(request)) {
          send(await server.sendApplicationData(httpAnswer(server)));
          await closeNow();
        } else if (request.length > MAX_REQUEST) {
          send(await server.sendApplicationData(TOO_LARGE));
          await closeNow();
        }
      }
    }
  }
  run.end = { kind: 'done', outcome: server.outcome };
  keylog();
  // Our last records (a fatal alert, or the close_notify answering the peer's) are written: close the connection.
  socket.end();
  const linger = setTimeout(() => socket.destroy(), 1000);
  socket.once('close', () => clearTimeout(linger));
  return run;
}

/** Listen and serve (see the header). */
export async function serve(o: ServeOptions): Promise<Serving> {
  const host = o.host ?? '127.0.0.1';
  const configOf = typeof o.config === 'function' ? o.config : () => o.config as ServerConfig;
  new TlsServer(configOf()); // a bad configuration (e.g. a fault the server cannot have) fails here, not per connection
  const jobs = Math.max(1, o.jobs ?? 1);
  const sockets = new Set<Socket>();
  const running = new Set<Promise<void>>();
  const waiting: Socket[] = [];
  const connections: ServedConnection[] = [];
  const errors: string[] = [];
  let accepted = 0;
  let served = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((r) => {
    finish = r;
  });

  let crashed = false;
  const handle = async (socket: Socket): Promise<void> => {
    const t0 = Date.now();
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    try {
      // TLS 1.3: a request that comes with the client's close_notify (gnutls-cli with its input at an end) is answered
      const server = new TlsServer({ halfClose: true, ...configOf() });
      const opts: Parameters<typeof serveConnection>[2] = { app: o.app };
      if (o.readTimeoutMs !== undefined) opts.readTimeoutMs = o.readTimeoutMs;
      if (o.totalTimeoutMs !== undefined) opts.totalTimeoutMs = o.totalTimeoutMs;
      if (o.onKeyLog) opts.onKeyLog = o.onKeyLog;
      // a connection that waited its turn may be gone already (the peer gave up)
      const run: SocketRun = socket.destroyed
        ? { end: { kind: 'closed', outcome: server.outcome }, records: [], received: [] }
        : await serveConnection(server, socket, opts);
      const c: ServedConnection = { summary: summarize(peer, server, run, Date.now() - t0), server, run };
      if (o.keepConnections) connections.push(c);
      o.onConnection?.(c);
    } catch (e) {
      if (e instanceof FaultCrash) {
        // fault crash-on-invalid-key-share: the server "dies": no more connections, every open one dropped
        crashed = true;
        listener.close();
        for (const s of sockets) s.destroy();
        waiting.length = 0;
        return;
      }
      errors.push(e instanceof Error ? e.message : String(e));
      socket.destroy();
    }
  };
  const next = (): void => {
    while (running.size < jobs && waiting.length) {
      const socket = waiting.shift()!;
      const p = handle(socket).finally(() => {
        running.delete(p);
        served++;
        if (o.maxConnections !== undefined && served >= o.maxConnections) finish();
        next();
      });
      running.add(p);
    }
  };
  const listener: Server = createServer((socket) => {
    if (crashed) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined); // the run records resets; an unhandled 'error' must not crash the process
    accepted++;
    if (o.maxConnections !== undefined && accepted >= o.maxConnections) listener.close();
    waiting.push(socket);
    next();
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(o.port ?? 0, host, () => resolve());
  });
  const a = listener.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  let closed: Promise<void> | undefined;
  return {
    host,
    port,
    connections,
    errors,
    finished,
    close() {
      closed ??= (async () => {
        const done = new Promise<void>((r) => (listener.listening ? listener.close(() => r()) : r()));
        for (const s of sockets) s.destroy();
        waiting.length = 0;
        await Promise.all([...running]);
        await done;
        finish();
      })();
      return closed;
    },
  };
}

/** The deliberately faulty target: the engine's server with named faults (engine/faults.ts), for testing fuzzers. */
export interface FaultyServerOptions {
  identity: Identity;
  /** Versions enabled (default TLS 1.3 and 1.2). */
  versions?: number[];
  clientAuth?: ClientAuthMode;
  /** DER trust anchors for client certificates (without them client chains are not validated). */
  trustAnchors?: Uint8Array[];
  /** The faults switched on (server-side ones; a client-only fault is refused at once). */
  faults: readonly Fault[];
  /** Anything else of the server configuration (suites, groups, schemes, ...). */
  config?: Omit<ServerConfig, 'identity' | 'versions' | 'clientAuth' | 'trustAnchors' | 'faults'>;
  /** Sent once a handshake completes (default "tlsprop faulty server\n"); then the server waits for the client to close. */
  reply?: Uint8Array;
  /** Another application instead of the greeting (e.g. `echo`: nothing is sent that the peer did not ask for). */
  app?: ServeApp;
  /** Default 5000. */
  readTimeoutMs?: number;
  /** Default 30000. */
  totalTimeoutMs?: number;
  /** Default: a free port (a restarted faulty target takes the port of the one that died). */
  port?: number;
}

/**
 * The faulty target on 127.0.0.1, every connection served at once (a fuzzer's conversations may overlap), each kept
 * in `connections`. A fuzzer pointed at it must find each fault and name its rules. The faulty client is
 * `tlsprop connect --fault NAME`. Test use only.
 */
export function startFaultyServer(o: FaultyServerOptions): Promise<Serving> {
  const config: ServerConfig = { provider: nodeProvider(), ...o.config, identity: o.identity, faults: [...o.faults] };
  // one memory of the first connection's draws per target, for reuse-server-randomness
  if (o.faults.includes('reuse-server-randomness')) config.drawnOnce = drawnOnce();
  if (o.versions) config.versions = o.versions;
  if (o.clientAuth) config.clientAuth = o.clientAuth;
  if (o.trustAnchors) config.trustAnchors = o.trustAnchors;
  return serve({
    config,
    app: o.app ?? { kind: 'greet', text: o.reply ?? enc.encode('tlsprop faulty server\n') },
    jobs: Number.POSITIVE_INFINITY,
    keepConnections: true,
    readTimeoutMs: o.readTimeoutMs ?? 5000,
    totalTimeoutMs: o.totalTimeoutMs ?? 30_000,
    ...(o.port !== undefined ? { port: o.port } : {}),
  });
}
