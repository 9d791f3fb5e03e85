import type { Activation } from '../backend.js';

export function activate(kind: Activation, x: Float32Array, out: Float32Array): void {
  const n = x.length;
  switch (kind) {
    case 'tanh': for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]); break;
    case 'sigmoid': for (let i = 0; i < n; i++) out[i] = sigmoid(x[i]); break;
    case 'relu': for (let i = 0; i < n; i++) out[i] = x[i] > 0 ? x[i] : 0; break;
    case 'identity': if (out !== x) out.set(x); break;
  }
}

/** dx (+)= dy · f', with f' from the output y: tanh' = 1 − y², σ' = y(1 − y), relu' = [y > 0]. */
export function activateBackward(kind: Activation, y: Float32Array, dy: Float32Array, dx: Float32Array, accumulate: boolean): void {
  const n = y.length;
  for (let i = 0; i < n; i++) {
    const yi = y[i];
    let d: number;
    switch (kind) {
      case 'tanh': d = dy[i] * (1 - yi * yi); break;
      case 'sigmoid': d = dy[i] * yi * (1 - yi); break;
      case 'relu': d = yi > 0 ? dy[i] : 0; break;
      default: d = dy[i];
    }
    dx[i] = accumulate ? dx[i] + d : d;
  }
}

/** The logistic function, written to avoid overflow of exp for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export function addScaled(a: Float32Array, b: Float32Array, alpha: number, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i] + alpha * b[i];
}

export function mul(a: Float32Array, b: Float32Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i] * b[i];
}

export function scale(x: Float32Array, alpha: number): void {
  for (let i = 0; i < x.length; i++) x[i] *= alpha;
}

export function sumSquares(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

export function sum(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}

export function addRowVector(x: Float32Array, v: Float32Array, rows: number): void {
  const w = v.length;
  for (let r = 0; r < rows; r++) {
    const o = r * w;
    for (let j = 0; j < w; j++) x[o + j] += v[j];
  }
}

export function sumRows(x: Float32Array, rows: number, out: Float32Array, accumulate: boolean): void {
  const w = out.length;
  if (!accumulate) out.fill(0);
  for (let r = 0; r < rows; r++) {
    const o = r * w;
    for (let j = 0; j < w; j++) out[j] += x[o + j];
  }
}

export function gatherRows(table: Float32Array, width: number, ids: Int32Array, out: Float32Array): void {
  for (let r = 0; r < ids.length; r++) out.set(table.subarray(ids[r] * width, ids[r] * width + width), r * width);
}

export function scatterAddRows(table: Float32Array, width: number, ids: Int32Array, src: Float32Array): void {
  for (let r = 0; r < ids.length; r++) {
    const t = ids[r] * width, s = r * width;
    for (let j = 0; j < width; j++) table[t + j] += src[s + j];
  }
}

/** out (cols × rows) = xᵀ, in 16×16 tiles: a row-by-row walk would write out with a stride of whole rows, which thrashes the cache. */
export function transpose(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
  const TILE = 16;
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(r0 + TILE, rows);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(c0 + TILE, cols);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * rows + r] = x[r * cols + c];
    }
  }
}
