import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, Generator } from '../../src/tensor/index.js';
import { singularValues, spectralRadius, randomOrthogonal } from '../../src/diagnostics/spectrum.js';
import { sigmaMax } from '../../src/diagnostics/lanczos.js';
import { jacobianNorms } from '../../src/diagnostics/jacobian.js';

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

/** A · B for row-major matrices (plain numbers, double precision). */
function matmul(a: Float32Array | Float64Array, b: Float32Array | Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) c[i * n + j] += a[i * k + p] * b[p * n + j];
  return c;
}

test('singular values of matrices with known spectra', () => {
  // AᵀA = [[25, 20], [20, 25]] has eigenvalues 45 and 5
  assert.deepEqual(singularValues(Tensor.from([[3, 0], [4, 5]])).map((s) => +s.toFixed(12)), [Math.sqrt(45), Math.sqrt(5)].map((s) => +s.toFixed(12)));
  // a diagonal matrix: the absolute values of its diagonal, sorted
  assert.deepEqual(singularValues(Tensor.from([[0, 0, 0], [0, -7, 0], [0, 0, 2]])).map((s) => +s.toFixed(12)), [7, 2, 0]);
  // a rank-one matrix u vᵀ: ‖u‖ ‖v‖ and zeros
  const sv1 = singularValues(Tensor.from([[2, 4], [1, 2], [2, 4]]));
  close(sv1[0], 3 * Math.sqrt(5), 1e-12, 'rank one');
  assert.ok(sv1[1] < 1e-12, `rank one: ${sv1[1]}`);
});

test('singular values of U diag(s) Vᵀ with random orthogonal U, V are s, also for a tall 4H × H matrix', () => {
  const rng = new Generator(3);
  const n = 24, m = 96;
  const s = Array.from({ length: n }, (_, i) => 5 * Math.pow(0.8, i));
  const U = randomOrthogonal(m, rng), V = randomOrthogonal(n, rng);
  // U[:, :n] · diag(s) · Vᵀ
  const us = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) us[i * n + j] = U.data[i * m + j] * s[j];
  const vt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vt[i * n + j] = V.data[j * n + i];
  const a = new Tensor(Float32Array.from(matmul(us, vt, m, n, n)), [m, n]);
  const got = singularValues(a);
  assert.equal(got.length, n);
  // float32 storage of the matrix limits each σ to about 1e-7 · σ_max
  got.forEach((g, i) => close(g, s[i], 3e-6 * s[0], `σ_${i}`));
  close(sigmaMax(a), s[0], 1e-6, 'σ_max by Lanczos iteration');
  // the wide matrix (its transpose) has the same singular values
  const at = Tensor.zeros([n, m]);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) at.data[j * m + i] = a.data[i * n + j];
  singularValues(at).forEach((g, i) => close(g, got[i], 1e-9, `σ_${i} of the transpose`));
});

test('s·Q has every singular value equal to s; stacked gate blocks [sQ₁; tQ₂] have √(s² + t²)', () => {
  const rng = new Generator(5);
  const H = 32;
  const q1 = randomOrthogonal(H, rng), q2 = randomOrthogonal(H, rng);
  // QᵀQ = I
  const qtq = matmul(Float64Array.from({ length: H * H }, (_, k) => q1.data[(k % H) * H + Math.floor(k / H)]), q1.data, H, H, H);
  for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) close(qtq[i * H + j], i === j ? 1 : 0, 1e-6, `QᵀQ[${i},${j}]`);
  const scaled = new Tensor(q1.data.map((v) => 1.5 * v), [H, H]);
  for (const v of singularValues(scaled)) close(v, 1.5, 1e-6, 'σ of 1.5·Q');
  close(sigmaMax(scaled), 1.5, 1e-6, 'σ_max of 1.5·Q');
  const stacked = Tensor.zeros([2 * H, H]);
  stacked.data.set(q1.data.map((v) => 0.6 * v));
  stacked.data.set(q2.data.map((v) => 0.8 * v), H * H);
  for (const v of singularValues(stacked)) close(v, 1, 1e-6, 'σ of [0.6·Q₁; 0.8·Q₂]');
});

test('σ_max by Lanczos iteration agrees with the SVD on random matrices', () => {
  const rng = new Generator(9);
  for (const [r, c] of [[17, 17], [64, 16], [16, 64]]) {
    const a = Tensor.zeros([r, c]);
    for (let i = 0; i < a.size; i++) a.data[i] = rng.uniform(-1, 1);
    close(sigmaMax(a), singularValues(a)[0], 1e-7, `${r}×${c}`);
  }
});

test('the spectral radius is not σ_max for a non-normal matrix', () => {
  close(spectralRadius(Tensor.from([[0, -2], [2, 0]])), 2, 1e-12, 'a scaled rotation');
  const jordan = Tensor.from([[0.5, 10], [0, 0.5]]);
  close(spectralRadius(jordan), 0.5, 1e-9, 'ρ of a Jordan-like block');
  assert.ok(singularValues(jordan)[0] > 10, 'while its σ_max exceeds 10');
});

test('step Jacobians of a tanh RNN with W = s·Q meet their bound exactly: ‖D s Q‖ = s · max D', () => {
  const rng = new Generator(11);
  const H = 12, rows = 3, s = 1.3;
  const w = new Tensor(randomOrthogonal(H, rng).data.map((v) => s * v), [H, H]);
  const states = Array.from({ length: 5 }, () => Float32Array.from({ length: rows * H }, () => rng.uniform(-0.95, 0.95)));
  const j = jacobianNorms(w, states, rows, 'tanh');
  close(j.sigmaMax, s, 1e-6, 'σ_max');
  j.norm.forEach((n, k) => close(n, j.bound[k], 1e-6, `step ${k}`));
  // a general W: the norm stays under the bound, and reaches it only when f' is constant
  const g = Tensor.zeros([H, H]);
  for (let i = 0; i < g.size; i++) g.data[i] = rng.uniform(-0.5, 0.5);
  const jg = jacobianNorms(g, states, rows, 'tanh');
  jg.norm.forEach((n, k) => assert.ok(n <= jg.bound[k] * (1 + 1e-9) && n < jg.bound[k], `step ${k}: ${n} vs bound ${jg.bound[k]}`));
  const lin = jacobianNorms(g, states, rows, 'identity');
  lin.norm.forEach((n) => close(n, singularValues(g)[0], 1e-6, 'identity: ‖W‖'));
});

test('bad input gets a clear message', () => {
  assert.throws(() => singularValues(Tensor.zeros([1500, 1500])), /too large for a full spectrum.*at most 1024 singular values.*sigmaMax/);
  assert.throws(() => singularValues(Tensor.zeros([4])), /expected a 2-D matrix, got \[4\]/);
  assert.throws(() => singularValues(Tensor.from([[1, NaN]])), /NaN at flat index 1/);
  assert.throws(() => spectralRadius(Tensor.zeros([2, 3])), /must be square/);
  assert.throws(() => randomOrthogonal(0, new Generator(1)), /from 1 to 1024, got 0/);
});
