/**
 * Loaded after the test framework in every jest project (jest.config.ts `setupFilesAfterEnv`), once per test file.
 *
 * 1. CPU per file: the worker's own CPU time (user + system, `process.cpuUsage`), the CPU time of the processes it
 *    started and reaped meanwhile (peers, tools, the CLI: /proc/self/stat cutime + cstime, Linux only) and the wall
 *    time spent in this file are appended as one JSON line to out/jest/cpu.jsonl (`npm run test:slowest` reads it).
 * 2. Stall watchdog: three runs of the whole suite on CI stopped with one jest worker idle (no CPU, event loop in
 *    epoll_wait) while jest's per-test timeout never fired. If a file is still running after STALL_MS (the slowest
 *    file takes about 4 minutes), this writes what the worker waits on to stderr and to out/jest/stall-PID.txt
 *    (the current test, Node's diagnostic report with the libuv handles and the JavaScript stack, and whether the
 *    libuv thread pool still answers), then ends the worker with exit code 70 instead of letting the run hang until
 *    the CI limit. jest-worker restarts a worker that exits with a code other than 0 and sends it the same file
 *    again: a one-off stall costs one more run of that file, a stall that repeats fails the file after jest's
 *    retries. Either way the evidence stays in the log and in out/jest/stall-*.txt, which .ci/run prints.
 *    It cannot help a worker whose main thread is blocked (a native deadlock, as the Node 20 key-export one that
 *    crypto/ecdh.ts nodeGenerate now avoids): its timers never run then.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomFill } from 'node:crypto';
import { join, relative } from 'node:path';

const STALL_MS = Number(process.env.TLSPROP_STALL_MS ?? 15 * 60_000);
const OUT = join(__dirname, '..', 'out', 'jest');

/** CPU milliseconds of this process's reaped children (Linux /proc; 0 elsewhere). */
function childrenCpuMs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // the fields after the command name in parentheses: cutime and cstime are fields 16 and 17 of the whole line
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[13]) + Number(f[14])) * 1000) / 100;
  } catch {
    return 0;
  }
}

const file = relative(join(__dirname, '..'), expect.getState().testPath ?? 'unknown');
const cpu0 = process.cpuUsage();
const children0 = childrenCpuMs();
const wall0 = performance.now();

/** Does the libuv thread pool still run work (crypto, fs and zlib jobs queue there)? */
function threadPoolAnswers(ms: number): Promise<string> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(`no: a randomFill job queued ${ms} ms ago has not run`), ms);
    randomFill(new Uint8Array(1), () => {
      clearTimeout(t);
      resolve('yes');
    });
  });
}

async function dumpStall(): Promise<void> {
  const state = expect.getState();
  const lines = [
    `tlsprop watchdog: ${file} still running after ${Math.round((performance.now() - wall0) / 1000)} s (pid ${process.pid})`,
    `current test: ${state.currentTestName ?? '(none: between tests or in a hook)'}`,
    `active resources: ${process.getActiveResourcesInfo().join(', ')}`,
    `libuv thread pool answers: ${await threadPoolAnswers(5_000)}`,
  ];
  let report = '';
  try {
    // the environment may hold CI secrets, and the shared objects are noise
    const { environmentVariables: _env, sharedObjects: _so, ...rest } = process.report.getReport() as Record<string, unknown>;
    report = JSON.stringify(rest, null, 1);
  } catch (e) {
    report = `no diagnostic report: ${String(e)}`;
  }
  const text = `${lines.join('\n')}\n`;
  process.stderr.write(text);
  try {
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, `stall-${process.pid}.txt`), `${text}\n${report}\n`);
  } catch {
    // the stderr lines above are the evidence then
  }
  process.exit(70);
}

let fired = false;
const timer = setInterval(() => {
  if (fired || performance.now() - wall0 < STALL_MS) return;
  fired = true;
  void dumpStall();
}, 30_000);
timer.unref();

afterAll(() => {
  clearInterval(timer);
  const c = process.cpuUsage(cpu0);
  const line = {
    file,
    cpuMs: Math.round((c.user + c.system) / 1000),
    childMs: Math.round(childrenCpuMs() - children0),
    wallMs: Math.round(performance.now() - wall0),
  };
  try {
    mkdirSync(OUT, { recursive: true });
    appendFileSync(join(OUT, 'cpu.jsonl'), `${JSON.stringify(line)}\n`);
  } catch {
    // a read-only checkout: the figure is only for `test:slowest`
  }
});
