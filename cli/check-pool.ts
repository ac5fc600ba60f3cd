/**
 * An ordered pool for `tlsprop check`: jobs go in in capture order, results
 * come out in the same order (deterministic output), while the jobs run
 * concurrently on worker threads (`node:worker_threads`) or, with one job
 * slot, on this thread.
 *
 * - Workers start only once `threshold` jobs have been submitted: a capture
 *   of a few connections is checked here, without paying a worker's start
 *   (each worker loads the oracles and the certificate library itself, about
 *   a second of CPU). While the workers start, jobs run here; once one is
 *   ready, jobs go to the ready worker with the fewest jobs in flight.
 * - Each worker runs up to `concurrency` jobs at once, so that its awaits
 *   (crypto jobs on libuv's thread pool) overlap with other checks.
 * - Backpressure: `push` waits while `window` jobs are submitted and not yet
 *   handed back, so what is held (jobs in flight and results waiting for an
 *   earlier one) stays bounded whatever the size of the capture.
 * - A worker's failure (an exception in a check, a crash) fails the run with
 *   its message; `close()` terminates the workers (always call it).
 */
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';

export interface PoolOptions<J, R> {
  /** Worker threads at most (0: everything runs on this thread). */
  workers: number;
  /** Jobs at once per worker, and on this thread. */
  concurrency: number;
  /** Jobs submitted before workers start. */
  threshold: number;
  /** Run a job on this thread. */
  inline: (job: J) => Promise<R>;
  /** The job as posted to a worker (structured clone), and the buffers the message moves instead of copying. */
  message: (job: J) => { data: unknown; transfer?: ArrayBuffer[] };
  /** Module path of the worker (its default export is not used: it listens on parentPort, see check-worker.ts). */
  workerModule: string;
  /** Given to every worker as workerData.init. */
  init: unknown;
  /** Called with each result, in submission order. */
  onResult: (result: R, job: J) => void;
}

interface Slot<J, R> {
  job: J;
  done: boolean;
  result?: R;
}

interface PoolWorker {
  worker: Worker;
  ready: boolean;
  inFlight: number;
}

/** How many checks run at once by default: one per core (`--jobs`). */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/**
 * The worker bootstrap. Compiled JavaScript (dist/) is required as it is.
 * From the TypeScript sources, the worker runs one bundle of the worker
 * module and what it imports (packages stay external), compiled once by
 * the thread that starts the pool (see workerBundle): a worker then starts
 * on plain JavaScript instead of compiling each source file on load with
 * esbuild-register (its own esbuild service thread and about a second of
 * CPU per worker). The bundle is compiled under the worker module's path,
 * so its `require` of packages and its `__dirname` are those of the
 * sources. Without a bundle (esbuild failed) the worker registers the
 * TypeScript loader as before.
 */
function bootstrap(): string {
  return `
const { workerData } = require('node:worker_threads');
if (workerData.code !== undefined) {
  const Module = require('node:module');
  const m = new Module(workerData.module, null);
  m.filename = workerData.module;
  m.paths = Module._nodeModulePaths(require('node:path').dirname(workerData.module));
  m._compile(workerData.code, workerData.module);
} else {
  if (workerData.register) require(workerData.register).register({ target: 'node20' });
  require(workerData.module);
}
`;
}

/**
 * The worker module bundled into one CommonJS script (running from the
 * TypeScript sources only): compiled now from the sources as they are, so
 * it is never stale. The same esbuild options as esbuild-register's (CommonJS,
 * node20); packages are left to `require`. Undefined when esbuild fails: the
 * workers then compile the sources themselves.
 */
export function workerBundle(module: string): string | undefined {
  if (extname(module) !== '.ts') return undefined;
  try {
    const esbuild = require('esbuild') as typeof import('esbuild');
    const r = esbuild.buildSync({
      entryPoints: [module],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      packages: 'external',
      write: false,
      logLevel: 'silent',
    });
    return r.outputFiles[0]?.text;
  } catch {
    return undefined;
  }
}

/** The module to run in a worker: a sibling of this file, with this file's extension (sources or compiled). */
export function siblingModule(name: string): string {
  return join(__dirname, `${name}${extname(__filename)}`);
}

