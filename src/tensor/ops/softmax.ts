import { kernels } from '../../kernels/registry.js';
import { DataError } from '../../errors.js';
import { Tensor, record, gradSink, shapeStr } from '../tensor.js';

/** log Σ_j e^{x[o + j]} over the c values from offset o, around their maximum so that no exponential overflows. */
export function logSumExp(x: Float32Array, o: number, c: number): number {
  let max = -Infinity;
  for (let j = o; j < o + c; j++) if (x[j] > max) max = x[j];
  let z = 0;
  for (let j = o; j < o + c; j++) z += Math.exp(x[j] - max);
  return max + Math.log(z);
}

function rowsOf(x: Tensor, op: string): { n: number; c: number } {
  if (!(x instanceof Tensor) || x.ndim < 1 || x.size === 0) {
    throw new DataError('input', `${op}: input must be a non-empty Tensor, got ${x instanceof Tensor ? shapeStr(x.shape) : typeof x}`);
  }
  const c = x.shape[x.ndim - 1];
  return { n: x.size / c, c };
}

/**
 * Softmax over the last dimension, torch.softmax(x, -1): y_j = e^{x_j} / Σ_k e^{x_k}.
 * Backward: ∂L/∂x_j = y_j·(g_j − Σ_k g_k·y_k).
 */
export function softmax(x: Tensor): Tensor {
  const { n, c } = rowsOf(x, 'softmax');
  const out = Tensor.empty(x.shape);
  kernels().softmax(x.data, n, c, out.data);
  record('softmax', [x], [out], 0, ([g]) => {
    const gx = gradSink(x);
    if (!gx) return;
    const y = out.data;
    for (let r = 0; r < n; r++) {
      const o = r * c;
      let dot = 0;
      for (let j = o; j < o + c; j++) dot += g![j] * y[j];
      for (let j = o; j < o + c; j++) gx[j] += y[j] * (g![j] - dot);
    }
  });
  return out;
}

/**
 * Log-softmax over the last dimension, torch.log_softmax(x, -1): y_j = x_j − log Σ_k e^{x_k}, computed
 * around the row's maximum so that no exponential overflows.
 * Backward: ∂L/∂x_j = g_j − e^{y_j}·Σ_k g_k.
 */
export function logSoftmax(x: Tensor): Tensor {
  const { n, c } = rowsOf(x, 'logSoftmax');
  const out = Tensor.empty(x.shape);
  const d = x.data, y = out.data;
  for (let r = 0; r < n; r++) {
    const o = r * c, lse = logSumExp(d, o, c);
    for (let j = o; j < o + c; j++) y[j] = d[j] - lse;
  }
  record('logSoftmax', [x], [out], 0, ([g]) => {
    const gx = gradSink(x);
    if (!gx) return;
    for (let r = 0; r < n; r++) {
      const o = r * c;
      let total = 0;
      for (let j = o; j < o + c; j++) total += g![j];
      for (let j = o; j < o + c; j++) gx[j] += g![j] - Math.exp(y[j]) * total;
    }
  });
  return out;
}
