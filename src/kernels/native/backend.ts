import type { Activation, Backend, SequenceArgs } from '../backend.js';
import { loadNativeAddon, type NativeAddon } from './addon.js';
import { defaultThreads } from '../wasm/index.js';
import { BufferPool } from './pool.js';
import { CELLS, gateCount } from '../cells.js';
import { adamScalars } from '../reference/adam.js';
import { checkTargets } from '../checks.js';

/**
 * The native backend: the kernels of native/src (C++, an AVX2 + FMA multiply chosen at run time) over
 * plain Float32Arrays, which the addon reads and writes in place. Every size and index is checked here,
 * before an array reaches C++ (and the addon checks the sizes again).
 *
 * Threads (native/src/pool.cc): a large multiply is split by blocks of rows of C (or of columns, for a
 * short C), a recurrence by blocks of batch rows, an Adam update by ranges; each element is computed as
 * on one thread, so the thread count does not change a bit.
 *
 * Numbers: the elementwise kernels, sums, the softmax gradient and Adam give the reference's bits; the
 * multiply sums in blocks of 256 along k, the cells use float exp and tanh, and softmax a different exp,
 * so those agree with the reference to float32 rounding, not bit for bit.
 */
export interface NativeBackend extends Backend {
  /** The instruction set the multiply runs on: 'avx2+fma' or 'generic'. */
  readonly isa: string;
  /** Threads the kernels may run on, the calling one included. */
  readonly threads: number;
  /** The addon itself, for tests that drive it with wrong arguments. */
  readonly addon: NativeAddon;
  /** Gives an array from `alloc` back for reuse by a later `alloc` of the same length (see pool.ts). */
  free(x: Float32Array): void;
}

const ACTIVATION: Record<Activation, number> = { tanh: 0, sigmoid: 1, relu: 2, identity: 3 };

function count(x: number, what: string, op: string): void {
  if (!(Number.isInteger(x) && x >= 0 && x < 2 ** 31)) throw new RangeError(`${op}: ${what} must be a whole number ≥ 0, got ${x}`);
}

function need(x: ArrayLike<number> | null | undefined, n: number, what: string, op: string, type: 'f32' | 'i32' = 'f32'): void {
  if (!x || !(type === 'f32' ? x instanceof Float32Array : x instanceof Int32Array)) throw new TypeError(`${op}: ${what} must be ${type === 'f32' ? 'a Float32Array' : 'an Int32Array'}`);
  if (x.length < n) throw new RangeError(`${op}: ${what} has ${x.length} values, needs ${n}`);
}

function checkIds(ids: Int32Array, rows: number, op: string): void {
  for (let r = 0; r < ids.length; r++) {
    const id = ids[r];
    if (id < 0 || id >= rows) throw new RangeError(`${op}: index ${id} out of range for ${rows} rows`);
  }
}

/** The native backend; throws, saying why, where the addon cannot be loaded. */
export interface NativeBackendOptions {
  /** Threads for the kernels, the calling one included (default: the host's cores, at most 2). */
  threads?: number;
}

