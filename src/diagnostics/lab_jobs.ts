import { sigmaSweep, type SigmaSweepOptions } from './sigma_sweep.js';
import { clippingExperiment, type ClippingOptions } from './clipping.js';
import { recallRun, type CellSpec, type CellComparisonSettings } from './cell_comparison.js';

/**
 * The gradient-flow lab's work as independent jobs. Each is seeded on its own, so where it runs (this
 * thread or a worker, in any order) changes nothing; a job and its result are plain data that can be
 * posted between threads.
 */
export type LabJob =
  | { kind: 'sweep'; options: SigmaSweepOptions }
  | { kind: 'clipping'; options: ClippingOptions }
  | { kind: 'recall'; spec: CellSpec; delay: number; settings: CellComparisonSettings };

export function runLabJob(job: LabJob): unknown {
  switch (job.kind) {
    case 'sweep': return sigmaSweep(job.options);
    case 'clipping': return clippingExperiment(job.options);
    case 'recall': return recallRun(job.spec, job.delay, job.settings);
  }
}

/** A rough cost, to start the longest jobs first: time steps per sequence × the cell's work per step. */
export function labJobCost(job: LabJob): number {
  if (job.kind !== 'recall') return 0;
  const perStep = job.spec.cell === 'lstm' ? 3 : job.spec.cell === 'gru' ? 2.5 : 1;
  return (job.delay + 2) * perStep;
}
