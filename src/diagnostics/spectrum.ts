import { Matrix, SingularValueDecomposition, EigenvalueDecomposition, QrDecomposition } from 'ml-matrix';
import { Tensor, Generator, shapeStr } from '../tensor/index.js';
import { checkMatrix } from './lanczos.js';

/*
 * The linear algebra of the gradient-flow lab. Backpropagation through one step of a vanilla RNN
 * multiplies the gradient by W_hhᵀ diag(f'), so ‖∂L/∂h_{t−k}‖ ≤ (σ_max(W_hh) · max|f'|)^k ‖∂L/∂h_t‖:
 * the singular values of W_hh decide between vanishing and exploding. The decompositions come from
 * ml-matrix (Golub–Kahan SVD, backward stable: each σ is exact to about 1e-15 · σ_max); only the
 * Lanczos iteration for σ_max alone is written here.
 */

/** The full spectrum is computed for matrices with up to this many singular values (hidden sizes up to 1024). */
export const MAX_SPECTRUM_SIZE = 1024;
/** …and up to this many rows or columns (an LSTM's W_hh is 4H × H). */
const MAX_SPECTRUM_SIDE = 4 * MAX_SPECTRUM_SIZE;

function toMatrix(w: Tensor, rows: number, cols: number): Matrix {
  const m = new Matrix(rows, cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) m.set(i, j, w.data[i * cols + j]);
  return m;
}

/** All min(rows, cols) singular values of a 2-D matrix, largest first. */
export function singularValues(w: Tensor): number[] {
  const [r, c] = checkMatrix(w, 'singularValues');
  if (Math.min(r, c) > MAX_SPECTRUM_SIZE || Math.max(r, c) > MAX_SPECTRUM_SIDE) {
    throw new Error(`singularValues: the matrix ${shapeStr(w.shape)} is too large for a full spectrum ` +
      `(at most ${MAX_SPECTRUM_SIZE} singular values and ${MAX_SPECTRUM_SIDE} rows or columns); sigmaMax() gives its largest singular value`);
  }
  const svd = new SingularValueDecomposition(toMatrix(w, r, c), { computeLeftSingularVectors: false, computeRightSingularVectors: false, autoTranspose: true });
  return svd.diagonal.slice(0, Math.min(r, c)).map((s) => Math.max(0, s)).sort((a, b) => b - a);
}

/**
 * The spectral radius max|λ| of a square matrix. ‖W^k‖^{1/k} → ρ(W) as k grows (Gelfand), so over
 * long distances the gradient of a linear recurrence scales as ρ^k, which can be far below σ_max^k
 * when W is not normal (PyTorch's uniform init has σ_max ≈ 1.15 but ρ ≈ 0.58).
 */
export function spectralRadius(w: Tensor): number {
  const [r, c] = checkMatrix(w, 'spectralRadius');
  if (r !== c) throw new Error(`spectralRadius: the matrix must be square, got ${shapeStr(w.shape)}`);
  if (r > MAX_SPECTRUM_SIZE) throw new Error(`spectralRadius: the matrix ${shapeStr(w.shape)} is larger than ${MAX_SPECTRUM_SIZE} × ${MAX_SPECTRUM_SIZE}`);
  const e = new EigenvalueDecomposition(toMatrix(w, r, c));
  let rho = 0;
  for (let i = 0; i < r; i++) rho = Math.max(rho, Math.hypot(e.realEigenvalues[i], e.imaginaryEigenvalues[i]));
  return rho;
}

/**
 * A random n × n orthogonal matrix, uniform over the orthogonal group (Haar): the Q of a Gaussian
 * matrix's QR decomposition with its columns' signs fixed by R's diagonal (Mezzadri 2007). Every
 * singular value of s·Q is s, which makes it the lab's matrix of known spectrum.
 */
export function randomOrthogonal(n: number, rng: Generator): Tensor {
  if (!Number.isInteger(n) || n < 1 || n > MAX_SPECTRUM_SIZE) throw new Error(`randomOrthogonal: size must be an integer from 1 to ${MAX_SPECTRUM_SIZE}, got ${n}`);
  const g = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) g.set(i, j, rng.normal());
  const qr = new QrDecomposition(g);
  const q = qr.orthogonalMatrix, rm = qr.upperTriangularMatrix;
  const out = Tensor.zeros([n, n]);
  for (let j = 0; j < n; j++) {
    const sign = rm.get(j, j) < 0 ? -1 : 1;
    for (let i = 0; i < n; i++) out.data[i * n + j] = sign * q.get(i, j);
  }
  return out;
}
