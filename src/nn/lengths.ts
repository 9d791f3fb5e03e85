import { DataError } from '../errors.js';
import { Tensor, indexSelect } from '../tensor/index.js';
import { OneHot } from './one_hot.js';

/*
 * Variable-length batches for the recurrent layers, as PyTorch's pack_padded_sequence(x, lengths,
 * enforce_sorted=False): the batch is sorted longest first (stably), so that the live rows at step t are
 * always the first batchSizes[t]; the results go back to the caller's order afterwards.
 */

/** How a batch with lengths runs: its live rows per step, and the sort (null when already sorted). */
export interface Packing {
  /** batchSizes[t]: how many sequences are longer than t; null when all run the full T steps. */
  batchSizes: Int32Array | null;
  /** order[k]: the caller's row that runs as row k; null when the lengths are already longest first. */
  order: Int32Array | null;
  /** inverse[b]: the row that the caller's row b ran as; null with order. */
  inverse: Int32Array | null;
}

/**
 * Checks `lengths` (one per batch row, each in 1 … T) and works out the packing. enforceSorted: the
 * lengths must already be longest first (PyTorch's enforce_sorted=True), which spares the sort.
 */
export function packing(lengths: unknown, T: number, B: number, enforceSorted: boolean, name: string): Packing {
  const arg = `${name} lengths`;
  if (!(Array.isArray(lengths) || lengths instanceof Int32Array)) {
    throw new DataError('lengths', `${arg} must be an array or Int32Array of ${B} integers (one per batch row), got ${describe(lengths)}`);
  }
  if (lengths.length !== B) throw new DataError('lengths', `${arg} must hold one length per batch row (${B}), got ${lengths.length}`);
  const lens = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const v = lengths[b] as unknown;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > T) {
      throw new DataError('lengths', `${arg}[${b}] must be an integer in 1 … ${T} (the sequence length T), got ${describe(v)}`);
    }
    lens[b] = v;
  }
  let sorted = true;
  for (let b = 1; b < B; b++) {
    if (lens[b] > lens[b - 1]) {
      sorted = false;
      if (enforceSorted) {
        throw new DataError('lengths', `${arg} must be sorted longest first with enforceSorted, got ${lens[b - 1]} then ${lens[b]} at rows ${b - 1} and ${b}; sort the batch or leave enforceSorted off`);
      }
      break;
    }
  }
  // a stable sort, longest first: equal lengths keep the caller's order
  const order = sorted ? null : Int32Array.from([...lens.keys()].sort((a, b) => lens[b] - lens[a] || a - b));
  let inverse: Int32Array | null = null;
  if (order) {
    inverse = new Int32Array(B);
    order.forEach((row, k) => { inverse![row] = k; });
  }
  const batchSizes = new Int32Array(T);
  for (const len of lens) for (let t = 0; t < len; t++) batchSizes[t]++;
  // every row runs every step: the plain recurrence, the same numbers as without lengths
  return { batchSizes: batchSizes[T - 1] === B ? null : batchSizes, order, inverse };
}

/** The rows of a time-major input [T, B, …] (dense or one-hot ids) in the given order. */
export function permuteBatch<X extends Tensor | OneHot>(x: X, order: Int32Array): X {
  if (x instanceof Tensor) return indexSelect(x, 1, order) as X;
  const [T, B] = x.shape;
  const ids = new Int32Array(T * B);
  for (let t = 0; t < T; t++) for (let k = 0; k < B; k++) ids[t * B + k] = x.ids[t * B + order[k]];
  return new OneHot(ids, [T, B], x.size) as X;
}

function describe(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.slice(0, 20))}`;
  return typeof v === 'object' ? (v.constructor?.name ?? 'an object') : typeof v;
}
