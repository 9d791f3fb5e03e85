/**
 * Finding and loading the native addon (native/build/rnnkit.node, built by `npm install`). Node only, and
 * reached without an import statement, so that the library still bundles for browsers.
 */

/**
 * The addon's functions: the kernels of native/src/kernels.h, over the caller's typed arrays. `threads`
 * (default 1): the most threads a call may be split over. batchSizes: SequenceArgs.batchSizes (backend.ts).
 */
export interface NativeAddon {
  gemm(ta: boolean, tb: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, acc: boolean, threads?: number): void;
  activate(kind: number, x: Float32Array, out: Float32Array, n: number): void;
  activateBackward(kind: number, y: Float32Array, dy: Float32Array, dx: Float32Array, n: number, acc: boolean): void;
  addScaled(a: Float32Array, b: Float32Array, alpha: number, out: Float32Array, n: number): void;
  mul(a: Float32Array, b: Float32Array, out: Float32Array, n: number): void;
  scale(x: Float32Array, alpha: number, n: number): void;
  sumSquares(x: Float32Array, n: number): number;
  sum(x: Float32Array, n: number): number;
  addRowVector(x: Float32Array, v: Float32Array, width: number, rows: number): void;
  sumRows(x: Float32Array, rows: number, out: Float32Array, width: number, acc: boolean): void;
  gatherRows(table: Float32Array, width: number, ids: Int32Array, n: number, out: Float32Array): void;
  scatterAddRows(table: Float32Array, width: number, ids: Int32Array, n: number, src: Float32Array): void;
  transpose(x: Float32Array, rows: number, cols: number, out: Float32Array): void;
  softmax(x: Float32Array, n: number, c: number, out: Float32Array): void;
  softmaxCrossEntropy(logits: Float32Array, n: number, c: number, targets: Int32Array, ignoreIndex: number, probs: Float32Array): number;
  softmaxCrossEntropyBackward(probs: Float32Array, n: number, c: number, targets: Int32Array, ignoreIndex: number, scale: number,
    dLogits: Float32Array): void;
  lstmForward(b: number, h: number, gates: Float32Array, cPrev: Float32Array, c: Float32Array, hOut: Float32Array): void;
  lstmBackward(b: number, h: number, gates: Float32Array, cPrev: Float32Array, c: Float32Array, dh: Float32Array, dc: Float32Array,
    dGates: Float32Array): void;
  gruForward(b: number, h: number, gi: Float32Array, gh: Float32Array, hPrev: Float32Array, hOut: Float32Array): void;
  gruBackward(b: number, h: number, gi: Float32Array, gh: Float32Array, hPrev: Float32Array, dh: Float32Array, dGi: Float32Array,
    dGh: Float32Array, dhPrev: Float32Array): void;
  adamStep(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number, beta1: number, beta2: number, stepSize: number,
    bc2Sqrt: number, eps: number, decay: number, l2: number, decoupled: boolean, threads?: number): void;
  recurrenceForward(cell: number, T: number, B: number, H: number, reverse: boolean, gates: Float32Array, wHh: Float32Array,
    hInit: Float32Array, cInit: Float32Array | null, hs: Float32Array, cs: Float32Array | null, ghs: Float32Array | null,
    bHh: Float32Array | null, threads?: number, batchSizes?: Int32Array | null): void;
  recurrenceBackward(cell: number, T: number, B: number, H: number, reverse: boolean, gates: Float32Array, wHh: Float32Array,
    hInit: Float32Array, cInit: Float32Array | null, hs: Float32Array, cs: Float32Array | null, ghs: Float32Array | null,
    gOut: Float32Array | null, dG: Float32Array, dGh: Float32Array | null, dh: Float32Array, dc: Float32Array | null, initGrad: boolean, threads?: number,
    batchSizes?: Int32Array | null): void;
  /** The instruction set the multiply runs on: 'avx2+fma' or 'generic'. */
  isa(): string;
  /** Forces the portable multiply (tests compare it with the AVX2 one); returns the previous setting. */
  forceGeneric(on: boolean): boolean;
}

/** What the command line prints, once, where the addon is not there. */
export const NATIVE_HOW_TO = 'install a C++ compiler (g++ or clang++) and run `node native/build.mjs` in the rnnkit package (or reinstall it)';

type Loaded = { addon: NativeAddon; why: null } | { addon: null; why: string };
let loaded: Loaded | null = null;

/** The addon, or why it cannot be had (not Node, not built, built for another Node). Loads it once. */
export function loadNativeAddon(): Loaded {
  if (loaded) return loaded;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown; env?: Record<string, string | undefined> } }).process;
  const mod = proc?.getBuiltinModule?.('node:module') as { createRequire?: (from: string | URL) => (id: string) => unknown } | undefined;
  if (!mod?.createRequire) return (loaded = { addon: null, why: 'the native backend runs in Node only' });
  if (proc?.env?.RNNKIT_NATIVE === '0') return (loaded = { addon: null, why: 'it is turned off (RNNKIT_NATIVE=0)' });
  // from src/kernels/native/ or dist/kernels/native/, the package root is three folders up
  const file = new URL('../../../native/build/rnnkit.node', import.meta.url);
  try {
    const addon = mod.createRequire(import.meta.url)(decodeURIComponent(file.pathname)) as NativeAddon;
    if (typeof addon?.gemm !== 'function' || typeof addon.isa !== 'function') return (loaded = { addon: null, why: 'native/build/rnnkit.node is not the rnnkit addon' });
    return (loaded = { addon, why: null });
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'MODULE_NOT_FOUND' ? 'the native addon is not built' : `the native addon does not load (${String((e as Error).message).split('\n')[0]})`;
    return (loaded = { addon: null, why });
  }
}
