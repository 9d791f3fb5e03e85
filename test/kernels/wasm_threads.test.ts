import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { Backend } from '../../src/kernels/backend.js';
import { referenceBackend as R } from '../../src/kernels/reference/index.js';
import { createWasmBackend } from '../../src/kernels/wasm/index.js';
import { Balance, weightedBlocks } from '../../src/kernels/wasm/balance.js';
import { gemmPool } from '../helpers/gemm_pool.js';
import type { CellKind } from '../../src/kernels/index.js';
import { runRecurrence } from '../helpers/recurrence.js';
import { ROOT } from '../helpers/cli.js';

// The WebAssembly kernels split over two threads: big multiplies by blocks of rows (or columns) of C,
// recurrences by blocks of batch rows. The sizes here are above the size at which the backend splits.

const ONE = await createWasmBackend({ threads: 1 });
const TWO = await createWasmBackend({ threads: 2 });

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}
const rand = (n: number, r: () => number, scale = 1) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);

test('a backend asked for two threads runs two (Node has workers and shared memory)', () => {
  assert.equal(ONE.threads, 1);
  assert.equal(TWO.threads, 2);
});

test('gemm split over two threads: same bits as one thread, and the reference within float32 rounding', () => {
  const r = rng(3);
  // split by rows (m ≥ 16 and n < 2m), by columns (m < 16, or C at least twice as wide as it is long), odd
  // sizes that leave a short last block, and matrix × vector (m = 1), split by columns from 128K weights up
  const shapes: [number, number, number][] = [[300, 200, 100], [257, 129, 130], [8, 3000, 400], [3, 2051, 700], [90, 256, 2048], [20, 600, 400],
    [1, 1024, 256], [1, 2001, 300]];
  for (const [m, n, k] of shapes) for (const ta of [false, true]) for (const tb of [false, true]) for (const acc of [false, true]) {
    const a = rand(m * k, r), b = rand(k * n, r), c0 = rand(m * n, r);
    const run = (K: Backend) => {
      const A = K.alloc(a.length), B = K.alloc(b.length), C = K.alloc(c0.length);
      A.set(a); B.set(b); C.set(c0);
      K.gemm(ta, tb, m, n, k, A, B, C, acc);
      return Float32Array.from(C);
    };
    const one = run(ONE), two = run(TWO), want = c0.slice();
    R.gemm(ta, tb, m, n, k, a, b, want, acc);
    const what = `${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${m}×${n}×${k} acc=${acc}`;
    for (let i = 0; i < want.length; i++) {
      if (Math.abs(two[i] - want[i]) > 1e-5 * (Math.sqrt(k) + Math.abs(want[i]))) assert.fail(`${what}: C[${i}] = ${two[i]}, reference ${want[i]}`);
    }
    // a column block of C (its columns start at a multiple of 8) is computed as in the whole C; a row block
    // too, unless it is small enough for another path of the kernel (m ≤ 64 with B transposed; m < 16 otherwise)
    const columnsSplit = m < 16 || n >= 2 * m, samePath = tb ? m / 2 > 64 || m <= 64 : m / 2 >= 16 || m < 16;
    if (columnsSplit || samePath) assert.deepEqual(two, one, `${what}: two threads changed bits`);
  }
});

test('the fused recurrence over two threads: the same bits as one thread, and the reference', () => {
  const r = rng(5);
  for (const kind of ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as CellKind[]) for (const reverse of [false, true]) {
    const T = 12, B = 24, H = kind.startsWith('rnn') ? 96 : 64, G = kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1;
    const c = { kind, reverse, T, B, H, xw: rand(T * B * G * H, r), h0: rand(B * H, r), c0: rand(B * H, r), wHh: rand(G * H * H, r, 0.2), bHh: rand(G * H, r), P: rand(T * B * H, r) };
    const want = runRecurrence(R, c), one = runRecurrence(ONE, c), two = runRecurrence(TWO, c);
    two.forEach((g, i) => {
      assert.deepEqual(g, one[i], `${kind} reverse=${reverse} result ${i}: two threads changed bits`);
      const scale = want[i].reduce((s, v) => Math.max(s, Math.abs(v)), 1);
      for (let j = 0; j < g.length; j++) {
        if (!(Math.abs(g[j] - want[i][j]) <= 1e-5 * scale)) assert.fail(`${kind} reverse=${reverse} result ${i}[${j}]: ${g[j]}, reference ${want[i][j]}`);
      }
    });
  }
});

