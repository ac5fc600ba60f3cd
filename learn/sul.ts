/**
 * The system under learning: a live target behind the mapper. A query is
 * one word of abstract inputs run from a reset (a new connection; for a
 * client target, a new client process), answered with one abstract output
 * per input.
 *
 * Timing decides what "no answer" means, and it is measured, not fixed:
 * every answer's latency (input written to first byte back) is recorded and
 * the silence window is a multiple of the largest recent one (with a floor
 * and a cap); once bytes come, the window shrinks to a short quiet gap
 * (a flight arrives in a burst), and after a fatal alert it waits for the
 * close that must follow. When the learner meets non-determinism it widens
 * the windows (`Timing.widen`), the usual cause being a target slowed by
 * load.
 *
 * After the connection closed every further input is answered `closed`
 * without sending anything: the target can do nothing more in that session.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { CryptoProvider } from '../crypto';
import { SocketReader } from '../engine/socket';
import { concatBytes } from '../wire/hex';
import type { TlsVersion } from '../wire/vocabulary';
import { alertsOf, CLOSED, type InputSymbol, type Output, type OutputToken, outputOf, type TargetRole } from './alphabet';
import { ClientMapper } from './mapper/client';
import { Reference } from './reference';
import { ServerMapper } from './mapper/server';
import type { MapperConfig, MapperSession, WireEvent } from './mapper/session';

export type { MapperConfig, WireEvent };

// ------------------------------------------------------------------ timing

export interface TimingOptions {
  /** Smallest silence window (ms). */
  floorMs: number;
  /** Largest silence window (ms). */
  capMs: number;
  /** Silence window = factor × the largest of the recent answer latencies. */
  factor: number;
  /** Window used until enough latencies are known (ms). */
  initialMs: number;
}

export const DEFAULT_TIMING: TimingOptions = { floorMs: 25, capMs: 3000, factor: 4, initialMs: 300 };

/**
 * The silence and quiet windows, from the answer latencies measured so far. The first input of a query (a hello) is
 * answered by the costliest work of a handshake (key generation, a signature, a certificate chain), and on a loaded
 * machine its answers come an order of magnitude later than those of the inputs after it; its latencies are kept
 * apart, so that they set the first input's window alone and not the window of every later input, where most of a
 * learning run's waiting is (each input the target leaves unanswered costs a whole window).
 */
export class Timing {
  private readonly recent: number[] = [];
  private readonly recentFirst: number[] = [];
  private floor: number;
  private quietFloor = 6;
  private readonly lastWiden = { silence: -Infinity, quiet: -Infinity };
  /** Latencies observed (count), for the report. */
  observed = 0;
  maxLatencyMs = 0;

  constructor(readonly opts: TimingOptions = DEFAULT_TIMING) {
    this.floor = opts.floorMs;
  }

  /** An answer's latency; `first`: the answer to a query's first input. */
  observe(ms: number, first = false): void {
    this.observed++;
    this.maxLatencyMs = Math.max(this.maxLatencyMs, ms);
    const recent = first ? this.recentFirst : this.recent;
    recent.push(ms);
    if (recent.length > 64) recent.shift();
  }

