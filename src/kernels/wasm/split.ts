import type { SequenceArgs } from '../backend.js';
import { gateCount } from '../cells.js';
import type { KernelExports } from './module.js';
import type { ThreadPool } from './threads.js';
import { Balance, weightedBlocks, workBlocks, rowLengths } from './balance.js';

/*
 * The thread-split policy of the wasm backend: which calls are worth splitting, into which blocks, and the
 * one way the parts of a call run — over the pool, or one after the other on the calling thread.
 */

// The calls helpers may run, by index.
export const THREAD_FNS = ['gemm', 'recurrenceForward', 'recurrenceBackward', 'addScaled', 'mul', 'scale', 'activate', 'activateBackward',
  'addRowVector', 'sumRows', 'gatherRows', 'softmaxCrossEntropyBackward', 'adamStep', 'stepPart', 'softmaxCrossEntropyRows'] as const;
export type ThreadFn = (typeof THREAD_FNS)[number];
/** Each such call's index, by name: F.gemm, F.recurrenceForward, … */
export const F = Object.fromEntries(THREAD_FNS.map((name, i) => [name, i])) as Readonly<Record<ThreadFn, number>>;
// Elementwise and row-wise kernels over at least this many floats (1 MiB) are split over the threads:
// smaller ones take tens of microseconds, and the other thread then spends as long fetching the rows the
// first one just wrote (measured in W1: the helper's half of a 0.7 MiB softmax gradient took 7× the main
// thread's).
export const PAR_ELEMENTS = 1 << 18;
// Kernels that spend many operations on each float they touch (an Adam update: a square root and two
// divisions in double; a softmax row: exponentials and a logarithm) are split from this many floats on:
// their time, not the other core's fetching of rows, is what the second thread halves.
export const PAR_COMPUTE = 1 << 14;
// Work (floating-point operations) below which a call stays on one thread: the hand-over costs a few
// microseconds while the helper spins, some 30 when it sleeps.
const PAR_FLOPS = 4e6;
// Matrix–vector products with at least this many weights are split over the threads.
export const MATVEC_SPLIT = 1 << 17;
// Smallest block of rows (or batch rows) a thread gets.
const MIN_ROWS = 8;
// Smallest block of rows of a multiply whose split follows the learned shares: every block then takes
// the gemm's packed path (more than its 64-row dot-product limit), so the bits of C do not depend on
// where the split falls. Shorter multiplies split evenly.
const SHARED_GEMM_ROWS = 68;

/** A part of a call: the kernel's index in THREAD_FNS and its arguments. */
export type Part = [fn: number, args: number[]];

/** Splits n into at most `parts` blocks of at least `min`, block sizes multiples of `unit`: [start, size][]. */
export function blocks(n: number, parts: number, min: number, unit: number): Array<[number, number]> {
  const p = Math.max(1, Math.min(parts, Math.floor(n / min)));
  const size = Math.ceil(n / p / unit) * unit;
  const out: Array<[number, number]> = [];
  for (let s = 0; s < n; s += size) out.push([s, Math.min(size, n - s)]);
  return out;
}

/** The helper threads of one backend, and how its calls are split over them. */
export class Parts {
  private pool: ThreadPool | null;
  readonly balance: Balance;
  private readonly fns: Array<(...a: number[]) => unknown>;

  /** works: each thread's gemm workspace, the calling thread's first. */
  constructor(private readonly X: KernelExports, pool: ThreadPool | null, readonly works: readonly number[]) {
    this.pool = pool;
    this.balance = new Balance(this.threads);
    this.fns = THREAD_FNS.map((name) => X[name] as (...a: number[]) => unknown);
  }

  /** Threads the kernels run on, the calling one included. */
  get threads(): number {
    return this.pool ? this.pool.size : 1;
  }

  get threaded(): boolean {
    return this.pool !== null;
  }

  stop(): void {
    this.pool?.stop();
    this.pool = null;
  }

  readonly runHere = (fn: number, args: ArrayLike<number>): void => void this.fns[fn](...(args as number[]));

  /**
   * Runs the parts of a call: over the pool when there is more than one and no more than there are threads,
   * otherwise one after the other here. `lengths`: the part sizes of a split that follows the learned shares
   * (weightedBlocks), from whose times the balance then learns.
   */
  run(parts: Part[], lengths?: readonly number[]): void {
    const pool = this.pool;
    if (!pool || parts.length === 1 || parts.length > pool.size) {
      for (const [fn, a] of parts) this.runHere(fn, a);
      return;
    }
    pool.run(parts, this.runHere);
    if (lengths) this.balance.observe(lengths, pool.times);
  }

  /** Runs fn over blocks that follow the learned shares ([start, length] per part). */
  private runShared(split: ReadonlyArray<readonly [number, number]>, part: (i0: number, len: number) => Part): void {
    this.run(split.map(([i0, len]) => part(i0, len)), split.map(([, len]) => len));
  }

  /**
   * Splits [0, n) into one block per thread (at least `min` long, sizes multiples of `unit`) and runs fn
   * on each, with the arguments `part(start, length)` gives; false, having done nothing, where the call's
   * `work` (floats touched) is too small to pay for the hand-over.
   */
  parallel(work: number, n: number, min: number, unit: number, fn: number, part: (i0: number, len: number) => number[],
    threshold = PAR_ELEMENTS): boolean {
    if (!this.pool || work < threshold || n < 2 * min) return false;
    this.run(blocks(n, this.pool.size, min, unit).map(([i0, len]): Part => [fn, part(i0, len)]));
    return true;
  }

