import { ConfigError, DataError } from '../../errors.js';
import { Tensor, shapeStr } from '../tensor.js';
import { sameShape } from './check.js';
import { reductionOf, assertTargetShape, reduceElementwise, type Reduction } from './loss_reduction.js';

/** Options of {@link bceWithLogits}, as torch.nn.functional.binary_cross_entropy_with_logits. */
export interface BceWithLogitsOptions {
  /**
   * The weight of the positive term per class: a tensor [C] for an input [..., C] (it applies along the
   * last dimension, as PyTorch's `pos_weight`). Above 1 favours recall, below 1 precision.
   */
  posWeight?: Tensor;
  /** A weight per element: a tensor of the input's shape, or [C] applied along the last dimension. */
  weight?: Tensor;
  /** 'mean' (default) over all elements, 'sum', or 'none' for the per-element losses in the input's shape. */
  reduction?: Reduction;
}

/** Checks that w is [C] for the input's last dimension C (or, when `full` is allowed, the input's shape). */
function lastDimWeight(w: Tensor | undefined, input: Tensor, field: string, full: boolean): Tensor | null {
  if (w === undefined) return null;
  const C = input.shape[input.ndim - 1] ?? 1;
  const ok = w instanceof Tensor && ((w.ndim === 1 && w.shape[0] === C) || (full && sameShape(w.shape, input.shape)));
  if (!ok) {
    const found = w instanceof Tensor ? shapeStr(w.shape) : typeof w;
    throw new ConfigError(field, `bceWithLogits: ${field} must be a Tensor [${C}]${full ? ` or ${shapeStr(input.shape)}` : ''} for input ${shapeStr(input.shape)}, got ${found}`);
  }
  return w;
}

/** log(1 + e^−x), without overflow for large |x|. */
function softplusNeg(x: number): number {
  return Math.max(-x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** σ(−x) = 1 / (1 + e^x), without overflow for large |x|. */
function sigmoidNeg(x: number): number {
  if (x >= 0) { const e = Math.exp(-x); return e / (1 + e); }
  return 1 / (1 + Math.exp(x));
}

/**
 * Binary cross-entropy of logits x against targets t in [0, 1] (same shape), in the numerically stable
 * form: ℓ = w·[(1 − t)·x + L·log(1 + e^−x)] with L = 1 + (posWeight − 1)·t, so that
 * ∂ℓ/∂x = w·[(1 − t) − L·σ(−x)] and ∂ℓ/∂t = w·[−x + (posWeight − 1)·log(1 + e^−x)].
 * posWeight and weight are constants (they get no gradient).
 */
export function bceWithLogits(input: Tensor, target: Tensor, opts: BceWithLogitsOptions = {}): Tensor {
  const op = 'bceWithLogits';
  const reduction = reductionOf(opts.reduction, op);
  assertTargetShape(input, target, op);
  const pw = lastDimWeight(opts.posWeight, input, 'posWeight', false);
  const w = lastDimWeight(opts.weight, input, 'weight', true);
  const t = target.data, x = input.data;
  for (let i = 0; i < t.length; i++) {
    if (!(t[i] >= 0 && t[i] <= 1)) throw new DataError('target', `${op}: target element ${i} is ${t[i]}, expected a probability in [0, 1]`);
  }
  const n = input.size, C = input.shape[input.ndim - 1] ?? 1;
  const wFull = w !== null && w.size === n;
  const losses = new Float64Array(n), dIn = new Float64Array(n), dTarget = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = pw ? pw.data[i % C] : 1;
    const wi = w ? w.data[wFull ? i : i % C] : 1;
    const L = 1 + (p - 1) * t[i];
    const sp = softplusNeg(x[i]);
    losses[i] = wi * ((1 - t[i]) * x[i] + L * sp);
    dIn[i] = wi * ((1 - t[i]) - L * sigmoidNeg(x[i]));
    dTarget[i] = wi * (-x[i] + (p - 1) * sp);
  }
  return reduceElementwise(op, input, target, losses, dIn, dTarget, reduction);
}
