import { kernels } from '../../kernels/registry.js';
import { Tensor, record, gradSink } from '../tensor.js';

/** Σ of all elements, as a scalar tensor. */
export function sum(a: Tensor): Tensor {
  return scaledSum(a, 1, 'sum');
}

/** Mean of all elements, as a scalar tensor. */
export function mean(a: Tensor): Tensor {
  if (a.size === 0) throw new Error('mean of an empty tensor');
  return scaledSum(a, 1 / a.size, 'mean');
}

function scaledSum(a: Tensor, factor: number, op: string): Tensor {
  const out = Tensor.scalar(kernels().sum(a.data) * factor);
  record(op, [a], [out], 0, ([g]) => {
    const ga = gradSink(a);
    if (!ga) return;
    const d = g![0] * factor;
    for (let i = 0; i < ga.length; i++) ga[i] += d;
  });
  return out;
}
