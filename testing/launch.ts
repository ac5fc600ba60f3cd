/**
 * Start real TLS peers as child processes on loopback: a free port on
 * 127.0.0.1, a wait until the port accepts, output collected, and a stop by
 * PID (SIGTERM, then SIGKILL after a timeout). Nothing here is global: each
 * test keeps its own `PeerGroup` and stops it in afterAll/finally.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';

import { LOOPBACK } from '../fuzz/live';

export { LOOPBACK };

/** Thrown when a peer binary is not installed (CI installs them; tests must fail, not skip). */
export class MissingPeerError extends Error {
  override readonly name = 'MissingPeerError';
}

/** Path of an installed binary, or a MissingPeerError naming the package to install. */
export function requireBinary(name: string, debianPackage = name): string {
  const r = spawnSync('sh', ['-c', `command -v "$1"`, 'sh', name], { encoding: 'utf8' });
  const path = r.stdout.trim();
  if (r.status !== 0 || !path)
    throw new MissingPeerError(`peer binary "${name}" is not installed: apt-get install -y ${debianPackage}`);
  return path;
}

/** A port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, LOOPBACK, () => resolve());
  });
  const a = s.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** True when a TCP connection to 127.0.0.1:port succeeds now. */
export async function portAccepts(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const s = connect({ host: LOOPBACK, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LaunchSpec {
  /** Label for messages, e.g. "openssl s_server". */
  name: string;
  command: string;
  args: readonly string[];
  /** Debian package that provides `command` (for the missing-binary message). */
  package?: string;
  env?: Record<string, string>;
  cwd?: string;
  /** A server: wait until 127.0.0.1:port accepts before returning. */
  listenPort?: number;
  /** How long to wait for the port (default 5000 ms). */
  startTimeoutMs?: number;
}

/** A running (or finished) child process peer. */
export class PeerProcess {
  private out = '';
  private exitInfo: ExitInfo | undefined;
  private readonly exitWaiters: Array<(e: ExitInfo) => void> = [];
  private readonly outputWaiters: Array<{ text: string; resolve: (ok: boolean) => void }> = [];

  constructor(
    readonly spec: LaunchSpec,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    const onData = (d: Buffer) => {
      this.out += d.toString('utf8');
      for (const w of [...this.outputWaiters]) {
        if (this.out.includes(w.text)) {
          this.outputWaiters.splice(this.outputWaiters.indexOf(w), 1);
          w.resolve(true);
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.stdin.on('error', () => undefined);
    child.on('exit', (code, signal) => {
      this.exitInfo = { code, signal };
      for (const w of this.exitWaiters.splice(0)) w(this.exitInfo);
      for (const w of this.outputWaiters.splice(0)) w.resolve(this.out.includes(w.text));
    });
    child.on('error', (e) => {
      this.out += `\n[spawn error: ${e.message}]`;
      this.exitInfo ??= { code: -1, signal: null };
      for (const w of this.exitWaiters.splice(0)) w(this.exitInfo);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }
  get name(): string {
    return this.spec.name;
  }
  /** Everything the process wrote to stdout and stderr so far. */
  get output(): string {
    return this.out;
  }
  get exit(): ExitInfo | undefined {
    return this.exitInfo;
  }
  get running(): boolean {
    return this.exitInfo === undefined && this.child.pid !== undefined && pidAlive(this.child.pid);
  }

  write(data: string | Uint8Array): void {
    if (!this.child.stdin.destroyed) this.child.stdin.write(data);
  }
  endInput(): void {
    if (!this.child.stdin.destroyed) this.child.stdin.end();
  }

  /** Resolves true once the output contains `text`, false on exit or timeout. */
  async waitForOutput(text: string, timeoutMs: number): Promise<boolean> {
    if (this.out.includes(text)) return true;
    if (this.exitInfo) return false;
    let timer: NodeJS.Timeout | undefined;
    const r = await new Promise<boolean>((resolve) => {
      const w = { text, resolve };
      this.outputWaiters.push(w);
      timer = setTimeout(() => {
        const i = this.outputWaiters.indexOf(w);
        if (i >= 0) this.outputWaiters.splice(i, 1);
        resolve(false);
      }, timeoutMs);
    });
    clearTimeout(timer);
    return r;
  }

  /** Resolves with the exit status, or undefined after timeoutMs. */
  async waitForExit(timeoutMs: number): Promise<ExitInfo | undefined> {
    if (this.exitInfo) return this.exitInfo;
    let timer: NodeJS.Timeout | undefined;
    const r = await new Promise<ExitInfo | undefined>((resolve) => {
      this.exitWaiters.push(resolve);
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    clearTimeout(timer);
    return r;
  }

  /** Stop by PID: `signal` (default SIGTERM), then SIGKILL when still running after timeoutMs. */
  async stop(timeoutMs = 2000, signal: NodeJS.Signals = 'SIGTERM'): Promise<ExitInfo> {
    const pid = this.child.pid;
    if (this.exitInfo || pid === undefined) return this.exitInfo ?? { code: null, signal: null };
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
    const first = await this.waitForExit(timeoutMs);
    if (first) return first;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    return (await this.waitForExit(timeoutMs)) ?? { code: null, signal: 'SIGKILL' };
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Start a peer; for servers (listenPort) wait until the port accepts, failing with its output if it exits first. */
export async function launch(spec: LaunchSpec): Promise<PeerProcess> {
  requireBinary(spec.command, spec.package);
  const child = spawn(spec.command, [...spec.args], {
    stdio: 'pipe',
    cwd: spec.cwd,
    env: spec.env ? { ...process.env, ...spec.env } : process.env,
  });
  const peer = new PeerProcess(spec, child);
  if (spec.listenPort !== undefined) {
    const until = Date.now() + (spec.startTimeoutMs ?? 5000);
    for (;;) {
      if (await portAccepts(spec.listenPort)) break;
      if (peer.exit || Date.now() > until) {
        await peer.stop(500);
        throw new Error(
          `${spec.name} did not accept on ${LOOPBACK}:${spec.listenPort} (${peer.exit ? `exited ${peer.exit.code ?? peer.exit.signal}` : 'timed out'}): ${spec.command} ${spec.args.join(' ')}\n${peer.output.slice(-2000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 30));
    }
  }
  return peer;
}

/** The peers one test started: stop them all (by PID) and check none is left. */
export class PeerGroup {
  private readonly peers: PeerProcess[] = [];

  async launch(spec: LaunchSpec): Promise<PeerProcess> {
    const p = await launch(spec);
    this.peers.push(p);
    return p;
  }

  /** Processes still running. */
  running(): PeerProcess[] {
    return this.peers.filter((p) => p.running);
  }

  async stopAll(timeoutMs = 2000): Promise<void> {
    for (const p of this.peers) await p.stop(timeoutMs);
  }
}

/** Run a short-lived peer to completion (with a timeout; killed by PID when it runs over). */
export async function runToExit(
  spec: LaunchSpec,
  timeoutMs: number,
  stdin?: string,
): Promise<{ exit: ExitInfo; output: string; timedOut: boolean }> {
  const p = await launch(spec);
  if (stdin !== undefined) {
    p.write(stdin);
    p.endInput();
  }
  const e = await p.waitForExit(timeoutMs);
  const exit = e ?? (await p.stop(1000));
  return { exit, output: p.output, timedOut: e === undefined };
}

/** A listener on 127.0.0.1 (for our server) that hands out accepted sockets in order. */
export class LoopbackListener {
  private readonly pending: Socket[] = [];
  private readonly waiters: Array<(s: Socket) => void> = [];
  private readonly accepted: Socket[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {
    server.on('connection', (s) => {
      this.accepted.push(s);
      const w = this.waiters.shift();
      if (w) w(s);
      else this.pending.push(s);
    });
  }

  static async open(): Promise<LoopbackListener> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, LOOPBACK, () => resolve());
    });
    const a = server.address();
    return new LoopbackListener(server, typeof a === 'object' && a ? a.port : 0);
  }

  /** The next accepted connection, or an error after timeoutMs. */
  async accept(timeoutMs = 5000): Promise<Socket> {
    const s = this.pending.shift();
    if (s) return s;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const w = (sock: Socket) => resolve(sock);
        this.waiters.push(w);
        timer = setTimeout(() => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new Error(`no connection on ${LOOPBACK}:${this.port} within ${timeoutMs} ms`));
        }, timeoutMs);
      });
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    for (const s of this.accepted) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
