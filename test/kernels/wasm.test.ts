import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Activation, Backend } from '../../src/kernels/backend.js';
import { referenceBackend as R } from '../../src/kernels/reference/index.js';
import { availableBackends, setBackend, useBackend, kernels } from '../../src/kernels/registry.js';
import { createWasmBackend, registerWasmBackend, type WasmBackend } from '../../src/kernels/wasm/index.js';
import { BlockAllocator, BLOCK } from '../../src/kernels/wasm/allocator.js';
import { Tensor } from '../../src/tensor/index.js';
import type { CellKind } from '../../src/kernels/index.js';
import { runRecurrence } from '../helpers/recurrence.js';

// The WebAssembly backend against the reference on awkward sizes. Kernels that do their arithmetic in
// double like the reference are checked for bit equality; tanh/sigmoid/exp within 1e-6 relative; gemm
// relative to Σ|a·b|, the scale its rounding errors live on.

const W = await createWasmBackend();

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 0)); // finalization callbacks run as tasks after a collection
  }
};

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rand(n: number, r: () => number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale;
  return a;
}

type Place = 'heap' | 'js';
/** A copy of x in the wasm heap or in an ordinary array. */
function put(x: Float32Array, where: Place): Float32Array {
  const y = where === 'heap' ? W.alloc(x.length) : new Float32Array(x.length);
  y.set(x);
  return y;
}

const PLACES: Place[][] = [['heap', 'heap', 'heap'], ['js', 'js', 'js'], ['js', 'heap', 'js'], ['heap', 'js', 'heap']];
const SIZES = [1, 3, 7, 17, 33, 257];

function sameBits(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) assert.fail(`${what}: index ${i}: wasm ${a[i]}, reference ${b[i]}`);
  }
}

/** max |a − b| / (|b| + floor); NaN must match NaN. */
function maxRel(a: Float32Array, b: Float32Array, floor: number, what: string): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    if (Number.isNaN(b[i]) || Number.isNaN(a[i])) {
      if (!(Number.isNaN(a[i]) && Number.isNaN(b[i]))) assert.fail(`${what}: index ${i}: wasm ${a[i]}, reference ${b[i]}`);
      continue;
    }
    if (a[i] === b[i]) continue;
    const e = Math.abs(a[i] - b[i]) / (Math.abs(b[i]) + floor);
    if (!(e <= worst)) worst = e;
  }
  return worst;
}

const report: Record<string, number> = {};
function note(name: string, err: number): void {
  report[name] = Math.max(report[name] ?? 0, err);
}

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

const CELLS: [number, number][] = [[1, 1], [3, 7], [2, 17], [5, 33], [1, 257], [32, 64], [4, 6]];

test('lstmForward and lstmBackward', () => {
  const r = rng(9);
  for (const [b, h] of CELLS) {
    const g0 = rand(4 * b * h, r, 8), cPrev = rand(b * h, r, 3);
    if (h > 3) { g0[0] = 0; g0[1] = 40; g0[2] = -40; }
    const gW = g0.slice(), cW = new Float32Array(b * h), hW = new Float32Array(b * h);
    R.lstmForward(b, h, gW, cPrev, cW, hW);
    const dh = rand(b * h, r), dc0 = rand(b * h, r);
    const dcW = dc0.slice(), dgW = new Float32Array(4 * b * h);
    R.lstmBackward(b, h, gW, cPrev, cW, dh, dcW, dgW);
    for (const [pa, pb, pc] of PLACES) {
      const G = put(g0, pa), C = put(new Float32Array(b * h), pc), Hh = put(new Float32Array(b * h), pb);
      W.lstmForward(b, h, G, put(cPrev, pb), C, Hh);
      const eg = maxRel(G, gW, 1e-37, 'gates');
      // c and h are sums of products of the gates: their errors are relative to the terms, which are O(1)
      const ec = maxRel(C, cW, 1, 'c'), eh = maxRel(Hh, hW, 1, 'h');
      assert.ok(eg <= 1e-6 && ec <= 1e-6 && eh <= 1e-6, `lstmForward b=${b} h=${h}: ${eg} ${ec} ${eh}`);
      note('lstmForward gates (relative)', eg);
      note('lstmForward c, h (|Δ| / (|ref| + 1))', Math.max(ec, eh));
      // backward from the reference's forward state, so only the backward kernel is compared
      const dc = put(dc0, pc), dg = put(new Float32Array(4 * b * h), pa);
      W.lstmBackward(b, h, put(gW, pa), put(cPrev, pb), put(cW, pc), put(dh, pb), dc, dg);
      const e1 = maxRel(dg, dgW, 1, 'dGates'), e2 = maxRel(dc, dcW, 1, 'dc');
      assert.ok(e1 <= 1e-6 && e2 <= 1e-6, `lstmBackward b=${b} h=${h}: ${e1} ${e2}`);
      note('lstmBackward (|Δ| / (|ref| + 1))', Math.max(e1, e2));
    }
  }
});