  /** The 90th percentile of recent answer latencies (a lone spike does not set the pace). */
  private static p90(recent: readonly number[]): number {
    const sorted = [...recent].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))] ?? 0;
  }

  /** How long to wait for a first byte before deciding the target sends nothing. */
  get silenceMs(): number {
    if (this.recent.length < 8) return Math.max(this.opts.initialMs, this.floor);
    return Math.min(this.opts.capMs, Math.max(this.floor, Math.ceil(this.opts.factor * Timing.p90(this.recent))));
  }

  /** After bytes came: how long a gap ends the answer (a flight comes in one burst). */
  get quietMs(): number {
    return Math.min(this.silenceMs, Math.max(this.quietFloor, Math.min(30, Math.ceil(this.silenceMs / 4))));
  }

  /** Bytes that come within this long after our FIN answer the FIN (a late answer to the last input comes later). */
  get reactionMs(): number {
    return Math.max(this.quietMs, Math.ceil(this.silenceMs / 2));
  }

  /**
   * How long the end of a query waits for the target to close its side before the socket is reset. A target that
   * serves one connection at a time is back at accept() once it has closed (or seen the reset).
   */
  get closeGraceMs(): number {
    // a conforming target closes at once on our FIN; one that does not (openssl s_server after a refused
    // renegotiation takes up to 2 s) would still hold the next query's connection in its backlog
    return Math.min(5000, Math.max(2500, 4 * this.silenceMs));
  }

  /**
   * The silence window of a query's first input: longer, since a target that serves one connection at a time may
   * still be finishing the previous query's connection.
   */
  get firstSilenceMs(): number {
    const own = this.recentFirst.length < 8 ? 0 : Math.ceil(this.opts.factor * Timing.p90(this.recentFirst));
    return Math.min(this.opts.capMs, Math.max(2 * this.silenceMs, own));
  }

  /**
   * Wait longer from now on, after non-determinism: `silence` when an answer sometimes came too late to be seen
   * at all, `quiet` when the tail of an answer sometimes came after the gap that ended it.
   */
  widen(what: 'silence' | 'quiet'): void {
    // one widening per burst of contradictions: the queries already under way ran with the old windows
    if (this.observed - this.lastWiden[what] < 16) return;
    this.lastWiden[what] = this.observed;
    if (what === 'silence') this.floor = Math.min(this.opts.capMs, Math.ceil(Math.max(this.floor, this.silenceMs) * 1.5));
    else this.quietFloor = Math.min(this.opts.capMs, Math.ceil(Math.max(this.quietFloor, this.quietMs) * 2));
  }
}

/**
 * What a non-deterministic answer says about timing: one variant is nothing where another is something (`silence`:
 * the answer came after the silence window), or one is the start of another (`quiet`: its tail came after the gap).
 */
export function timingCause(variants: readonly (readonly string[])[]): 'silence' | 'quiet' | undefined {
  let cause: 'silence' | 'quiet' | undefined;
  for (const a of variants)
    for (const b of variants) {
      const i = a.findIndex((x, k) => x !== b[k]);
      if (i < 0) continue;
      const x = a[i]!;
      const y = b[i]!;
      if (x === '-' && y !== '-') return 'silence';
      if (y.startsWith(`${x}+`)) cause = 'quiet';
    }
  return cause;
}

// ------------------------------------------------------------------ transport

type ReadResult = Uint8Array | { kind: 'closed' } | { kind: 'reset'; error: string } | { kind: 'timed_out' };

interface Connection {
  write(bytes: Uint8Array): void;
  read(timeoutMs: number): Promise<ReadResult>;
  /** Half-close, wait for the target's close; the bytes that came meanwhile (a late answer) are returned. */
  close(): Promise<{ bytes: Uint8Array[]; firstAt?: number; finAt?: number }>;
  /** Local and remote ports (for the saved capture). */
  ports: { client: number; server: number };
}

/** Starts a client target for one query (a new process per reset), and stops it. */
export interface ClientLauncher {
  /** Start the client command against host:port. */
  start(host: string, port: number): Promise<{ stop(): Promise<void>; describe(): string }>;
}

/**
 * A connection over a socket. Closing it half-closes our side and waits (up to `graceMs`) for the target to close
 * its side: a target that serves one connection at a time (openssl s_server) is back at accept() only then, and the
 * next query's first answer must not wait behind this connection's end.
 */
