import { Tensor, Generator, shapeStr } from '../tensor/index.js';

/*
 * σ_max without a decomposition, for matrices of any size and for the step Jacobians diag(f′) W_hh.
 * Kept apart from spectrum.ts so that what needs only σ_max (the training monitor) loads no
 * linear-algebra package.
 */

/** Throws unless w is a finite, non-empty 2-D matrix; returns its [rows, cols]. */
export function checkMatrix(w: Tensor, what: string): [number, number] {
  if (!(w instanceof Tensor) || w.ndim !== 2) throw new Error(`${what}: expected a 2-D matrix, got ${w instanceof Tensor ? shapeStr(w.shape) : typeof w}`);
  const [r, c] = w.shape;
  if (r === 0 || c === 0) throw new Error(`${what}: the matrix ${shapeStr(w.shape)} is empty`);
  for (let i = 0; i < w.size; i++) if (!Number.isFinite(w.data[i])) throw new Error(`${what}: the matrix has ${w.data[i]} at flat index ${i}`);
  return [r, c];
}

/**
 * σ_max(A) alone, for a matrix of any size: the largest eigenvalue of AᵀA by Lanczos iteration (see
 * topSigma). Its cost is a few dozen matrix–vector products instead of a full decomposition.
 */
export function sigmaMax(w: Tensor): number {
  const [r, c] = checkMatrix(w, 'sigmaMax');
  return topSigma(w.data, r, c, null);
}

/**
 * σ_max(diag(rowScale) · A) for a rows × cols matrix A (row-major), in double precision: Lanczos
 * iteration with full reorthogonalization on M = Aᵀ S² A, whose largest Ritz value rises to λ_max(M)
 * = σ_max² far faster than power iteration does when the top singular values are close (after k
 * steps the error shrinks like e^{−2k√gap} rather than (1 − gap)^k), and is exact once k reaches
 * cols. Every Ritz value is a lower bound, so the result never exceeds the true σ_max.
 */
export function topSigma(a: ArrayLike<number>, rows: number, cols: number, rowScale: ArrayLike<number> | null,
  opts: { tol?: number; maxSteps?: number } = {}): number {
  const tol = opts.tol ?? 1e-13;
  const maxSteps = Math.min(cols, opts.maxSteps ?? 300);
  const u = new Float64Array(rows);
  const apply = (v: Float64Array, out: Float64Array) => {
    for (let i = 0; i < rows; i++) {
      let s = 0;
      const o = i * cols;
      for (let j = 0; j < cols; j++) s += a[o + j] * v[j];
      u[i] = rowScale ? s * rowScale[i] * rowScale[i] : s;
    }
    out.fill(0);
    for (let i = 0; i < rows; i++) {
      const ui = u[i];
      if (ui === 0) continue;
      const o = i * cols;
      for (let j = 0; j < cols; j++) out[j] += a[o + j] * ui;
    }
  };
  // a fixed pseudo-random start: deterministic, and almost surely not orthogonal to the top singular vector
  const g = new Generator(0x51c7a);
  const q0 = Float64Array.from({ length: cols }, () => g.normal());
  normalize(q0);
  const Q: Float64Array[] = [q0];
  const alpha: number[] = [], beta: number[] = [];
  const w = new Float64Array(cols);
  let lambda = 0;
  for (let k = 0; k < maxSteps; k++) {
    const q = Q[k];
    apply(q, w);
    alpha.push(dot(q, w));
    // full reorthogonalization, twice ("twice is enough"), keeps the Krylov basis orthogonal in floating point
    for (let pass = 0; pass < 2; pass++) {
      for (const p of Q) {
        const c = dot(p, w);
        for (let j = 0; j < cols; j++) w[j] -= c * p[j];
      }
    }
    const b = Math.sqrt(dot(w, w));
    const done = k + 1 === maxSteps || b <= 1e-14 * Math.max(1e-300, Math.abs(alpha[0]));
    if (done || (k + 1) % 4 === 0) {
      const next = largestEigenTridiagonal(alpha, beta);
      const converged = Math.abs(next - lambda) <= tol * Math.abs(next);
      lambda = next;
      if (done || converged) break;
    }
    beta.push(b);
    Q.push(Float64Array.from(w, (x) => x / b));
  }
  return Math.sqrt(Math.max(0, lambda));
}

/**
 * The largest eigenvalue of the symmetric tridiagonal matrix with diagonal `a` and off-diagonal `b`, by
 * bisection on the Sturm count (the number of eigenvalues below x is the number of negative pivots of
 * T − xI), between Gershgorin's bounds.
 */
function largestEigenTridiagonal(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const r = (i > 0 ? Math.abs(b[i - 1]) : 0) + (i < n - 1 ? Math.abs(b[i]) : 0);
    lo = Math.min(lo, a[i] - r);
    hi = Math.max(hi, a[i] + r);
  }
  const below = (x: number) => {
    let count = 0, d = 1;
    for (let i = 0; i < n; i++) {
      d = a[i] - x - (i > 0 ? (b[i - 1] * b[i - 1]) / d : 0);
      if (d === 0) d = -1e-300;
      if (d < 0) count++;
    }
    return count;
  };
  // the largest eigenvalue is the least x with all n eigenvalues below it
  for (let it = 0; it < 200 && hi - lo > 1e-15 * Math.max(Math.abs(lo), Math.abs(hi), 1e-300); it++) {
    const mid = (lo + hi) / 2;
    if (below(mid) === n) hi = mid;
    else lo = mid;
  }
  return (lo + hi) / 2;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function normalize(v: Float64Array): number {
  const n = Math.sqrt(dot(v, v));
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] /= n;
  return n;
}
