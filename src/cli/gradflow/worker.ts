import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend, type BackendChoice } from '../backend.js';
import { runLabJob, type LabJob } from '../../diagnostics/index.js';

/* A worker thread of `rnnkit gradflow`: runs the jobs it is sent, one at a time, and posts back the results. */
// one kernel thread per worker: the workers themselves already take the cores
const backend = await selectBackend((workerData as { backend: BackendChoice }).backend, 1);
parentPort!.postMessage({ ready: backend });
parentPort!.on('message', (m: { i: number; job: LabJob }) => {
  try {
    parentPort!.postMessage({ i: m.i, result: runLabJob(m.job) });
  } catch (e) {
    parentPort!.postMessage({ i: m.i, error: (e as Error).message ?? String(e) });
  }
});
