import { Tensor, shapeStr } from '../tensor/index.js';
import { topSigma } from './lanczos.js';

/** The nonlinearity of a vanilla (or, with 'identity', linear) recurrence. */
export type VanillaActivation = 'tanh' | 'relu' | 'identity';

/** The step Jacobian norms of a vanilla recurrence and the bound each obeys. */
export interface JacobianSeries {
  /** ‖∂h_k/∂h_{k−1}‖₂ for k = 1 … T (processing order), averaged over the sequences measured. */
  norm: number[];
  /** σ_max(W_hh) · max_i |f'_i| at the same step, averaged the same way: the bound each norm obeys. */
  bound: number[];
  /** σ_max(W_hh), the bound with |f'| ≤ 1. */
  sigmaMax: number;
  /** How many sequences of the batch were measured. */
  rows: number;
}

/**
 * The step Jacobians of a vanilla RNN along a sequence. From h_k = f(W_hh h_{k−1} + W_ih x_k + b):
 *
 *   ∂h_k/∂h_{k−1} = diag(f'(a_k)) · W_hh,   so   ‖∂h_k/∂h_{k−1}‖ ≤ σ_max(W_hh) · max_i |f'(a_k)_i|
 *
 * and the gradient reaching h_{k−m} is a product of m of them. f' is read off the state itself:
 * tanh' = 1 − h², relu' = [h > 0], identity' = 1. `states[k]` holds h_{k+1} for `rows` sequences
 * (rows × H, in processing order); each norm is σ_max(diag(f') W_hh) by Lanczos iteration.
 */
export function jacobianNorms(wHh: Tensor, states: readonly Float32Array[], rows: number, activation: VanillaActivation): JacobianSeries {
  if (wHh.ndim !== 2 || wHh.shape[0] !== wHh.shape[1]) throw new Error(`jacobianNorms: W_hh must be square [H, H], got ${shapeStr(wHh.shape)}`);
  const H = wHh.shape[0];
  const d = new Float64Array(H);
  const sigmaMax = topSigma(wHh.data, H, H, null);
  const norm: number[] = [], bound: number[] = [];
  for (const hk of states) {
    if (hk.length < rows * H) throw new Error(`jacobianNorms: a state holds ${hk.length} values, fewer than ${rows} × ${H}`);
    let n = 0, b = 0;
    for (let r = 0; r < rows; r++) {
      let dmax = 0;
      for (let i = 0; i < H; i++) {
        const h = hk[r * H + i];
        d[i] = activation === 'tanh' ? 1 - h * h : activation === 'relu' ? (h > 0 ? 1 : 0) : 1;
        dmax = Math.max(dmax, Math.abs(d[i]));
      }
      n += topSigma(wHh.data, H, H, d, { tol: 1e-10 });
      b += sigmaMax * dmax;
    }
    norm.push(n / rows);
    bound.push(b / rows);
  }
  return { norm, bound, sigmaMax, rows };
}