export function createNativeBackend(options: NativeBackendOptions = {}): NativeBackend {
  const got = loadNativeAddon();
  if (!got.addon) throw new Error(`native backend: ${got.why}`);
  const X = got.addon;
  const threads = Math.max(1, Math.min(64, Math.floor(options.threads ?? defaultThreads())));
  const buffers = new BufferPool();
  const backend: NativeBackend = {
    name: 'native',
    isa: X.isa(),
    threads,
    addon: X,
    alloc: (n, uninitialized) => buffers.alloc(n, uninitialized),
    free: (x) => buffers.free(x),

    gemm(ta, tb, m, n, k, a, b, c, acc) {
      count(m, 'm', 'gemm'); count(n, 'n', 'gemm'); count(k, 'k', 'gemm');
      need(a, m * k, 'a', 'gemm'); need(b, k * n, 'b', 'gemm'); need(c, m * n, 'c', 'gemm');
      X.gemm(ta, tb, m, n, k, a, b, c, acc, threads);
    },

    activate(kind, x, out) {
      need(out, x.length, 'out', 'activate'); need(x, 0, 'x', 'activate');
      X.activate(ACTIVATION[kind], x, out, x.length);
    },

    activateBackward(kind, y, dy, dx, acc) {
      need(y, 0, 'y', 'activateBackward'); need(dy, y.length, 'dy', 'activateBackward'); need(dx, y.length, 'dx', 'activateBackward');
      X.activateBackward(ACTIVATION[kind], y, dy, dx, y.length, acc);
    },

    // the vanilla cell's step is its activation (kernels/reference/rnn.ts)
    rnnForward(nonlinearity, a, hOut) {
      backend.activate(nonlinearity, a, hOut);
    },

    rnnBackward(nonlinearity, h, dh, da) {
      backend.activateBackward(nonlinearity, h, dh, da, false);
    },

    addScaled(a, b, alpha, out) {
      need(out, 0, 'out', 'addScaled'); need(a, out.length, 'a', 'addScaled'); need(b, out.length, 'b', 'addScaled');
      X.addScaled(a, b, alpha, out, out.length);
    },

    mul(a, b, out) {
      need(out, 0, 'out', 'mul'); need(a, out.length, 'a', 'mul'); need(b, out.length, 'b', 'mul');
      X.mul(a, b, out, out.length);
    },

    scale(x, alpha) {
      need(x, 0, 'x', 'scale');
      X.scale(x, alpha, x.length);
    },

    sumSquares(x) {
      need(x, 0, 'x', 'sumSquares');
      return X.sumSquares(x, x.length);
    },

    sum(x) {
      need(x, 0, 'x', 'sum');
      return X.sum(x, x.length);
    },

    addRowVector(x, v, rows) {
      count(rows, 'rows', 'addRowVector'); need(v, 0, 'v', 'addRowVector'); need(x, rows * v.length, 'x', 'addRowVector');
      X.addRowVector(x, v, v.length, rows);
    },

    sumRows(x, rows, out, acc) {
      count(rows, 'rows', 'sumRows'); need(out, 0, 'out', 'sumRows'); need(x, rows * out.length, 'x', 'sumRows');
      X.sumRows(x, rows, out, out.length, acc);
    },

    gatherRows(table, width, ids, out) {
      count(width, 'width', 'gatherRows'); need(table, 0, 'table', 'gatherRows'); need(ids, 0, 'ids', 'gatherRows', 'i32');
      need(out, ids.length * width, 'out', 'gatherRows');
      checkIds(ids, width > 0 ? Math.floor(table.length / width) : 0, 'gatherRows');
      X.gatherRows(table, width, ids, ids.length, out);
    },

    scatterAddRows(table, width, ids, src) {
      count(width, 'width', 'scatterAddRows'); need(table, 0, 'table', 'scatterAddRows'); need(ids, 0, 'ids', 'scatterAddRows', 'i32');
      need(src, ids.length * width, 'src', 'scatterAddRows');
      checkIds(ids, width > 0 ? Math.floor(table.length / width) : 0, 'scatterAddRows');
      X.scatterAddRows(table, width, ids, ids.length, src);
    },

    transpose(x, rows, cols, out) {
      count(rows, 'rows', 'transpose'); count(cols, 'cols', 'transpose');
      need(x, rows * cols, 'x', 'transpose'); need(out, rows * cols, 'out', 'transpose');
      X.transpose(x, rows, cols, out);
    },

    softmax(x, n, c, out) {
      count(n, 'n', 'softmax'); count(c, 'c', 'softmax');
      need(x, n * c, 'x', 'softmax'); need(out, n * c, 'out', 'softmax');
      X.softmax(x, n, c, out);
    },

    softmaxCrossEntropy(logits, n, c, targets, ignoreIndex, probs) {
      count(n, 'n', 'softmaxCrossEntropy'); count(c, 'c', 'softmaxCrossEntropy');
      need(logits, n * c, 'logits', 'softmaxCrossEntropy'); need(probs, n * c, 'probs', 'softmaxCrossEntropy');
      need(targets, n, 'targets', 'softmaxCrossEntropy', 'i32');
      const kept = checkTargets(targets, n, c, ignoreIndex, 'softmaxCrossEntropy');
      return { loss: X.softmaxCrossEntropy(logits, n, c, targets, ignoreIndex | 0, probs), count: kept };
    },

    softmaxCrossEntropyBackward(probs, n, c, targets, ignoreIndex, scale, dLogits) {
      count(n, 'n', 'softmaxCrossEntropyBackward'); count(c, 'c', 'softmaxCrossEntropyBackward');
      need(probs, n * c, 'probs', 'softmaxCrossEntropyBackward'); need(dLogits, n * c, 'dLogits', 'softmaxCrossEntropyBackward');
      need(targets, n, 'targets', 'softmaxCrossEntropyBackward', 'i32');
      checkTargets(targets, n, c, ignoreIndex, 'softmaxCrossEntropyBackward');
      X.softmaxCrossEntropyBackward(probs, n, c, targets, ignoreIndex | 0, scale, dLogits);
    },

    lstmForward(b, hd, gates, cPrev, c, hOut) {
      count(b, 'b', 'lstmForward'); count(hd, 'h', 'lstmForward');
      const bh = b * hd;
      need(gates, 4 * bh, 'gates', 'lstmForward'); need(cPrev, bh, 'cPrev', 'lstmForward');
      need(c, bh, 'c', 'lstmForward'); need(hOut, bh, 'h', 'lstmForward');
      X.lstmForward(b, hd, gates, cPrev, c, hOut);
    },

    lstmBackward(b, hd, gates, cPrev, c, dh, dc, dGates) {
      count(b, 'b', 'lstmBackward'); count(hd, 'h', 'lstmBackward');
      const bh = b * hd;
      need(gates, 4 * bh, 'gates', 'lstmBackward'); need(dGates, 4 * bh, 'dGates', 'lstmBackward');
      need(cPrev, bh, 'cPrev', 'lstmBackward'); need(c, bh, 'c', 'lstmBackward');
      need(dh, bh, 'dh', 'lstmBackward'); need(dc, bh, 'dc', 'lstmBackward');
      X.lstmBackward(b, hd, gates, cPrev, c, dh, dc, dGates);
    },

    gruForward(b, hd, gi, gh, hPrev, hOut) {
      count(b, 'b', 'gruForward'); count(hd, 'h', 'gruForward');
      const bh = b * hd;
      need(gi, 3 * bh, 'gi', 'gruForward'); need(gh, 3 * bh, 'gh', 'gruForward');
      need(hPrev, bh, 'hPrev', 'gruForward'); need(hOut, bh, 'h', 'gruForward');
      X.gruForward(b, hd, gi, gh, hPrev, hOut);
    },

    gruBackward(b, hd, gi, gh, hPrev, dh, dGi, dGh, dhPrev) {
      count(b, 'b', 'gruBackward'); count(hd, 'h', 'gruBackward');
      const bh = b * hd;
      need(gi, 3 * bh, 'gi', 'gruBackward'); need(gh, 3 * bh, 'gh', 'gruBackward');
      need(dGi, 3 * bh, 'dGi', 'gruBackward'); need(dGh, 3 * bh, 'dGh', 'gruBackward');
      need(hPrev, bh, 'hPrev', 'gruBackward'); need(dh, bh, 'dh', 'gruBackward'); need(dhPrev, bh, 'dhPrev', 'gruBackward');
      X.gruBackward(b, hd, gi, gh, hPrev, dh, dGi, dGh, dhPrev);
    },

    recurrenceForward(a, bHh) {
      if (a.batchSizes) return false;
      checkSequence(a, 'recurrenceForward');
      if (bHh) need(bHh, gateCount(a.kind) * a.H, 'b_hh', 'recurrenceForward');
      X.recurrenceForward(CELLS[a.kind].code, a.T, a.B, a.H, a.reverse, a.gates, a.wHh, a.hInit, a.cInit, a.hs, a.cs, a.ghs,
        a.kind === 'gru' ? bHh : null, threads);
      return true;
    },

    recurrenceBackward(a, gOut, dG, dGh, dh, dc, initGrad = true) {
      if (a.batchSizes) return false;
      const op = 'recurrenceBackward';
      checkSequence(a, op);
      const { T, B, H } = a, G = gateCount(a.kind);
      need(dG, T * B * G * H, 'dG', op); need(dh, B * H, 'dh', op);
      if (gOut) need(gOut, T * B * H, 'gOut', op);
      if (a.kind === 'gru') need(dGh, T * B * G * H, 'dGh', op);
      if (a.kind === 'lstm') need(dc, B * H, 'dc', op);
      X.recurrenceBackward(CELLS[a.kind].code, T, B, H, a.reverse, a.gates, a.wHh, a.hInit, a.cInit, a.hs, a.cs, a.ghs, gOut, dG,
        a.kind === 'gru' ? dGh : null, dh, a.kind === 'lstm' ? dc : null, initGrad, threads);
      return true;
    },

    adamStep(param, grad, m, v, opt) {
      need(param, 0, 'param', 'adamStep');
      const n = param.length;
      need(grad, n, 'grad', 'adamStep'); need(m, n, 'm', 'adamStep'); need(v, n, 'v', 'adamStep');
      const { beta1, beta2, eps, decoupled } = opt;
      const { stepSize, bc2Sqrt, decay, l2 } = adamScalars(opt);
      X.adamStep(param, grad, m, v, n, beta1, beta2, stepSize, bc2Sqrt, eps, decay, l2, decoupled, threads);
    },
  };
  return backend;
}

/** The sizes of a whole-sequence call, for every array the cell uses. */
function checkSequence(a: SequenceArgs, op: string): void {
  if (!(a.kind in CELLS)) throw new RangeError(`${op}: unknown cell '${a.kind}'`);
  count(a.T, 'T', op); count(a.B, 'B', op); count(a.H, 'H', op);
  const { T, B, H } = a, G = gateCount(a.kind);
  need(a.gates, T * B * G * H, 'gates', op); need(a.hs, T * B * H, 'hs', op);
  need(a.wHh, G * H * H, 'W_hh', op); need(a.hInit, B * H, 'h0', op);
  if (a.kind === 'lstm') { need(a.cs, T * B * H, 'cs', op); need(a.cInit, B * H, 'c0', op); }
  if (a.kind === 'gru') need(a.ghs, T * B * G * H, 'ghs', op);
}
