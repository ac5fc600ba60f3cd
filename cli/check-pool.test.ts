/**
 * OrderedPool: results in submission order whatever the completion order,
 * bounded work in flight, failures (a job's, a worker's) fail the run.
 */
import type { Transcript } from '../transcript/model';
import type { CheckJob, CheckWorkerInit, CheckedConnection } from './check';
import { OrderedPool, siblingModule } from './check-pool';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('OrderedPool on this thread', () => {
  test('hands results back in submission order, with at most `concurrency` jobs running and `window` held', async () => {
    const out: number[] = [];
    let running = 0;
    let maxRunning = 0;
    let maxHeld = 0;
    const pool: OrderedPool<number, number> = new OrderedPool<number, number>({
      workers: 0,
      concurrency: 3,
      threshold: 0,
      inline: async (n) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        // Later jobs finish first.
        await tick((20 - (n % 20)) * 2);
        running--;
        return n * n;
      },
      message: (n) => ({ data: n }),
      workerModule: '',
      init: undefined,
      onResult: (r) => out.push(r),
    });
    try {
      for (let i = 0; i < 60; i++) {
        await pool.push(i);
        maxHeld = Math.max(maxHeld, i + 1 - out.length);
      }
      await pool.drain();
    } finally {
      await pool.close();
    }
    expect(out).toEqual([...Array(60).keys()].map((i) => i * i));
    expect(maxRunning).toBe(3);
    expect(maxHeld).toBeLessThanOrEqual(pool.window);
    expect(pool.started).toBe(0);
  });

  test("a job's failure fails the run", async () => {
    const pool = new OrderedPool<number, number>({
      workers: 0,
      concurrency: 2,
      threshold: 0,
      inline: async (n) => {
        if (n === 3) throw new Error('job 3 failed');
        return n;
      },
      message: (n) => ({ data: n }),
      workerModule: '',
      init: undefined,
      onResult: () => {},
    });
    const run = async () => {
      try {
        for (let i = 0; i < 10; i++) await pool.push(i);
        await pool.drain();
      } finally {
        await pool.close();
      }
    };
    await expect(run()).rejects.toThrow('job 3 failed');
  });
});

describe('OrderedPool with check workers', () => {
  const init: CheckWorkerInit = { options: {}, render: 'json' };
  // Jobs on this thread never finish here: what fails the run must come from a worker.
  const pool = (onResult: (r: CheckedConnection) => void) =>
    new OrderedPool<CheckJob, CheckedConnection>({
      workers: 2,
      concurrency: 2,
      threshold: 0,
      inline: () => new Promise<CheckedConnection>(() => {}),
      message: (job) => ({ data: job }),
      workerModule: siblingModule('check-worker'),
      init,
      onResult,
    });

  test("a check that throws in a worker fails the run with the worker's message", async () => {
    const p = pool(() => {});
    const bad = { transcript: { messages: null } as unknown as Transcript, source: 'bad' };
    const run = async () => {
      try {
        for (let i = 0; i < 6; i++) await p.push(bad);
        await p.drain();
      } finally {
        await p.close();
      }
    };
    await expect(run()).rejects.toThrow(/check worker: TypeError/);
    expect(p.started).toBe(2);
  });
});
