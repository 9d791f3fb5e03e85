import type { Backend, SequenceArgs, StepLayer, StepLayerWeights } from '../backend.js';
import { gateCount } from '../cells.js';
import { cellCode, ACTIVATION_CODE as ACTIVATION } from './codes.js';
import { referenceBackend } from '../reference/index.js';
import { WasmHeap, type HeapView, type HeapOptions } from './memory.js';
import { instantiateKernels, type KernelExports } from './module.js';
import { ThreadPool, CONTROL_BYTES, hostCores } from './threads.js';
import { Balance, weightedBlocks } from './balance.js';
import { stepLayout, packPanels, permuteRows, PANEL } from './step.js';

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

export interface WasmBackendOptions extends HeapOptions {
  /**
   * Threads for the kernels, the calling one included (default: the host's cores, at most 2). More than
   * one needs shared memory and workers (Node; a cross-origin-isolated page); otherwise one is used.
   */
  threads?: number;
}

// The calls helpers may run, by index.
const THREAD_FNS = ['gemm', 'recurrenceForward', 'recurrenceBackward', 'addScaled', 'mul', 'scale', 'activate', 'activateBackward',
  'addRowVector', 'sumRows', 'gatherRows', 'softmaxCrossEntropyBackward', 'adamStep', 'stepPart', 'softmaxCrossEntropyRows'] as const;
const fnIndex = (name: (typeof THREAD_FNS)[number]) => THREAD_FNS.indexOf(name);
const F_GEMM = 0, F_SEQ_FWD = 1, F_SEQ_BWD = 2;
const F_ADD_SCALED = fnIndex('addScaled'), F_MUL = fnIndex('mul'), F_SCALE = fnIndex('scale'), F_ACTIVATE = fnIndex('activate');
const F_ACTIVATE_BACKWARD = fnIndex('activateBackward'), F_ADD_ROW_VECTOR = fnIndex('addRowVector'), F_SUM_ROWS = fnIndex('sumRows');
const F_GATHER_ROWS = fnIndex('gatherRows'), F_SOFTMAX_CE_BACKWARD = fnIndex('softmaxCrossEntropyBackward'), F_ADAM = fnIndex('adamStep');
const F_STEP = fnIndex('stepPart'), F_SOFTMAX_CE_ROWS = fnIndex('softmaxCrossEntropyRows');
// Elementwise and row-wise kernels over at least this many floats (1 MiB) are split over the threads:
// smaller ones take tens of microseconds, and the other thread then spends as long fetching the rows the
// first one just wrote (measured in W1: the helper's half of a 0.7 MiB softmax gradient took 7× the main
// thread's).
const PAR_ELEMENTS = 1 << 18;
// Kernels that spend many operations on each float they touch (an Adam update: a square root and two
// divisions in double; a softmax row: exponentials and a logarithm) are split from this many floats on:
// their time, not the other core's fetching of rows, is what the second thread halves.
const PAR_COMPUTE = 1 << 14;
// Work (floating-point operations) below which a call stays on one thread: the hand-over costs a few
// microseconds while the helper spins, some 30 when it sleeps.
const PAR_FLOPS = 4e6;
// Matrix–vector products with at least this many weights are split over the threads.
const MATVEC_SPLIT = 1 << 17;
// Smallest block of rows (or batch rows) a thread gets.
const MIN_ROWS = 8;
// Smallest block of rows of a multiply whose split follows the learned shares: every block then takes
// the gemm's packed path (more than its 64-row dot-product limit), so the bits of C do not depend on
// where the split falls. Shorter multiplies split evenly.
const SHARED_GEMM_ROWS = 68;

/** Default thread count: the host's cores, at most 2 (the configuration that is measured). */
export function defaultThreads(): number {
  return Math.max(1, Math.min(2, hostCores()));
}

// Scratch arena for copies of small arguments that live outside the heap.
const ARENA = 1 << 20;

// thrown when scratch space for a copied argument cannot be had; the call then runs on the reference
const NO_SCRATCH = new Error('wasm heap: no room for a copied argument');

type Arr = Float32Array | Int32Array;

/**
 * Byte offsets for a call's arguments, copying those outside the heap in (and, at the end, back out).
 * Small copies go to an arena reserved once, so a call on ordinary arrays costs no allocator work.
 */
class Staging {
  private count = 0;
  private readonly arrs: Arr[] = [];
  private readonly offs: number[] = [];
  private readonly outs: boolean[] = [];
  private readonly own: boolean[] = []; // the block came from the allocator, not the arena
  private used = 0;

  constructor(private readonly heap: WasmHeap, private readonly arena: number, private readonly arenaBytes: number) {}

