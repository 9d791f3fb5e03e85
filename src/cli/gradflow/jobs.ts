import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  sigmaSweep, clippingExperiment, recallRun,
  type SigmaSweepOptions, type ClippingOptions, type CellSpec, type CellComparisonSettings,
} from '../diagnostics/index.js';
import type { BackendChoice } from './backend.js';

/** One independent piece of the lab's work; each is seeded on its own, so where it runs changes nothing. */
export type Job =
  | { kind: 'sweep'; options: SigmaSweepOptions }
  | { kind: 'clipping'; options: ClippingOptions }
  | { kind: 'recall'; spec: CellSpec; delay: number; settings: CellComparisonSettings };

export function runJob(job: Job): unknown {
  switch (job.kind) {
    case 'sweep': return sigmaSweep(job.options);
    case 'clipping': return clippingExperiment(job.options);
    case 'recall': return recallRun(job.spec, job.delay, job.settings);
  }
}

/** A rough cost, to start the longest jobs first: time steps per sequence × the cell's work per step × steps. */
function cost(job: Job): number {
  if (job.kind !== 'recall') return 0;
  const perStep = job.spec.cell === 'lstm' ? 3 : job.spec.cell === 'gru' ? 2.5 : 1;
  return (job.delay + 2) * perStep;
}

/**
 * Runs the jobs on `workers` worker threads (each with its own kernels, selected like the main thread's),
 * longest first, and calls onDone as each finishes. With one worker, or when running from source,
 * they run here, one after another.
 */
export async function runJobs(jobs: Job[], workers: number, backend: { choice: BackendChoice; name: string },
  onDone: (job: Job, result: unknown) => void, warn: (s: string) => void): Promise<unknown[]> {
  const results: unknown[] = new Array(jobs.length);
  const order = jobs.map((_, i) => i).sort((a, b) => cost(jobs[b]) - cost(jobs[a]));
  const self = fileURLToPath(import.meta.url);
  // run from the TypeScript source (tsx), a worker would not have the loader: stay in this thread
  if (workers <= 1 || path.extname(self) !== '.js') {
    for (const i of order) {
      results[i] = runJob(jobs[i]);
      onDone(jobs[i], results[i]);
    }
    return results;
  }
  const url = new URL('./gradflow_worker.js', import.meta.url);
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