test('gruForward and gruBackward (backward bit-identical)', () => {
  const r = rng(10);
  for (const [b, h] of CELLS) {
    const gi0 = rand(3 * b * h, r, 5), gh = rand(3 * b * h, r, 5), hPrev = rand(b * h, r);
    const giW = gi0.slice(), hW = new Float32Array(b * h);
    R.gruForward(b, h, giW, gh, hPrev, hW);
    const dh = rand(b * h, r);
    const dGiW = new Float32Array(3 * b * h), dGhW = new Float32Array(3 * b * h), dhpW = new Float32Array(b * h);
    R.gruBackward(b, h, giW, gh, hPrev, dh, dGiW, dGhW, dhpW);
    for (const [pa, pb, pc] of PLACES) {
      const GI = put(gi0, pa), Hh = put(new Float32Array(b * h), pc);
      W.gruForward(b, h, GI, put(gh, pb), put(hPrev, pc), Hh);
      // r and z are σ of exact sums: relative. n = tanh(gi_n + r·gh_n) inherits r's float32 rounding,
      // amplified where the two terms cancel, as in any float32 implementation: like h, relative to O(1).
      const rz = (x: Float32Array) => x.filter((_, i) => i % (3 * h) < 2 * h);
      const nn = (x: Float32Array) => x.filter((_, i) => i % (3 * h) >= 2 * h);
      const eg = maxRel(rz(GI), rz(giW), 1e-37, 'r z'), en = maxRel(nn(GI), nn(giW), 1, 'n'), eh = maxRel(Hh, hW, 1, 'h');
      assert.ok(eg <= 1e-6 && en <= 1e-6 && eh <= 1e-6, `gruForward b=${b} h=${h}: ${eg} ${en} ${eh}`);
      note('gruForward r, z (relative)', eg);
      note('gruForward n, h (|Δ| / (|ref| + 1))', Math.max(en, eh));
      const dGi = put(new Float32Array(3 * b * h), pa), dGh = put(new Float32Array(3 * b * h), pb), dhp = put(new Float32Array(b * h), pc);
      W.gruBackward(b, h, put(giW, pb), put(gh, pa), put(hPrev, pc), put(dh, pa), dGi, dGh, dhp);
      sameBits(dGi, dGiW, 'dGi');
      sameBits(dGh, dGhW, 'dGh');
      sameBits(dhp, dhpW, 'dhPrev');
    }
  }
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

test('the fused recurrence gives the same outputs and gradients on both backends', () => {
  const r = rng(12);
  for (const kind of ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as CellKind[]) for (const reverse of [false, true]) {
    const T = 5, B = 3, H = 9, G = kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1;
    const c = { kind, reverse, T, B, H, xw: rand(T * B * G * H, r), h0: rand(B * H, r), c0: rand(B * H, r), wHh: rand(G * H * H, r, 0.4), bHh: rand(G * H, r), P: rand(T * B * H, r) };
    const want = runRecurrence(R, c), got = runRecurrence(W, c);
    let worst = 0;
    got.forEach((g, i) => {
      const scale = want[i].reduce((s, v) => Math.max(s, Math.abs(v)), 1);
      const e = maxRel(g, want[i], scale, `${kind} output ${i}`);
      assert.ok(e <= 1e-5, `${kind} reverse=${reverse} result ${i}: ${e}`);
      worst = Math.max(worst, e);
    });
    note('recurrence end to end (|Δ| / (|ref| + max|ref|))', worst);
  }
});

test('alloc: zero-filled, 64-byte aligned, reused after free', () => {
  const a = W.alloc(1000);
  assert.equal(a.byteOffset % 64, 0);
  a.fill(7);
  const off = a.byteOffset;
  W.free(a);
  const b = W.alloc(1000);
  assert.equal(b.byteOffset, off);
  assert.ok(b.every((v) => v === 0));
  W.free(b);
  // a subarray is ignored: its parent keeps the block (the next block comes from elsewhere)
  const parent = W.alloc(1000);
  W.free(parent.subarray(1));
  assert.notEqual(W.alloc(1000).byteOffset, parent.byteOffset);
  W.free(parent);
  W.free(parent); // twice: ignored
  assert.equal(W.alloc(0).length, 0);
});

test('views handed out earlier survive memory growth', () => {
  const before = W.memoryStats().memoryBytes;
  const a = W.alloc(1000);
  for (let i = 0; i < a.length; i++) a[i] = i;
  const big = W.alloc((before / 4) * 2); // forces the memory to grow
  assert.ok(W.memoryStats().memoryBytes > before);
  assert.equal(a.length, 1000);
  for (let i = 0; i < a.length; i++) assert.equal(a[i], i);
  const out = W.alloc(1000);
  W.addScaled(a, a, 1, out);
  assert.equal(out[999], 1998);
  W.free(big);
});

test('explicit free: many allocations released, the heap does not grow', () => {
  const r = rng(13);
  const base = W.memoryStats();
  const live: Float32Array[] = [];
  let peakTop = 0;
  for (let i = 0; i < 20000; i++) {
    if (live.length < 64 && r() < 0.55) live.push(W.alloc(1 + Math.floor(r() ** 3 * 200000)));
    else if (live.length) W.free(live.splice(Math.floor(r() * live.length), 1)[0]);
    peakTop = Math.max(peakTop, W.memoryStats().top);
  }
  for (const x of live) W.free(x);
  const end = W.memoryStats();
  assert.equal(end.live, base.live);
  // at most 64 blocks of at most 800 KB are live at once
  assert.ok(peakTop - base.top < 64 * 800e3 * 1.6, `heap top rose by ${peakTop - base.top}`);
  assert.ok(end.top <= base.top + 64, `top ${end.top} vs ${base.top}`);
});

test('collected views free their blocks; subarrays keep their parent alive', async () => {
  await settle();
  const base = W.memoryStats();
  let maxTop = 0;
  for (let round = 0; round < 30; round++) {
    for (let i = 0; i < 100; i++) W.alloc(25000 + i).fill(1); // 100 KB each, dropped at once
    await settle();
    maxTop = Math.max(maxTop, W.memoryStats().top);
  }
  const after = W.memoryStats();
  assert.ok(after.live - base.live < 1e6, `live grew by ${after.live - base.live}`);
  // 30 rounds allocated 300 MB in all; a round's worth (10 MB) is what the heap needs
  assert.ok(maxTop - base.top < 40e6, `heap top rose by ${maxTop - base.top}`);

  let parent: Float32Array | null = W.alloc(5000);
  parent.fill(3);
  const sub = parent.subarray(100, 200);
  parent = null;
  await settle();
  for (let i = 0; i < 20; i++) W.alloc(5000).fill(9);
  await settle();
  assert.ok(sub.every((v) => v === 3), 'a subarray outlived its parent block');
});

test('without explicit collections: dropped views come back, the heap stays bounded', async () => {
  const H = await createWasmBackend({ softLimitMiB: 256 });
  let inHeap = 0, maxMemory = 0;
  for (let i = 0; i < 1500; i++) {
    const a = H.alloc(250000); // 1 MB, dropped at once
    a[0] = 1;
    if (a.buffer instanceof SharedArrayBuffer) inHeap++;
    if (i % 10 === 0) await new Promise((r) => setImmediate(r)); // as a training loop yields between steps
    maxMemory = Math.max(maxMemory, H.memoryStats().memoryBytes);
  }
  // 1.5 GB handed out in all; when the collector runs is up to the engine (on a loaded machine it lags),
  // so the bound allows the soft limit twice over — still far below what was handed out
  assert.ok(maxMemory <= 512 << 20, `memory grew to ${maxMemory}`);
  assert.ok(inHeap > 1200, `only ${inHeap} of 1500 arrays were in the heap`);
});

test('the soft limit rises for a working set that stays live', async () => {
  const H = await createWasmBackend({ softLimitMiB: 32 });
  H.alloc(16); // dropped: the collection below finalizes it, which is how the heap learns what stays live
  const keep: Float32Array[] = [];
  for (let i = 0; i < 48; i++) keep.push(H.alloc(1 << 18)); // 48 MB live, past the 32 MB limit
  assert.ok(keep.some((a) => !(a.buffer instanceof SharedArrayBuffer)), 'the limit held at first');
  await settle(); // a collection that leaves the heap full
  const more = H.alloc(1 << 18);
  assert.ok(more.buffer instanceof SharedArrayBuffer, 'the limit did not rise');
  assert.ok(H.memoryStats().memoryBytes > 32 << 20);
  assert.equal(keep.length, 48);
});

test('non-shared memory: fixed size, then ordinary arrays and the reference kernels', async () => {
  const N = await createWasmBackend({ shared: false, fixedMiB: 8 });
  assert.equal(N.sharedMemory, false);
  const r = rng(14);
  const a = rand(33 * 17, r), b = rand(17 * 9, r);
  const want = new Float32Array(33 * 9);
  R.gemm(false, false, 33, 9, 17, a, b, want, false);
  const C = N.alloc(33 * 9);
  N.gemm(false, false, 33, 9, 17, a, b, C, false);
  for (let i = 0; i < C.length; i++) assert.ok(Math.abs(C[i] - want[i]) < 1e-5);
  const warn = console.warn;
  console.warn = () => {};
  try {
    const big = N.alloc(3 << 20); // 12 MB: more than the heap holds
    assert.equal(big.length, 3 << 20);
    assert.equal(N.memoryStats().memoryBytes, 8 << 20);
    // operands too large to copy into the heap: the call runs on the reference
    big.fill(0.5);
    const out = new Float32Array(3 << 20);
    N.addScaled(big, big, 2, out);
    assert.equal(out[12345], 1.5);
    const x = rand(2 << 20, r);
    N.activate('tanh', x, x);
  } finally {
    console.warn = warn;
  }
});

test('block allocator: no overlaps, coalescing, the top comes back down', () => {
  const r = rng(15);
  let end = 1 << 16;
  const A = new BlockAllocator(1000, end, (need) => (end = Math.max(need, end * 2)));
  const live = new Map<number, number>();
  const base = A.stats().top;
  for (let i = 0; i < 50000; i++) {
    if (r() < 0.5 || live.size === 0) {
      const bytes = 1 + Math.floor(r() ** 4 * 1e6);
      const off = A.allocate(bytes);
      assert.equal(off % BLOCK, 0);
      assert.ok(A.sizeOf(off) >= bytes);
      live.set(off, A.sizeOf(off));
    } else {
      const keys = [...live.keys()];
      const off = keys[Math.floor(r() * keys.length)];
      A.release(off);
      live.delete(off);
    }
    if (i % 5000 === 0) {
      const blocks = [...live].sort((x, y) => x[0] - y[0]);
      for (let j = 1; j < blocks.length; j++) assert.ok(blocks[j - 1][0] + blocks[j - 1][1] <= blocks[j][0], 'overlap');
    }
  }
  for (const off of live.keys()) A.release(off);
  const s = A.stats();
  assert.equal(s.live, 0);
  assert.equal(s.free, 0);
  assert.equal(s.top, base);
  assert.throws(() => A.release(base));
});

test('registerWasmBackend makes useBackend("wasm") work', async () => {
  registerWasmBackend();
  assert.ok(availableBackends().includes('wasm'));
  const b = await useBackend('wasm');
  try {
    assert.equal(b.name, 'wasm');
    assert.equal(kernels(), b);
    const t = Tensor.zeros([3, 4]);
    assert.equal(t.data.byteOffset % 64, 0);
  } finally {
    setBackend(R);
  }
});

test('report', () => {
  for (const [k, v] of Object.entries(report)) console.log(`  max error ${k}: ${v.toExponential(2)}`);
});
