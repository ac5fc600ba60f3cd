/**
 * A `tlsprop check` worker thread (started by check-pool.ts): it gets the
 * options once (workerData.init), then jobs (one connection each, with the
 * original of its resumed session when there is one), and posts back each
 * result as the main thread asked for it (rendered JSON or text, or the
 * output objects). It has its own crypto provider and certificate cache:
 * nothing is shared between threads.
 */
// @peculiar/x509 (certificate parsing in pki/) needs the reflect polyfill first.
import 'reflect-metadata';
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerMessage } from './check-pool';
import { type CheckJob, type CheckWorkerInit, type CheckedConnection, runCheckJob, runWide, unpackJob } from './check';

const port = parentPort;
if (!port) throw new Error('check-worker.ts runs as a worker thread of check-pool.ts');
const init = (workerData as { init: CheckWorkerInit }).init;
const options = runWide(init.options);

const post = (m: WorkerMessage<CheckedConnection>): void => port.postMessage(m);

port.on('message', ({ id, job }: { id: number; job: CheckJob }) => {
  // runs in a promise, so that a job that cannot be unpacked fails like one that cannot be checked
  Promise.resolve()
    .then(() => runCheckJob(unpackJob(job), options, init.render))
    .then(
      (result) => post({ type: 'result', id, result }),
      (e: unknown) => post({ type: 'error', id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
    );
});
post({ type: 'ready' });
