import type { Backend } from '../backend.js';
import { gateCount } from '../cells.js';
import { cellCode, ACTIVATION_CODE as ACTIVATION } from './codes.js';
import { referenceBackend } from '../reference/index.js';
import { adamScalars } from '../reference/adam.js';
import { WasmHeap, type HeapView, type HeapOptions } from './memory.js';
import { instantiateKernels, instantiateKernelsNow, type KernelExports } from './module.js';
import { ThreadPool, CONTROL_BYTES, hostCores } from './threads.js';
import { Parts, F, THREAD_FNS, PAR_COMPUTE } from './split.js';
import { Pointers, ARENA, need, checkIds } from './staging.js';
import { checkTargets } from '../checks.js';
import { makeStepLayer } from './step.js';

/**
 * The WebAssembly backend: kernels compiled from asm/*.ts (AssemblyScript, 128-bit SIMD) over the heap
 * of memory.ts, on the calling thread and, where memory is shared, on helper threads (threads.ts).
 *
 * Arrays that live in the heap (those from `alloc`, and their subarrays) are passed to the kernels by
 * their byte offset, without copying. Any other Float32Array or Int32Array is copied into scratch space
 * for the call and, if the kernel writes it, copied back: correct, only slower. If the heap cannot hold
 * that scratch, the call runs on the reference backend instead.
 *
 * Threads: a multiply big enough to pay for the hand-over is split into blocks of rows of C (or of
 * columns, for a short C), one per thread, each with a gemm workspace of its own; a recurrence is split
 * into blocks of batch rows, which never meet inside it. Each element of C is still computed by one
 * thread, in the same order of operations as without threads for the same block shape.
 */
export interface WasmBackend extends Backend {
  /** Frees an array returned by this backend's `alloc` at once, instead of when it is garbage-collected (subarrays are ignored). */
  free(x: Float32Array): void;
  /** Heap usage, for diagnostics and tests. */
  memoryStats(): ReturnType<WasmHeap['stats']>;
  /** Whether the heap is shared memory (it grows) or a fixed non-shared reservation. */
  readonly sharedMemory: boolean;
  /** Threads the kernels run on, the calling one included. */
  readonly threads: number;
  /** Stops the helper threads; the backend goes on, on one thread. */
  stopThreads(): void;
  /**
   * Each thread's share of the split recurrences and large multiplies (the calling thread's first),
   * learned from how long each thread took (see balance.ts); [1] on one thread.
   */
  readonly threadShares: readonly number[];
  /** Fixes those shares (tests, diagnostics), or with null goes back to learning them. */
  pinThreadShares(shares: readonly number[] | null): void;
}

/** Options of the WebAssembly backend (registerWasmBackend). */
export interface WasmBackendOptions extends HeapOptions {
  /**
   * Threads for the kernels, the calling one included (default: the host's cores, at most 2). More than
   * one needs shared memory and workers (Node; a cross-origin-isolated page); otherwise one is used.
   */
  threads?: number;
}

/** Default thread count: the host's cores, at most 2 (the configuration that is measured). */
export function defaultThreads(): number {
  return Math.max(1, Math.min(2, hostCores()));
}

/** An argument of a kernel: a number, or an array the kernel reads or writes with the floats it must hold and its name. */
type KernelArg = number | readonly [x: Float32Array, mode: 'r' | 'w', n: number, what: string];

export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const { memory, shared, maxBytes } = WasmHeap.createMemory(options);
  const { module, exports: X } = await instantiateKernels(memory, shared);
  const { backend, helpersStarted } = assemble(options, memory, shared, maxBytes, module, X);
  // a helper that cannot start: the backend runs on one thread
  if (!(await helpersStarted)) backend.stopThreads();
  return backend;
}

/**
 * createWasmBackend without waiting, for the first operation of a program that chose no backend: the
 * kernels compile synchronously and the helper threads start in the background (until one is up, the
 * calling thread runs its parts), so the numbers are those of createWasmBackend with the same options.
 */
export function createWasmBackendNow(options: WasmBackendOptions = {}): WasmBackend {
  const { memory, shared, maxBytes } = WasmHeap.createMemory(options);
  const { module, exports: X } = instantiateKernelsNow(memory, shared);
  const { backend, helpersStarted } = assemble(options, memory, shared, maxBytes, module, X);
  void helpersStarted.then((ok) => { if (!ok) backend.stopThreads(); });
  return backend;
}

