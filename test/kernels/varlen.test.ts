import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, SequenceArgs } from '../../src/kernels/backend.js';
import type { CellKind } from '../../src/kernels/index.js';
import { createWasmBackend } from '../../src/kernels/wasm/index.js';
import { createNativeBackend, nativeUnavailable } from '../../src/kernels/native/index.js';
import { rng, rand } from '../helpers/wasm.js';
import { sameBitsAs } from '../helpers/compare.js';
import { rowLengths, workBlocks } from '../../src/kernels/wasm/balance.js';

// Variable-length batches inside the whole-sequence kernels (SequenceArgs.batchSizes), on the wasm and the
// native backend. The oracle is the same kernel without batchSizes: each row r of a batch with lengths
// len_r must come out as that row alone (B = 1) over its own first len_r steps, forward and backward; the
// steps past a row's end hold the state it carries. Each row's per-step product is summed the same way
// whatever rows run beside it (at most 64 live rows, the wasm gemm's dot-product path), so the
// comparisons are bit for bit.

const KINDS: CellKind[] = ['rnn_tanh', 'rnn_relu', 'lstm', 'gru'];
const G = (kind: CellKind) => (kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1);

interface Case {
  kind: CellKind; reverse: boolean; T: number; B: number; H: number; lens: number[];
  xw: Float32Array; wHh: Float32Array; bHh: Float32Array; h0: Float32Array; c0: Float32Array;
  gOut: Float32Array; dh: Float32Array; dc: Float32Array;
}

/** batchSizes[t]: the rows longer than t, for lengths sorted longest first. */
function batchSizesOf(lens: number[], T: number): Int32Array {
  const bs = new Int32Array(T);
  for (let t = 0; t < T; t++) bs[t] = lens.filter((l) => l > t).length;
  return bs;
}

function makeCase(kind: CellKind, reverse: boolean, T: number, B: number, H: number, seed: number): Case {
  const r = rng(seed);
  // random lengths in 1 … T, with 1 and T among them
  const lens = Array.from({ length: B }, () => 1 + Math.floor(r() * T));
  lens[0] = T;
  if (B > 1) lens[B - 1] = 1;
  lens.sort((a, b) => b - a);
  const g = G(kind) * H;
  return {
    kind, reverse, T, B, H, lens,
    xw: rand(T * B * g, r), wHh: rand(g * H, r, 0.3), bHh: rand(g, r), h0: rand(B * H, r), c0: rand(B * H, r),
    gOut: rand(T * B * H, r), dh: rand(B * H, r), dc: rand(B * H, r),
  };
}

interface Out { gates: Float32Array; hs: Float32Array; cs: Float32Array | null; ghs: Float32Array | null;
  dG: Float32Array; dGh: Float32Array | null; dh: Float32Array; dc: Float32Array | null }

// Sentinel that the kernels must leave where rows are not live (gates, ghs) or overwrite (dG, dGh).
const MARK = 1234.5;

