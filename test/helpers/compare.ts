import assert from 'node:assert/strict';

// Comparisons of a backend's results with the reference backend's; `backend` names it in failures.

/** Every element bit for bit the same (NaN payloads and the sign of zero included). */
export function sameBitsAs(backend: string, a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) assert.fail(`${what}: index ${i}: ${backend} ${a[i]}, reference ${b[i]}`);
  }
}

/** max |a − b| / (|b| + floor); NaN must match NaN. */
export function maxRelAs(backend: string, a: Float32Array, b: Float32Array, floor: number, what: string): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    if (Number.isNaN(b[i]) || Number.isNaN(a[i])) {
      if (!(Number.isNaN(a[i]) && Number.isNaN(b[i]))) assert.fail(`${what}: index ${i}: ${backend} ${a[i]}, reference ${b[i]}`);
      continue;
    }
    if (a[i] === b[i]) continue;
    const e = Math.abs(a[i] - b[i]) / (Math.abs(b[i]) + floor);
    if (!(e <= worst)) worst = e;
  }
  return worst;
}
