import { kernels } from '../../kernels/registry.js';
import { ConfigError } from '../../errors.js';
import { Tensor, record, gradSink, shapeStr } from '../tensor.js';

/**
 * Σ of all elements as a scalar tensor, or with `dim`, torch.sum(x, dim, keepdim): the sum over that
 * dimension (negative counts from the end), which is dropped from the shape unless keepdim.
 */
export function sum(a: Tensor, dim?: number, keepdim = false): Tensor {
  if (dim === undefined) return scaledSum(a, 1, 'sum');
  return sumOver(a, dim, keepdim, false, 'sum');
}

/** Mean of all elements as a scalar tensor, or with `dim`, torch.mean(x, dim, keepdim) over that dimension. */
export function mean(a: Tensor, dim?: number, keepdim = false): Tensor {
  if (dim === undefined) {
    if (a.size === 0) throw new Error('mean of an empty tensor');
    return scaledSum(a, 1 / a.size, 'mean');
  }
  return sumOver(a, dim, keepdim, true, 'mean');
}

function scaledSum(a: Tensor, factor: number, op: string): Tensor {
  const out = Tensor.scalar(kernels().sum(a.data) * factor);
  record(op, [a], [out], 0, ([g]) => {
    const ga = gradSink(a);
    if (!ga) return;
    const d = g![0] * factor;
    for (let i = 0; i < ga.length; i++) ga[i] += d;
  });
  return out;
}

/** A dimension index in [−ndim, ndim) made non-negative, or a ConfigError naming the op. */
export function normalizeDim(dim: number, ndim: number, op: string): number {
  if (!Number.isInteger(dim) || dim < -ndim || dim >= ndim) {
    throw new ConfigError('dim', `${op}: dim must be an integer in [${-ndim}, ${ndim - 1}] for a tensor of ${ndim} dimensions, got ${String(dim)}`);
  }
  return dim < 0 ? dim + ndim : dim;
}

/**
 * The sum (or mean) over dimension d of a viewed as [outer, n, inner]: out[o, i] = f·Σ_k a[o, k, i] with
 * f = 1 or 1/n. Backward: ∂L/∂a[o, k, i] = f·g[o, i] for every k.
 */
function sumOver(a: Tensor, dim: number, keepdim: boolean, isMean: boolean, op: string): Tensor {
  const d = normalizeDim(dim, a.ndim, op);
  const n = a.shape[d];
  if (isMean && n === 0) throw new ConfigError('dim', `${op}: dimension ${d} of ${shapeStr(a.shape)} is empty, so it has no mean`);
  const inner = a.shape.slice(d + 1).reduce((p, q) => p * q, 1);
  const outer = a.shape.slice(0, d).reduce((p, q) => p * q, 1);
  const shape = keepdim ? a.shape.map((s, i) => (i === d ? 1 : s)) : a.shape.filter((_, i) => i !== d);
  const f = isMean ? 1 / n : 1;
  const out = Tensor.zeros(shape);
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    for (let k = 0; k < n; k++) {
      const s = (o * n + k) * inner;
      for (let i = 0; i < inner; i++) acc[i] += a.data[s + i];
    }
    for (let i = 0; i < inner; i++) out.data[o * inner + i] = acc[i] * f;
  }
  record(op, [a], [out], 0, ([g]) => {
    const ga = gradSink(a);
    if (!ga) return;
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < n; k++) {
        const s = (o * n + k) * inner;
        for (let i = 0; i < inner; i++) ga[s + i] += g![o * inner + i] * f;
      }
    }
  });
  return out;
}