/** The kernel forward then backward on the case's arrays, in buffers from K's alloc; copies of every result. */
function run(K: Backend, c: Case, o: { T: number; B: number; rows?: (t: number, r: number) => number; batchSizes?: Int32Array | null; initGrad?: boolean }): Out {
  const { kind, reverse, H } = c, { T, B } = o, g = G(kind) * H;
  // element j of (step t, row r) of a [T, B, w] array of this call, from the case's [c.T, c.B, w] array
  const rows = o.rows ?? ((t: number, r: number) => t * c.B + r);
  const pick = (src: Float32Array, w: number, fill?: number) => {
    const x = K.alloc(T * B * w);
    for (let t = 0; t < T; t++) for (let r = 0; r < B; r++) x.set(src.subarray(rows(t, r) * w, (rows(t, r) + 1) * w), (t * B + r) * w);
    if (fill !== undefined) x.fill(fill);
    return x;
  };
  const first = (src: Float32Array) => { const x = K.alloc(B * H); x.set(src.subarray(rows(0, 0) % c.B * H, (rows(0, 0) % c.B + B) * H)); return x; };
  const a: SequenceArgs = {
    kind, T, B, H, reverse, gates: pick(c.xw, g), wHh: K.alloc(g * H), hInit: first(c.h0), cInit: kind === 'lstm' ? first(c.c0) : null,
    hs: K.alloc(T * B * H), cs: kind === 'lstm' ? K.alloc(T * B * H) : null, ghs: kind === 'gru' ? pick(c.xw, g, MARK) : null,
    batchSizes: o.batchSizes,
  };
  a.wHh.set(c.wHh);
  const bHh = K.alloc(g);
  bHh.set(c.bHh);
  assert.equal(K.recurrenceForward!(a, kind === 'gru' ? bHh : null), true, 'recurrenceForward ran');
  const fwd = { gates: Float32Array.from(a.gates), hs: Float32Array.from(a.hs), cs: a.cs && Float32Array.from(a.cs), ghs: a.ghs && Float32Array.from(a.ghs) };
  const dG = pick(c.xw, g, MARK), dGh = kind === 'gru' ? pick(c.xw, g, MARK) : null;
  const dh = first(c.dh), dc = kind === 'lstm' ? first(c.dc) : null;
  assert.equal(K.recurrenceBackward!(a, pick(c.gOut, H), dG, dGh, dh, dc, o.initGrad ?? true), true, 'recurrenceBackward ran');
  return { ...fwd, dG: Float32Array.from(dG), dGh: dGh && Float32Array.from(dGh), dh: Float32Array.from(dh), dc: dc && Float32Array.from(dc) };
}

/** The case with batchSizes, checked row by row against the same kernel on each row alone. */
function checkAgainstRows(name: string, K: Backend, c: Case): void {
  const { T, B, H, kind, reverse, lens } = c, g = G(kind) * H;
  const got = run(K, c, { T, B, batchSizes: batchSizesOf(lens, T) });
  const what = `${name} ${kind} reverse=${reverse} T=${T} B=${B} H=${H}`;
  const same = (x: Float32Array, y: Float32Array, w: string) => sameBitsAs(name, x, y, `${what}: ${w}`);
  const slot = (x: Float32Array, t: number, r: number, w: number, b = B) => x.subarray((t * b + r) * w, (t * b + r + 1) * w);
  for (let r = 0; r < B; r++) {
    const L = lens[r];
    const one = run(K, c, { T: L, B: 1, rows: (t) => t * B + r });
    const init = (x: Float32Array) => x.subarray(r * H, (r + 1) * H);
    for (let t = 0; t < T; t++) {
      const at = `row ${r} (length ${L}) step ${t}`;
      if (t < L) {
        same(slot(got.hs, t, r, H), slot(one.hs, t, 0, H, 1), `hs ${at}`);
        if (got.cs) same(slot(got.cs, t, r, H), slot(one.cs!, t, 0, H, 1), `cs ${at}`);
        same(slot(got.gates, t, r, g), slot(one.gates, t, 0, g, 1), `gate activations ${at}`);
        if (got.ghs) same(slot(got.ghs, t, r, g), slot(one.ghs!, t, 0, g, 1), `ghs ${at}`);
        same(slot(got.dG, t, r, g), slot(one.dG, t, 0, g, 1), `dG ${at}`);
        if (got.dGh) same(slot(got.dGh, t, r, g), slot(one.dGh!, t, 0, g, 1), `dGh ${at}`);
      } else {
        // past the row's end: forward, its last state; in reverse, its initial state (its sequence starts at L − 1)
        same(slot(got.hs, t, r, H), reverse ? init(c.h0) : slot(one.hs, L - 1, 0, H, 1), `carried h ${at}`);
        if (got.cs) same(slot(got.cs, t, r, H), reverse ? init(c.c0) : slot(one.cs!, L - 1, 0, H, 1), `carried c ${at}`);
        same(slot(got.gates, t, r, g), slot(c.xw, t, r, g), `gates left as they were ${at}`);
        if (got.ghs) assert.ok(slot(got.ghs, t, r, g).every((v) => v === MARK), `${what}: ghs left as they were ${at}`);
        assert.ok(slot(got.dG, t, r, g).every((v) => Object.is(v, 0)), `${what}: dG zero ${at}`);
        if (got.dGh) assert.ok(slot(got.dGh, t, r, g).every((v) => Object.is(v, 0)), `${what}: dGh zero ${at}`);
      }
    }
    same(init(got.dh), one.dh, `∂L/∂h0 row ${r}`);
    if (got.dc) same(init(got.dc), one.dc!, `∂L/∂c0 row ${r}`);
  }
}