function assemble(options: WasmBackendOptions, memory: WebAssembly.Memory, shared: boolean, maxBytes: number,
  module: WebAssembly.Module, X: KernelExports): { backend: WasmBackend; helpersStarted: Promise<boolean> } {
  const heap = new WasmHeap(X.heapBase(), memory, shared, maxBytes, X.zero, options.softLimitMiB);
  const work = heap.scratch(X.gemmWorkspaceBytes());
  const arena = heap.scratch(ARENA);
  if (work < 0 || arena < 0) throw new Error('wasm backend: no room for the gemm workspace');

  const wanted = Math.max(1, Math.floor(options.threads ?? defaultThreads()));
  let pool: ThreadPool | null = null;
  let helpersStarted = Promise.resolve(true);
  // per thread: its gemm workspace (the calling thread's is `work`) and the [B, H] spare of a GRU backward
  const works = [work];
  if (shared && wanted > 1) {
    const controls: number[] = [];
    for (let i = 1; i < wanted; i++) {
      const wk = heap.scratch(X.gemmWorkspaceBytes()), ctl = heap.scratch(CONTROL_BYTES);
      if (wk < 0 || ctl < 0) break;
      X.zero(ctl, CONTROL_BYTES);
      works.push(wk);
      controls.push(ctl);
    }
    const started = controls.length > 0 ? ThreadPool.startNow(controls.length + 1, module, memory, controls, THREAD_FNS) : null;
    if (started) {
      pool = started.pool;
      helpersStarted = started.started;
    }
  }
  const par = new Parts(X, pool, works);
  const P = new Pointers(heap, arena);
  const { o, r, w, nul, inHeap } = P;
  const call = <R>(body: () => R, fallback: () => R): R => P.call(body, fallback);
  const ref = referenceBackend;

  /**
   * The adapter most kernels share, driven by one row per kernel: the export's arguments in order, each a
   * number or an array ([x, 'r' | 'w' as the kernel reads or writes it, the floats it must hold, its name]).
   * Checks the lengths; with every array in the heap passes their offsets, to `split` first (which may run
   * the call over the threads and say so); otherwise stages copies, or runs `fallback` on the reference.
   */
  function kernel<R>(op: string, args: readonly KernelArg[], fn: (...a: number[]) => R, fallback: () => R, split?: (p: number[]) => boolean): R {
    let direct = true;
    const p = args.map((a) => {
      if (typeof a === 'number') return a;
      need(a[0], a[2], a[3], op);
      const at = o(a[0]);
      if (at < 0) direct = false;
      return at;
    });
    if (direct) return split?.(p) ? (undefined as R) : fn(...p);
    return call(() => fn(...args.map((a) => (typeof a === 'number' ? a : a[1] === 'w' ? w(a[0]) : r(a[0])))), fallback);
  }
  const backend: WasmBackend = {
    name: 'wasm',
    sharedMemory: shared,
    get threads() { return par.threads; },
    stopThreads() { par.stop(); },
    get threadShares() { return par.threaded ? par.balance.shares : [1]; },
    pinThreadShares(shares) { par.balance.pin(shares); },
    alloc: (n, uninitialized) => heap.alloc(n, !uninitialized),
    // Backend.free ignores what it cannot free, subarrays included (their parent's block stays)
    free: (x) => { if ((x as HeapView).owner === undefined) heap.free(x); },
    memoryStats: () => heap.stats(),

    gemm(transA, transB, m, n, k, a, b, c, accumulate) {
      need(a, m * k, 'A', 'gemm'); need(b, k * n, 'B', 'gemm'); need(c, m * n, 'C', 'gemm');
      const lda = transA ? m : k, ldb = transB ? k : n;
      const pa = o(a), pb = o(b), pc = o(c);
      if (pa >= 0 && pb >= 0 && pc >= 0) par.gemmAt(+transA, +transB, m, n, k, pa, lda, pb, ldb, pc, n, +accumulate);
      else call(() => X.gemm(+transA, +transB, m, n, k, r(a), lda, r(b), ldb, w(c), n, +accumulate, works[0]),
        () => ref.gemm(transA, transB, m, n, k, a, b, c, accumulate));
    },

    activate(kind, x, out) {
      const n = x.length, code = ACTIVATION[kind];
      if (kind === 'identity' && x === out) return;
      kernel('activate', [code, [x, 'r', n, 'x'], [out, 'w', n, 'out'], n], X.activate, () => ref.activate(kind, x, out),
        ([, px, po]) => par.elementwise(n, F.activate, (i, l) => [code, px + 4 * i, po + 4 * i, l]));
    },

    activateBackward(kind, y, dy, dx, accumulate) {
      const n = y.length, code = ACTIVATION[kind];
      kernel('activateBackward', [code, [y, 'r', n, 'y'], [dy, 'r', n, 'dy'], [dx, 'w', n, 'dx'], n, +accumulate], X.activateBackward,
        () => ref.activateBackward(kind, y, dy, dx, accumulate),
        ([, py, pd, px]) => par.elementwise(n, F.activateBackward, (i, l) => [code, py + 4 * i, pd + 4 * i, px + 4 * i, l, +accumulate]));
    },

    addScaled(a, b, alpha, out) {
      const n = out.length;
      kernel('addScaled', [[a, 'r', n, 'a'], [b, 'r', n, 'b'], alpha, [out, 'w', n, 'out'], n], X.addScaled, () => ref.addScaled(a, b, alpha, out),
        ([pa, pb, , po]) => par.elementwise(n, F.addScaled, (i, l) => [pa + 4 * i, pb + 4 * i, alpha, po + 4 * i, l]));
    },

    mul(a, b, out) {
      const n = out.length;
      kernel('mul', [[a, 'r', n, 'a'], [b, 'r', n, 'b'], [out, 'w', n, 'out'], n], X.mul, () => ref.mul(a, b, out),
        ([pa, pb, po]) => par.elementwise(n, F.mul, (i, l) => [pa + 4 * i, pb + 4 * i, po + 4 * i, l]));
    },

    scale(x, alpha) {
      const n = x.length;
      kernel('scale', [[x, 'w', n, 'x'], alpha, n], X.scale, () => ref.scale(x, alpha),
        ([px]) => par.elementwise(n, F.scale, (i, l) => [px + 4 * i, alpha, l]));
    },

    sumSquares: (x) => kernel('sumSquares', [[x, 'r', x.length, 'x'], x.length], X.sumSquares, () => ref.sumSquares(x)),
    sum: (x) => kernel('sum', [[x, 'r', x.length, 'x'], x.length], X.sum, () => ref.sum(x)),

    addRowVector(x, v, rows) {
      const wd = v.length;
      kernel('addRowVector', [[x, 'w', rows * wd, 'x'], [v, 'r', wd, 'v'], wd, rows], X.addRowVector, () => ref.addRowVector(x, v, rows),
        ([px, pv]) => {
          const part = (r0: number, nr: number) => [px + 4 * r0 * wd, pv, wd, nr];
          if (!par.splitsAlongGemmRows(rows, rows * wd)) return par.parallel(rows * wd, rows, 1, 1, F.addRowVector, part);
          par.runAlongGemmRows(rows, F.addRowVector, part);
          return true;
        });
    },

    sumRows(x, rows, out, accumulate) {
      const wd = out.length;
      // blocks of columns: each thread sums its columns down all rows, in the same order as one thread
      kernel('sumRows', [[x, 'r', rows * wd, 'x'], rows, wd, wd, [out, 'w', wd, 'out'], +accumulate], X.sumRows,
        () => ref.sumRows(x, rows, out, accumulate),
        ([px, , , , po]) => par.parallel(rows * wd, wd, 16, 16, F.sumRows, (j0, nj) => [px + 4 * j0, rows, nj, wd, po + 4 * j0, +accumulate]));
    },

    gatherRows(table, width, ids, out) {
      need(out, ids.length * width, 'out', 'gatherRows');
      checkIds(ids, width > 0 ? Math.floor(table.length / width) : 0, 'gatherRows');
      // a table outside the heap is not worth copying whole to pick a few rows from it
      if (o(table) < 0) ref.gatherRows(table, width, ids, out);
      else {
        call(() => {
          const pt = r(table), pi = r(ids), po = w(out);
          if (!par.parallel(ids.length * width, ids.length, 1, 1, F.gatherRows, (i0, ni) => [pt, width, pi + 4 * i0, ni, po + 4 * i0 * width])) {
            X.gatherRows(pt, width, pi, ids.length, po);
          }
        }, () => ref.gatherRows(table, width, ids, out));
      }
    },

    scatterAddRows(table, width, ids, src) {
      need(src, ids.length * width, 'src', 'scatterAddRows');
      checkIds(ids, width > 0 ? Math.floor(table.length / width) : 0, 'scatterAddRows');
      if (o(table) < 0) ref.scatterAddRows(table, width, ids, src);
      else call(() => X.scatterAddRows(w(table), width, r(ids), ids.length, r(src)), () => ref.scatterAddRows(table, width, ids, src));
    },

    transpose(x, rows, cols, out) {
      kernel('transpose', [[x, 'r', rows * cols, 'x'], rows, cols, [out, 'w', rows * cols, 'out']], X.transpose, () => ref.transpose(x, rows, cols, out));
    },

    softmax(x, n, c, out) {
      kernel('softmax', [[x, 'r', n * c, 'x'], n, c, [out, 'w', n * c, 'out']], X.softmax, () => ref.softmax(x, n, c, out));
    },

    softmaxCrossEntropy(logits, n, c, targets, ignoreIndex, probs) {
      need(logits, n * c, 'logits', 'softmaxCrossEntropy'); need(probs, n * c, 'probs', 'softmaxCrossEntropy');
      need(targets, n, 'targets', 'softmaxCrossEntropy');
      const count = checkTargets(targets, n, c, ignoreIndex, 'softmaxCrossEntropy');
      return call(() => {
        const pl = r(logits), pt = r(targets), pp = w(probs);
        const losses = par.splitsAlongGemmRows(n, n * c) ? heap.scratch(8 * n) : -1;
        if (losses < 0) return { loss: X.softmaxCrossEntropy(pl, n, c, pt, ignoreIndex, pp), count };
        par.runAlongGemmRows(n, F.softmaxCrossEntropyRows, (r0, nr) => [pl + 4 * r0 * c, nr, c, pt + 4 * r0, ignoreIndex, pp + 4 * r0 * c, losses + 8 * r0]);
        // the terms added in row order, as softmaxCrossEntropy adds them on one thread
        const terms = heap.doubles(losses, n);
        let loss = 0;
        for (let i = 0; i < n; i++) loss += terms[i];
        heap.releaseScratch(losses);
        return { loss, count };
      }, () => ref.softmaxCrossEntropy(logits, n, c, targets, ignoreIndex, probs));
    },

    softmaxCrossEntropyBackward(probs, n, c, targets, ignoreIndex, scale, dLogits) {
      need(probs, n * c, 'probs', 'softmaxCrossEntropyBackward'); need(dLogits, n * c, 'dLogits', 'softmaxCrossEntropyBackward');
      need(targets, n, 'targets', 'softmaxCrossEntropyBackward');
      checkTargets(targets, n, c, ignoreIndex, 'softmaxCrossEntropyBackward');
      call(() => {
        const pp = r(probs), pt = r(targets), pd = w(dLogits);
        if (!par.parallel(n * c, n, 1, 1, F.softmaxCrossEntropyBackward, (r0, nr) => [pp + 4 * r0 * c, nr, c, pt + 4 * r0, ignoreIndex, scale, pd + 4 * r0 * c])) {
          X.softmaxCrossEntropyBackward(pp, n, c, pt, ignoreIndex, scale, pd);
        }
      }, () => ref.softmaxCrossEntropyBackward(probs, n, c, targets, ignoreIndex, scale, dLogits));
    },

    // the vanilla cell is its activation (asm/rnn.ts); these run it through the elementwise kernels
    rnnForward(nonlinearity, a, hOut) {
      backend.activate(nonlinearity, a, hOut);
    },

    rnnBackward(nonlinearity, h, dh, da) {
      backend.activateBackward(nonlinearity, h, dh, da, false);
    },

    lstmForward(b, hd, gates, cPrev, c, hOut) {
      const bh = b * hd;
      kernel('lstmForward', [b, hd, [gates, 'w', 4 * bh, 'gates'], [cPrev, 'r', bh, 'cPrev'], [c, 'w', bh, 'c'], [hOut, 'w', bh, 'h']],
        X.lstmForward, () => ref.lstmForward(b, hd, gates, cPrev, c, hOut));
    },

    lstmBackward(b, hd, gates, cPrev, c, dh, dc, dGates) {
      const bh = b * hd;
      kernel('lstmBackward', [b, hd, [gates, 'r', 4 * bh, 'gates'], [cPrev, 'r', bh, 'cPrev'], [c, 'r', bh, 'c'], [dh, 'r', bh, 'dh'],
        [dc, 'w', bh, 'dc'], [dGates, 'w', 4 * bh, 'dGates']], X.lstmBackward, () => ref.lstmBackward(b, hd, gates, cPrev, c, dh, dc, dGates));
    },

    gruForward(b, hd, gi, gh, hPrev, hOut) {
      const bh = b * hd;
      kernel('gruForward', [b, hd, [gi, 'w', 3 * bh, 'gi'], [gh, 'r', 3 * bh, 'gh'], [hPrev, 'r', bh, 'hPrev'], [hOut, 'w', bh, 'h']],
        X.gruForward, () => ref.gruForward(b, hd, gi, gh, hPrev, hOut));
    },

    gruBackward(b, hd, gi, gh, hPrev, dh, dGi, dGh, dhPrev) {
      const bh = b * hd;
      kernel('gruBackward', [b, hd, [gi, 'r', 3 * bh, 'gi'], [gh, 'r', 3 * bh, 'gh'], [hPrev, 'r', bh, 'hPrev'], [dh, 'r', bh, 'dh'],
        [dGi, 'w', 3 * bh, 'dGi'], [dGh, 'w', 3 * bh, 'dGh'], [dhPrev, 'w', bh, 'dhPrev']], X.gruBackward,
        () => ref.gruBackward(b, hd, gi, gh, hPrev, dh, dGi, dGh, dhPrev));
    },

    recurrenceForward(a, bHh) {
      if (a.batchSizes) return false;
      const { T, B, H } = a, G = gateCount(a.kind);
      need(a.gates, T * B * G * H, 'gates', 'recurrenceForward'); need(a.hs, T * B * H, 'hs', 'recurrenceForward');
      need(a.wHh, G * H * H, 'W_hh', 'recurrenceForward'); need(a.hInit, B * H, 'h0', 'recurrenceForward');
      if (a.cs) need(a.cs, T * B * H, 'cs', 'recurrenceForward');
      if (a.cInit) need(a.cInit, B * H, 'c0', 'recurrenceForward');
      if (a.ghs) need(a.ghs, T * B * G * H, 'ghs', 'recurrenceForward');
      if (!inHeap(a.gates, a.wHh, bHh, a.hInit, a.cInit, a.hs, a.cs, a.ghs)) return false;
      par.runOverBatch(a, F.recurrenceForward, (b0, nb, i) => [cellCode(a.kind), T, B, H, b0, nb, +a.reverse,
        o(a.gates), o(a.wHh), nul(bHh), o(a.hInit), nul(a.cInit), o(a.hs), nul(a.cs), nul(a.ghs), works[i]]);
      return true;
    },

    recurrenceBackward(a, gOut, dG, dGh, dh, dc, initGrad = true) {
      if (a.batchSizes) return false;
      const { T, B, H } = a, G = gateCount(a.kind);
      need(dG, T * B * G * H, 'dG', 'recurrenceBackward'); need(dh, B * H, 'dh', 'recurrenceBackward');
      if (gOut) need(gOut, T * B * H, 'gOut', 'recurrenceBackward');
      if (dGh) need(dGh, T * B * G * H, 'dGh', 'recurrenceBackward');
      if (dc) need(dc, B * H, 'dc', 'recurrenceBackward');
      if (!inHeap(a.gates, a.wHh, a.hInit, a.cInit, a.hs, a.cs, a.ghs, gOut, dG, dGh, dh, dc)) return false;
      // both written in full before they are read: no zero-fill
      const spare = a.kind === 'gru' ? heap.alloc(B * H, false) : null;
      const wT = heap.alloc(G * H * H, false);
      if ((spare && o(spare) < 0) || o(wT) < 0) {
        for (const x of [spare, wT]) if (x) heap.free(x);
        return false;
      }
      X.transpose(o(a.wHh), G * H, H, o(wT));
      par.runOverBatch(a, F.recurrenceBackward, (b0, nb, i) => [cellCode(a.kind), T, B, H, b0, nb, +a.reverse,
        o(a.gates), o(wT), o(a.hInit), nul(a.cInit), o(a.hs), nul(a.cs), nul(a.ghs), nul(gOut),
        o(dG), nul(dGh), o(dh), nul(dc), nul(spare), +initGrad, works[i]]);
      if (spare) heap.free(spare);
      heap.free(wT);
      return true;
    },

    stepLayer: (wt) => makeStepLayer(wt, heap, par),

    adamStep(param, grad, m, v, opt) {
      const n = param.length;
      need(grad, n, 'grad', 'adamStep'); need(m, n, 'm', 'adamStep'); need(v, n, 'v', 'adamStep');
      const { beta1, beta2, eps, decoupled } = opt;
      const { stepSize, bc2Sqrt, decay, l2 } = adamScalars(opt);
      call(() => {
        const pp = w(param), pg = r(grad), pm = w(m), pv = w(v);
        const args = (i: number, l: number) => [pp + 4 * i, pg + 4 * i, pm + 4 * i, pv + 4 * i, l, beta1, 1 - beta1, beta2, 1 - beta2, stepSize, bc2Sqrt, eps, decay, l2, +decoupled];
        if (!par.parallel(n, n, PAR_COMPUTE / 2, 4, F.adamStep, args, PAR_COMPUTE)) par.runHere(F.adamStep, args(0, n));
      }, () => ref.adamStep(param, grad, m, v, opt));
    },
  };
  return { backend, helpersStarted };
}
