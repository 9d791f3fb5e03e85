import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createWasmBackend } from '../../src/kernels/wasm/index.js';
import { sameBitsAs, maxRelAs } from './compare.js';

// What the tests of the WebAssembly backend against the reference share: one backend, seeded random
// inputs placed in its heap or in ordinary arrays, bit and relative comparisons, and a report of the
// largest relative errors seen.

export const W = await createWasmBackend();

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function rand(n: number, r: () => number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale;
  return a;
}

export type Place = 'heap' | 'js';
/** A copy of x in the wasm heap or in an ordinary array. */
export function put(x: Float32Array, where: Place): Float32Array {
  const y = where === 'heap' ? W.alloc(x.length) : new Float32Array(x.length);
  y.set(x);
  return y;
}

export const PLACES: Place[][] = [['heap', 'heap', 'heap'], ['js', 'js', 'js'], ['js', 'heap', 'js'], ['heap', 'js', 'heap']];
export const SIZES = [1, 3, 7, 17, 33, 257];


/** The bit and relative comparisons, naming this backend in their failures. */
export const sameBits = (a: Float32Array, b: Float32Array, what: string) => sameBitsAs('wasm', a, b, what);
export const maxRel = (a: Float32Array, b: Float32Array, floor: number, what: string) => maxRelAs('wasm', a, b, floor, what);

const report: Record<string, number> = {};
export function note(name: string, err: number): void {
  report[name] = Math.max(report[name] ?? 0, err);
}

/** A last test that prints the largest errors the file's tests noted. */
export function reportErrors(): void {
  test('report', () => {
    for (const [k, v] of Object.entries(report)) console.log(`  max error ${k}: ${v.toExponential(2)}`);
  });
}