test('the wasm thread split of a variable-length batch: row lengths from batchSizes, blocks by their work', () => {
  assert.deepEqual(rowLengths(Int32Array.of(4, 3, 3, 1), 4), [4, 3, 3, 1]);
  assert.deepEqual(rowLengths(Int32Array.of(3, 3, 2, 2, 1), 3), [5, 4, 2]);
  assert.deepEqual(rowLengths(new Int32Array(0), 2), [0, 0]);
  // 20 rows, the first ten four times as long as the rest: even work puts the split at row 6 or 7, not 10
  const lens = [...new Array(10).fill(40), ...new Array(10).fill(10)];
  const [[a0, an], [b0, bn]] = workBlocks(lens, [0.5, 0.5], 4);
  assert.equal(a0, 0); assert.equal(b0, an); assert.equal(an + bn, 20);
  assert.ok(Math.abs(an * 40 - 250) <= 20, `split after ${an} rows`);
  assert.deepEqual(workBlocks(lens, [0.9, 0.1], 4), [[0, 15], [15, 5]], 'nine tenths of the work');
  assert.deepEqual(workBlocks(lens, [0.99, 0.01], 4), [[0, 16], [16, 4]], 'the minimum block');
  assert.deepEqual(workBlocks([5, 5, 5], [0.5, 0.5], 4), [[0, 3]], 'too few rows to split');
  for (const shares of [[0.3, 0.7], [0.7, 0.3], [0.2, 0.3, 0.5]]) {
    const parts = workBlocks(lens, shares, 2);
    assert.equal(parts.length, shares.length);
    assert.equal(parts.reduce((s, [start, n], i) => (assert.equal(start, s, `block ${i} starts where ${i - 1} ended`), assert.ok(n >= 2), s + n), 0), 20);
  }
});

interface Named { name: string; one: Backend; two: Backend }
const backends: Named[] = [
  { name: 'wasm', one: await createWasmBackend({ threads: 1 }), two: await createWasmBackend({ threads: 2 }) },
];
const why = nativeUnavailable();
if (why) test(`native backend: variable-length batches (skipped: ${why}; build it with node native/build.mjs)`, { skip: why }, () => {});
else backends.push({ name: 'native', one: createNativeBackend({ threads: 1 }), two: createNativeBackend({ threads: 2 }) });

