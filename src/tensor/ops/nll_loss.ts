import { ConfigError, DataError } from '../../errors.js';
import { Tensor, record, gradSink, shapeStr } from '../tensor.js';
import { toIds } from './check.js';
import { reductionOf, type Reduction } from './loss_reduction.js';

/** Options of {@link nllLoss}, as torch.nn.functional.nll_loss. */
export interface NllLossOptions {
  /** A weight per class, a tensor [C]: row r counts w[y_r] times, and the mean divides by Σ w[y_r]. */
  weight?: Tensor;
  /** Targets equal to this are skipped (default −100, as PyTorch). */
  ignoreIndex?: number;
  /** 'mean' (default, weighted), 'sum', or 'none' for one loss per row (0 for ignored rows). */
  reduction?: Reduction;
}

/** The rows and classes of a [..., C] score tensor, checked. */
export function classRows(scores: Tensor, op: string, what: string): { N: number; C: number } {
  if (!(scores instanceof Tensor) || scores.ndim < 2 || scores.shape[scores.ndim - 1] < 1) {
    const found = scores instanceof Tensor ? shapeStr(scores.shape) : typeof scores;
    throw new DataError(what, `${op}: ${what} must be a Tensor [N, C] (or [..., C]) with C ≥ 1, got ${found}`);
  }
  const C = scores.shape[scores.ndim - 1];
  return { N: scores.size / C, C };
}

/** Integer class targets, one per row, each in [0, C) or equal to ignoreIndex; otherwise a DataError. */
export function classTargets(targets: Int32Array | readonly number[], N: number, C: number, ignore: number, op: string, scores: Tensor): Int32Array {
  if (!(targets instanceof Int32Array) && !Array.isArray(targets)) {
    throw new DataError('targets', `${op}: targets must be an Int32Array or an array of integer class ids, got ${targets === null ? 'null' : (targets as object).constructor?.name ?? typeof targets}`);
  }
  if (targets.length !== N) throw new DataError('targets', `${op}: ${targets.length} targets for ${N} rows of ${shapeStr(scores.shape)}, expected ${N}`);
  if (!Number.isInteger(ignore)) throw new ConfigError('ignoreIndex', `${op}: ignoreIndex must be an integer, got ${String(ignore)}`);
  return toIds(targets, C, `${op} targets`, ignore);
}

/** The class weights checked: a finite, non-negative tensor [C], or null when absent. */
export function classWeight(weight: Tensor | undefined, C: number, op: string): Float32Array | null {
  if (weight === undefined) return null;
  if (!(weight instanceof Tensor) || weight.ndim !== 1 || weight.shape[0] !== C) {
    const found = weight instanceof Tensor ? shapeStr(weight.shape) : typeof weight;
    throw new ConfigError('weight', `${op}: weight must be a Tensor [${C}] (one weight per class), got ${found}`);
  }
  for (let j = 0; j < C; j++) {
    if (!(weight.data[j] >= 0 && Number.isFinite(weight.data[j]))) throw new ConfigError('weight', `${op}: weight[${j}] is ${weight.data[j]}, expected a finite number ≥ 0`);
  }
  return weight.data;
}

/**
 * Negative log-likelihood of log-probabilities [N, C] (or [..., C], flattened) against integer targets:
 * ℓ_r = −w[y_r]·x[r, y_r]; the mean divides Σ ℓ_r by Σ w[y_r] over the rows kept. ∂ℓ_r/∂x[r, y_r] = −w[y_r].
 * Feed it logSoftmax's output; crossEntropy does both in one op.
 */
export function nllLoss(logProbs: Tensor, targets: Int32Array | readonly number[], opts: NllLossOptions = {}): Tensor {
  const op = 'nllLoss';
  const reduction = reductionOf(opts.reduction, op);
  const { N, C } = classRows(logProbs, op, 'logProbs');
  const ignore = opts.ignoreIndex ?? -100;
  const y = classTargets(targets, N, C, ignore, op, logProbs);
  const w = classWeight(opts.weight, C, op);
  const rowLoss = new Float64Array(N);
  let total = 0, weightSum = 0;
  for (let r = 0; r < N; r++) {
    if (y[r] === ignore) continue;
    const wy = w ? w[y[r]] : 1;
    rowLoss[r] = -wy * logProbs.data[r * C + y[r]];
    total += rowLoss[r];
    weightSum += wy;
  }
  const denom = reduction === 'mean' ? weightSum : 1;
  // every row ignored (or weighted 0): a zero loss with zero gradient, as crossEntropy
  const out = reduction === 'none' ? Tensor.from(Float32Array.from(rowLoss), logProbs.shape.slice(0, -1))
    : Tensor.scalar(denom > 0 ? total / denom : 0);
  record(op, [logProbs], [out], y.byteLength, ([g]) => {
    const gx = gradSink(logProbs);
    if (!gx || denom === 0) return;
    for (let r = 0; r < N; r++) {
      if (y[r] === ignore) continue;
      const gr = reduction === 'none' ? g![r] : g![0] / denom;
      gx[r * C + y[r]] -= gr * (w ? w[y[r]] : 1);
    }
  });
  return out;
}
