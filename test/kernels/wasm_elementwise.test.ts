import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Activation } from '../../src/kernels/backend.js';
import { referenceBackend as R } from '../../src/kernels/reference/index.js';
import { W, rng, rand, put, PLACES, SIZES, sameBits, maxRel, note, reportErrors, type Place } from '../helpers/wasm.js';

// The WebAssembly backend against the reference on awkward sizes. Kernels that do their arithmetic in
// double like the reference are checked for bit equality; tanh/sigmoid/exp within 1e-6 relative; gemm
// relative to Σ|a·b|, the scale its rounding errors live on.


// values that exercise every branch: both sides of 0.625 (tanh), saturation, exp's range ends, subnormal
// results, ±0, ±∞, NaN
const SPECIAL = [0, -0, 1e-30, -1e-30, 1e-8, -1e-8, 0.6249999, 0.625, 0.6250001, -0.625, 1, -1, 8.9, -8.9, 15, -15,
  20, -20, 44, -44, 87, -87, 88.7, -88.7, 89, -89, 100, -100, 103.9, -103.9, 104, -104, 200, -200, 1e30, -1e30,
  Infinity, -Infinity, NaN];

function activationInput(n: number, r: () => number): Float32Array {
  const x = rand(n, r, 6);
  for (let i = 0; i < n; i++) if (r() < 0.3) x[i] = SPECIAL[Math.floor(r() * SPECIAL.length)];
  return x;
}

test('activate: tanh and sigmoid within 1e-6 relative, relu and identity exact; in place too', () => {
  const r = rng(2);
  for (const kind of ['tanh', 'sigmoid', 'relu', 'identity'] as Activation[]) {
    for (const n of [...SIZES, 1024, 4099]) {
      const x = activationInput(n, r);
      const want = new Float32Array(n);
      R.activate(kind, x, want);
      for (const [px, po] of PLACES) {
        const X = put(x, px), out = put(new Float32Array(n).fill(123), po);
        W.activate(kind, X, out);
        sameBits(X, x, 'x unchanged');
        const X2 = put(x, px);
        W.activate(kind, X2, X2);
        for (const got of [out, X2]) {
          if (kind === 'relu' || kind === 'identity') sameBits(got, want, `${kind} n=${n}`);
          else {
            // floor: results below the smallest normal float have absolute precision only
            const e = maxRel(got, want, 1e-37, `${kind} n=${n}`);
            assert.ok(e <= 1e-6, `${kind} n=${n}: relative error ${e}`);
            note(`activate ${kind} (relative)`, e);
          }
        }
      }
    }
  }
  // dense sweep of the accurate range
  for (const kind of ['tanh', 'sigmoid'] as Activation[]) {
    const n = 1 << 18;
    const x = W.alloc(n);
    for (let i = 0; i < n; i++) x[i] = -30 + (60 * i) / n;
    const want = new Float32Array(n), got = W.alloc(n);
    R.activate(kind, x, want);
    W.activate(kind, x, got);
    const e = maxRel(got, want, 0, kind);
    assert.ok(e <= 1e-6, `${kind} sweep: relative error ${e}`);
    note(`activate ${kind} (relative)`, e);
  }
});

test('activateBackward: bit-identical for every activation, accumulate or not', () => {
  const r = rng(3);
  for (const kind of ['tanh', 'sigmoid', 'relu', 'identity'] as Activation[]) {
    for (const n of SIZES) for (const acc of [false, true]) {
      const y = rand(n, r), dy = rand(n, r, 3), dx0 = rand(n, r);
      if (n > 3) { y[0] = 0; y[1] = -0; y[2] = NaN; }
      const want = dx0.slice();
      R.activateBackward(kind, y, dy, want, acc);
      for (const [a, b, c] of PLACES) {
        const dx = put(dx0, c);
        W.activateBackward(kind, put(y, a), put(dy, b), dx, acc);
        sameBits(dx, want, `activateBackward ${kind} n=${n} acc=${acc}`);
      }
    }
  }
});