  /** parallel() over the n elements of an elementwise kernel. */
  elementwise(n: number, fn: number, part: (i0: number, len: number) => number[]): boolean {
    return this.parallel(n, n, PAR_ELEMENTS / 2, 4, fn, part);
  }

  /** Blocks of rows of a multiply of m ≥ 2·SHARED_GEMM_ROWS rows of C, in proportion to the threads' speeds. */
  private gemmRowBlocks(m: number): Array<[number, number]> {
    return weightedBlocks(m, this.balance.shares, SHARED_GEMM_ROWS, 4);
  }

  /**
   * Row-wise work on the output of a long multiply (its bias, its softmax) is split at the rows where that
   * multiply split C, so that each thread reads rows still in its own cache, unless the call is too short.
   */
  splitsAlongGemmRows(rows: number, work: number): boolean {
    return this.pool !== null && rows >= 2 * SHARED_GEMM_ROWS && work >= PAR_COMPUTE;
  }

  runAlongGemmRows(rows: number, fn: number, part: (r0: number, nr: number) => number[]): void {
    this.runShared(this.gemmRowBlocks(rows), (r0, nr) => [fn, part(r0, nr)]);
  }

  /** gemm on heap pointers, split over the threads when it is big enough. */
  gemmAt(ta: number, tb: number, m: number, n: number, k: number, pa: number, lda: number, pb: number, ldb: number,
    pc: number, ldc: number, acc: number): void {
    const { pool, works } = this;
    // a matrix–vector product (sampling at batch 1) splits too: it comes step after step, so the helper is awake
    if (!pool || (2 * m * n * k < PAR_FLOPS && !(m === 1 && n * k >= MATVEC_SPLIT))) {
      this.X.gemm(ta, tb, m, n, k, pa, lda, pb, ldb, pc, ldc, acc, works[0]);
      return;
    }
    const parts: Part[] = [];
    if (m >= 2 * SHARED_GEMM_ROWS) {
      let t = 0;
      this.runShared(this.gemmRowBlocks(m), (i0, mi) => {
        const a = ta ? pa + i0 * 4 : pa + i0 * lda * 4;
        return [F.gemm, [ta, tb, mi, n, k, a, lda, pb, ldb, pc + i0 * ldc * 4, ldc, acc, works[t++]]];
      });
      return;
    }
    if (m >= 2 * MIN_ROWS && n < 2 * m) {
      // blocks of rows of C: rows of A (columns of the stored A when transposed)
      for (const [i0, mi] of blocks(m, pool.size, MIN_ROWS, 4)) {
        const a = ta ? pa + i0 * 4 : pa + i0 * lda * 4;
        parts.push([F.gemm, [ta, tb, mi, n, k, a, lda, pb, ldb, pc + i0 * ldc * 4, ldc, acc, works[parts.length]]]);
      }
    } else {
      // a short or wide C: blocks of columns, i.e. of columns of op(B). Each thread packs (or streams) the
      // whole of the operand that is not split, so the split goes along the longer side of C: ∂W_hy, 89 × 256
      // over k = 2048, split by rows had each thread pack all of the 2048 × 256 B and ran 1.55× faster on two
      // threads than on one, against 1.8× for the other multiplies of the output layer
      for (const [j0, nj] of blocks(n, pool.size, 4 * MIN_ROWS, 8)) {
        const b = tb ? pb + j0 * ldb * 4 : pb + j0 * 4;
        parts.push([F.gemm, [ta, tb, m, nj, k, pa, lda, b, ldb, pc + j0 * 4, ldc, acc, works[parts.length]]]);
      }
    }
    this.run(parts);
  }

  /**
   * Runs a recurrence's parts over batch blocks: one per thread, in proportion to the threads' speeds, when
   * the per-step multiply pays for it. A block may start at any row: the per-step product sums a row the
   * same way alone or paired with the next (asm/gemm.ts, dot1x4), so every row is computed as it is on
   * one thread. A variable-length batch (a.batchSizes) is split by the rows' step counts, its work, rather
   * than by rows. part(b0, nb, thread) gives the arguments of the block.
   */
  runOverBatch(a: SequenceArgs, fn: number, part: (b0: number, nb: number, thread: number) => number[]): void {
    const bs = a.batchSizes;
    const rowSteps = bs ? bs.reduce((s, b) => s + b, 0) : a.T * a.B;
    const flops = 2 * rowSteps * gateCount(a.kind) * a.H * a.H;
    if (!this.pool || flops < PAR_FLOPS) {
      this.run([[fn, part(0, a.B, 0)]]);
      return;
    }
    if (!bs) {
      let i = 0;
      this.runShared(weightedBlocks(a.B, this.balance.shares, MIN_ROWS, 1), (b0, nb) => [fn, part(b0, nb, i++)]);
      return;
    }
    const lens = rowLengths(bs, a.B);
    const split = workBlocks(lens, this.balance.shares, MIN_ROWS);
    this.run(split.map(([b0, nb], i): Part => [fn, part(b0, nb, i)]),
      split.map(([b0, nb]) => lens.slice(b0, b0 + nb).reduce((s, l) => s + l, 0)));
  }
}
