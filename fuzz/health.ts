/**
 * Target death: after a conversation that ended without an answer (the peer
 * closed or reset the connection without an alert, or went silent), is the
 * target still there? `check` connects and runs a sanity handshake with the
 * ceilings: no connection is a crashed target (`target-crashed`), a
 * connection without a handshake a hung one (`target-hung`). The
 * conversation is then the culprit. `recover` runs the restart command when
 * one was given (`--restart-cmd`: detached, as a user's server would be)
 * and waits until the target accepts connections and completes a sanity
 * handshake again; without one it waits a little for a target that comes
 * back by itself (a supervisor), then gives up and the run stops cleanly.
 */
import { spawn } from 'node:child_process';
import { connectTo } from './exchange';

export type TargetState = 'up' | 'crashed' | 'hung';

export interface TargetHealth {
  /** Is the target there (a connection and a sanity handshake)? */
  check(): Promise<{ state: TargetState; detail: string }>;
  /** Bring the target back (restart command, then wait); true when it is up again. */
  recover(): Promise<{ up: boolean; detail: string }>;
}

export interface HealthOptions {
  host: string;
  port: number;
  /** A valid handshake with the ceilings: true when it completed (or the target answered at all). */
  sanity(): Promise<boolean>;
  /** Restart the target: a shell command (`--restart-cmd`), or a function (tests). */
  restart?: string | (() => Promise<void>);
  /** How long to wait for the target to come back (default 10 s; 30 s with a restart). */
  recoverMs?: number;
  log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Whether the target accepts a TCP connection now. */
async function accepts(host: string, port: number): Promise<{ ok: boolean; error?: string }> {
  const c = await connectTo(host, port);
  if ('error' in c) return { ok: false, error: c.error };
  c.socket.destroy();
  return { ok: true };
}

export function targetHealth(o: HealthOptions): TargetHealth {
  const log = o.log ?? (() => undefined);
  const check = async (): Promise<{ state: TargetState; detail: string }> => {
    const a = await accepts(o.host, o.port);
    if (!a.ok) return { state: 'crashed', detail: `the target no longer accepts connections (${a.error ?? 'refused'})` };
    if (!(await o.sanity()))
      return { state: 'hung', detail: 'the target accepts connections but no longer completes a handshake' };
    return { state: 'up', detail: 'the target still accepts connections and completes a handshake' };
  };
  return {
    check,
    async recover() {
      // another conversation may have brought it back already: restart only a target that is down
      if ((await check()).state === 'up') return { up: true, detail: 'the target is up' };
      if (o.restart !== undefined) {
        if (typeof o.restart === 'function') await o.restart();
        else {
          // the restart command starts the user's server (which may not return): detached, in its own process group
          const child = spawn('/bin/sh', ['-c', o.restart], { detached: true, stdio: 'ignore' });
          child.on('error', () => undefined);
          child.unref();
          log(`restart: started ${JSON.stringify(o.restart)} (pid ${child.pid ?? '?'})`);
        }
      }
      const until = Date.now() + (o.recoverMs ?? (o.restart !== undefined ? 30_000 : 10_000));
      let wait = 50;
      for (;;) {
        const s = await check();
        if (s.state === 'up') return { up: true, detail: 'the target is back' };
        if (Date.now() >= until) return { up: false, detail: `the target did not come back: ${s.detail}` };
        await sleep(wait);
        wait = Math.min(1000, wait * 2);
      }
    },
  };
}

/**
 * Conversations run side by side (`--jobs`) share the gate; a suspected target death is confirmed alone. When the
 * target dies, every conversation open at that moment sees it go; re-running the suspect with nothing else on the
 * target tells the culprit (the target dies again) from a bystander (it does not).
 */
export class DeathGate {
  private active = 0;
  private closed: Promise<void> | undefined;
  private idle: (() => void)[] = [];

  /** Run `f` beside the other conversations (waits while a confirmation runs alone). */
  async shared<T>(f: () => Promise<T>): Promise<T> {
    while (this.closed) await this.closed;
    this.active++;
    try {
      return await f();
    } finally {
      this.active--;
      if (this.active === 0) for (const r of this.idle.splice(0)) r();
    }
  }

  /** Run `f` with nothing else on the target: new conversations wait, open ones finish first. */
  async alone<T>(f: () => Promise<T>): Promise<T> {
    while (this.closed) await this.closed;
    let release: () => void = () => undefined;
    this.closed = new Promise<void>((r) => {
      release = r;
    });
    try {
      if (this.active > 0) await new Promise<void>((r) => this.idle.push(r));
      return await f();
    } finally {
      this.closed = undefined;
      release();
    }
  }
}