test('addScaled, mul, scale: bit-identical, also with out aliasing an input', () => {
  const r = rng(4);
  for (const n of SIZES) {
    const a = rand(n, r), b = rand(n, r, 5);
    const alpha = -0.3711231234567;
    const want = new Float32Array(n);
    R.addScaled(a, b, alpha, want);
    const wantMul = new Float32Array(n);
    R.mul(a, b, wantMul);
    const wantScale = a.slice();
    R.scale(wantScale, alpha);
    for (const [pa, pb, po] of PLACES) {
      const out = put(new Float32Array(n), po);
      W.addScaled(put(a, pa), put(b, pb), alpha, out);
      sameBits(out, want, 'addScaled');
      const A = put(a, pa);
      W.addScaled(A, put(b, pb), alpha, A);
      sameBits(A, want, 'addScaled out = a');
      const B = put(b, pb);
      W.addScaled(put(a, pa), B, alpha, B);
      sameBits(B, want, 'addScaled out = b');
      const M = put(a, pa);
      W.mul(M, put(b, pb), M);
      sameBits(M, wantMul, 'mul out = a');
      const S = put(a, po);
      W.scale(S, alpha);
      sameBits(S, wantScale, 'scale');
    }
  }
});

test('sum and sumSquares in double precision', () => {
  const r = rng(5);
  for (const n of [...SIZES, 100003]) {
    const x = rand(n, r, 3);
    for (const p of ['heap', 'js'] as Place[]) {
      const X = put(x, p);
      const e1 = Math.abs(W.sum(X) - R.sum(x)) / (R.sumSquares(x) ** 0.5 * n ** 0.5);
      const e2 = Math.abs(W.sumSquares(X) - R.sumSquares(x)) / R.sumSquares(x);
      assert.ok(e1 < 1e-13 && e2 < 1e-13, `n=${n}: ${e1} ${e2}`);
      note('sum, sumSquares (relative)', Math.max(e1, e2));
    }
  }
});

test('addRowVector and sumRows: bit-identical', () => {
  const r = rng(6);
  for (const rows of [1, 3, 17, 40]) for (const w of SIZES) {
    const x = rand(rows * w, r), v = rand(w, r);
    const want = x.slice();
    R.addRowVector(want, v, rows);
    for (const [a, b] of PLACES) {
      const X = put(x, a);
      W.addRowVector(X, put(v, b), rows);
      sameBits(X, want, `addRowVector ${rows}x${w}`);
    }
    for (const acc of [false, true]) {
      const o0 = rand(w, r);
      const wantS = o0.slice();
      R.sumRows(x, rows, wantS, acc);
      for (const [a, b] of PLACES) {
        const out = put(o0, b);
        W.sumRows(put(x, a), rows, out, acc);
        sameBits(out, wantS, `sumRows ${rows}x${w} acc=${acc}`);
      }
    }
  }
});

test('transpose: every shape, in and out of the heap, the same bits as the reference', () => {
  const r = rng(8);
  // rows past SIZES: a tail of 4-row blocks after the 16-row ones (20, 89), and dst rows 4 KiB apart (1024)
  for (const rows of [...SIZES, 20, 89, 1024]) {
    for (const cols of [1, 4, 5, 12, 89, 256]) {
      const x = rand(rows * cols, r);
      const want = new Float32Array(rows * cols);
      R.transpose(x, rows, cols, want);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) assert.equal(want[j * rows + i], x[i * cols + j]);
      for (const [a, b] of PLACES) {
        const out = put(new Float32Array(want.length).fill(7), b);
        W.transpose(put(x, a), rows, cols, out);
        sameBits(out, want, `transpose ${rows}×${cols}`);
      }
    }
  }
  assert.throws(() => W.transpose(W.alloc(5), 2, 3, W.alloc(6)), RangeError);
});