test('uneven thread shares change no bits: recurrences split at any batch row, long multiplies by rows', () => {
  const r = rng(9);
  try {
    for (const shares of [[0.7, 0.3], [0.3, 0.7], [0.55, 0.45]]) {
      TWO.pinThreadShares(shares);
      assert.deepEqual(TWO.threadShares, shares.map((x) => x / (shares[0] + shares[1])));
      for (const kind of ['lstm', 'gru', 'rnn_tanh'] as CellKind[]) {
        // big enough to be split (2·T·B·G·H² ≥ 4·10⁶ flops)
        const T = 12, B = 30, H = kind === 'rnn_tanh' ? 128 : 64, G = kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1;
        const c = { kind, reverse: false, T, B, H, xw: rand(T * B * G * H, r), h0: rand(B * H, r), c0: rand(B * H, r), wHh: rand(G * H * H, r, 0.2), bHh: rand(G * H, r), P: rand(T * B * H, r) };
        const one = runRecurrence(ONE, c), two = runRecurrence(TWO, c);
        two.forEach((g, i) => assert.deepEqual(g, one[i], `${kind} shares ${shares}: result ${i} changed`));
      }
      // above the 4·10⁶ flops from which a multiply is split
      for (const [m, n, k] of [[300, 70, 120], [141, 60, 257]]) for (const ta of [false, true]) for (const tb of [false, true]) {
        const a = rand(m * k, r), b = rand(k * n, r);
        const run = (K: Backend) => { const A = K.alloc(a.length), Bm = K.alloc(b.length), C = K.alloc(m * n); A.set(a); Bm.set(b); K.gemm(ta, tb, m, n, k, A, Bm, C, false); return Float32Array.from(C); };
        assert.deepEqual(run(TWO), run(ONE), `gemm ${m}×${n}×${k} ta=${ta} tb=${tb} shares ${shares}`);
      }
    }
  } finally {
    TWO.pinThreadShares(null);
  }
  assert.throws(() => TWO.pinThreadShares([1, 0]), /positive shares/);
  assert.throws(() => TWO.pinThreadShares([1]), /2 positive shares/);
});

test('softmax cross-entropy and Adam split over two threads: the same bits as one thread, loss included', () => {
  const r = rng(11);
  try {
    for (const shares of [null, [0.7, 0.3], [0.35, 0.65]]) {
      TWO.pinThreadShares(shares);
      // rows past the split size (2 × 68), some with the ignored target; an odd class count
      for (const [n, c] of [[2048, 89], [301, 67]]) {
        const logits = rand(n * c, r, 4);
        const targets = Int32Array.from({ length: n }, (_, i) => (i % 17 === 5 ? -100 : Math.floor(r() * c)));
        const run = (K: Backend) => {
          const X = K.alloc(n * c), P = K.alloc(n * c);
          X.set(logits);
          const { loss, count } = K.softmaxCrossEntropy(X, n, c, targets, -100, P);
          return { loss, count, probs: Float32Array.from(P) };
        };
        const one = run(ONE), two = run(TWO), want = R.softmaxCrossEntropy(logits, n, c, targets, -100, new Float32Array(n * c));
        assert.equal(two.loss, one.loss, `${n}×${c} shares ${shares}: the summed loss changed`);
        assert.equal(two.count, one.count);
        assert.deepEqual(two.probs, one.probs, `${n}×${c} shares ${shares}: probabilities changed`);
        assert.ok(Math.abs(two.loss - want.loss) <= 1e-5 * want.loss, `loss ${two.loss}, reference ${want.loss}`);
      }
      // 40,000 weights: above the size from which an Adam update is split, and not a multiple of 4
      const n = 40001, p0 = rand(n, r), g = rand(n, r), m0 = rand(n, r, 0.1), v0 = Float32Array.from(rand(n, r), (x) => x * x);
      const opt = { lr: 2e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true, step: 7 };
      const adam = (K: Backend) => {
        const [P, G, M, V] = [p0, g, m0, v0].map((x) => { const y = K.alloc(n); y.set(x); return y; });
        K.adamStep(P, G, M, V, opt);
        return [P, M, V].map((x) => Float32Array.from(x));
      };
      const want = [p0, m0, v0].map((x) => x.slice());
      R.adamStep(want[0], g, want[1], want[2], opt);
      const two = adam(TWO);
      assert.deepEqual(two, adam(ONE), `Adam, shares ${shares}: two threads changed bits`);
      assert.deepEqual(two, want, `Adam, shares ${shares}: not the reference's bits`);
    }
  } finally {
    TWO.pinThreadShares(null);
  }
});

