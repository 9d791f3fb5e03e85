import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Activation } from '../../src/kernels/backend.js';
import { referenceBackend as R } from '../../src/kernels/reference/index.js';
import { useBackend, setBackend, kernels } from '../../src/kernels/registry.js';
import { createNativeBackend, registerNativeBackend, nativeUnavailable, type NativeBackend } from '../../src/kernels/native/index.js';
import type { CellKind } from '../../src/kernels/index.js';
import { runRecurrence } from '../helpers/recurrence.js';
import { sameBitsAs, maxRelAs } from '../helpers/compare.js';

// The native backend against the reference on awkward sizes. Kernels that do their arithmetic like the
// reference (in double, or one float operation per element) are checked for bit equality; tanh, sigmoid
// and exp within 1e-6 relative; gemm relative to Σ|a·b|, the scale its rounding errors live on.

const why = nativeUnavailable();
if (why) {
  test(`native backend (skipped: ${why}; build it with node native/build.mjs)`, { skip: why }, () => {});
} else {
  const N: NativeBackend = createNativeBackend({ threads: 1 });

  const rng = (seed: number) => {
    let s = seed >>> 0;
    return () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  };
  const rand = (n: number, r: () => number, scale = 1) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);

  const sameBits = (a: Float32Array, b: Float32Array, what: string) => sameBitsAs('native', a, b, what);
  const maxRel = (a: Float32Array, b: Float32Array, floor: number, what: string) => maxRelAs('native', a, b, floor, what);

  test(`gemm (${N.isa}, and the generic kernel): all transposes, accumulate, the block and tile edges`, () => {
    const r = rng(1);
    const shapes: [number, number, number][] = [];
    for (const m of [1, 2, 5, 6, 7, 13]) for (const n of [1, 3, 15, 16, 17, 33]) for (const k of [1, 3, 8, 9]) shapes.push([m, n, k]);
    // MR 6, NR 16, KC 256, MC 120; m = 1 takes the vector path
    shapes.push([119, 16, 255], [120, 17, 256], [121, 31, 257], [241, 33, 513], [1, 1025, 300], [1, 7, 9], [2, 1, 1], [32, 1024, 256]);
    let worst = 0;
    for (const generic of [false, true]) {
      N.addon.forceGeneric(generic);
      try {
        for (const [m, n, k] of shapes) for (const ta of [false, true]) for (const tb of [false, true]) for (const acc of [false, true]) {
          if (m * n * k > 1e6 && generic) continue;
          const a = rand(m * k, r), b = rand(k * n, r), c0 = rand(m * n + 3, r);
          const want = c0.slice();
          R.gemm(ta, tb, m, n, k, a, b, want, acc);
          const got = c0.slice();
          // garbage in C (NaN) must not leak into an overwriting multiply
          if (!acc) got.fill(NaN, 0, m * n);
          N.gemm(ta, tb, m, n, k, a, b, got, acc);
          for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
            let mag = acc ? Math.abs(c0[i * n + j]) : 0;
            for (let p = 0; p < k; p++) mag += Math.abs((ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]));
            const e = Math.abs(got[i * n + j] - want[i * n + j]) / (mag + 1e-30);
            if (!(e <= 1e-5)) assert.fail(`gemm ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${m}x${n}x${k} acc=${acc} generic=${generic}: C[${i},${j}] = ${got[i * n + j]}, reference ${want[i * n + j]}`);
            worst = Math.max(worst, e);
          }
          sameBits(got.subarray(m * n), c0.subarray(m * n), 'C beyond m·n untouched');
        }
      } finally {
        N.addon.forceGeneric(false);
      }
    }
    assert.ok(worst < 1e-5);
  });

  test('gemm: k = 0 and empty shapes', () => {
    const c = new Float32Array([1, 2, 3, 4, 5]);
    N.gemm(false, false, 2, 2, 0, new Float32Array(0), new Float32Array(0), c, true);
    assert.deepEqual([...c], [1, 2, 3, 4, 5]);
    N.gemm(true, true, 2, 2, 0, new Float32Array(0), new Float32Array(0), c, false);
    assert.deepEqual([...c], [0, 0, 0, 0, 5]);
    N.gemm(false, false, 0, 3, 4, new Float32Array(0), new Float32Array(12), c, false);
    N.gemm(false, false, 3, 0, 4, new Float32Array(12), new Float32Array(0), c, false);
    assert.deepEqual([...c], [0, 0, 0, 0, 5]);
  });

  const SPECIAL = [0, -0, 1e-30, -1e-30, 1e-8, 0.625, -0.625, 1, -1, 8.9, -8.9, 20, -20, 44, -44, 88.7, -88.7, 104, -104, 1e30, -1e30,
    Infinity, -Infinity, NaN];
  const ACTS: Activation[] = ['tanh', 'sigmoid', 'relu', 'identity'];

  /** fn on the AVX2 kernels (where the CPU has them) and on the portable ones. */
  const bothPaths = (fn: (generic: boolean) => void) => {
    for (const generic of [false, true]) {
      N.addon.forceGeneric(generic);
      try {
        fn(generic);
      } finally {
        N.addon.forceGeneric(false);
      }
    }
  };

  test('activate within 1e-6 relative (relu, identity exact), in place too; activateBackward bit-identical', () => bothPaths(() => {
    const r = rng(2);
    for (const n of [1, 7, 33, 257]) for (const kind of ACTS) {
      const x = rand(n, r, 6);
      for (let i = 0; i < n; i++) if (r() < 0.3) x[i] = SPECIAL[Math.floor(r() * SPECIAL.length)];
      const want = new Float32Array(n);
      R.activate(kind, x, want);
      const got = new Float32Array(n), inPlace = x.slice();
      N.activate(kind, x, got);
      N.activate(kind, inPlace, inPlace);
      for (const g of [got, inPlace]) {
        if (kind === 'relu' || kind === 'identity') sameBits(g, want, kind);
        else assert.ok(maxRel(g, want, 1e-37, kind) <= 1e-6, kind);
      }
      const dy = rand(n, r), d0 = rand(n, r);
      for (const acc of [false, true]) {
        const w = d0.slice(), g = d0.slice();
        R.activateBackward(kind, want, dy, w, acc);
        N.activateBackward(kind, want, dy, g, acc);
        sameBits(g, w, `${kind} backward`);
      }
    }
  }));

  test('addScaled, mul, scale, sum, sumSquares, addRowVector, sumRows, transpose, gather/scatter: bit-identical', () => {
    const r = rng(3);
    for (const n of [1, 7, 33, 257]) {
      const a = rand(n, r), b = rand(n, r);
      const w = new Float32Array(n), g = new Float32Array(n);
      R.addScaled(a, b, 0.3, w); N.addScaled(a, b, 0.3, g); sameBits(g, w, 'addScaled');
      const ga = a.slice(); N.addScaled(ga, b, -1.7, ga); R.addScaled(a, b, -1.7, w); sameBits(ga, w, 'addScaled in place');
      R.mul(a, b, w); N.mul(a, b, g); sameBits(g, w, 'mul');
      const sw = a.slice(), sg = a.slice(); R.scale(sw, 0.1); N.scale(sg, 0.1); sameBits(sg, sw, 'scale');
      assert.equal(N.sum(a), R.sum(a));
      assert.equal(N.sumSquares(a), R.sumSquares(a));
    }
    for (const [rows, cols] of [[1, 1], [3, 7], [17, 33], [40, 5]]) {
      const x = rand(rows * cols, r), v = rand(cols, r);
      const xw = x.slice(), xg = x.slice();
      R.addRowVector(xw, v, rows); N.addRowVector(xg, v, rows); sameBits(xg, xw, 'addRowVector');
      for (const acc of [false, true]) {
        const ow = v.slice(), og = v.slice();
        R.sumRows(x, rows, ow, acc); N.sumRows(x, rows, og, acc); sameBits(og, ow, 'sumRows');
      }
      const tw = new Float32Array(rows * cols), tg = new Float32Array(rows * cols);
      R.transpose(x, rows, cols, tw); N.transpose(x, rows, cols, tg); sameBits(tg, tw, 'transpose');
      const ids = Int32Array.from({ length: 9 }, () => Math.floor(r() * rows));
      const gw = new Float32Array(9 * cols), gg = new Float32Array(9 * cols);
      R.gatherRows(x, cols, ids, gw); N.gatherRows(x, cols, ids, gg); sameBits(gg, gw, 'gatherRows');
      const src = rand(9 * cols, r), tabW = x.slice(), tabG = x.slice();
      R.scatterAddRows(tabW, cols, ids, src); N.scatterAddRows(tabG, cols, ids, src); sameBits(tabG, tabW, 'scatterAddRows');
    }
  });

  test('softmax and softmax cross-entropy within 1e-6; the gradient bit-identical', () => {
    const r = rng(4);
    for (const n of [1, 3, 7]) for (const c of [1, 3, 17, 257]) {
      const x = rand(n * c, r, 12);
      if (c > 3) { x[0] = 80; x[1] = -80; x[2] = -1e30; }
      const want = new Float32Array(n * c), got = new Float32Array(n * c);
      R.softmax(x, n, c, want); N.softmax(x, n, c, got);
      assert.ok(maxRel(got, want, 1e-37, 'softmax') <= 1e-6);
      const targets = Int32Array.from({ length: n }, () => Math.floor(r() * c));
      if (n > 1) targets[1] = -100;
      const pw = new Float32Array(n * c), pg = new Float32Array(n * c);
      const lw = R.softmaxCrossEntropy(x, n, c, targets, -100, pw), lg = N.softmaxCrossEntropy(x, n, c, targets, -100, pg);
      assert.equal(lg.count, lw.count);
      assert.ok(Math.abs(lg.loss - lw.loss) / Math.max(1, Math.abs(lw.loss)) <= 1e-6, `loss ${lg.loss} vs ${lw.loss}`);
      assert.ok(maxRel(pg, pw, 1e-37, 'probs') <= 1e-6);
      const d0 = rand(n * c, r), dw = d0.slice(), dg = d0.slice();
      R.softmaxCrossEntropyBackward(pw, n, c, targets, -100, 0.37, dw);
      N.softmaxCrossEntropyBackward(pw, n, c, targets, -100, 0.37, dg);
      sameBits(dg, dw, 'softmaxCrossEntropyBackward');
    }
  });

  const CELLS: [number, number][] = [[1, 1], [3, 7], [2, 17], [5, 33], [32, 64], [2, 8], [3, 9]];

  test('LSTM and GRU cells within 1e-6 of the reference', () => bothPaths(() => {
    const r = rng(5);
    for (const [b, h] of CELLS) {
      const g0 = rand(4 * b * h, r, 8), cPrev = rand(b * h, r, 3);
      if (h > 3) { g0[0] = 0; g0[1] = 40; g0[2] = -40; g0[3] = -100; }
      const gW = g0.slice(), cW = new Float32Array(b * h), hW = new Float32Array(b * h);
      R.lstmForward(b, h, gW, cPrev, cW, hW);
      const gN = g0.slice(), cN = new Float32Array(b * h), hN = new Float32Array(b * h);
      N.lstmForward(b, h, gN, cPrev, cN, hN);
      assert.ok(maxRel(gN, gW, 1e-37, 'gates') <= 1e-6 && maxRel(cN, cW, 1, 'c') <= 1e-6 && maxRel(hN, hW, 1, 'h') <= 1e-6, `lstmForward ${b}x${h}`);
      const dh = rand(b * h, r), dc0 = rand(b * h, r);
      const dcW = dc0.slice(), dgW = new Float32Array(4 * b * h), dcN = dc0.slice(), dgN = new Float32Array(4 * b * h);
      R.lstmBackward(b, h, gW, cPrev, cW, dh, dcW, dgW);
      N.lstmBackward(b, h, gW, cPrev, cW, dh, dcN, dgN);
      assert.ok(maxRel(dgN, dgW, 1, 'dGates') <= 1e-6 && maxRel(dcN, dcW, 1, 'dc') <= 1e-6, `lstmBackward ${b}x${h}`);

      const gi0 = rand(3 * b * h, r, 5), gh = rand(3 * b * h, r, 5), hPrev = rand(b * h, r);
      const giW = gi0.slice(), hw = new Float32Array(b * h), giN = gi0.slice(), hn = new Float32Array(b * h);
      R.gruForward(b, h, giW, gh, hPrev, hw);
      N.gruForward(b, h, giN, gh, hPrev, hn);
      assert.ok(maxRel(giN, giW, 1, 'gi') <= 1e-6 && maxRel(hn, hw, 1, 'h') <= 1e-6, `gruForward ${b}x${h}`);
      const dGiW = new Float32Array(3 * b * h), dGhW = new Float32Array(3 * b * h), dhpW = new Float32Array(b * h);
      const dGiN = new Float32Array(3 * b * h), dGhN = new Float32Array(3 * b * h), dhpN = new Float32Array(b * h);
      R.gruBackward(b, h, giW, gh, hPrev, dh, dGiW, dGhW, dhpW);
      N.gruBackward(b, h, giW, gh, hPrev, dh, dGiN, dGhN, dhpN);
      // the same float operations in the same order as the reference's, which rounds each to float32 only on store:
      // within 1e-6 of the terms
      assert.ok(maxRel(dGiN, dGiW, 1, 'dGi') <= 1e-6 && maxRel(dGhN, dGhW, 1, 'dGh') <= 1e-6 && maxRel(dhpN, dhpW, 1, 'dhPrev') <= 1e-6);
    }
  }));

  test('adamStep: bit-identical (Adam and AdamW)', () => {
    const r = rng(6);
    for (const n of [1, 7, 257]) for (const decoupled of [false, true]) for (const weightDecay of [0, 0.01]) {
      const p0 = rand(n, r), g = rand(n, r), m0 = rand(n, r, 0.1), v0 = rand(n, r, 0.1).map(Math.abs);
      const o = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay, decoupled, step: 7 };
      const pW = p0.slice(), mW = m0.slice(), vW = v0.slice(), pN = p0.slice(), mN = m0.slice(), vN = v0.slice();
      R.adamStep(pW, g, mW, vW, o);
      N.adamStep(pN, g, mN, vN, o);
      sameBits(pN, pW, 'param'); sameBits(mN, mW, 'm'); sameBits(vN, vW, 'v');
    }
  });

  test('the fused recurrence: the same outputs and gradients as the reference, every cell, both directions', () => {
    const r = rng(7);
    for (const kind of ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as CellKind[]) for (const reverse of [false, true]) for (const [T, B, H] of [[1, 1, 3], [5, 3, 9], [4, 7, 20]]) {
      const G = kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1;
      const c = { kind, reverse, T, B, H, xw: rand(T * B * G * H, r), h0: rand(B * H, r), c0: rand(B * H, r), wHh: rand(G * H * H, r, 0.4), bHh: rand(G * H, r), P: rand(T * B * H, r) };
      const want = runRecurrence(R, c), got = runRecurrence(N, c);
      got.forEach((g, i) => {
        const scale = want[i].reduce((s, v) => Math.max(s, Math.abs(v)), 1);
        const e = maxRel(g, want[i], scale, `${kind} output ${i}`);
        assert.ok(e <= 1e-5, `${kind} reverse=${reverse} T=${T} B=${B} H=${H} result ${i}: ${e}`);
      });
    }
  });

  test('two threads give the bits of one: gemm split by rows and by columns, recurrences by batch rows, Adam by ranges', () => {
    const one = createNativeBackend({ threads: 1 }), two = createNativeBackend({ threads: 2 });
    const r = rng(8);
    // big enough to split: rows of C (m ≥ 48), columns (short C), and the vector path, which stays whole
    for (const [m, n, k] of [[200, 130, 300], [2048, 89, 256], [33, 1024, 256], [13, 512, 700], [1, 4096, 512]]) for (const ta of [false, true]) for (const tb of [false, true]) {
      const a = rand(m * k, r), b = rand(k * n, r), c0 = rand(m * n, r);
      for (const acc of [false, true]) {
        const c1 = c0.slice(), c2 = c0.slice();
        one.gemm(ta, tb, m, n, k, a, b, c1, acc);
        two.gemm(ta, tb, m, n, k, a, b, c2, acc);
        sameBits(c2, c1, `gemm ${m}x${n}x${k} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} acc=${acc}`);
      }
    }
    for (const kind of ['lstm', 'gru', 'rnn_tanh'] as CellKind[]) for (const reverse of [false, true]) for (const B of [7, 32]) {
      const T = 6, H = 64, G = kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1;
      const c = { kind, reverse, T, B, H, xw: rand(T * B * G * H, r), h0: rand(B * H, r), c0: rand(B * H, r), wHh: rand(G * H * H, r, 0.2), bHh: rand(G * H, r), P: rand(T * B * H, r) };
      const want = runRecurrence(one, c), got = runRecurrence(two, c);
      got.forEach((g, i) => sameBits(g, want[i], `${kind} reverse=${reverse} B=${B} result ${i}`));
    }
    const n = 100_003;
    const p0 = rand(n, r), g = rand(n, r), m0 = rand(n, r, 0.1), v0 = rand(n, r, 0.1).map(Math.abs);
    const o = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true, step: 3 };
    const [p1, m1, v1, p2, m2, v2] = [p0, m0, v0, p0, m0, v0].map((x) => x.slice());
    R.adamStep(p1, g, m1, v1, o);
    two.adamStep(p2, g, m2, v2, o);
    sameBits(p2, p1, 'adam param'); sameBits(m2, m1, 'adam m'); sameBits(v2, v1, 'adam v');
  });

  test('wrong sizes, lengths, types and indices get a RangeError or TypeError naming the problem, never a crash', () => {
    const f = (n: number) => new Float32Array(n);
    const cases: Array<[string, () => unknown, RegExp]> = [
      ['gemm short a', () => N.gemm(false, false, 2, 2, 2, f(3), f(4), f(4), false), /gemm: a has 3 values, needs 4/],
      ['gemm short c', () => N.gemm(false, true, 4, 4, 4, f(16), f(16), f(15), false), /gemm: c has 15 values, needs 16/],
      ['gemm negative m', () => N.gemm(false, false, -1, 2, 2, f(4), f(4), f(4), false), /gemm: m must be a whole number/],
      ['gemm fractional k', () => N.gemm(false, false, 1, 1, 1.5, f(4), f(4), f(4), false), /gemm: k must be a whole number/],
      ['gemm huge', () => N.gemm(false, false, 2 ** 30, 2 ** 30, 4, f(4), f(4), f(4), false), /gemm: a has 4 values/],
      ['gemm wrong type', () => N.gemm(false, false, 1, 1, 1, [1] as unknown as Float32Array, f(1), f(1), false), /gemm: a must be a Float32Array/],
      ['addScaled short b', () => N.addScaled(f(5), f(4), 1, f(5)), /addScaled: b has 4 values, needs 5/],
      ['gatherRows id', () => N.gatherRows(f(6), 3, new Int32Array([0, 2]), f(6)), /gatherRows: index 2 out of range for 2 rows/],
      ['gatherRows negative id', () => N.gatherRows(f(6), 3, new Int32Array([-1]), f(3)), /index -1 out of range/],
      ['scatterAddRows short src', () => N.scatterAddRows(f(6), 3, new Int32Array([0, 1]), f(5)), /scatterAddRows: src has 5 values, needs 6/],
      ['target', () => N.softmaxCrossEntropy(f(4), 2, 2, new Int32Array([0, 2]), -100, f(4)), /target 2 out of range for 2 classes/],
      ['targets short', () => N.softmaxCrossEntropy(f(4), 2, 2, new Int32Array([0]), -100, f(4)), /targets has 1 values, needs 2/],
      ['lstm short c', () => N.lstmForward(2, 3, f(24), f(6), f(5), f(6)), /lstmForward: c has 5 values, needs 6/],
      ['gru short dGh', () => N.gruBackward(1, 2, f(6), f(6), f(2), f(2), f(6), f(5), f(2)), /gruBackward: dGh has 5 values, needs 6/],
      ['adam short v', () => N.adamStep(f(4), f(4), f(4), f(3), { lr: 1, beta1: 0.9, beta2: 0.9, eps: 1, weightDecay: 0, decoupled: false, step: 1 }), /adamStep: v has 3 values, needs 4/],
      ['recurrence short W_hh', () => N.recurrenceForward!({ kind: 'lstm', T: 2, B: 1, H: 2, reverse: false, gates: f(16), wHh: f(15), hInit: f(2), cInit: f(2), hs: f(4), cs: f(4), ghs: null }, null), /recurrenceForward: W_hh has 15 values, needs 16/],
      ['recurrence no cs', () => N.recurrenceForward!({ kind: 'lstm', T: 2, B: 1, H: 2, reverse: false, gates: f(16), wHh: f(16), hInit: f(2), cInit: f(2), hs: f(4), cs: null, ghs: null }, null), /recurrenceForward: cs must be a Float32Array/],
      ['recurrence short dG', () => N.recurrenceBackward!({ kind: 'gru', T: 2, B: 1, H: 2, reverse: false, gates: f(12), wHh: f(12), hInit: f(2), cInit: null, hs: f(4), cs: null, ghs: f(12) }, null, f(11), f(12), f(2), null), /recurrenceBackward: dG has 11 values, needs 12/],
    ];
    for (const [name, call, msg] of cases) assert.throws(call, (e: Error) => (e instanceof RangeError || e instanceof TypeError) && msg.test(e.message), name);
    // the addon checks again where it is called directly
    const X = N.addon;
    const direct: Array<[string, () => unknown, RegExp]> = [
      ['gemm', () => X.gemm(false, false, 4, 4, 4, f(16), f(16), f(3), false), /gemm: c has 3 values, needs 16/],
      ['gemm overflow', () => X.gemm(false, false, 2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1, f(1), f(1), f(1), false), /gemm: a has 1 values/],
      ['gemm not an array', () => X.gemm(false, false, 1, 1, 1, {} as Float32Array, f(1), f(1), false), /gemm: a must be a Float32Array/],
      ['gemm missing arguments', () => (X.gemm as unknown as () => void)(), /gemm: expects 9 arguments/],
      ['gather', () => X.gatherRows(f(6), 3, new Int32Array([5]), 1, f(3)), /gatherRows: index 5 out of range for 2 rows/],
      ['gather ids count', () => X.gatherRows(f(6), 3, new Int32Array([0]), 4, f(12)), /gatherRows: ids has 1 values, needs 4/],
      ['scatter', () => X.scatterAddRows(f(6), 3, new Int32Array([-3]), 1, f(3)), /index -3 out of range/],
      ['target', () => X.softmaxCrossEntropy(f(4), 2, 2, new Int32Array([0, 9]), -100, f(4)), /target 9 out of range for 2 classes/],
      ['ids type', () => X.gatherRows(f(6), 3, f(1) as unknown as Int32Array, 1, f(3)), /ids must be an Int32Array/],
      ['recurrence', () => X.recurrenceBackward(2, 3, 2, 4, false, f(96), f(64), f(8), f(8), f(24), f(24), null, null, f(96), null, f(8), f(7), true), /recurrenceBackward: dc has 7 values, needs 8/],
      ['cell', () => X.recurrenceForward(9, 1, 1, 1, false, f(1), f(1), f(1), null, f(1), null, null, null), /unknown cell/],
      ['threads', () => X.gemm(false, false, 1, 1, 1, f(1), f(1), f(1), false, 0), /threads must be from 1 to 64/],
    ];
    for (const [name, call, msg] of direct) assert.throws(call, (e: Error) => (e instanceof RangeError || e instanceof TypeError) && msg.test(e.message), name);
  });

  test('alloc: zero-filled, reused after free (zeroed again unless asked not to), double frees and subarrays ignored', () => {
    const K = createNativeBackend({ threads: 1 });
    const a = K.alloc(1000);
    assert.ok(a.every((v) => v === 0));
    a.fill(7);
    K.free(a);
    K.free(a); // a second free of the same array is ignored
    K.free(a.subarray(10)); // so is a subarray
    K.free(new Float32Array(1000)); // and an array that is not the backend's
    const b = K.alloc(1000);
    assert.equal(b, a, 'the freed array comes back');
    assert.ok(b.every((v) => v === 0), 'zero-filled again');
    const c = K.alloc(1000);
    assert.notEqual(c, a, 'given back once, handed out once');
    b.fill(3);
    K.free(b);
    const d = K.alloc(1000, true);
    assert.equal(d, b);
    assert.equal(K.alloc(999).length, 999);
  });

  test('registerNativeBackend makes useBackend("native") work', async () => {
    assert.equal(registerNativeBackend(), true);
    try {
      const K = await useBackend('native');
      assert.equal(K.name, 'native');
      assert.equal(kernels(), K);
    } finally {
      setBackend(R);
    }
  });
}