for (const { name, one, two } of backends) {
  test(`${name}: each row of a variable-length batch is that row alone over its own steps, forward and backward`, () => {
    let seed = 1;
    for (const kind of KINDS) for (const reverse of [false, true]) {
      for (const [T, B, H] of [[5, 4, 3], [9, 7, 8], [6, 1, 5]]) checkAgainstRows(name, one, makeCase(kind, reverse, T, B, H, seed++));
    }
  });

  test(`${name}: batchSizes all equal to B give exactly the bits of no batchSizes`, () => {
    let seed = 100;
    for (const kind of KINDS) for (const reverse of [false, true]) {
      const c = makeCase(kind, reverse, 6, 5, 7, seed++);
      for (const initGrad of [true, false]) {
        const plain = run(one, c, { T: 6, B: 5, initGrad }), full = run(one, c, { T: 6, B: 5, batchSizes: new Int32Array(6).fill(5), initGrad });
        for (const k of Object.keys(plain) as Array<keyof Out>) {
          if (plain[k]) sameBitsAs(name, full[k]!, plain[k]!, `${kind} reverse=${reverse} initGrad=${initGrad}: ${k}`);
        }
      }
    }
  });

  test(`${name}: two threads give the bits of one on variable-length batches`, () => {
    let seed = 200;
    for (const kind of KINDS) for (const reverse of [false, true]) {
      // big enough for the batch to be split over the threads
      const T = 12, B = 40, H = kind.startsWith('rnn') ? 128 : 64;
      const c = makeCase(kind, reverse, T, B, H, seed++);
      const o = { T, B, batchSizes: batchSizesOf(c.lens, T) };
      const a = run(one, c, o);
      if (reverse) checkAgainstRows(`${name} on two threads`, two, c);
      // the wasm backend splits by learned shares: uneven ones put the split at other rows
      const pin = (two as { pinThreadShares?: (s: number[] | null) => void }).pinThreadShares?.bind(two);
      for (const shares of pin ? [[0.5, 0.5], [0.7, 0.3], [0.25, 0.75]] : [null]) {
        if (shares) pin!(shares);
        try {
          const b = run(two, c, o);
          for (const k of Object.keys(a) as Array<keyof Out>) if (a[k]) sameBitsAs(name, b[k]!, a[k]!, `${kind} reverse=${reverse} shares ${shares}: ${k}`);
        } finally {
          pin?.(null);
        }
      }
    }
  });

  test(`${name}: wrong batchSizes are refused with one clear error before any kernel runs`, () => {
    const H = 2, T = 3, B = 2;
    const args = (batchSizes: unknown): SequenceArgs => ({
      kind: 'rnn_tanh', T, B, H, reverse: false, gates: one.alloc(T * B * H), wHh: one.alloc(H * H), hInit: one.alloc(B * H), cInit: null,
      hs: one.alloc(T * B * H), cs: null, ghs: null, batchSizes: batchSizes as Int32Array,
    });
    const bad: Array<[unknown, RegExp]> = [
      [[2, 1, 1], /batchSizes must be an Int32Array/],
      [new Float32Array([2, 1, 1]), /batchSizes must be an Int32Array/],
      [Int32Array.of(2, 1), /batchSizes has 2 values, needs T = 3/],
      [Int32Array.of(1, 1, 1), /batchSizes\[0\] must be the batch size 2, got 1/],
      [Int32Array.of(3, 1, 1), /batchSizes\[0\] must be the batch size 2, got 3/],
      [Int32Array.of(2, 1, 2), /batchSizes\[2\] = 2 must be from 0 to batchSizes\[1\] = 1 \(sort the batch longest first\)/],
      [Int32Array.of(2, -1, 1), /batchSizes\[1\] = -1/],
    ];
    for (const [bs, msg] of bad) {
      const a = args(bs);
      assert.throws(() => one.recurrenceForward!(a, null), msg, `${name} forward ${String(bs)}`);
      assert.throws(() => one.recurrenceBackward!(a, null, one.alloc(T * B * H), null, one.alloc(B * H), null), msg, `${name} backward ${String(bs)}`);
    }
  });
}

if (!why) {
  test('native addon: wrong batchSizes passed to it directly get a RangeError or TypeError, never a crash', () => {
    const X = createNativeBackend({ threads: 1 }).addon;
    const f = (n: number) => new Float32Array(n);
    // rnn_tanh, T = 3, B = 2, H = 2
    const fwd = (bs: unknown) => X.recurrenceForward(0, 3, 2, 2, false, f(12), f(4), f(4), null, f(12), null, null, null, 1, bs as Int32Array);
    const bwd = (bs: unknown) => X.recurrenceBackward(0, 3, 2, 2, false, f(12), f(4), f(4), null, f(12), null, null, null, f(12), null, f(4), null,
      true, 1, bs as Int32Array);
    for (const [bs, msg] of [
      [new Float32Array(3), /recurrence\w+: batchSizes must be an Int32Array/],
      [Int32Array.of(2, 1), /batchSizes has 2 values, needs T = 3/],
      [Int32Array.of(2, 1, 1, 1), /batchSizes has 4 values, needs T = 3/],
      [Int32Array.of(1, 1, 1), /batchSizes\[0\] must be the batch size 2, got 1/],
      [Int32Array.of(2, 1, 2), /batchSizes\[2\] = 2 must be from 0 to batchSizes\[1\] = 1/],
      [Int32Array.of(2, -1, 0), /batchSizes\[1\] = -1 must be from 0 to batchSizes\[0\] = 2/],
    ] as Array<[unknown, RegExp]>) {
      assert.throws(() => fwd(bs), msg, `forward ${String(bs)}`);
      assert.throws(() => bwd(bs), msg, `backward ${String(bs)}`);
    }
    // null and undefined: every row runs all T steps; zeros at the end: every sequence shorter than T
    fwd(null); bwd(undefined); fwd(Int32Array.of(2, 0, 0)); bwd(Int32Array.of(2, 1, 0));
  });
}
