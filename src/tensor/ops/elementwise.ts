import { kernels } from '../../kernels/registry.js';
import type { Activation } from '../../kernels/backend.js';
import { Tensor, record, gradSink } from '../tensor.js';
import { assertSameShape } from './check.js';

/** a + alpha·b, same shapes. */
function addScaled(a: Tensor, b: Tensor, alpha: number, op: string): Tensor {
  assertSameShape(a, b, op);
  const out = Tensor.zeros(a.shape);
  kernels().addScaled(a.data, b.data, alpha, out.data);
  record(op, [a, b], [out], 0, ([g]) => {
    const k = kernels();
    const ga = gradSink(a), gb = gradSink(b);
    if (ga) k.addScaled(ga, g!, 1, ga);
    if (gb) k.addScaled(gb, g!, alpha, gb);
  });
  return out;
}

/** a + b, elementwise (equal shapes). */
export function add(a: Tensor, b: Tensor): Tensor {
  return addScaled(a, b, 1, 'add');
}

/** a − b, elementwise (equal shapes). */
export function sub(a: Tensor, b: Tensor): Tensor {
  return addScaled(a, b, -1, 'sub');
}

/** a ⊙ b, elementwise (equal shapes). */
export function mul(a: Tensor, b: Tensor): Tensor {
  assertSameShape(a, b, 'mul');
  const out = Tensor.zeros(a.shape);
  kernels().mul(a.data, b.data, out.data);
  record('mul', [a, b], [out], 0, ([g]) => {
    const k = kernels();
    const ga = gradSink(a), gb = gradSink(b);
    const tmp = k.alloc(a.size);
    if (ga) { k.mul(g!, b.data, tmp); k.addScaled(ga, tmp, 1, ga); }
    if (gb) { k.mul(g!, a.data, tmp); k.addScaled(gb, tmp, 1, gb); }
  });
  return out;
}

/** alpha·a for a number alpha. */
export function scale(a: Tensor, alpha: number): Tensor {
  const out = a.clone();
  kernels().scale(out.data, alpha);
  record('scale', [a], [out], 0, ([g]) => {
    const ga = gradSink(a);
    if (ga) kernels().addScaled(ga, g!, alpha, ga);
  });
  return out;
}

function activation(a: Tensor, kind: Activation): Tensor {
  const out = Tensor.zeros(a.shape);
  kernels().activate(kind, a.data, out.data);
  record(kind, [a], [out], out.data.byteLength, ([g]) => {
    const ga = gradSink(a);
    if (ga) kernels().activateBackward(kind, out.data, g!, ga, true);
  });
  return out;
}

/** tanh, elementwise. */
export const tanh = (a: Tensor): Tensor => activation(a, 'tanh');
/** The logistic sigmoid σ(x) = 1 / (1 + e^−x), elementwise. */
export const sigmoid = (a: Tensor): Tensor => activation(a, 'sigmoid');
/** max(0, x), elementwise. */
export const relu = (a: Tensor): Tensor => activation(a, 'relu');
