import * as os from 'node:os';
import type { TrainConfig } from '../text/index.js';
import { gateCount, cellKind } from '../kernels/index.js';

/** Float32 buffers per parameter that each optimizer keeps beside the weights and their gradients. */
const OPTIMIZER_SLOTS: Record<TrainConfig['optimizer'], number> = { adam: 2, adamw: 2, sgd: 1, rmsprop: 1, adagrad: 1 };

/**
 * An estimate, in bytes, of the memory a character-model run with `config` and a vocabulary of
 * `vocab` characters needs at its peak: weights, gradients and optimizer state, a checkpoint's
 * encoded copy of them, and what one step keeps for backward (gates, states and their gradients
 * for B × T × layers, and the logits). It errs on the high side.
 */
export function trainMemoryBytes(config: Pick<TrainConfig, 'cell' | 'hidden' | 'layers' | 'seq' | 'batch' | 'optimizer'>, vocab: number): number {
  const G = gateCount(cellKind(config.cell));
  const H = config.hidden, L = config.layers, V = vocab;
  let params = V * H + V; // the output layer
  for (let l = 0; l < L; l++) params += G * H * ((l === 0 ? V : H) + H + 2);
  const slots = OPTIMIZER_SLOTS[config.optimizer] ?? 2;
  const perParam = 2 + slots + (1 + slots); // weights, gradients, optimizer state, and the checkpoint's copy
  const perChar = L * (3 * G * H + 4 * H) + 3 * V; // gates (activations, their gradients, GRU's second set), states, masks; logits
  return 4 * (params * perParam + config.seq * config.batch * perChar);
}

/** The most a run may use unless RNNKIT_MEMORY_LIMIT_MB says otherwise: the wasm kernels' heap holds at most 4 GiB. */
export const DEFAULT_MEMORY_LIMIT = 4 * 1024 ** 3;

/** The memory a run may use: what the system reports as available now, and at most the limit. */
export function memoryBudget(env: NodeJS.ProcessEnv = process.env): number {
  return Math.min(os.freemem(), limitBytes(env));
}

/** The fixed limit: RNNKIT_MEMORY_LIMIT_MB, or DEFAULT_MEMORY_LIMIT. */
export function limitBytes(env: NodeJS.ProcessEnv = process.env): number {
  const mb = Number(env.RNNKIT_MEMORY_LIMIT_MB);
  return env.RNNKIT_MEMORY_LIMIT_MB && Number.isFinite(mb) && mb > 0 ? mb * 1024 * 1024 : DEFAULT_MEMORY_LIMIT;
}

export function formatBytes(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${Math.max(1, Math.round(n / 1e6))} MB`;
}
