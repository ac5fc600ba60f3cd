/** Client commands: placeholders, stdin, bounded output, timeouts, and no process left behind. */
import { readFileSync } from 'node:fs';
import { ClientCommand, ClientCommandError, groupMembers, runClientCommand, shellQuote, substitute } from './clientcmd';

/** Running (a zombie waiting for init to reap it is not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

describe('substitute', () => {
  it('replaces known placeholders with shell-quoted values and leaves the rest', () => {
    expect(substitute('x -connect {host}:{port} {other}', { host: '127.0.0.1', port: '4433' })).toBe(
      'x -connect 127.0.0.1:4433 {other}',
    );
    expect(substitute('echo {v}', { v: "a'b; rm -rf /" })).toBe(`echo 'a'\\''b; rm -rf /'`);
    expect(shellQuote('')).toBe("''");
  });

  it('a quoted value reaches the program as one word', async () => {
    const r = await runClientCommand({ command: 'printf "[%s]" {v}', vars: { v: "it's $HOME `x`" }, timeoutMs: 5000 });
    expect(r.output).toBe("[it's $HOME `x`]");
    expect(r.exitCode).toBe(0);
  });
});

describe('ClientCommand', () => {
  it('feeds stdin, captures output and the exit code', async () => {
    const r = await runClientCommand({ command: 'cat; echo err >&2; exit 3', stdin: 'hello\n', timeoutMs: 5000 });
    expect(r).toMatchObject({ exitCode: 3, timedOut: false, stopped: false, killed: false });
    expect(r.output).toBe('hello\nerr\n');
  });

  it('keeps only a bounded tail of the output', async () => {
    const r = await runClientCommand({
      command: 'i=0; while [ $i -lt 200 ]; do echo line$i; i=$((i+1)); done',
      timeoutMs: 5000,
      maxOutputBytes: 64,
    });
    expect(r.output.length).toBe(64);
    expect(r.output.endsWith('line199\n')).toBe(true);
    expect(r.truncated).toBeGreaterThan(0);
  });

  it('times out and kills a command that ignores SIGTERM, with its whole process group', async () => {
    const c = new ClientCommand({
      command: `sh -c 'trap "" TERM; sleep 30' & echo $! ; trap "" TERM; sleep 30`,
      timeoutMs: 300,
      killGraceMs: 200,
    });
    const r = await c.done;
    expect(r).toMatchObject({ timedOut: true, stopped: true, killed: true });
    const inner = Number(r.output.trim().split('\n')[0]);
    expect(Number.isInteger(inner) && inner > 0).toBe(true);
    expect(alive(inner)).toBe(false);
    expect(alive(c.pid)).toBe(false);
    expect(groupMembers(c.pid)).toEqual([]);
  });

  it('stop() ends a running command; a background child of an exited shell is stopped too', async () => {
    const c = new ClientCommand({ command: 'sleep 30', timeoutMs: 10_000 });
    await c.stop();
    const r = await c.done;
    expect(r).toMatchObject({ stopped: true, timedOut: false, killed: false, signal: 'SIGTERM' });

    // the shell exits at once, leaving `sleep` in its group holding stdout
    const d = new ClientCommand({ command: 'sleep 30 & echo $!', timeoutMs: 10_000 });
    const r2 = await d.finish(300);
    const bg = Number(r2.output.trim());
    expect(bg).toBeGreaterThan(0);
    expect(alive(bg)).toBe(false);
  });

  it('finish() returns early when the command exits by itself', async () => {
    const c = new ClientCommand({ command: 'exit 0', timeoutMs: 10_000 });
    const r = await c.finish(5000);
    expect(r).toMatchObject({ exitCode: 0, stopped: false });
    expect(r.ms).toBeGreaterThanOrEqual(0);
  });

  it('rejects an empty command', () => {
    expect(() => new ClientCommand({ command: '  ', timeoutMs: 100 })).toThrow(ClientCommandError);
  });
});
