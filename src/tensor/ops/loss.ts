import { kernels } from '../../kernels/registry.js';
import { Tensor, record, gradSink, shapeStr } from '../tensor.js';
import { toIds } from './check.js';

export interface CrossEntropyOptions {
  /** Targets equal to this are skipped, and the mean is over the rest (padding in captions). */
  ignoreIndex?: number;
  reduction?: 'mean' | 'sum';
}

/**
 * Softmax cross-entropy of logits [N, C] (or [..., C], flattened) against integer targets, fused:
 * the gradient with respect to logit j of row r is (softmax_rj − [j = y_r]) / count.
 */
export function crossEntropy(logits: Tensor, targets: Int32Array | readonly number[], opts: CrossEntropyOptions = {}): Tensor {
  const ignore = opts.ignoreIndex ?? -100;
  const reduction = opts.reduction ?? 'mean';
  if (logits.ndim < 2) throw new Error(`crossEntropy: logits must be [N, C], got ${shapeStr(logits.shape)}`);
  const C = logits.shape[logits.ndim - 1];
  const N = logits.size / C;
  if (targets.length !== N) throw new Error(`crossEntropy: ${targets.length} targets for ${N} rows of logits ${shapeStr(logits.shape)}`);
  const y = toIds(targets, C, 'crossEntropy targets', ignore);
  const K = kernels();
  const probs = K.alloc(logits.size);
  const { loss, count } = K.softmaxCrossEntropy(logits.data, N, C, y, ignore, probs);
  const denom = reduction === 'mean' ? count : 1;
  // all rows ignored: PyTorch returns NaN for the mean; a zero loss with zero gradient is kinder to padded batches
  const out = Tensor.scalar(denom > 0 ? loss / denom : 0);
  record('crossEntropy', [logits], [out], probs.byteLength, ([g]) => {
    const gl = gradSink(logits);
    if (!gl || denom === 0) return;
    kernels().softmaxCrossEntropyBackward(probs, N, C, y, ignore, g![0] / denom, gl);
  });
  return out;
}