function socketConnection(socket: Socket, graceMs: () => number, onClose: () => Promise<void>): Connection {
  const reader = new SocketReader(socket);
  socket.on('error', () => undefined);
  return {
    write(bytes) {
      if (!socket.destroyed && bytes.length) socket.write(bytes);
    },
    read: (ms) => reader.read(ms),
    async close() {
      const late: { bytes: Uint8Array[]; firstAt?: number; finAt?: number } = { bytes: [] };
      if (!reader.ended && !socket.destroyed) {
        socket.end();
        late.finAt = performance.now();
        const until = performance.now() + graceMs();
        for (;;) {
          const left = until - performance.now();
          if (left <= 0) break;
          const r = await reader.read(left);
          if (r instanceof Uint8Array) {
            late.firstAt ??= performance.now();
            late.bytes.push(r);
          } else if (r.kind !== 'timed_out') break;
        }
      }
      socket.destroy();
      await onClose();
      return late;
    },
    get ports() {
      return { client: socket.localPort ?? 0, server: socket.remotePort ?? 0 };
    },
  };
}

async function tcpConnect(host: string, port: number, timeoutMs: number, graceMs: () => number): Promise<Connection> {
  const socket = connect({ host, port });
  socket.setNoDelay(true);
  const ok = await new Promise<true | string>((resolve) => {
    const t = setTimeout(() => resolve(`no TCP connection to ${host}:${port} within ${timeoutMs} ms`), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(t);
      resolve(true);
    });
    socket.once('error', (e) => {
      clearTimeout(t);
      resolve(e.message);
    });
  });
  if (ok !== true) {
    socket.destroy();
    throw new SulError(`cannot connect to ${host}:${port}: ${ok}`);
  }
  return socketConnection(socket, graceMs, async () => undefined);
}

