/**
 * Matrix-multiply throughput, reference (TypeScript) vs WebAssembly backend on one thread, and the
 * WebAssembly backend on two threads:
 *   node --import tsx bench/gemm.ts [--quick]
 * Prints the median GFLOP/s over repeated runs for each shape and transpose variant. The wasm operands
 * live in its heap (as tensors do when the backend is active); one extra row shows the cost of operands
 * that must be copied in and out. Where the native addon is built, the last two columns are the native
 * backend on one thread and on two (its operands are plain arrays).
 */
import type { Backend } from '../src/kernels/backend.js';
import { referenceBackend } from '../src/kernels/reference/index.js';
import { createWasmBackend } from '../src/kernels/wasm/index.js';
import { createNativeBackend, nativeUnavailable } from '../src/kernels/native/index.js';

const quick = process.argv.includes('--quick');

interface Case { label: string; m: number; n: number; k: number; ta: boolean; tb: boolean; copied?: boolean }

const V = (ta: boolean, tb: boolean) => `${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}`;
const cases: Case[] = [];
for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]] as const) {
  cases.push({ label: `[2048×256]·[256×1024] ${V(ta, tb)}`, m: 2048, n: 1024, k: 256, ta, tb });
}
cases.push(
  { label: 'LSTM-256 step, B=32: h·W_hhᵀ [32×256]·[256×1024]ᵀ', m: 32, n: 1024, k: 256, ta: false, tb: true },
  { label: 'LSTM-256 step backward, B=32: dG·W_hh [32×1024]·[1024×256]', m: 32, n: 256, k: 1024, ta: false, tb: false },
  { label: 'LSTM-256 ∂W_hh, T=64, B=32: dGᵀ·h [2048×1024]ᵀ·[2048×256]', m: 1024, n: 256, k: 2048, ta: true, tb: false },
  { label: 'LSTM-256 generation, B=1: h·W_hhᵀ [1×256]·[256×1024]ᵀ', m: 1, n: 1024, k: 256, ta: false, tb: true },
  { label: '[2048×256]·[256×1024] NN, operands outside the heap', m: 2048, n: 1024, k: 256, ta: false, tb: false, copied: true },
);

function fill(x: Float32Array, seed: number): Float32Array {
  let s = seed;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 4294967296 - 0.5;
  }
  return x;
}

/** Median seconds per call: warm up (lets V8 optimise the code), then time runs until the budget is spent. */
function time(f: () => void, budgetMs: number, maxRuns: number): number {
  const warm = performance.now();
  do f(); while (performance.now() - warm < budgetMs / 4);
  const runs: number[] = [];
  const start = performance.now();
  while (runs.length < 3 || (runs.length < maxRuns && performance.now() - start < budgetMs)) {
    const t = performance.now();
    f();
    runs.push(performance.now() - t);
  }
  runs.sort((a, b) => a - b);
  return runs[runs.length >> 1] / 1000;
}

function gflops(K: Backend, c: Case, inHeap: boolean, budgetMs: number): number {
  const mk = (n: number, seed: number) => fill(inHeap ? K.alloc(n) : new Float32Array(n), seed);
  const a = mk(c.m * c.k, 1), b = mk(c.k * c.n, 2), out = mk(c.m * c.n, 3);
  const s = time(() => K.gemm(c.ta, c.tb, c.m, c.n, c.k, a, b, out, false), budgetMs, 200);
  return (2 * c.m * c.n * c.k) / s / 1e9;
}

const wasm = await createWasmBackend({ threads: 1 });
const wasm2 = await createWasmBackend({ threads: 2 });
const native = nativeUnavailable() === null ? createNativeBackend({ threads: 1 }) : null;
const native2 = native ? createNativeBackend({ threads: 2 }) : null;
const budget = quick ? 300 : 1500;
console.log(`gemm, median GFLOP/s (node ${process.version}); reference and wasm on one thread, then wasm on ${wasm2.threads} threads`);
if (!native) console.log(`(no native column: ${nativeUnavailable()})`);
console.log(`${'shape'.padEnd(66)} ${'reference'.padStart(10)} ${'wasm'.padStart(8)} ${'speed-up'.padStart(9)} ${'wasm 2t'.padStart(8)}${native ? ` ${'native'.padStart(8)} ${'native 2t'.padStart(9)}` : ''}`);
for (const c of cases) {
  const ref = c.copied ? NaN : gflops(referenceBackend, c, false, budget);
  const w = gflops(wasm, c, !c.copied, budget);
  const w2 = c.copied ? NaN : gflops(wasm2, c, true, budget);
  const nat = native && !c.copied ? gflops(native, c, true, budget) : NaN;
  const nat2 = native2 && !c.copied ? gflops(native2, c, true, budget) : NaN;
  const f = (x: number) => (Number.isNaN(x) ? '' : x.toFixed(x < 10 ? 2 : 1)).padStart(8);
  console.log(`${c.label.padEnd(66)} ${f(ref).padStart(10)} ${f(w)} ${Number.isNaN(ref) ? ''.padStart(9) : `${(w / ref).toFixed(1)}×`.padStart(9)} ${f(w2)}${native ? ` ${f(nat)} ${f(nat2).padStart(9)}` : ''}`);
}
wasm2.stopThreads();
