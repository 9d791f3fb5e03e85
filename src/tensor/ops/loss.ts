import { kernels } from '../../kernels/registry.js';
import { ConfigError } from '../../errors.js';
import { Tensor, record, gradSink } from '../tensor.js';
import { reductionOf, type Reduction } from './loss_reduction.js';
import { classRows, classTargets, classWeight } from './nll_loss.js';
import { logSumExp } from './softmax.js';

/** Options of {@link crossEntropy}, as those of torch.nn.functional.cross_entropy. */
export interface CrossEntropyOptions {
  /** Targets equal to this are skipped, and the mean is over the rest (padding in captions). */
  ignoreIndex?: number;
  /** 'mean' (default; with weights, divided by the sum of the kept targets' weights), 'sum', or 'none' (one loss per row). */
  reduction?: Reduction;
  /** A weight per class, a tensor [C], as PyTorch's `weight`: row r counts w[y_r] times. */
  weight?: Tensor;
  /**
   * Label smoothing ε in [0, 1), as PyTorch's `label_smoothing`: the target of each row is the
   * distribution (1 − ε)·onehot(y) + ε/C, so the loss is (1 − ε)·(−log p_y) + ε·mean_j(−log p_j).
   */
  labelSmoothing?: number;
}

/**
 * Softmax cross-entropy of logits [N, C] (or [..., C], flattened) against integer targets, fused:
 * the gradient with respect to logit j of row r is (softmax_rj − [j = y_r]) / count, or with label
 * smoothing ε, (softmax_rj − (1 − ε)·[j = y_r] − ε/C) / count.
 */
export function crossEntropy(logits: Tensor, targets: Int32Array | readonly number[], opts: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  const ignore = opts.ignoreIndex ?? -100;
  const reduction = reductionOf(opts.reduction, op);
  const { N, C } = classRows(logits, op, 'logits');
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 1)) throw new ConfigError('labelSmoothing', `crossEntropy: labelSmoothing must be in [0, 1), got ${eps}`);
  const y = classTargets(targets, N, C, ignore, op, logits);
  const w = classWeight(opts.weight, C, op);
  if (w || reduction === 'none') return weightedCrossEntropy(logits, N, C, y, ignore, eps, w, reduction);
  const K = kernels();
  const probs = K.alloc(logits.size, true); // written in full by the kernel
  let { loss, count } = K.softmaxCrossEntropy(logits.data, N, C, y, ignore, probs);
  if (eps > 0) loss = (1 - eps) * loss + eps * meanNegLogProbs(logits.data, probs, N, C, y, ignore);
  const denom = reduction === 'mean' ? count : 1;
  // all rows ignored: PyTorch returns NaN for the mean; a zero loss with zero gradient is kinder to padded batches
  const out = Tensor.scalar(denom > 0 ? loss / denom : 0);
  record('crossEntropy', [logits], [out], probs.byteLength, ([g]) => {
    const gl = gradSink(logits);
    if (!gl || denom === 0) return;
    const scale = g![0] / denom;
    kernels().softmaxCrossEntropyBackward(probs, N, C, y, ignore, scale, gl);
    if (eps > 0) {
      // the kernel gave scale·(p − onehot); the smoothed target moves ε of onehot's mass to ε/C everywhere
      const s = scale * eps, u = s / C;
      for (let r = 0; r < N; r++) {
        if (y[r] === ignore) continue;
        const o = r * C;
        for (let j = 0; j < C; j++) gl[o + j] -= u;
        gl[o + y[r]] += s;
      }
    }
  }, [probs]);
  return out;
}

/**
 * Σ over kept rows of mean_j(−log p_rj) = log Σ exp(logits_r) − mean_j(logits_rj), with the log-sum-exp
 * read off the softmax at the row's most probable class (p ≥ 1/C there, so its log is exact enough).
 */
function meanNegLogProbs(logits: Float32Array, probs: Float32Array, N: number, C: number, y: Int32Array, ignore: number): number {
  let total = 0;
  for (let r = 0; r < N; r++) {
    if (y[r] === ignore) continue;
    const o = r * C;
    let k = o, sum = 0;
    for (let j = o; j < o + C; j++) {
      if (probs[j] > probs[k]) k = j;
      sum += logits[j];
    }
    total += logits[k] - Math.log(probs[k]) - sum / C;
  }
  return total;
}

/**
 * Cross-entropy with class weights w (1 when absent) or one loss per row, as PyTorch defines it:
 * ℓ_r = (1 − ε)·w[y]·(−log p_y) + (ε/C)·Σ_j w_j·(−log p_j), and the mean divides Σ ℓ_r by Σ w[y_r] over
 * the rows kept. ∂ℓ_r/∂x_j = p_j·((1 − ε)·w[y] + (ε/C)·Σ w) − (1 − ε)·w[y]·[j = y] − (ε/C)·w_j.
 */
function weightedCrossEntropy(logits: Tensor, N: number, C: number, y: Int32Array, ignore: number, eps: number,
  w: Float32Array | null, reduction: Reduction): Tensor {
  const x = logits.data;
  const probs = kernels().alloc(logits.size, true); // written in full by the kernel
  kernels().softmax(x, N, C, probs);
  let wAll = 0;
  for (let j = 0; j < C; j++) wAll += w ? w[j] : 1;
  const rowLoss = new Float64Array(N);
  let total = 0, weightSum = 0;
  for (let r = 0; r < N; r++) {
    if (y[r] === ignore) continue;
    const o = r * C, lse = logSumExp(x, o, C);
    let smooth = 0;
    for (let j = 0; j < C; j++) smooth += (w ? w[j] : 1) * (lse - x[o + j]);
    const wy = w ? w[y[r]] : 1;
    rowLoss[r] = (1 - eps) * wy * (lse - x[o + y[r]]) + (eps / C) * smooth;
    total += rowLoss[r];
    weightSum += wy;
  }
  const denom = reduction === 'mean' ? weightSum : 1;
  // all rows ignored (or weighted 0): a zero loss with zero gradient, as the unweighted mean
  const out = reduction === 'none' ? Tensor.from(Float32Array.from(rowLoss), logits.shape.slice(0, -1))
    : Tensor.scalar(denom > 0 ? total / denom : 0);
  record('crossEntropy', [logits], [out], probs.byteLength, ([g]) => {
    const gl = gradSink(logits);
    if (!gl || denom === 0) return;
    for (let r = 0; r < N; r++) {
      if (y[r] === ignore) continue;
      const gr = reduction === 'none' ? g![r] : g![0] / denom;
      const o = r * C, wy = (1 - eps) * (w ? w[y[r]] : 1), u = eps / C;
      const pScale = wy + u * wAll;
      for (let j = 0; j < C; j++) gl[o + j] += gr * (probs[o + j] * pScale - u * (w ? w[j] : 1));
      gl[o + y[r]] -= gr * wy;
    }
  }, [probs]);
  return out;
}