test('thread shares follow the measured speeds, ignore parts too short to time, and keep a floor', () => {
  const b = new Balance(2);
  assert.deepEqual(b.shares, [0.5, 0.5]);
  // the helper does the same work in half the time: twice the speed, so two thirds of the work
  for (let i = 0; i < 40; i++) b.observe([10, 10], [4, 2]);
  assert.ok(Math.abs(b.shares[0] - 1 / 3) < 1e-3 && Math.abs(b.shares[1] - 2 / 3) < 1e-3, `${b.shares}`);
  // with that split both take as long: the shares stay
  b.observe([1, 2], [1, 1]);
  assert.ok(Math.abs(b.shares[0] - 1 / 3) < 1e-3, `${b.shares}`);
  // a part of a few microseconds says nothing
  b.observe([10, 10], [0.01, 5]);
  assert.ok(Math.abs(b.shares[0] - 1 / 3) < 1e-3, `${b.shares}`);
  // one observation moves the shares only part of the way
  b.observe([10, 10], [1, 1]);
  assert.ok(b.shares[0] > 1 / 3 && b.shares[0] < 0.45, `${b.shares}`);
  // a thread that looks stalled keeps an eighth of the work (a quarter of an even share)
  for (let i = 0; i < 60; i++) b.observe([10, 10], [1000, 1]);
  assert.ok(Math.abs(b.shares[0] - 0.125) < 0.01, `${b.shares}`);
  assert.ok(Math.abs(b.shares[0] + b.shares[1] - 1) < 1e-12);
});

