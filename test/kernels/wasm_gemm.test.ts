import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend as R } from '../../src/kernels/reference/index.js';
import { W, rng, rand, put, PLACES, sameBits, note, reportErrors, type Place } from '../helpers/wasm.js';

// The WebAssembly backend against the reference on awkward sizes. Kernels that do their arithmetic in
// double like the reference are checked for bit equality; tanh/sigmoid/exp within 1e-6 relative; gemm
// relative to Σ|a·b|, the scale its rounding errors live on.

test('gemm: all transposes, accumulate, awkward shapes, inside and outside the heap', () => {
  const r = rng(1);
  const shapes: [number, number, number][] = [];
  for (const m of [1, 3, 7, 17]) for (const n of [1, 3, 7, 17, 33]) for (const k of [1, 3, 7, 33]) shapes.push([m, n, k]);
  // block and path boundaries: MR 4, NR 8, KC 256, MC 128, NC 2048, the dot path up to m = 64 and k chunks
  // of 512, the row-stream path below m = 16
  shapes.push([257, 33, 65], [33, 257, 17], [33, 1, 257], [1, 257, 33], [130, 70, 300], [15, 40, 9], [16, 40, 9],
    [64, 9, 600], [65, 9, 600], [5, 9, 1100], [70, 2100, 3], [9, 1, 1], [1, 1, 300], [257, 257, 257]);
  let worst = 0, absWorst = 0;
  for (const [m, n, k] of shapes) {
    for (const ta of [false, true]) for (const tb of [false, true]) for (const acc of [false, true]) {
      const a = rand(m * k, r), b = rand(k * n, r), c0 = rand(m * n, r);
      const want = c0.slice();
      R.gemm(ta, tb, m, n, k, a, b, want, acc);
      // Σ_p |A(i,p)·B(p,j)| (+ |C0|): what float32 rounding errors scale with
      const mag = new Float64Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let s = acc ? Math.abs(c0[i * n + j]) : 0;
        for (let p = 0; p < k; p++) s += Math.abs((ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]));
        mag[i * n + j] = s;
      }
      const places = m * n * k > 1e6 ? PLACES.slice(0, 2) : PLACES;
      for (const [pa, pb, pc] of places) {
        const A = put(a, pa), B = put(b, pb), C = put(c0, pc);
        W.gemm(ta, tb, m, n, k, A, B, C, acc);
        sameBits(A, a, 'A unchanged');
        sameBits(B, b, 'B unchanged');
        for (let i = 0; i < m * n; i++) {
          const e = Math.abs(C[i] - want[i]) / (mag[i] + 1e-30);
          if (!(e <= 1e-5)) assert.fail(`gemm ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${m}x${n}x${k} acc=${acc} ${pa}/${pb}/${pc}: C[${i}] = ${C[i]}, reference ${want[i]}`);
          if (e > worst) worst = e;
          absWorst = Math.max(absWorst, Math.abs(C[i] - want[i]));
        }
      }
    }
  }
  note('gemm (|Δ| / Σ|a·b|)', worst);
  note('gemm (|Δ|, entries of A, B, C in [-1, 1], k ≤ 1100)', absWorst);
});

test('gemm: k = 0, m = 0, n = 0, and C longer than m·n', () => {
  const c = put(new Float32Array([1, 2, 3, 4, 5]), 'heap');
  W.gemm(false, false, 2, 2, 0, new Float32Array(0), new Float32Array(0), c, true);
  assert.deepEqual([...c], [1, 2, 3, 4, 5]);
  W.gemm(true, true, 2, 2, 0, new Float32Array(0), new Float32Array(0), c, false);
  assert.deepEqual([...c], [0, 0, 0, 0, 5]);
  W.gemm(false, false, 0, 3, 4, new Float32Array(0), new Float32Array(12), c, false);
  W.gemm(false, false, 3, 0, 4, new Float32Array(12), new Float32Array(0), c, false);
  assert.deepEqual([...c], [0, 0, 0, 0, 5]);
  for (const where of ['heap', 'js'] as Place[]) {
    const cc = put(new Float32Array([9, 9, 9, 9, 7, 7]), where);
    W.gemm(false, true, 2, 2, 3, new Float32Array([1, 2, 3, 4, 5, 6]), new Float32Array([1, 0, 0, 0, 1, 0]), cc, false);
    assert.deepEqual([...cc], [1, 2, 4, 5, 7, 7]);
  }
  assert.throws(() => W.gemm(false, false, 2, 2, 2, new Float32Array(3), new Float32Array(4), new Float32Array(4), false), RangeError);
});

// values that exercise every branch: both sides of 0.625 (tanh), saturation, exp's range ends, subnormal
// results, ±0, ±∞, NaN

reportErrors();
