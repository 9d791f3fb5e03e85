import { ConfigError } from '../../errors.js';
import type { Tensor } from '../tensor.js';
import { reductionOf, assertTargetShape, assertFiniteTarget, reduceElementwise, type Reduction } from './loss_reduction.js';

/** Options of the regression losses: PyTorch's `reduction`. */
export interface RegressionLossOptions {
  /** 'mean' (default) over all elements, 'sum', or 'none' for the per-element losses in the input's shape. */
  reduction?: Reduction;
}

/** Options of {@link huberLoss}, as torch.nn.functional.huber_loss. */
export interface HuberLossOptions extends RegressionLossOptions {
  /** Where the loss turns from quadratic to linear; > 0, default 1. */
  delta?: number;
}

/** Options of {@link smoothL1Loss}, as torch.nn.functional.smooth_l1_loss. */
export interface SmoothL1LossOptions extends RegressionLossOptions {
  /** Where the loss turns from quadratic to linear; ≥ 0 (0 is the L1 loss), default 1. */
  beta?: number;
}

/**
 * A loss of d = input − target, one value per element: `f` gives ℓ(d) and ∂ℓ/∂d (∂ℓ/∂target is −∂ℓ/∂d).
 * Input and target must have the same shape; a NaN or infinite target is refused.
 */
function pointwise(op: string, input: Tensor, target: Tensor, opts: RegressionLossOptions,
  f: (d: number) => [number, number]): Tensor {
  const reduction = reductionOf(opts.reduction, op);
  assertTargetShape(input, target, op);
  assertFiniteTarget(target, op);
  const n = input.size;
  const losses = new Float64Array(n), dIn = new Float64Array(n), dTarget = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const [l, dl] = f(input.data[i] - target.data[i]);
    losses[i] = l;
    dIn[i] = dl;
    dTarget[i] = -dl;
  }
  return reduceElementwise(op, input, target, losses, dIn, dTarget, reduction);
}

/** Mean squared error, torch.nn.functional.mse_loss: ℓ = d², ∂ℓ/∂d = 2d, for d = input − target. */
export function mseLoss(input: Tensor, target: Tensor, opts: RegressionLossOptions = {}): Tensor {
  return pointwise('mseLoss', input, target, opts, (d) => [d * d, 2 * d]);
}

/** Mean absolute error, torch.nn.functional.l1_loss: ℓ = |d|, ∂ℓ/∂d = sign(d) (0 at d = 0, as PyTorch). */
export function l1Loss(input: Tensor, target: Tensor, opts: RegressionLossOptions = {}): Tensor {
  return pointwise('l1Loss', input, target, opts, (d) => [Math.abs(d), Math.sign(d)]);
}

/**
 * Huber loss, torch.nn.functional.huber_loss: ℓ = d²/2 where |d| ≤ δ, else δ·(|d| − δ/2);
 * ∂ℓ/∂d = d, else δ·sign(d).
 */
export function huberLoss(input: Tensor, target: Tensor, opts: HuberLossOptions = {}): Tensor {
  const delta = opts.delta ?? 1;
  if (!(typeof delta === 'number' && delta > 0 && Number.isFinite(delta))) {
    throw new ConfigError('delta', `huberLoss: delta must be a finite number > 0, got ${String(delta)}`);
  }
  return pointwise('huberLoss', input, target, opts,
    (d) => (Math.abs(d) <= delta ? [0.5 * d * d, d] : [delta * (Math.abs(d) - 0.5 * delta), delta * Math.sign(d)]));
}

/**
 * Smooth L1 loss, torch.nn.functional.smooth_l1_loss: ℓ = d²/(2β) where |d| < β, else |d| − β/2;
 * ∂ℓ/∂d = d/β, else sign(d). It is the Huber loss divided by β (β = δ); β = 0 is the L1 loss.
 */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: SmoothL1LossOptions = {}): Tensor {
  const beta = opts.beta ?? 1;
  if (!(typeof beta === 'number' && beta >= 0 && Number.isFinite(beta))) {
    throw new ConfigError('beta', `smoothL1Loss: beta must be a finite number ≥ 0, got ${String(beta)}`);
  }
  return pointwise('smoothL1Loss', input, target, opts,
    (d) => (Math.abs(d) < beta ? [0.5 * d * d / beta, d / beta] : [Math.abs(d) - 0.5 * beta, Math.sign(d)]));
}
