import { kernels } from '../../kernels/registry.js';
import { Tensor, record, gradSink, shapeStr } from '../tensor.js';

/**
 * x [T, B, D] + v [B, D] at every step t: out[t, b, :] = x[t, b, :] + v[b, :]. A term that is the same
 * at every time step, such as the image term W_iv·v a captioner adds to the projected input of its
 * recurrence; v is computed once per sequence and its gradient is the sum over the steps.
 * The result is a fresh tensor, so it may be handed to `recurrence`, which consumes its input in place.
 */
export function addEveryStep(x: Tensor, v: Tensor): Tensor {
  if (x.ndim !== 3 || v.ndim !== 2 || v.shape[0] !== x.shape[1] || v.shape[1] !== x.shape[2]) {
    throw new Error(`addEveryStep: expected x [T, B, D] and v [B, D], got ${shapeStr(x.shape)} and ${shapeStr(v.shape)}`);
  }
  const T = x.shape[0];
  const K = kernels();
  const out = Tensor.zeros(x.shape);
  out.data.set(x.data);
  // a [T, B·D] matrix whose every row gets v added
  K.addRowVector(out.data, v.data, T);
  record('addEveryStep', [x, v], [out], 0, ([g]) => {
    const K = kernels();
    const gx = gradSink(x), gv = gradSink(v);
    if (gx) K.addScaled(gx, g!, 1, gx);
    if (gv) K.sumRows(g!, T, gv, true);
  });
  return out;
}
