import { Tensor, add, linear, linearOneHot, recurrence, gateCount, type CellKind, type RecurrenceResult, type Generator } from '../tensor/index.js';
import { OneHot } from './one_hot.js';
import { uniform } from './init.js';

/** The four tensors of one direction of one layer, PyTorch's weight_ih / weight_hh / bias_ih / bias_hh. */
export interface DirectionWeights {
  wIh: Tensor;
  wHh: Tensor;
  bIh: Tensor | null;
  bHh: Tensor | null;
}

/** Fresh weights for one direction, initialized U(±1/√H) in PyTorch's parameter order. */
export function initDirection(kind: CellKind, inputSize: number, hiddenSize: number, bias: boolean, rng: Generator): DirectionWeights {
  const G = gateCount(kind) * hiddenSize;
  const k = 1 / Math.sqrt(hiddenSize);
  const make = (shape: number[]) => uniform(Tensor.zeros(shape), -k, k, rng);
  const wIh = make([G, inputSize]);
  const wHh = make([G, hiddenSize]);
  return { wIh, wHh, bIh: bias ? make([G]) : null, bHh: bias ? make([G]) : null };
}

/**
 * One direction over a time-major input [T, B, I] (dense, or one-hot ids [T, B]): the input
 * projection for all steps in one multiply, then the fused recurrence.
 */
export function runDirection(kind: CellKind, input: Tensor | OneHot, w: DirectionWeights, h0: Tensor | null, c0: Tensor | null,
  reverse: boolean, tag: string, layer = 0): RecurrenceResult {
  // Outside the GRU, b_hh only adds to the gates as b_ih does: the two go in as one vector b_ih + b_hh,
  // so the gates get one bias pass and backward sums ∂L/∂gates over the T·B rows once, not twice.
  // (The GRU's b_hh sits inside r ⊙ (W_hn h + b_hn) and stays with the recurrence.)
  const fold = kind !== 'gru' && w.bIh !== null && w.bHh !== null;
  const bIn = fold ? add(w.bIh!, w.bHh!) : w.bIh;
  const xw = input instanceof OneHot
    ? linearOneHot(input.ids, input.shape, w.wIh, bIn)
    : linear(input, w.wIh, bIn);
  return recurrence(kind, xw, h0, c0, w.wHh, fold ? null : w.bHh, { reverse, tag, layer });
}