test('weighted blocks cover the range, follow the shares, and keep the minimum and the unit', () => {
  assert.deepEqual(weightedBlocks(32, [0.5, 0.5], 8, 2), [[0, 16], [16, 16]]);
  assert.deepEqual(weightedBlocks(32, [0.7, 0.3], 8, 2), [[0, 22], [22, 10]]);
  assert.deepEqual(weightedBlocks(32, [0.9, 0.1], 8, 2), [[0, 24], [24, 8]]); // the minimum holds
  assert.deepEqual(weightedBlocks(12, [0.5, 0.5], 8, 2), [[0, 12]]); // too short to split
  assert.deepEqual(weightedBlocks(2048, [0.4, 0.6], 68, 4), [[0, 820], [820, 1228]]);
  // rounded for the quickest slowest block, not to the nearest unit (13.1 rows → 12, not 14)
  assert.deepEqual(weightedBlocks(32, [0.41, 0.59], 8, 2), [[0, 12], [12, 20]]);
  assert.deepEqual(weightedBlocks(32, [0.59, 0.41], 8, 2), [[0, 20], [20, 12]]);
  // against every possible two-way split: none has a quicker slowest block
  const slowest = (bl: Array<[number, number]>, sh: number[]) => Math.max(...bl.map(([, len], i) => len / sh[i]));
  for (const n of [16, 32, 33, 64, 200]) for (let a = 0.05; a < 1; a += 0.05) {
    const sh = [a, 1 - a], bl = weightedBlocks(n, sh, 8, 2);
    let best = Infinity;
    for (let l = 8; n - l >= 8; l += 2) best = Math.min(best, slowest([[0, l], [l, n - l]], sh));
    assert.ok(slowest(bl, sh) <= best + 1e-9, `n=${n} shares ${sh}: ${JSON.stringify(bl)} slower than the best split`);
  }
  for (const n of [16, 17, 31, 100, 999]) for (const sh of [[0.5, 0.5], [0.2, 0.8], [0.8, 0.2], [0.3, 0.3, 0.4]]) {
    const bl = weightedBlocks(n, sh, 8, 4);
    assert.equal(bl[0][0], 0);
    bl.forEach(([s, len], i) => {
      assert.ok(len >= 8, `n=${n} ${sh}: block ${i} of ${len}`);
      assert.equal(s % 4, 0, `n=${n} ${sh}: block ${i} starts at ${s}`);
      if (i > 0) assert.equal(s, bl[i - 1][0] + bl[i - 1][1]);
    });
    assert.equal(bl[bl.length - 1][0] + bl[bl.length - 1][1], n);
  }
});

test('a kernel that fails on a helper thread raises an error on the calling thread, and does not hang', async () => {
  const { pool, slots } = await gemmPool();
  try {
    const far = 2 ** 31; // beyond the memory: the helper's kernel traps
    // the calling thread's own part waits until the helper has taken its part (else it would take it itself)
    const untilTaken = () => { for (const end = Date.now() + 10_000; Atomics.load(slots, 5) !== Atomics.load(slots, 0) && Date.now() < end;); };
    assert.throws(() => pool.run([[0, [0, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 0, 0]], [0, [0, 0, 4, 4, 4, far, 4, far, 4, far, 4, 0, far]]], untilTaken),
      /failed on a helper thread/);
  } finally {
    pool.stop();
  }
});

test('a part no helper has started is run by the calling thread, once, and job numbers wrap', () => {
  // in a child process: a caller that waited for a gone helper, or for a job number it never sees, would
  // spin for ever, and the timeout turns that into a failure
  const code = `import { CONTROL_BYTES } from './src/kernels/wasm/threads.ts';
import { gemmPool } from './test/helpers/gemm_pool.ts';
const { pool, memory, X, ctl, slots } = await gemmPool();
const n = 64, bytes = 4 * n * n, heap = ctl + CONTROL_BYTES;
const [a, b, c0, c1, work] = [0, 1, 2, 3, 4].map((i) => heap + i * bytes);
const f32 = (at) => new Float32Array(memory.buffer, at, n * n);
f32(a).fill(1); f32(b).fill(2);
const args = (c, w) => [0, 0, n, n, n, a, n, b, n, c, n, 0, w];
const runBoth = () => {
  f32(c0).fill(-1); f32(c1).fill(-1);
  pool.run([[0, args(c0, work)], [0, args(c1, work + X.gemmWorkspaceBytes())]], (fn, x) => X.gemm(...x));
  return f32(c0).every((v) => v === 2 * n) && f32(c1).every((v) => v === 2 * n);
};
// job numbers about to wrap past 2^31 - 1 (the slot of the last job taken set to match)
const h = pool.helpers[0];
h.job = 2 ** 31 - 3;
Atomics.store(slots, 5, h.job);
let right = 0;
for (let i = 0; i < 5; i++) right += runBoth();
console.log('wrapped', h.job < 0, 'right', right);
// a helper that is not running (here: gone)
h.worker.terminate();
await new Promise((r) => setTimeout(r, 300));
const stolen = pool.stolen;
right = 0;
for (let i = 0; i < 3; i++) right += runBoth();
console.log('stolen', pool.stolen - stolen, 'right', right);
pool.stop();`;
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(res.status, 0, `exit ${res.status} ${res.signal ?? ''}: ${res.stderr}`);
  assert.match(res.stdout, /wrapped true right 5/);
  assert.match(res.stdout, /stolen 3 right 3/);
});

