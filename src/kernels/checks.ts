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