test('gatherRows and scatterAddRows, with repeated ids', () => {
  const r = rng(7);
  for (const width of SIZES) {
    const rows = 11;
    const table = rand(rows * width, r);
    const ids = Int32Array.from({ length: 23 }, () => Math.floor(r() * rows));
    ids[1] = ids[0];
    const want = new Float32Array(ids.length * width);
    R.gatherRows(table, width, ids, want);
    const src = rand(ids.length * width, r);
    const wantT = table.slice();
    R.scatterAddRows(wantT, width, ids, src);
    for (const [a, b] of PLACES) {
      const out = put(new Float32Array(want.length), b);
      W.gatherRows(put(table, a), width, ids, out);
      sameBits(out, want, `gatherRows width=${width}`);
      const T = put(table, a);
      W.scatterAddRows(T, width, ids, put(src, b));
      sameBits(T, wantT, `scatterAddRows width=${width}`);
    }
  }
  assert.throws(() => W.gatherRows(W.alloc(6), 3, new Int32Array([2]), W.alloc(3)), RangeError);
  assert.throws(() => W.scatterAddRows(W.alloc(6), 3, new Int32Array([-1]), W.alloc(3)), RangeError);
});

test('softmax and softmax cross-entropy (+ backward)', () => {
  const r = rng(8);
  for (const n of [1, 3, 7]) for (const c of SIZES) {
    const x = rand(n * c, r, 12);
    if (c > 3) { x[0] = 80; x[1] = -80; x[2] = -1e30; }
    const want = new Float32Array(n * c);
    R.softmax(x, n, c, want);
    const targets = Int32Array.from({ length: n }, () => Math.floor(r() * c));
    if (n > 1) targets[1] = -100;
    const wantP = new Float32Array(n * c);
    const wantL = R.softmaxCrossEntropy(x, n, c, targets, -100, wantP);
    for (const [a, b] of PLACES) {
      const out = put(new Float32Array(n * c), b);
      W.softmax(put(x, a), n, c, out);
      const X = put(x, a);
      W.softmax(X, n, c, X);
      for (const got of [out, X]) {
        const e = maxRel(got, want, 1e-37, 'softmax');
        assert.ok(e <= 1e-6, `softmax ${n}x${c}: ${e}`);
        note('softmax (relative)', e);
      }
      const probs = put(new Float32Array(n * c), b);
      const got = W.softmaxCrossEntropy(put(x, a), n, c, targets, -100, probs);
      assert.equal(got.count, wantL.count);
      const el = Math.abs(got.loss - wantL.loss) / Math.max(1, Math.abs(wantL.loss));
      assert.ok(el <= 1e-6, `loss ${got.loss} vs ${wantL.loss}`);
      note('softmaxCrossEntropy loss (relative)', el);
      const ep = maxRel(probs, wantP, 1e-37, 'probs');
      assert.ok(ep <= 1e-6, `probs: ${ep}`);
      // backward from the same probabilities: bit-identical
      const d0 = rand(n * c, r);
      const wantD = d0.slice();
      R.softmaxCrossEntropyBackward(wantP, n, c, targets, -100, 0.37, wantD);
      const d = put(d0, a);
      W.softmaxCrossEntropyBackward(put(wantP, b), n, c, targets, -100, 0.37, d);
      sameBits(d, wantD, 'softmaxCrossEntropyBackward');
    }
  }
  assert.throws(() => W.softmaxCrossEntropy(W.alloc(4), 2, 2, new Int32Array([0, 2]), -100, W.alloc(4)), RangeError);
});

test('adamStep: bit-identical (Adam and AdamW)', () => {
  const r = rng(11);
  for (const n of SIZES) for (const decoupled of [false, true]) for (const weightDecay of [0, 0.01]) {
    const p0 = rand(n, r), g = rand(n, r), m0 = rand(n, r, 0.1), v0 = rand(n, r, 0.1).map(Math.abs);
    const o = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay, decoupled, step: 7 };
    const pW = p0.slice(), mW = m0.slice(), vW = v0.slice();
    R.adamStep(pW, g, mW, vW, o);
    for (const [a, b, c] of PLACES) {
      const P = put(p0, a), M = put(m0, b), V = put(v0, c);
      W.adamStep(P, put(g, c), M, V, o);
      sameBits(P, pW, 'param');
      sameBits(M, mW, 'm');
      sameBits(V, vW, 'v');
    }
  }
});

reportErrors();