test('after stopThreads the backend goes on, on one thread', async () => {
  const K = await createWasmBackend({ threads: 2 });
  K.stopThreads();
  assert.equal(K.threads, 1);
  const m = 200, n = 200, k = 200;
  const A = K.alloc(m * k).fill(1), B = K.alloc(k * n).fill(2), C = K.alloc(m * n);
  K.gemm(false, false, m, n, k, A, B, C, false);
  assert.ok(C.every((v) => v === 400));
});

test('helper threads do not keep a Node process alive', () => {
  const code = `import { createWasmBackend } from './src/kernels/wasm/index.ts';
const K = await createWasmBackend({ threads: 2 });
const A = K.alloc(512 * 512), C = K.alloc(512 * 512);
K.gemm(false, false, 512, 512, 512, A, A, C, false);
console.log('threads', K.threads);`;
  const t0 = performance.now();
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(res.status, 0, res.stderr);
  assert.match(res.stdout, /threads 2/);
  assert.ok(performance.now() - t0 < 30_000);
});

test('elementwise and row-wise kernels split over two threads give the same bits as one thread', () => {
  const n = 300_001, rows = 1201, w = 250; // above the size at which the backend splits, and not multiples of the block
  const run = (K: Backend) => {
    const r = rng(9); // the same inputs for every backend
    const put = (x: Float32Array) => { const y = K.alloc(x.length); y.set(x); return y; };
    const a = put(rand(n, r)), b = put(rand(n, r)), out = K.alloc(n);
    const res: Record<string, Float32Array> = {};
    K.addScaled(a, b, 0.37, out); res.addScaled = Float32Array.from(out);
    K.mul(a, b, out); res.mul = Float32Array.from(out);
    K.scale(out, -1.5); res.scale = Float32Array.from(out);
    K.activate('tanh', a, out); res.tanh = Float32Array.from(out);
    K.activateBackward('sigmoid', a, b, out, true); res.dsigmoid = Float32Array.from(out);
    const m = put(rand(rows * w, r)), v = put(rand(w, r));
    K.addRowVector(m, v, rows); res.addRowVector = Float32Array.from(m);
    const s = put(rand(w, r));
    K.sumRows(m, rows, s, true); res.sumRows = Float32Array.from(s);
    const table = put(rand(97 * w, r)), ids = Int32Array.from({ length: rows }, (_, i) => (i * 31) % 97), g = K.alloc(rows * w);
    K.gatherRows(table, w, ids, g); res.gatherRows = Float32Array.from(g);
    const probs = K.alloc(rows * w), targets = Int32Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? -100 : (i * 13) % w)), dl = put(rand(rows * w, r));
    K.softmax(m, rows, w, probs);
    K.softmaxCrossEntropyBackward(probs, rows, w, targets, -100, 0.01, dl); res.softmaxCEBackward = Float32Array.from(dl);
    const p = put(rand(n, r)), mm = put(rand(n, r, 0.1)), vv = put(rand(n, r, 0.1).map(Math.abs));
    K.adamStep(p, a, mm, vv, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true, step: 3 });
    res.adamParam = Float32Array.from(p); res.adamM = Float32Array.from(mm); res.adamV = Float32Array.from(vv);
    return res;
  };
  const one = run(ONE);
  const two = run(TWO);
  for (const k of Object.keys(one)) assert.deepEqual(two[k], one[k], `${k}: two threads changed bits`);
  // and the reference agrees (loosely: tanh and the optimizer round differently in places)
  const ref = run(R);
  for (const k of ['addScaled', 'mul', 'scale', 'addRowVector', 'sumRows', 'gatherRows']) assert.deepEqual(two[k], ref[k], `${k} against the reference`);
});
