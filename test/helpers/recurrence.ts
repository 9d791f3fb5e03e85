import type { Backend } from '../../src/kernels/backend.js';
import { referenceBackend } from '../../src/kernels/reference/index.js';
import { setBackend } from '../../src/kernels/registry.js';
import { Tensor, recurrence, sum, mul, add } from '../../src/tensor/index.js';
import type { CellKind } from '../../src/kernels/index.js';

/** The inputs of one recurrence: xw [T, B, G·H], h0 and c0 [B, H], W_hh [G·H, H], b_hh [G·H], and P [T, B, H] weighting the outputs in the loss. */
export interface RecurrenceCase {
  kind: CellKind; reverse: boolean; T: number; B: number; H: number;
  xw: Float32Array; h0: Float32Array; c0: Float32Array; wHh: Float32Array; bHh: Float32Array; P: Float32Array;
}

/**
 * Runs the fused recurrence on backend K, forward and backward through loss = Σ output ⊙ P + Σ h_T (+ Σ c_T),
 * and returns copies of [output, h_T, ∂xw, ∂h0, ∂W_hh, ∂b_hh, (∂c0)]. The reference backend is active again afterwards.
 */
export function runRecurrence(K: Backend, c: RecurrenceCase): Float32Array[] {
  const { kind, T, B, H } = c;
  const G = kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1;
  setBackend(K);
  try {
    const t = (d: Float32Array, shape: number[], grad = true) => { const x = Tensor.zeros(shape, grad); x.data.set(d); return x; };
    const ins = { xw: t(c.xw, [T, B, G * H]), h0: t(c.h0, [B, H]), c0: kind === 'lstm' ? t(c.c0, [B, H]) : null, w: t(c.wHh, [G * H, H]), b: t(c.bHh, [G * H]) };
    const res = recurrence(kind, ins.xw, ins.h0, ins.c0, ins.w, ins.b, { reverse: c.reverse });
    let loss = add(sum(mul(res.output, t(c.P, [T, B, H], false))), sum(res.h));
    if (res.c) loss = add(loss, sum(res.c));
    loss.backward();
    return [res.output.data, res.h.data, ins.xw.grad!.data, ins.h0.grad!.data, ins.w.grad!.data, ins.b.grad!.data,
      ...(ins.c0 ? [ins.c0.grad!.data] : [])].map((d) => Float32Array.from(d));
  } finally {
    setBackend(referenceBackend);
  }
}
