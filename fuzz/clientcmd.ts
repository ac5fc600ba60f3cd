/**
 * Run a TLS client command for one live conversation.
 *
 * The command is a shell command line, run as `/bin/sh -c CMD`: users give
 * what they would type (`openssl s_client -connect 127.0.0.1:{port} ...`,
 * `OPENSSL_CONF=max12.cnf mosquitto_pub ...`, pipes), and no home-made
 * word splitter second-guesses their quoting. Placeholders `{port}`,
 * `{host}` (and any other `{name}` the caller supplies) are replaced by
 * their values, single-quoted for the shell, so a value can never inject
 * shell syntax. Unknown `{...}` text is left alone.
 *
 * The shell is spawned detached, so it leads a new process group holding
 * everything the command starts; stopping sends SIGTERM to the whole group
 * by its id, then SIGKILL to whatever is still alive after a grace period.
 * Output (stdout and stderr interleaved) is kept bounded: only the tail.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ClientCommandOptions {
  /** Shell command line, with optional `{name}` placeholders. */
  command: string;
  /** Placeholder values, e.g. `{ port: '4433', host: '127.0.0.1' }`. */
  vars?: Readonly<Record<string, string>>;
  /** Written to the command's stdin, which is then closed (default: stdin closed at once). */
  stdin?: string | Uint8Array;
  /** The command is stopped (whole process group) after this long. */
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL (default 300 ms). */
  killGraceMs?: number;
  /** Bytes of output tail kept (default 8192). */
  maxOutputBytes?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface ClientCommandResult {
  /** Process group id (= the shell's pid). */
  pid: number;
  /** Exit code of the shell, or null when it died of a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The timeout passed before the command ended by itself. */
  timedOut: boolean;
  /** We stopped it (stop() or timeout) rather than it exiting on its own. */
  stopped: boolean;
  /** SIGKILL was needed. */
  killed: boolean;
  /** Tail of stdout+stderr, decoded as latin1. */
  output: string;
  /** Bytes of output dropped from the front. */
  truncated: number;
  ms: number;
}

/**
 * A running client as the client fuzzer drives it: a command (ClientCommand)
 * or a client in this process (ClientTarget.launch, e.g. Node's tls).
 */
export interface LaunchedClient {
  /** Resolves once the client is over (exited, or its connection ended). */
  readonly done: Promise<ClientCommandResult>;
  /** Wait up to `ms` for it to end by itself, then stop it; how it ended either way. */
  finish(ms: number): Promise<ClientCommandResult>;
}

/** Error for a command that cannot be started at all (e.g. empty). */
export class ClientCommandError extends Error {
  override readonly name = 'ClientCommandError';
}

