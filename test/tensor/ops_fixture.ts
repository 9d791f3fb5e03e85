import { readFileSync } from 'node:fs';
import {
  Tensor, sigmoid, tanh, relu, softmax, logSoftmax, cat, sum, mean, gatherLast, maskedMean,
  mseLoss, l1Loss, huberLoss, smoothL1Loss, bceWithLogits, nllLoss, crossEntropy,
} from '../../src/index.js';

// test/fixtures/ops.json, written by test/fixtures/make_ops.py from torch: one case per op, loss and option.

interface Encoded { shape: number[]; data: number[] }
export interface OpCase {
  name: string;
  op: string;
  inputs: Record<string, Encoded>;
  consts: Record<string, Encoded>;
  ints: Record<string, number[]>;
  options: Record<string, unknown>;
  out: Encoded;
  P: Encoded;
  grads: Record<string, Encoded>;
}

export const opCases: OpCase[] = JSON.parse(readFileSync(new URL('../fixtures/ops.json', import.meta.url), 'utf8')).cases;

/** A case's float inputs as leaf tensors that require grad, in the fixture's order. */
export function leaves(c: OpCase): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, Tensor.from(Float32Array.from(v.data), v.shape, true)]));
}

/** Runs the case's op on the given inputs, with its constants, integer arguments and options. */
export function runCase(c: OpCase, x: Record<string, Tensor>): Tensor {
  const consts = Object.fromEntries(Object.entries(c.consts).map(([k, v]) => [k, Tensor.from(Float32Array.from(v.data), v.shape)]));
  const o = c.options as Record<string, never>;
  switch (c.op) {
    case 'sigmoid': return sigmoid(x.x);
    case 'tanh': return tanh(x.x);
    case 'relu': return relu(x.x);
    case 'softmax': return softmax(x.x);
    case 'logSoftmax': return logSoftmax(x.x);
    case 'cat': return cat(Object.keys(x).sort().map((k) => x[k]), o.dim);
    case 'sum': return sum(x.x, o.dim, o.keepdim);
    case 'mean': return mean(x.x, o.dim, o.keepdim);
    case 'gatherLast': return gatherLast(x.x, c.ints.lengths, { batchFirst: o.batchFirst });
    case 'maskedMean': return maskedMean(x.x, c.ints.lengths, { batchFirst: o.batchFirst });
    case 'mseLoss': return mseLoss(x.input, x.target, { reduction: o.reduction });
    case 'l1Loss': return l1Loss(x.input, x.target, { reduction: o.reduction });
    case 'huberLoss': return huberLoss(x.input, x.target, { reduction: o.reduction, delta: o.delta });
    case 'smoothL1Loss': return smoothL1Loss(x.input, x.target, { reduction: o.reduction, beta: o.beta });
    case 'bceWithLogits': return bceWithLogits(x.input, x.target, { reduction: o.reduction, ...consts });
    case 'nllLoss': return nllLoss(x.logProbs, c.ints.targets, { reduction: o.reduction, ignoreIndex: o.ignoreIndex, ...consts });
    case 'crossEntropy':
      return crossEntropy(x.logits, c.ints.targets, { reduction: o.reduction, ignoreIndex: o.ignoreIndex, labelSmoothing: o.labelSmoothing, ...consts });
    default: throw new Error(`ops.json: unknown op ${c.op}`);
  }
}
