import { kernels } from '../../kernels/registry.js';
import { Tensor, record, gradSink, shapeStr } from '../tensor.js';
import { toIds } from './check.js';

/** Options of {@link crossEntropy}, as those of torch.nn.functional.cross_entropy. */
export interface CrossEntropyOptions {
  /** Targets equal to this are skipped, and the mean is over the rest (padding in captions). */
  ignoreIndex?: number;
  reduction?: 'mean' | 'sum';
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
  const ignore = opts.ignoreIndex ?? -100;
  const reduction = opts.reduction ?? 'mean';
  if (logits.ndim < 2) throw new Error(`crossEntropy: logits must be [N, C], got ${shapeStr(logits.shape)}`);
  const C = logits.shape[logits.ndim - 1];
  const N = logits.size / C;
  if (targets.length !== N) throw new Error(`crossEntropy: ${targets.length} targets for ${N} rows of logits ${shapeStr(logits.shape)}`);
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 1)) throw new Error(`crossEntropy: labelSmoothing must be in [0, 1), got ${eps}`);
  const y = toIds(targets, C, 'crossEntropy targets', ignore);
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