/** Single-quote a value for /bin/sh. */
export function shellQuote(v: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(v) ? v : `'${v.replaceAll("'", `'\\''`)}'`;
}

/** Replace `{name}` placeholders with shell-quoted values; unknown names stay as they are. */
export function substitute(command: string, vars: Readonly<Record<string, string>>): string {
  return command.replace(/\{([A-Za-z][A-Za-z0-9_]*)\}/g, (whole, name: string) => {
    const v = Object.hasOwn(vars, name) ? vars[name] : undefined;
    return v === undefined ? whole : shellQuote(v);
  });
}

/** Bounded tail of a byte stream. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  dropped = 0;
  constructor(private readonly max: number) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > this.max && this.chunks.length) {
      const first = this.chunks[0]!;
      const over = this.size - this.max;
      if (first.length <= over) {
        this.chunks.shift();
        this.size -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = first.subarray(over);
        this.size -= over;
        this.dropped += over;
      }
    }
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }
}

/**
 * Members of process group `pgid` that are still running. Zombies do not
 * count: a killed grandchild reparented to init stays a zombie until init
 * reaps it, and signals can no longer reach it anyway. Read from /proc on
 * Linux; elsewhere a signal-0 probe (which counts zombies) decides.
 */
export function groupMembers(pgid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM' ? [pgid] : [];
    }
  }
  const out: number[] = [];
  for (const name of entries) {
    if (!/^[0-9]+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') out.push(Number(name));
  }
  return out;
}

function groupAlive(pgid: number): boolean {
  return groupMembers(pgid).length > 0;
}

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // the group is already gone
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One running client command; `done` resolves once the shell has exited and its process group is empty. */
export class ClientCommand implements LaunchedClient {
  readonly pid: number;
  readonly commandLine: string;
  readonly done: Promise<ClientCommandResult>;
  private readonly t0 = Date.now();
  private readonly grace: number;
  private readonly tail: Tail;
  private timer: NodeJS.Timeout | undefined;
  private timedOut = false;
  private stopped = false;
  private killed = false;
  private stopping: Promise<void> | undefined;
  private exited = false;

  constructor(o: ClientCommandOptions) {
    if (!o.command.trim()) throw new ClientCommandError('empty client command');
    this.commandLine = substitute(o.command, o.vars ?? {});
    this.grace = o.killGraceMs ?? 300;
    this.tail = new Tail(o.maxOutputBytes ?? 8192);
    const child = spawn('/bin/sh', ['-c', this.commandLine], {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: o.env ?? process.env,
      ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
    });
    if (child.pid === undefined) throw new ClientCommandError(`could not start /bin/sh for ${JSON.stringify(this.commandLine)}`);
    this.pid = child.pid;
    child.stdout?.on('data', (d: Buffer) => this.tail.push(d));
    child.stderr?.on('data', (d: Buffer) => this.tail.push(d));
    // a client that exits before reading its stdin closes the pipe: not an error of ours
    child.stdin?.on('error', () => undefined);
    if (o.stdin !== undefined) child.stdin?.end(typeof o.stdin === 'string' ? o.stdin : Buffer.from(o.stdin));
    else child.stdin?.end();
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('error', () => resolve({ code: null, signal: null }));
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    this.timer = setTimeout(() => {
      this.timedOut = true;
      void this.stop();
    }, o.timeoutMs);
    this.done = exit.then(async ({ code, signal }) => {
      this.exited = true;
      clearTimeout(this.timer);
      // the shell is gone; anything it left in its group goes too
      if (groupAlive(this.pid)) await this.stop();
      else await this.stopping;
      return {
        pid: this.pid,
        exitCode: code,
        signal,
        timedOut: this.timedOut,
        stopped: this.stopped,
        killed: this.killed,
        output: this.tail.text(),
        truncated: this.tail.dropped,
        ms: Date.now() - this.t0,
      };
    });
  }

  /** Stop the whole process group (SIGTERM, then SIGKILL after the grace period); resolves when no member is left. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearTimeout(this.timer);
      if (!groupAlive(this.pid)) return;
      if (!this.exited) this.stopped = true;
      signalGroup(this.pid, 'SIGTERM');
      const until = Date.now() + this.grace;
      while (Date.now() < until && groupAlive(this.pid)) await sleep(20);
      if (groupAlive(this.pid)) {
        this.killed = true;
        signalGroup(this.pid, 'SIGKILL');
        while (groupAlive(this.pid)) await sleep(10);
      }
    })();
    return this.stopping;
  }

  /** Wait up to `ms` for the command to exit by itself, then stop it; the result either way. */
  async finish(ms: number): Promise<ClientCommandResult> {
    let t: NodeJS.Timeout | undefined;
    const early = await Promise.race([
      this.done.then(() => true),
      new Promise<boolean>((r) => {
        t = setTimeout(() => r(false), ms);
      }),
    ]);
    clearTimeout(t);
    if (!early) await this.stop();
    return this.done;
  }
}

/** Run a command to its end (or its timeout) and return how it ended. */
export function runClientCommand(o: ClientCommandOptions): Promise<ClientCommandResult> {
  return new ClientCommand(o).done;
}

/** One line about how a command ended. */
export function describeCommandEnd(r: ClientCommandResult): string {
  const how = r.timedOut
    ? 'timed out'
    : r.stopped
      ? 'stopped by us'
      : r.exitCode !== null
        ? `exit ${r.exitCode}`
        : `signal ${r.signal ?? '?'}`;
  return `${how}${r.killed ? ' (SIGKILL needed)' : ''} after ${r.ms} ms`;
}
