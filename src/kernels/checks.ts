/*
 * Checks that every backend makes on the JavaScript side before a kernel reads an index: a wrong one is
 * a clean error here, never a read out of bounds in compiled code.
 */

/** Checks the targets of a softmax cross-entropy: each in [0, c) or ignoreIndex. Returns how many count. */
export function checkTargets(targets: Int32Array, n: number, c: number, ignoreIndex: number, op: string): number {
  let count = 0;
  for (let r = 0; r < n; r++) {
    const t = targets[r];
    if (t === ignoreIndex) continue;
    if (!(t >= 0 && t < c)) throw new RangeError(`${op}: target ${t} out of range for ${c} classes`);
    count++;
  }
  return count;
}

/**
 * Checks SequenceArgs.batchSizes before a kernel indexes rows by it: an Int32Array of length T (at least
 * T values), batchSizes[0] = B, every value in 0 … B, never growing with t (zeros at the end when
 * every sequence is shorter than T).
 */
export function checkBatchSizes(batchSizes: unknown, T: number, B: number, op: string): asserts batchSizes is Int32Array {
  if (!(batchSizes instanceof Int32Array)) throw new TypeError(`${op}: batchSizes must be an Int32Array`);
  if (batchSizes.length !== T) throw new RangeError(`${op}: batchSizes has ${batchSizes.length} values, needs T = ${T}`);
  if (T > 0 && batchSizes[0] !== B) throw new RangeError(`${op}: batchSizes[0] must be the batch size ${B}, got ${batchSizes[0]}`);
  for (let t = 1; t < T; t++) {
    const b = batchSizes[t];
    if (!(b >= 0 && b <= batchSizes[t - 1])) {
      throw new RangeError(`${op}: batchSizes[${t}] = ${b} must be from 0 to batchSizes[${t - 1}] = ${batchSizes[t - 1]} (sort the batch longest first)`);
    }
  }
}
