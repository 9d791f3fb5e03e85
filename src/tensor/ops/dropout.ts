import { kernels } from '../../kernels/registry.js';
import { Tensor, record, gradSink } from '../tensor.js';
import { defaultGenerator, type Generator } from '../random.js';

/** Inverted dropout: zeroes each value with probability p and scales survivors by 1/(1−p). */
export function dropout(x: Tensor, p: number, training: boolean, rng: Generator = defaultGenerator): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout probability must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  const mask = new Float32Array(x.size);
  const keep = 1 / (1 - p);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.random() < p ? 0 : keep;
  const K = kernels();
  const out = Tensor.zeros(x.shape);
  K.mul(x.data, mask, out.data);
  record('dropout', [x], [out], mask.byteLength, ([g]) => {
    const gx = gradSink(x);
    if (!gx) return;
    const t = K.alloc(mask.length);
    K.mul(g!, mask, t);
    K.addScaled(gx, t, 1, gx);
  });
  return out;
}