export class OrderedPool<J, R> {
  private readonly slots = new Map<number, Slot<J, R>>();
  private nextId = 0;
  private nextOut = 0;
  private inlineInFlight = 0;
  private readonly workers: PoolWorker[] = [];
  private readonly waiting: number[] = [];
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(private readonly o: PoolOptions<J, R>) {}

  /** Jobs submitted and not yet handed back at most. */
  get window(): number {
    return Math.max(2, (Math.max(1, this.o.workers) + 1) * this.o.concurrency * 2);
  }

  /** Worker threads started so far. */
  get started(): number {
    return this.workers.length;
  }

  /** Submit the next job; resolves once there is room for another. */
  async push(job: J): Promise<void> {
    this.check();
    const id = this.nextId++;
    this.slots.set(id, { job, done: false });
    this.waiting.push(id);
    if (this.o.workers > 0 && this.workers.length === 0 && this.nextId > this.o.threshold) this.startWorkers();
    this.dispatch();
    while (this.slots.size >= this.window) {
      await this.sleep();
      this.check();
    }
  }

  /** Wait for every submitted job and hand back the results. */
  async drain(): Promise<void> {
    while (this.slots.size > 0) {
      this.dispatch();
      if (this.slots.size === 0) break;
      await this.sleep();
      this.check();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const prev = this.wake;
      this.wake = () => {
        prev?.();
        resolve();
      };
    });
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.notify();
  }

  private startWorkers(): void {
    const register = extname(__filename) === '.ts' ? require.resolve('esbuild-register/dist/node') : undefined;
    const code = workerBundle(this.o.workerModule);
    for (let i = 0; i < this.o.workers; i++) {
      const worker = new Worker(bootstrap(), {
        eval: true,
        workerData: { register, code, module: this.o.workerModule, init: this.o.init },
      });
      const pw: PoolWorker = { worker, ready: false, inFlight: 0 };
      worker.on('message', (m: WorkerMessage<R>) => {
        if (m.type === 'ready') {
          pw.ready = true;
          this.dispatch();
          this.notify();
          return;
        }
        pw.inFlight--;
        if (m.type === 'error') this.fail(new Error(`check worker: ${m.error}`));
        else this.complete(m.id, m.result);
      });
      worker.on('error', (e) => this.fail(e instanceof Error ? e : new Error(String(e))));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`check worker exited with code ${code}`));
      });
      this.workers.push(pw);
    }
  }

  private dispatch(): void {
    while (this.waiting.length > 0 && !this.failure) {
      const id = this.waiting[0]!;
      const slot = this.slots.get(id)!;
      let best: PoolWorker | undefined;
      for (const w of this.workers)
        if (w.ready && w.inFlight < this.o.concurrency && (!best || w.inFlight < best.inFlight)) best = w;
      if (best) {
        this.waiting.shift();
        best.inFlight++;
        const { data, transfer } = this.o.message(slot.job);
        best.worker.postMessage({ id, job: data }, transfer);
        continue;
      }
      if (this.workers.some((w) => w.ready) || this.inlineInFlight >= this.o.concurrency) return;
      this.waiting.shift();
      this.inlineInFlight++;
      this.o.inline(slot.job).then(
        (r) => {
          this.inlineInFlight--;
          this.complete(id, r);
        },
        (e: unknown) => {
          this.inlineInFlight--;
          this.fail(e instanceof Error ? e : new Error(String(e)));
        },
      );
    }
  }

  private complete(id: number, result: R): void {
    const slot = this.slots.get(id);
    if (!slot) return;
    slot.done = true;
    slot.result = result;
    for (;;) {
      const next = this.slots.get(this.nextOut);
      if (!next?.done) break;
      this.slots.delete(this.nextOut++);
      try {
        this.o.onResult(next.result!, next.job);
      } catch (e) {
        this.fail(e instanceof Error ? e : new Error(String(e)));
        return;
      }
    }
    this.dispatch();
    this.notify();
  }
}

/** What a worker posts back. */
export type WorkerMessage<R> =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: R }
  | { type: 'error'; id: number; error: string };
