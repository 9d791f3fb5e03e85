import { kernels } from '../../kernels/registry.js';
import { Tensor, record, gradSink, shapeStr, type Shape } from '../tensor.js';
import { toIds } from './check.js';

/** Rows of `weight` [V, D] picked by integer ids: the result has shape [...idsShape, D]. */
export function embedding(weight: Tensor, ids: Int32Array | readonly number[], idsShape: Shape = [ids.length]): Tensor {
  if (weight.ndim !== 2) throw new Error(`embedding: weight must be [vocab, dim], got ${shapeStr(weight.shape)}`);
  const [V, D] = weight.shape;
  const idx = toIds(ids, V, 'embedding ids');
  const out = Tensor.zeros([...idsShape, D]);
  if (out.size !== idx.length * D) throw new Error(`embedding: ids shape ${shapeStr(idsShape)} does not hold ${idx.length} ids`);
  kernels().gatherRows(weight.data, D, idx, out.data);
  record('embedding', [weight], [out], idx.byteLength, ([g]) => {
    const gw = gradSink(weight);
    if (gw) kernels().scatterAddRows(gw, D, idx, g!);
  });
  return out;
}
