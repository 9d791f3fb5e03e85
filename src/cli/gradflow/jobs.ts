import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLabJob, labJobCost, type LabJob } from '../../diagnostics/index.js';
import type { BackendChoice } from '../backend.js';

/**
 * Runs the jobs on `workers` worker threads (each with its own kernels, selected like the main thread's),
 * longest first, and calls onDone as each finishes. With one worker, or when running from source,
 * they run here, one after another.
 */
export async function runJobs(jobs: LabJob[], workers: number, backend: { choice: BackendChoice; name: string },
  onDone: (job: LabJob, result: unknown) => void, warn: (s: string) => void): Promise<unknown[]> {
  const results: unknown[] = new Array(jobs.length);
  const order = jobs.map((_, i) => i).sort((a, b) => labJobCost(jobs[b]) - labJobCost(jobs[a]));
  const self = fileURLToPath(import.meta.url);
  // run from the TypeScript source (tsx), a worker would not have the loader: stay in this thread
  if (workers <= 1 || path.extname(self) !== '.js') {
    for (const i of order) {
      results[i] = runLabJob(jobs[i]);
      onDone(jobs[i], results[i]);
    }
    return results;
  }
  const url = new URL('./worker.js', import.meta.url);
  let next = 0;
  const pool = Array.from({ length: Math.min(workers, jobs.length) }, () => new Promise<void>((resolve, reject) => {
    const w = new Worker(url, { workerData: { backend: backend.choice } });
    const feed = () => {
      if (next >= order.length) {
        void w.terminate().then(() => resolve());
        return;
      }
      const i = order[next++];
      w.postMessage({ i, job: jobs[i] });
    };
    w.on('message', (m: { i: number; result?: unknown; error?: string; ready?: string }) => {
      if (m.ready !== undefined) {
        if (m.ready !== backend.name) warn(`note: a worker thread runs the ${m.ready} backend, not ${backend.name}`);
        feed();
        return;
      }
      if (m.error !== undefined) {
        void w.terminate();
        reject(new Error(m.error));
        return;
      }
      results[m.i] = m.result;
      onDone(jobs[m.i], m.result);
      feed();
    });
    w.on('error', reject);
  }));
  await Promise.all(pool);
  return results;
}
