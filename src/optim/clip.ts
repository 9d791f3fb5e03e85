import { Tensor } from '../tensor/index.js';
import { kernels } from '../kernels/registry.js';
import { checkNumber, show } from './check.js';

/** The tensors whose gradients a clip function scales: one tensor or any iterable of them. */
export type ClipParams = Tensor | Iterable<Tensor>;

function gradsOf(owner: string, params: ClipParams): Float32Array[] {
  const list = params instanceof Tensor ? [params] : params;
  if (list === null || typeof list !== 'object' || typeof (list as Iterable<Tensor>)[Symbol.iterator] !== 'function') {
    throw new Error(`${owner}: params must be a Tensor or a list of Tensors, got ${show(params)}`);
  }
  const out: Float32Array[] = [];
  let i = 0;
  for (const p of list) {
    if (!(p instanceof Tensor)) throw new Error(`${owner}: parameter ${i} is ${show(p)}, expected a Tensor`);
    // parameters without a gradient take no part, as in PyTorch
    if (p.grad) out.push(p.grad.data);
    i++;
  }
  return out;
}

/**
 * torch.nn.utils.clip_grad_norm_: the norm of all gradients taken together as one vector (normType
 * a positive number or Infinity); when maxNorm / (norm + 1e-6) < 1 every gradient is scaled by it.
 * Returns the norm before clipping (0 when no parameter has a gradient). A NaN or infinite norm is
 * returned as it is and the gradients are left untouched, so the caller can decide to skip the step
 * (PyTorch 1.13 would instead multiply them by NaN or 0).
 */
export function clipGradNorm(params: ClipParams, maxNorm: number, normType = 2): number {
  checkNumber('clipGradNorm', 'maxNorm', maxNorm, { min: 0 });
  if (!(normType === Infinity || (typeof normType === 'number' && Number.isFinite(normType) && normType > 0))) {
    throw new Error(`clipGradNorm: normType must be a positive number or Infinity, got ${show(normType)}`);
  }
  const grads = gradsOf('clipGradNorm', params);
  if (!grads.length) return 0;
  const k = kernels();
  let total: number;
  if (normType === 2) {
    let s = 0;
    for (const g of grads) s += k.sumSquares(g);
    total = Math.sqrt(s);
  } else if (normType === Infinity) {
    total = 0;
    for (const g of grads) for (let i = 0; i < g.length; i++) {
      const a = Math.abs(g[i]);
      // written so NaN propagates (Math.max would too, but this loop avoids a call per element)
      if (!(a <= total)) total = a;
    }
  } else {
    let s = 0;
    for (const g of grads) for (let i = 0; i < g.length; i++) s += Math.pow(Math.abs(g[i]), normType);
    total = Math.pow(s, 1 / normType);
  }
  if (!Number.isFinite(total)) return total;
  // PyTorch forms the coefficient from float32 tensors; rounding the same way keeps the scaled
  // gradients equal to its own
  const coef = Math.fround(maxNorm / Math.fround(Math.fround(total) + 1e-6));
  if (coef < 1) for (const g of grads) k.scale(g, coef);
  return total;
}

/** torch.nn.utils.clip_grad_value_: clamps every gradient element into [−clipValue, clipValue]. */
export function clipGradValue(params: ClipParams, clipValue: number): void {
  checkNumber('clipGradValue', 'clipValue', clipValue, { min: 0 });
  const lo = Math.fround(-clipValue), hi = Math.fround(clipValue);
  for (const g of gradsOf('clipGradValue', params)) {
    for (let i = 0; i < g.length; i++) {
      // comparisons are false for NaN, so NaN stays NaN as with torch.clamp
      if (g[i] < lo) g[i] = lo;
      else if (g[i] > hi) g[i] = hi;
    }
  }
}