  /** x's byte offset for the kernel; `write`: the kernel writes x, so it is copied back afterwards. */
  ptr(x: Arr, write: boolean): number {
    const p = this.heap.ptrOf(x);
    if (p >= 0) return p;
    for (let i = 0; i < this.count; i++) {
      if (this.arrs[i] === x) {
        this.outs[i] ||= write;
        return this.offs[i];
      }
    }
    const bytes = (x.byteLength + 63) & ~63;
    let off: number, own = false;
    if (this.used + bytes <= this.arenaBytes) {
      off = this.arena + this.used;
      this.used += bytes;
    } else {
      off = this.heap.scratch(x.byteLength);
      if (off < 0) throw NO_SCRATCH;
      own = true;
    }
    // written arguments are copied in too: a kernel may write only part of one
    this.heap.copyIn(x, off);
    const i = this.count++;
    this.arrs[i] = x;
    this.offs[i] = off;
    this.outs[i] = write;
    this.own[i] = own;
    return off;
  }

  /** Copies written arguments back (when the kernel ran) and releases the scratch. */
  finish(ran: boolean): void {
    for (let i = 0; i < this.count; i++) {
      if (ran && this.outs[i]) this.heap.copyOut(this.arrs[i], this.offs[i]);
      if (this.own[i]) this.heap.releaseScratch(this.offs[i]);
      this.arrs[i] = null!;
    }
    this.count = 0;
    this.used = 0;
  }
}

function need(x: ArrayLike<number>, n: number, what: string, op: string): void {
  if (x.length < n) throw new RangeError(`${op}: ${what} has ${x.length} values, needs ${n}`);
}

function checkIds(ids: Int32Array, rows: number, op: string): void {
  for (let r = 0; r < ids.length; r++) {
    const id = ids[r];
    if (id < 0 || id >= rows) throw new RangeError(`${op}: index ${id} out of range for ${rows} rows`);
  }
}

function checkTargets(targets: Int32Array, n: number, c: number, ignoreIndex: number, op: string): number {
  let count = 0;
  for (let r = 0; r < n; r++) {
    const t = targets[r];
    if (t === ignoreIndex) continue;
    if (!(t >= 0 && t < c)) throw new RangeError(`${op}: target ${t} out of range for ${c} classes`);
    count++;
  }
  return count;
}