/** A loopback listener handing out accepted sockets in order (one per client-target worker). */
class Listener {
  private readonly pending: Socket[] = [];
  private readonly waiters: Array<(s: Socket) => void> = [];
  private readonly open = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
  ) {
    server.on('connection', (s) => {
      this.open.add(s);
      s.on('close', () => this.open.delete(s));
      s.on('error', () => undefined);
      const w = this.waiters.shift();
      if (w) w(s);
      else this.pending.push(s);
    });
  }

  static async start(host: string, port: number): Promise<Listener> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const a = server.address();
    return new Listener(server, host, typeof a === 'object' && a ? a.port : port);
  }

  /** Drop connections nobody took (a late one of an earlier client). */
  drain(): void {
    for (const s of this.pending.splice(0)) s.destroy();
  }

  async accept(timeoutMs: number): Promise<Socket | undefined> {
    const waiting = this.pending.shift();
    if (waiting) return waiting;
    let timer: NodeJS.Timeout | undefined;
    const s = await new Promise<Socket | undefined>((resolve) => {
      const w = (sock: Socket) => resolve(sock);
      this.waiters.push(w);
      timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(undefined);
      }, timeoutMs);
    });
    clearTimeout(timer);
    return s;
  }

  async close(): Promise<void> {
    for (const s of this.open) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

// ------------------------------------------------------------------ the SUL

export class SulError extends Error {
  override readonly name = 'SulError';
}

/** One query as it went: outputs per input, and everything that crossed the wire (for a saved replay). */
export interface QueryRun {
  word: InputSymbol[];
  outputs: Output[];
  wire: WireEvent[];
  keylog: string[];
  ports: { client: number; server: number };
  /** Client targets: the greeting (normally `client_hello`). */
  greeting?: Output;
}

export interface SulOptions {
  role: TargetRole;
  version: TlsVersion;
  mapper: Omit<MapperConfig, 'provider' | 'version'>;
  provider: CryptoProvider;
  timing?: TimingOptions;
  /** Server targets: where to connect, one worker per entry (repeat an entry for parallel connections). */
  targets?: ReadonlyArray<{ host: string; port: number }>;
  /** Client targets: the listener address (port 0: any free one per worker) and the command launcher. */
  listen?: { host: string; port: number; workers: number; launcher: ClientLauncher };
  /** Connect / accept / greeting timeout (ms, default 5000). */
  connectTimeoutMs?: number;
}

/** The live target behind the mapper; `workers` queries can run at once. */
export class LiveSul {
  readonly timing: Timing;
  private listeners: Listener[] = [];
  /**
   * Contexts where the target answers slowly (word prefix -> the latency seen there): a target may take much longer
   * in some states (openssl s_server answers about 1 s late after refusing a renegotiation); inputs sent there, and
   * further along, get a window long enough for it. Found when an answer comes while a query is being closed.
   */
  private readonly slow = new Map<string, number>();
  /** Late answers found (each one made its query run again). */
  lateAnswers = 0;
  /**
   * Application data the target sends unasked once a handshake is done (a greeting: an MQTT broker's, `openssl
   * s_server` without -rev): how long after our input that completed the handshake the last of it came (ms;
   * `undefined`: the target sends none). Measured once, by the first query that completes a handshake (the probe,
   * `unaskedProbe`; the other queries wait for it), and widened when some came later (at a query's close).
   */
  private unasked: { lastMs: number | undefined } | undefined;
  private unaskedProbe: Promise<void> | undefined;
  /** Queries run (resets). */
  queries = 0;
  /** Inputs sent over all queries. */
  steps = 0;

  /** The RFC machine, to tell a flight that is not finished yet. */
  private readonly reference: Reference;

  private constructor(readonly opts: SulOptions) {
    this.timing = new Timing(opts.timing ?? DEFAULT_TIMING);
    this.reference = new Reference(opts.version, opts.role, false);
  }

  static async start(opts: SulOptions): Promise<LiveSul> {
    const sul = new LiveSul(opts);
    if (opts.role === 'client') {
      const l = opts.listen;
      if (!l) throw new SulError('a client target needs a listener and a client command');
      for (let i = 0; i < Math.max(1, l.workers); i++)
        sul.listeners.push(await Listener.start(l.host, i === 0 ? l.port : l.port === 0 ? 0 : l.port + i));
    } else if (!opts.targets?.length) throw new SulError('a server target needs --target HOST:PORT');
    return sul;
  }

  get workers(): number {
    return this.opts.role === 'client' ? this.listeners.length : (this.opts.targets?.length ?? 1);
  }

  /** Where a client target connects (first worker). */
  get listenAddress(): { host: string; port: number } | undefined {
    const l = this.listeners[0];
    return l ? { host: l.host, port: l.port } : undefined;
  }

  async close(): Promise<void> {
    for (const l of this.listeners) await l.close();
    this.listeners = [];
  }

  private newMapper(): MapperSession {
    const cfg: MapperConfig = { ...this.opts.mapper, provider: this.opts.provider, version: this.opts.version };
    return this.opts.role === 'server' ? new ClientMapper(cfg) : new ServerMapper(cfg);
  }

  /** The extra window for the input after `prefix` (and every input after it): the slowest context on its path. */
  private slowWindow(word: readonly InputSymbol[], i: number): number {
    let ms = 0;
    for (let j = 0; j <= i; j++) ms = Math.max(ms, this.slow.get(word.slice(0, j).join(' ')) ?? 0);
    return ms ? Math.min(this.timing.opts.capMs * 2, Math.ceil(ms * 1.5) + this.timing.quietMs) : 0;
  }

  /** Run one word on worker `w` (0 <= w < workers). */
  async query(word: readonly InputSymbol[], w = 0, again = false): Promise<QueryRun> {
    this.queries++;
    const qt0 = performance.now();
    const mapper = this.newMapper();
    const timeout = this.opts.connectTimeoutMs ?? 5000;
    let conn: Connection;
    let greeting: Output | undefined;
    let client: { stop(): Promise<void>; describe(): string } | undefined;
    if (this.opts.role === 'server') {
      const t = this.opts.targets![w % this.opts.targets!.length]!;
      conn = await tcpConnect(t.host, t.port, timeout, () => this.timing.closeGraceMs);
    } else {
      const l = this.listeners[w % this.listeners.length]!;
      l.drain();
      client = await this.opts.listen!.launcher.start(l.host, l.port);
      const socket = await l.accept(timeout);
      if (!socket) {
        const what = client.describe();
        await client.stop();
        throw new SulError(`the client command did not connect to ${l.host}:${l.port} within ${timeout} ms (${what})`);
      }
      const c = client;
      conn = socketConnection(
        socket,
        () => this.timing.closeGraceMs,
        () => c.stop(),
      );
    }
    const outputs: Output[] = [];
    let closed = false;
    let lastWrite = performance.now();
    let late: { bytes: Uint8Array[]; firstAt?: number; finAt?: number } = { bytes: [] };
    let lastLatency: number | undefined;
    /** When the input that completed the handshake (both Finished messages crossed) was written. */
    let connectedWrite: number | undefined;
    /** Unasked data came in the window of a later input: the query is asked again with the wider window. */
    let lateUnasked = false;
    try {
      if (this.opts.role === 'client') {
        const g = await this.collect(conn, mapper, timeout, 'greeting');
        greeting = outputOf(g.tokens);
        closed = g.closed;
        if (!greeting.startsWith('client_hello'))
          throw new SulError(`the client's first message was ${greeting}, not a ClientHello (${client?.describe() ?? ''})`);
      }
      // where the RFC machine stands (undefined once an input is out of order): it tells an unfinished flight
      let refStates: ReadonlySet<string> | undefined = this.reference.initial().states;
      for (const [i, input] of word.entries()) {
        if (closed) {
          outputs.push(CLOSED);
          continue;
        }
        const j = refStates ? this.reference.judge({ states: refStates }, input) : undefined;
        const after = j?.verdict === 'accept' ? j.states : undefined;
        const owes = (tokens: readonly OutputToken[]): boolean => {
          if (!after) return false;
          const w = this.reference.walk(after, outputOf(tokens));
          return w.ok && !w.closed && this.reference.owes(w.states);
        };
        this.steps++;
        await mapper.send(input);
        conn.write(mapper.takeOutgoing());
        lastWrite = performance.now();
        const base = i === 0 ? this.timing.firstSilenceMs : this.timing.silenceMs;
        const slow = this.slowWindow(word, i);
        const r = await this.collect(conn, mapper, Math.max(base, slow), slow > base ? 'slow' : 'normal', owes, i === 0);
        lastLatency = r.latency;
        if (
          connectedWrite !== undefined &&
          !again &&
          !input.startsWith('application_data') &&
          r.tokens.includes('application_data')
        ) {
          // application data on an input that asks for none, after the handshake: unasked data that came after its
          // window (a loaded target); widen the window and ask again (if it comes there again, it is that input's)
          this.lateAnswers++;
          this.noteUnasked(lastWrite + (r.latency ?? 0) - connectedWrite);
          lateUnasked = true;
          break;
        }
        if (connectedWrite === undefined && mapper.connected && !r.closed) {
          // the handshake is done: what the target sends unasked now (a greeting) belongs to this input, however late
          // it comes, and not to whichever input happens to follow
          connectedWrite = lastWrite;
          const u = await this.unaskedData(conn, mapper, lastWrite, r.tokens.includes('application_data'));
          r.tokens.push(...u.tokens);
          r.closed = u.closed;
        }
        outputs.push(outputOf(r.tokens));
        if (after) {
          const w = this.reference.walk(after, outputOf(r.tokens));
          refStates = w.ok && !w.closed ? w.states : undefined;
        } else refStates = undefined;
        closed = r.closed;
      }
    } finally {
      const tc = performance.now();
      late = await conn.close();
      if (process.env['TLSPROP_LEARN_DEBUG'])
        process.stderr.write(
          `[learn] ${(tc - qt0).toFixed(0)} ms + close ${(performance.now() - tc).toFixed(0)} ms: ${word.join(',')} => ${outputs.join(' ; ')}\n`,
        );
    }
    if (lateUnasked) return this.query(word, w, true);
    const prefix = word.slice(0, -1).join(' ');
    // what came at once after our FIN is the target's answer to the close (a close_notify, or an alert for the
    // unexpected end of the handshake, as OpenSSL sends decode_error): not a late answer
    const reaction = late.firstAt !== undefined && late.finAt !== undefined && late.firstAt - late.finAt < this.timing.reactionMs;
    if (late.bytes.length && word.length && !closed && !reaction) {
      const tokens = (await mapper.absorb(concatBytes(late.bytes))).filter((t) => !/^alert\((warning:)?close_notify\)$/.test(t));
      if (connectedWrite !== undefined && tokens.includes('application_data') && !again) {
        // unasked data later than the measured window: widen it and ask again
        this.lateAnswers++;
        this.noteUnasked((late.firstAt ?? performance.now()) - connectedWrite);
        return this.query(word, w, true);
      }
      if (tokens.length && !again) {
        // the last input's answer came after its window: mark the context slow (for this and deeper inputs) and ask
        // again; the mark stays only if the answer needs the longer window again (a busy moment is not a slow state)
        this.lateAnswers++;
        this.slow.set(prefix, Math.max(this.slow.get(prefix) ?? 0, (late.firstAt ?? performance.now()) - lastWrite));
        if (process.env['TLSPROP_LEARN_DEBUG'])
          process.stderr.write(
            `[learn] late answer after ${word.join(',')}: ${tokens.join('+')}; slow contexts ${JSON.stringify([...this.slow])}\n`,
          );
        return this.query(word, w, true);
      }
    }
    // the mark stays only if the longer window was needed again
    if (again && !(lastLatency !== undefined && lastLatency > this.timing.silenceMs)) this.slow.delete(prefix);
    const run: QueryRun = { word: [...word], outputs, wire: mapper.wire, keylog: mapper.keylog(), ports: conn.ports };
    if (greeting !== undefined) run.greeting = greeting;
    return run;
  }

  /** The window for unasked data after the input that completed a handshake (ms after it was written). */
  get unaskedWaitMs(): number {
    const last = this.unasked?.lastMs;
    // twice the latest arrival and a silence window: a loaded target's greeting comes later than when it was measured
    return last === undefined ? 0 : Math.min(2 * this.timing.opts.capMs, 2 * Math.ceil(last) + this.timing.silenceMs);
  }

  private noteUnasked(ms: number): void {
    this.unasked = { lastMs: Math.max(this.unasked?.lastMs ?? 0, ms) };
    if (process.env['TLSPROP_LEARN_DEBUG'])
      process.stderr.write(`[learn] unasked data after the handshake: window ${this.unaskedWaitMs} ms\n`);
  }

  /**
   * After the input that completed a handshake: read what the target sends unasked. The first query to get here
   * measures it (it waits a long window: the cap, at least four silence windows), the others wait for that and then
   * read up to the measured window after their own input; a target that sends nothing unasked costs one probe.
   */
  private async unaskedData(
    conn: Connection,
    mapper: MapperSession,
    since: number,
    alreadyCame: boolean,
  ): Promise<{ tokens: OutputToken[]; closed: boolean }> {
    const start = performance.now();
    while (!this.unasked && this.unaskedProbe) await this.unaskedProbe;
    if (this.unasked) return this.drain(conn, mapper, since + this.unaskedWaitMs, false);
    let release: () => void = () => undefined;
    this.unaskedProbe = new Promise<void>((r) => {
      release = r;
    });
    try {
      const probeMs = Math.max(this.timing.opts.capMs, 4 * this.timing.silenceMs);
      const d = await this.drain(conn, mapper, since + probeMs, true);
      const at = d.lastAppAt ?? (alreadyCame ? start : undefined);
      if (at !== undefined) this.noteUnasked(Math.max(0, at - since));
      else this.unasked = { lastMs: undefined };
      return d;
    } finally {
      this.unaskedProbe = undefined;
      release();
    }
  }

  /**
   * Read until `until` (and on while bytes keep coming within the quiet gap). `probe`: stop a silence window after
   * the last application data instead (the probe does not know how long to wait).
   */
  private async drain(
    conn: Connection,
    mapper: MapperSession,
    until: number,
    probe: boolean,
  ): Promise<{ tokens: OutputToken[]; closed: boolean; lastAppAt?: number }> {
    const tokens: OutputToken[] = [];
    let lastAppAt: number | undefined;
    let deadline = until;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) {
        if (mapper.pendingBytes && deadline < until + 4 * this.timing.silenceMs) {
          deadline += this.timing.quietMs;
          continue;
        }
        return lastAppAt === undefined ? { tokens, closed: false } : { tokens, closed: false, lastAppAt };
      }
      const r = await conn.read(left);
      if (r instanceof Uint8Array) {
        const t = await mapper.absorb(r);
        tokens.push(...t);
        const now = performance.now();
        if (t.includes('application_data')) lastAppAt = now;
        deadline = probe && lastAppAt !== undefined ? now + this.timing.silenceMs : Math.max(deadline, now + this.timing.quietMs);
        continue;
      }
      if (r.kind === 'timed_out') continue;
      tokens.push(CLOSED);
      return lastAppAt === undefined ? { tokens, closed: true } : { tokens, closed: true, lastAppAt };
    }
  }

  /** Read the target's answer to one input. */
  private async collect(
    conn: Connection,
    mapper: MapperSession,
    silenceMs: number,
    mode: 'normal' | 'slow' | 'greeting',
    owes: (tokens: readonly OutputToken[]) => boolean = () => false,
    firstInput = false,
  ): Promise<{ tokens: OutputToken[]; closed: boolean; latency?: number }> {
    const greeting = mode === 'greeting';
    let latency: number | undefined;
    const tokens: OutputToken[] = [];
    const start = performance.now();
    let deadline = start + silenceMs;
    let first = true;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) {
        // a record cut in the middle: its rest is on the way
        if (mapper.pendingBytes && deadline < start + 4 * silenceMs) {
          deadline += this.timing.quietMs;
          continue;
        }
        return latency === undefined ? { tokens, closed: false } : { tokens, closed: false, latency };
      }
      const r = await conn.read(left);
      if (r instanceof Uint8Array) {
        // the pace of the target's ordinary answers (a slow context's answers would only blur it)
        if (first) latency = performance.now() - start;
        if (first && mode === 'normal') this.timing.observe(latency!, firstInput);
        first = false;
        tokens.push(...(await mapper.absorb(r)));
        // after a fatal alert the connection must close: wait for it as long as for an answer
        const fatal = alertsOf(outputOf(tokens)).some((a) => a.fatal);
        // a flight the RFC machine says is not finished yet (a CCS without its Finished, a ServerHello without
        // ServerHelloDone): its rest may come in a later write, so wait for it as long as for an answer
        // (the rest of a flight may take the costly work a hello's answer takes, a signature or a Finished after a
        // ChangeCipherSpec written apart: it gets the first input's window, which those answers set)
        deadline =
          performance.now() +
          (owes(tokens)
            ? this.timing.firstSilenceMs
            : fatal
              ? this.timing.silenceMs
              : greeting && !tokens.length
                ? silenceMs
                : this.timing.quietMs);
        continue;
      }
      if (r.kind === 'timed_out') continue;
      tokens.push(CLOSED);
      return latency === undefined ? { tokens, closed: true } : { tokens, closed: true, latency };
    }
  }
}

/** Run tasks with at most `n` at once; results in input order. */
export async function pool<T, R>(items: readonly T[], n: number, fn: (item: T, worker: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const run = async (worker: number): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i]!, worker);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, (_, w) => run(w)));
  return out;
}
