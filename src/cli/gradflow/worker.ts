import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend, type BackendChoice } from './backend.js';
import { runJob, type Job } from './gradflow_jobs.js';

/* A worker thread of `rnnkit gradflow`: runs the jobs it is sent, one at a time, and posts back the results. */
// one kernel thread per worker: the workers themselves already take the cores
const backend = await selectBackend((workerData as { backend: BackendChoice }).backend, 1);
parentPort!.postMessage({ ready: backend });
parentPort!.on('message', (m: { i: number; job: Job }) => {
  try {
    parentPort!.postMessage({ i: m.i, result: runJob(m.job) });
  } catch (e) {
    parentPort!.postMessage({ i: m.i, error: (e as Error).message ?? String(e) });
  }
});
