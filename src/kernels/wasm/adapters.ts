import type { KernelExports } from './module.js';
import { F, PAR_ELEMENTS, type Parts, type ThreadFn } from './split.js';
import { need, type Arr, type Pointers } from './staging.js';

/*
 * How the wasm backend calls most of its kernels: one table row per export (its parameters, named and
 * ordered as asm/*.ts declares them; test/kernels/wasm_codes.test.ts holds the two to each other) and
 * one adapter that checks, stages and calls, and may split the call over the threads.
 */

/** The parameters of each kernel the adapter calls, in the order of its export. */
export const KERNEL_PARAMS = {
  activate: ['kind', 'x', 'out', 'n'],
  activateBackward: ['kind', 'y', 'dy', 'dx', 'n', 'accumulate'],
  addScaled: ['a', 'b', 'alpha', 'out', 'n'],
  mul: ['a', 'b', 'out', 'n'],
  scale: ['x', 'alpha', 'n'],
  sumSquares: ['x', 'n'],
  sum: ['x', 'n'],
  addRowVector: ['x', 'v', 'w', 'rows'],
  sumRows: ['x', 'rows', 'w', 'ldx', 'out', 'accumulate'],
  gatherRows: ['table', 'width', 'ids', 'nIds', 'out'],
  scatterAddRows: ['table', 'width', 'ids', 'nIds', 'src'],
  transpose: ['src', 'rows', 'cols', 'dst'],
  softmax: ['x', 'n', 'c', 'out'],
  softmaxCrossEntropyBackward: ['probs', 'n', 'c', 'targets', 'ignoreIndex', 'scale', 'dLogits'],
  lstmForward: ['b', 'h', 'gates', 'cPrev', 'c', 'hOut'],
  lstmBackward: ['b', 'h', 'gates', 'cPrev', 'c', 'dh', 'dc', 'dGates'],
  gruForward: ['b', 'h', 'gi', 'gh', 'hPrev', 'hOut'],
  gruBackward: ['b', 'h', 'gi', 'gh', 'hPrev', 'dh', 'dGi', 'dGh', 'dhPrev'],
  adamStep: ['param', 'grad', 'm', 'v', 'n', 'beta1', 'b1c', 'beta2', 'b2c', 'stepSize', 'bc2Sqrt', 'eps', 'decay', 'l2', 'decoupled'],
} as const satisfies Partial<Record<keyof KernelExports, readonly string[]>>;

/** A kernel the adapter calls. */
export type KernelName = keyof typeof KERNEL_PARAMS;
type Param<K extends KernelName> = (typeof KERNEL_PARAMS)[K][number];

/** An array argument: the array, 'r' or 'w' as the kernel reads or writes it, and the values it must hold. */
export type ArrayArg = readonly [x: Arr, mode: 'r' | 'w', n: number];
/** A call's arguments by parameter name: numbers, and arrays as ArrayArg. */
export type KernelArgs<K extends KernelName> = Record<Param<K>, number | ArrayArg>;
/** The arguments as the kernel receives them, by name: arrays as their byte offsets. */
export type At<K extends KernelName> = Record<Param<K>, number>;

/**
 * How a call runs over the threads: given its arguments and which of them are arrays, runs its parts
 * through `Parts` (each part's arguments are the call's with `part(changes)`'s changes) and says true,
 * or false to run it whole here.
 */
export type Split<K extends KernelName> = (at: At<K>, part: (changes: Partial<At<K>>) => number[], arrays: readonly Param<K>[]) => boolean;

/** Calls kernel `op` with `args`, checking each array's length (named after its parameter). */
export type CallKernel = <K extends KernelName, R>(op: K, args: KernelArgs<K>, fallback: () => R, split?: Split<K>) => R;

/**
 * The one adapter: checks every array's length; passes arrays by their offsets where all live in the
 * heap, otherwise stages copies (or runs `fallback`, the reference, when there is no room for them);
 * then lets `split` run the call in parts, or calls the export once.
 */
export function kernelCaller(X: KernelExports, P: Pointers): CallKernel {
  const staged = (x: Arr, mode: 'r' | 'w') => (mode === 'w' ? P.w(x) : P.r(x));
  return <K extends KernelName, R>(op: K, args: KernelArgs<K>, fallback: () => R, split?: Split<K>): R => {
    const names = KERNEL_PARAMS[op] as readonly Param<K>[];
    let direct = true;
    const arrays: Param<K>[] = [];
    for (const name of names) {
      const a = args[name];
      if (typeof a === 'number') continue;
      arrays.push(name);
      need(a[0], a[2], name, op);
      if (P.o(a[0]) < 0) direct = false;
    }
    const fn = X[op] as (...a: number[]) => R;
    const run = (ptr: (x: Arr, mode: 'r' | 'w') => number): R => {
      const at = {} as At<K>;
      for (const name of names) {
        const a = args[name];
        at[name] = typeof a === 'number' ? a : ptr(a[0], a[1]);
      }
      const part = (changes: Partial<At<K>>) => names.map((name) => changes[name] ?? at[name]);
      return split?.(at, part, arrays) ? (undefined as R) : fn(...part({}));
    };
    return direct ? run(P.o) : P.call(() => run(staged), fallback);
  };
}

/**
 * The split of an elementwise kernel over n floats: blocks of at least `min` elements, each part with
 * every array moved to its block and `n` its length. Kernels that spend many operations per float (Adam)
 * give a lower `min` and `threshold`.
 */
export function elementwise<K extends KernelName & ThreadFn>(par: Parts, op: K, n: number, min = PAR_ELEMENTS / 2,
  threshold = PAR_ELEMENTS): Split<K> {
  return (at, part, arrays) => par.parallel(n, n, min, 4, F[op], (i, len) => {
    const changes = { n: len } as Partial<At<K>>;
    for (const name of arrays) changes[name] = at[name] + 4 * i;
    return part(changes);
  }, threshold);
}