export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const { memory, shared, maxBytes } = WasmHeap.createMemory(options);
  const { module, exports: X } = await instantiateKernels(memory, shared);
  const heap = new WasmHeap(X.heapBase(), memory, shared, maxBytes, X.zero, options.softLimitMiB);
  const work = heap.scratch(X.gemmWorkspaceBytes());
  const arena = heap.scratch(ARENA);
  if (work < 0 || arena < 0) throw new Error('wasm backend: no room for the gemm workspace');

  const wanted = Math.max(1, Math.floor(options.threads ?? defaultThreads()));
  let pool: ThreadPool | null = null;
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
    if (controls.length > 0) pool = await ThreadPool.start(controls.length + 1, module, memory, controls, THREAD_FNS);
  }
  const threads = () => (pool ? pool.size : 1);
  const balance = new Balance(threads());
  /**
   * Runs the parts of a call split by `weightedBlocks` ([start, length] per part): over the pool, letting
   * the balance learn from the time each thread took for its length, or here when there is one part.
   */
  const runShared = (parts: Array<[number, number[]]>, split: ReadonlyArray<readonly [number, number]>) => {
    if (parts.length === 1) return runHere(parts[0][0], parts[0][1]);
    pool!.run(parts, runHere);
    balance.observe(split.map(([, len]) => len), pool!.times);
  };
  const table = THREAD_FNS.map((name) => X[name] as (...a: number[]) => unknown);
  const runHere = (fn: number, args: ArrayLike<number>) => void table[fn](...(args as number[]));

  /**
   * Splits [0, n) into one block per thread (at least `min` long, sizes multiples of `unit`) and runs fn
   * on each, with the arguments `part(start, length)` gives; false, having done nothing, where the call's
   * `work` (floats touched) is too small to pay for the hand-over.
   */
  function parallel(work: number, n: number, min: number, unit: number, fn: number, part: (i0: number, len: number) => number[],
    threshold = PAR_ELEMENTS): boolean {
    if (!pool || work < threshold || n < 2 * min) return false;
    pool.run(blocks(n, pool.size, min, unit).map(([i0, len]) => [fn, part(i0, len)] as [number, number[]]), runHere);
    return true;
  }
  /** Blocks of rows of a multiply of m ≥ 2·SHARED_GEMM_ROWS rows of C, in proportion to the threads' speeds. */
  const gemmRowBlocks = (m: number) => weightedBlocks(m, balance.shares, SHARED_GEMM_ROWS, 4);
  /**
   * Row-wise work on the output of a long multiply (its bias, its softmax) is split at the rows where that
   * multiply split C, so that each thread reads rows still in its own cache, unless the call is too short.
   */
  const splitsAlongGemmRows = (rows: number, work: number) => pool !== null && rows >= 2 * SHARED_GEMM_ROWS && work >= PAR_COMPUTE;
  function runAlongGemmRows(rows: number, fn: number, part: (r0: number, nr: number) => number[]): void {
    const split = gemmRowBlocks(rows);
    runShared(split.map(([r0, nr]): [number, number[]] => [fn, part(r0, nr)]), split);
  }
  /** parallel() over the n elements of an elementwise kernel. */
  const elementwise = (n: number, fn: number, part: (i0: number, len: number) => number[]) => parallel(n, n, PAR_ELEMENTS / 2, 4, fn, part);

  /** Splits n into at most `parts` blocks of at least `min`, block sizes multiples of `unit`: [start, size][]. */
  function blocks(n: number, parts: number, min: number, unit: number): Array<[number, number]> {
    const p = Math.max(1, Math.min(parts, Math.floor(n / min)));
    const size = Math.ceil(n / p / unit) * unit;
    const out: Array<[number, number]> = [];
    for (let s = 0; s < n; s += size) out.push([s, Math.min(size, n - s)]);
    return out;
  }

  /** gemm on heap pointers, split over the threads when it is big enough. */
  function gemmAt(ta: number, tb: number, m: number, n: number, k: number, pa: number, lda: number, pb: number, ldb: number,
    pc: number, ldc: number, acc: number): void {
    // a matrix–vector product (sampling at batch 1) splits too: it comes step after step, so the helper is awake
    if (!pool || (2 * m * n * k < PAR_FLOPS && !(m === 1 && n * k >= MATVEC_SPLIT))) {
      X.gemm(ta, tb, m, n, k, pa, lda, pb, ldb, pc, ldc, acc, work);
      return;
    }
    const parts: Array<[number, number[]]> = [];
    if (m >= 2 * SHARED_GEMM_ROWS) {
      const split = gemmRowBlocks(m);
      for (const [i0, mi] of split) {
        const a = ta ? pa + i0 * 4 : pa + i0 * lda * 4;
        parts.push([F_GEMM, [ta, tb, mi, n, k, a, lda, pb, ldb, pc + i0 * ldc * 4, ldc, acc, works[parts.length]]]);
      }
      runShared(parts, split);
      return;
    }
    if (m >= 2 * MIN_ROWS && n < 2 * m) {
      // blocks of rows of C: rows of A (columns of the stored A when transposed)
      for (const [i0, mi] of blocks(m, pool.size, MIN_ROWS, 4)) {
        const a = ta ? pa + i0 * 4 : pa + i0 * lda * 4;
        parts.push([F_GEMM, [ta, tb, mi, n, k, a, lda, pb, ldb, pc + i0 * ldc * 4, ldc, acc, works[parts.length]]]);
      }
    } else {
      // a short or wide C: blocks of columns, i.e. of columns of op(B). Each thread packs (or streams) the
      // whole of the operand that is not split, so the split goes along the longer side of C: ∂W_hy, 89 × 256
      // over k = 2048, split by rows had each thread pack all of the 2048 × 256 B and ran 1.55× faster on two
      // threads than on one, against 1.8× for the other multiplies of the output layer
      for (const [j0, nj] of blocks(n, pool.size, 4 * MIN_ROWS, 8)) {
        const b = tb ? pb + j0 * ldb * 4 : pb + j0 * 4;
        parts.push([F_GEMM, [ta, tb, m, nj, k, pa, lda, b, ldb, pc + j0 * 4, ldc, acc, works[parts.length]]]);
      }
    }
    pool.run(parts, runHere);
  }

  /**
   * Batch blocks for a recurrence: one per thread, in proportion to the threads' speeds, when the
   * per-step multiply pays for it. A block may start at any row: the per-step product sums a row the
   * same way alone or paired with the next (asm/gemm.ts, dot1x4), so every row is computed as it is on
   * one thread.
   */
  function seqBlocks(a: SequenceArgs): Array<[number, number]> {
    const G = gateCount(a.kind);
    const flops = 2 * a.T * a.B * G * a.H * a.H;
    return !pool || flops < PAR_FLOPS ? [[0, a.B]] : weightedBlocks(a.B, balance.shares, MIN_ROWS, 1);
  }
  const nul = (x: Arr | null) => (x ? o(x) : 0);
  /** Runs the parts of a call over the pool, or one after the other here when there are more parts than threads. */
  const runParts = (parts: Array<[number, number[]]>) => {
    if (parts.length > 1 && parts.length <= threads()) pool!.run(parts, runHere);
    else for (const [fn, a] of parts) runHere(fn, a);
  };
  const inHeap = (...xs: Array<Arr | null>) => xs.every((x) => x === null || o(x) >= 0);
  const S = new Staging(heap, arena, ARENA);
  const ref = referenceBackend;
  const o = (x: Arr) => heap.ptrOf(x); // −1 outside the heap

  // The slow path, for arguments outside the heap: runs body with staged pointers; falls back to the
  // reference when scratch space runs out. (Every method first tries the direct call, without closures.)
  function call<T>(body: () => T, fallback: () => T): T {
    let ran = false;
    try {
      const r = body();
      ran = true;
      return r;
    } catch (e) {
      if (e !== NO_SCRATCH) throw e;
    } finally {
      S.finish(ran);
    }
    return fallback();
  }
  const r = (x: Arr) => S.ptr(x, false);
  const w = (x: Arr) => S.ptr(x, true);

  const backend: WasmBackend = {
    name: 'wasm',
    sharedMemory: shared,
    get threads() { return threads(); },
    stopThreads() { pool?.stop(); pool = null; },
    get threadShares() { return pool ? balance.shares : [1]; },
    pinThreadShares(shares) { balance.pin(shares); },
    alloc: (n, uninitialized) => heap.alloc(n, !uninitialized),
    // Backend.free ignores what it cannot free, subarrays included (their parent's block stays)
    free: (x) => { if ((x as HeapView).owner === undefined) heap.free(x); },
    memoryStats: () => heap.stats(),

    gemm(transA, transB, m, n, k, a, b, c, accumulate) {
      need(a, m * k, 'A', 'gemm'); need(b, k * n, 'B', 'gemm'); need(c, m * n, 'C', 'gemm');
      const lda = transA ? m : k, ldb = transB ? k : n;
      const pa = o(a), pb = o(b), pc = o(c);
      if (pa >= 0 && pb >= 0 && pc >= 0) gemmAt(+transA, +transB, m, n, k, pa, lda, pb, ldb, pc, n, +accumulate);
      else call(() => X.gemm(+transA, +transB, m, n, k, r(a), lda, r(b), ldb, w(c), n, +accumulate, work),
        () => ref.gemm(transA, transB, m, n, k, a, b, c, accumulate));
    },

    activate(kind, x, out) {
      const n = x.length;
      need(out, n, 'out', 'activate');
      if (kind === 'identity' && x === out) return;
      const px = o(x), po = o(out);
      if (px >= 0 && po >= 0) {
        if (!elementwise(n, F_ACTIVATE, (i, l) => [ACTIVATION[kind], px + 4 * i, po + 4 * i, l])) X.activate(ACTIVATION[kind], px, po, n);
      }
      else call(() => X.activate(ACTIVATION[kind], r(x), w(out), n), () => ref.activate(kind, x, out));
    },

    activateBackward(kind, y, dy, dx, accumulate) {
      const n = y.length;
      need(dy, n, 'dy', 'activateBackward'); need(dx, n, 'dx', 'activateBackward');
      const py = o(y), pd = o(dy), px = o(dx);
      if (py >= 0 && pd >= 0 && px >= 0) {
        if (!elementwise(n, F_ACTIVATE_BACKWARD, (i, l) => [ACTIVATION[kind], py + 4 * i, pd + 4 * i, px + 4 * i, l, +accumulate])) {
          X.activateBackward(ACTIVATION[kind], py, pd, px, n, +accumulate);
        }
      }
      else call(() => X.activateBackward(ACTIVATION[kind], r(y), r(dy), w(dx), n, +accumulate),
        () => ref.activateBackward(kind, y, dy, dx, accumulate));
    },

    addScaled(a, b, alpha, out) {
      const n = out.length;
      need(a, n, 'a', 'addScaled'); need(b, n, 'b', 'addScaled');
      const pa = o(a), pb = o(b), po = o(out);
      if (pa >= 0 && pb >= 0 && po >= 0) {
        if (!elementwise(n, F_ADD_SCALED, (i, l) => [pa + 4 * i, pb + 4 * i, alpha, po + 4 * i, l])) X.addScaled(pa, pb, alpha, po, n);
      }
      else call(() => X.addScaled(r(a), r(b), alpha, w(out), n), () => ref.addScaled(a, b, alpha, out));
    },

    mul(a, b, out) {
      const n = out.length;
      need(a, n, 'a', 'mul'); need(b, n, 'b', 'mul');
      const pa = o(a), pb = o(b), po = o(out);
      if (pa >= 0 && pb >= 0 && po >= 0) {
        if (!elementwise(n, F_MUL, (i, l) => [pa + 4 * i, pb + 4 * i, po + 4 * i, l])) X.mul(pa, pb, po, n);
      }
      else call(() => X.mul(r(a), r(b), w(out), n), () => ref.mul(a, b, out));
    },

    scale(x, alpha) {
      const px = o(x);
      if (px >= 0) {
        if (!elementwise(x.length, F_SCALE, (i, l) => [px + 4 * i, alpha, l])) X.scale(px, alpha, x.length);
      }
      else call(() => X.scale(w(x), alpha, x.length), () => ref.scale(x, alpha));
    },

    sumSquares(x) {
      const px = o(x);
      if (px >= 0) return X.sumSquares(px, x.length);
      return call(() => X.sumSquares(r(x), x.length), () => ref.sumSquares(x));
    },

    sum(x) {
      const px = o(x);
      if (px >= 0) return X.sum(px, x.length);
      return call(() => X.sum(r(x), x.length), () => ref.sum(x));
    },

    addRowVector(x, v, rows) {
      need(x, rows * v.length, 'x', 'addRowVector');
      const px = o(x), pv = o(v);
      const wd = v.length;
      if (px >= 0 && pv >= 0) {
        const part = (r0: number, nr: number) => [px + 4 * r0 * wd, pv, wd, nr];
        if (splitsAlongGemmRows(rows, rows * wd)) runAlongGemmRows(rows, F_ADD_ROW_VECTOR, part);
        else if (!parallel(rows * wd, rows, 1, 1, F_ADD_ROW_VECTOR, part)) X.addRowVector(px, pv, wd, rows);
      }
      else call(() => X.addRowVector(w(x), r(v), v.length, rows), () => ref.addRowVector(x, v, rows));
    },

    sumRows(x, rows, out, accumulate) {
      need(x, rows * out.length, 'x', 'sumRows');
      const px = o(x), po = o(out);
      const wd = out.length;
      // blocks of columns: each thread sums its columns down all rows, in the same order as one thread
      if (px >= 0 && po >= 0) {
        if (!parallel(rows * wd, wd, 16, 16, F_SUM_ROWS, (j0, nj) => [px + 4 * j0, rows, nj, wd, po + 4 * j0, +accumulate])) {
          X.sumRows(px, rows, wd, wd, po, +accumulate);
        }
      } else call(() => X.sumRows(r(x), rows, wd, wd, w(out), +accumulate), () => ref.sumRows(x, rows, out, accumulate));
    },

    gatherRows(table, width, ids, out) {
      need(out, ids.length * width, 'out', 'gatherRows');
      checkIds(ids, width > 0 ? Math.floor(table.length / width) : 0, 'gatherRows');
      // a table outside the heap is not worth copying whole to pick a few rows from it
      if (o(table) < 0) ref.gatherRows(table, width, ids, out);
      else {
        call(() => {
          const pt = r(table), pi = r(ids), po = w(out);
          if (!parallel(ids.length * width, ids.length, 1, 1, F_GATHER_ROWS, (i0, ni) => [pt, width, pi + 4 * i0, ni, po + 4 * i0 * width])) {
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
      need(x, rows * cols, 'x', 'transpose'); need(out, rows * cols, 'out', 'transpose');
      const px = o(x), po = o(out);
      if (px >= 0 && po >= 0) X.transpose(px, rows, cols, po);
      else call(() => X.transpose(r(x), rows, cols, w(out)), () => ref.transpose(x, rows, cols, out));
    },

    softmax(x, n, c, out) {
      need(x, n * c, 'x', 'softmax'); need(out, n * c, 'out', 'softmax');
      const px = o(x), po = o(out);
      if (px >= 0 && po >= 0) X.softmax(px, n, c, po);
      else call(() => X.softmax(r(x), n, c, w(out)), () => ref.softmax(x, n, c, out));
    },

    softmaxCrossEntropy(logits, n, c, targets, ignoreIndex, probs) {
      need(logits, n * c, 'logits', 'softmaxCrossEntropy'); need(probs, n * c, 'probs', 'softmaxCrossEntropy');
      need(targets, n, 'targets', 'softmaxCrossEntropy');
      const count = checkTargets(targets, n, c, ignoreIndex, 'softmaxCrossEntropy');
      return call(() => {
        const pl = r(logits), pt = r(targets), pp = w(probs);
        const losses = splitsAlongGemmRows(n, n * c) ? heap.scratch(8 * n) : -1;
        if (losses < 0) return { loss: X.softmaxCrossEntropy(pl, n, c, pt, ignoreIndex, pp), count };
        runAlongGemmRows(n, F_SOFTMAX_CE_ROWS, (r0, nr) => [pl + 4 * r0 * c, nr, c, pt + 4 * r0, ignoreIndex, pp + 4 * r0 * c, losses + 8 * r0]);
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
        if (!parallel(n * c, n, 1, 1, F_SOFTMAX_CE_BACKWARD, (r0, nr) => [pp + 4 * r0 * c, nr, c, pt + 4 * r0, ignoreIndex, scale, pd + 4 * r0 * c])) {
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
      need(gates, 4 * bh, 'gates', 'lstmForward'); need(cPrev, bh, 'cPrev', 'lstmForward');
      need(c, bh, 'c', 'lstmForward'); need(hOut, bh, 'h', 'lstmForward');
      const pg = o(gates), pp = o(cPrev), pc = o(c), ph = o(hOut);
      if (pg >= 0 && pp >= 0 && pc >= 0 && ph >= 0) X.lstmForward(b, hd, pg, pp, pc, ph);
      else call(() => X.lstmForward(b, hd, w(gates), r(cPrev), w(c), w(hOut)), () => ref.lstmForward(b, hd, gates, cPrev, c, hOut));
    },

    lstmBackward(b, hd, gates, cPrev, c, dh, dc, dGates) {
      const bh = b * hd;
      need(gates, 4 * bh, 'gates', 'lstmBackward'); need(dGates, 4 * bh, 'dGates', 'lstmBackward');
      need(cPrev, bh, 'cPrev', 'lstmBackward'); need(c, bh, 'c', 'lstmBackward');
      need(dh, bh, 'dh', 'lstmBackward'); need(dc, bh, 'dc', 'lstmBackward');
      const pg = o(gates), pp = o(cPrev), pc = o(c), ph = o(dh), pd = o(dc), pG = o(dGates);
      if (pg >= 0 && pp >= 0 && pc >= 0 && ph >= 0 && pd >= 0 && pG >= 0) X.lstmBackward(b, hd, pg, pp, pc, ph, pd, pG);
      else call(() => X.lstmBackward(b, hd, r(gates), r(cPrev), r(c), r(dh), w(dc), w(dGates)),
        () => ref.lstmBackward(b, hd, gates, cPrev, c, dh, dc, dGates));
    },

    gruForward(b, hd, gi, gh, hPrev, hOut) {
      const bh = b * hd;
      need(gi, 3 * bh, 'gi', 'gruForward'); need(gh, 3 * bh, 'gh', 'gruForward');
      need(hPrev, bh, 'hPrev', 'gruForward'); need(hOut, bh, 'h', 'gruForward');
      const pi = o(gi), pg = o(gh), pp = o(hPrev), ph = o(hOut);
      if (pi >= 0 && pg >= 0 && pp >= 0 && ph >= 0) X.gruForward(b, hd, pi, pg, pp, ph);
      else call(() => X.gruForward(b, hd, w(gi), r(gh), r(hPrev), w(hOut)), () => ref.gruForward(b, hd, gi, gh, hPrev, hOut));
    },

    gruBackward(b, hd, gi, gh, hPrev, dh, dGi, dGh, dhPrev) {
      const bh = b * hd;
      need(gi, 3 * bh, 'gi', 'gruBackward'); need(gh, 3 * bh, 'gh', 'gruBackward');
      need(dGi, 3 * bh, 'dGi', 'gruBackward'); need(dGh, 3 * bh, 'dGh', 'gruBackward');
      need(hPrev, bh, 'hPrev', 'gruBackward'); need(dh, bh, 'dh', 'gruBackward'); need(dhPrev, bh, 'dhPrev', 'gruBackward');
      const pi = o(gi), pg = o(gh), pp = o(hPrev), pd = o(dh), pI = o(dGi), pG = o(dGh), pP = o(dhPrev);
      if (pi >= 0 && pg >= 0 && pp >= 0 && pd >= 0 && pI >= 0 && pG >= 0 && pP >= 0) X.gruBackward(b, hd, pi, pg, pp, pd, pI, pG, pP);
      else call(() => X.gruBackward(b, hd, r(gi), r(gh), r(hPrev), r(dh), w(dGi), w(dGh), w(dhPrev)),
        () => ref.gruBackward(b, hd, gi, gh, hPrev, dh, dGi, dGh, dhPrev));
    },

    recurrenceForward(a, bHh) {
      const { T, B, H } = a, G = gateCount(a.kind);
      need(a.gates, T * B * G * H, 'gates', 'recurrenceForward'); need(a.hs, T * B * H, 'hs', 'recurrenceForward');
      need(a.wHh, G * H * H, 'W_hh', 'recurrenceForward'); need(a.hInit, B * H, 'h0', 'recurrenceForward');
      if (a.cs) need(a.cs, T * B * H, 'cs', 'recurrenceForward');
      if (a.cInit) need(a.cInit, B * H, 'c0', 'recurrenceForward');
      if (a.ghs) need(a.ghs, T * B * G * H, 'ghs', 'recurrenceForward');
      if (!inHeap(a.gates, a.wHh, bHh, a.hInit, a.cInit, a.hs, a.cs, a.ghs)) return false;
      const split = seqBlocks(a);
      const parts = split.map(([b0, nb], i) => [F_SEQ_FWD, [cellCode(a.kind), T, B, H, b0, nb, +a.reverse,
        o(a.gates), o(a.wHh), nul(bHh), o(a.hInit), nul(a.cInit), o(a.hs), nul(a.cs), nul(a.ghs), works[i]]] as [number, number[]]);
      runShared(parts, split);
      return true;
    },

    recurrenceBackward(a, gOut, dG, dGh, dh, dc, initGrad = true) {
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
      const split = seqBlocks(a);
      const parts = split.map(([b0, nb], i) => [F_SEQ_BWD, [cellCode(a.kind), T, B, H, b0, nb, +a.reverse,
        o(a.gates), o(wT), o(a.hInit), nul(a.cInit), o(a.hs), nul(a.cs), nul(a.ghs), nul(gOut),
        o(dG), nul(dGh), o(dh), nul(dc), nul(spare), +initGrad, works[i]]] as [number, number[]]);
      runShared(parts, split);
      if (spare) heap.free(spare);
      heap.free(wT);
      return true;
    },

    stepLayer(wt: StepLayerWeights): StepLayer | null {
      const G = gateCount(wt.kind), H = wt.hidden, GH = G * H;
      need(wt.wHh, GH * H, 'W_hh', 'stepLayer');
      if (wt.bHh) need(wt.bHh, GH, 'b_hh', 'stepLayer');
      if (!wt.table === !wt.wIh || (wt.wIh && !wt.bIn)) throw new Error('stepLayer: give either a one-hot table or W_ih with its bias');
      if (wt.bIn) need(wt.bIn, GH, 'input bias', 'stepLayer');
      // one block of units per thread where the product is worth splitting, like a matrix–vector product;
      // at least two such blocks even on one thread, so that the output layer's sum over the blocks' shares
      // (below) is the same, bit for bit, whatever the thread count
      const split = GH * H >= MATVEC_SPLIT ? Math.max(2, pool ? pool.size : 1) : 1;
      const lay = stepLayout(G, H, blocks(H, split, 4, 4));
      const R = lay.rows;
      const I = wt.wIh ? wt.wIh.length / GH : 0;
      const V = wt.table ? wt.table.length / GH : 0;
      if (!Number.isInteger(I) || !Number.isInteger(V)) throw new Error(`stepLayer: W_ih or the table is not a whole number of rows of ${GH}`);
      // weights copied into the heap in the packed order; the views keep the blocks alive as long as the layer
      const wHh = heap.alloc(R * H, true);
      packPanels(wt.wHh, H, lay.source, wHh);
      const wIh = wt.wIh ? heap.alloc(R * I, true) : null;
      if (wIh) packPanels(wt.wIh!, I, lay.source, wIh);
      const bIn = wt.bIn ? heap.alloc(R, true) : null;
      if (bIn) permuteRows(wt.bIn!, lay.source, bIn);
      const table = wt.table ? heap.alloc(V * R, true) : null;
      if (table) for (let v = 0; v < V; v++) permuteRows(wt.table!.subarray(v * GH, (v + 1) * GH), lay.source, table, v * R);
      const bHh = wt.kind === 'gru' ? heap.alloc(R, true) : null;
      if (bHh) permuteRows(wt.bHh, lay.source, bHh);
      const gates = heap.alloc(R, true), gh = wt.kind === 'gru' ? heap.alloc(R, true) : null;
      // the output layer: each block's columns of W_hy, so that each thread adds its units' share of the logits
      const head = wt.head ?? null;
      const out = head ? head.weight.length / H : 0;
      if (!Number.isInteger(out)) throw new Error(`stepLayer: the output weight is not a whole number of rows of ${H}`);
      if (head?.bias) need(head.bias, out, 'output bias', 'stepLayer');
      const headPanels = Math.ceil(out / PANEL), share = headPanels * PANEL;
      const headW = head ? heap.alloc(share * H, true) : null;
      const partials = head ? heap.alloc(share * lay.parts.length, true) : null;
      if (head) {
        // rows 0 … out − 1 of W_hy, then padding; each block's own columns [u0, u0 + nu), with k = nu
        const rows = Int32Array.from({ length: share }, (_, r) => (r < out ? r : -1));
        for (const p of lay.parts) packPanels(head.weight, p.nu, rows, headW!.subarray(share * p.u0, share * (p.u0 + p.nu)), H, p.u0);
      }
      const headBias = head?.bias ? Float32Array.from(head.bias) : new Float32Array(out);
      for (const x of [wHh, wIh, bIn, table, bHh, gates, gh, headW, partials]) if (x && o(x) < 0) return null; // the heap is full
      const kind = cellCode(wt.kind);
      // asm stepPart's arguments, one array per part; the slots named here change from step to step
      const IN_ROW = 6, X_IN = 7, H_PREV = 11, C_PREV = 12, H_OUT = 15, C_OUT = 16;
      const parts = lay.parts.map((p, i) => [F_STEP, [kind, H, I, p.u0, p.nu, p.rows, /* inRow */ 0, /* x */ 0, wIh ? o(wIh) + 4 * p.row0 * I : 0,
        o(wHh) + 4 * p.row0 * H, bHh ? o(bHh) + 4 * p.row0 : 0, /* hPrev, cPrev */ 0, 0, o(gates) + 4 * p.row0, gh ? o(gh) + 4 * p.row0 : 0,
        /* h, c */ 0, 0, headW ? o(headW) + 4 * share * p.u0 : 0, headPanels, partials ? o(partials) + 4 * share * i : 0]] as [number, number[]]);
      const lstm = wt.kind === 'lstm';
      return {
        step(input, hPrev, cPrev, h, c, logits) {
          let inRow: number, x = 0;
          if (typeof input === 'number') {
            if (!table) throw new Error('stepLayer: this layer takes a dense input, not a table row');
            if (!(Number.isInteger(input) && input >= 0 && input < V)) throw new RangeError(`stepLayer: input ${input} out of range for ${V} rows`);
            inRow = o(table) + 4 * input * R;
          } else {
            if (!bIn) throw new Error('stepLayer: this layer takes a table row, not a dense input');
            need(input, I, 'x', 'stepLayer');
            inRow = o(bIn); x = o(input);
          }
          need(hPrev, H, 'hPrev', 'stepLayer'); need(h, H, 'h', 'stepLayer');
          if (lstm) { need(cPrev!, H, 'cPrev', 'stepLayer'); need(c!, H, 'c', 'stepLayer'); }
          const ph = o(hPrev), pc = lstm ? o(cPrev!) : 0, oh = o(h), oc = lstm ? o(c!) : 0;
          if (x < 0 || ph < 0 || oh < 0 || pc < 0 || oc < 0) throw new Error('stepLayer: the state vectors must come from this backend\'s alloc');
          if (head && !(logits && logits.length >= out)) throw new RangeError(`stepLayer: this layer computes the logits: give a [${out}] vector for them`);
          // the per-step arguments of each part: its slice of the input row, x, the state vectors
          for (let i = 0; i < parts.length; i++) {
            const a = parts[i][1];
            a[IN_ROW] = inRow + 4 * lay.parts[i].row0; a[X_IN] = x; a[H_PREV] = ph; a[C_PREV] = pc; a[H_OUT] = oh; a[C_OUT] = oc;
          }
          runParts(parts);
          if (head) {
            // logits = b + Σ over the blocks, in block order, of each block's share (float32 sums)
            for (let j = 0; j < out; j++) {
              let s = headBias[j];
              for (let i = 0; i < parts.length; i++) s = Math.fround(s + partials![share * i + j]);
              logits![j] = s;
            }
          }
        },
      };
    },

    adamStep(param, grad, m, v, opt) {
      const n = param.length;
      need(grad, n, 'grad', 'adamStep'); need(m, n, 'm', 'adamStep'); need(v, n, 'v', 'adamStep');
      // the scalar factors exactly as the reference computes them
      const { lr, beta1, beta2, eps, weightDecay, decoupled, step } = opt;
      const stepSize = lr / (1 - Math.pow(beta1, step));
      const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
      const decay = decoupled ? 1 - lr * weightDecay : 1;
      const l2 = decoupled ? 0 : weightDecay;
      call(() => {
        const pp = w(param), pg = r(grad), pm = w(m), pv = w(v);
        const args = (i: number, l: number) => [pp + 4 * i, pg + 4 * i, pm + 4 * i, pv + 4 * i, l, beta1, 1 - beta1, beta2, 1 - beta2, stepSize, bc2Sqrt, eps, decay, l2, +decoupled];
        if (!parallel(n, n, PAR_COMPUTE / 2, 4, F_ADAM, args, PAR_COMPUTE)) runHere(F_ADAM, args(0, n));
      }, () => ref.adamStep(param, grad, m, v, opt));
    },
  };
  return backend;
}
