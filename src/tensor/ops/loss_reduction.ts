import { ConfigError, DataError } from '../../errors.js';
import { Tensor, record, gradSink, shapeStr } from '../tensor.js';
import { sameShape } from './check.js';

/** How a loss folds its per-element values, as PyTorch's `reduction`: their mean, their sum, or none (one per element). */
export type Reduction = 'mean' | 'sum' | 'none';

/** The reduction option checked, 'mean' when absent. */
export function reductionOf(value: unknown, op: string): Reduction {
  if (value === undefined) return 'mean';
  if (value === 'mean' || value === 'sum' || value === 'none') return value;
  throw new ConfigError('reduction', `${op}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(value)}`);
}

/** Throws unless the target has exactly the input's shape: losses never broadcast. */
export function assertTargetShape(input: Tensor, target: Tensor, op: string): void {
  if (!(target instanceof Tensor)) throw new DataError('target', `${op}: target must be a Tensor of shape ${shapeStr(input.shape)}, got ${target === null ? 'null' : typeof target}`);
  if (!sameShape(input.shape, target.shape)) {
    throw new DataError('target', `${op}: target has shape ${shapeStr(target.shape)}, expected the input's shape ${shapeStr(input.shape)} (nothing is broadcast)`);
  }
  if (input.size === 0) throw new DataError('input', `${op}: input is empty (shape ${shapeStr(input.shape)}), expected at least one element`);
}

/** Throws when a regression target holds NaN or ±Infinity, naming the first such element. */
export function assertFiniteTarget(target: Tensor, op: string): void {
  const d = target.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) throw new DataError('target', `${op}: target element ${i} is ${d[i]}, expected a finite number`);
  }
}

/**
 * The loss tensor from per-element losses ℓ_i whose derivatives with respect to input_i and target_i are
 * dIn[i] and dTarget[i]: ℓ itself (shape of the input) for 'none', Σ ℓ_i for 'sum', Σ ℓ_i / n for 'mean'.
 * Backward: ∂L/∂input_i = g_i · dIn[i], with g_i = g[i] ('none'), g ('sum') or g / n ('mean').
 */
export function reduceElementwise(op: string, input: Tensor, target: Tensor, losses: Float64Array,
  dIn: Float64Array, dTarget: Float64Array | null, reduction: Reduction): Tensor {
  const n = losses.length;
  let out: Tensor;
  if (reduction === 'none') out = Tensor.from(Float32Array.from(losses), input.shape);
  else {
    let s = 0;
    for (let i = 0; i < n; i++) s += losses[i];
    out = Tensor.scalar(reduction === 'mean' ? s / n : s);
  }
  record(op, [input, target], [out], (dIn.byteLength + (dTarget?.byteLength ?? 0)), ([g]) => {
    const gi = gradSink(input), gt = dTarget ? gradSink(target) : null;
    const each = reduction === 'none' ? null : g![0] * (reduction === 'mean' ? 1 / n : 1);
    for (let i = 0; i < n; i++) {
      const gl = each ?? g![i];
      if (gi) gi[i] += gl * dIn[i];
      if (gt) gt[i] += gl * dTarget![i];
    }
  });
  return out;
}
