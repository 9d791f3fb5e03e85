// One vanilla RNN step (equations and backward: src/kernels/reference/rnn.ts):
//
//   a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh          (the caller's matrix multiplies)
//   h_t = f(a),   f = tanh (RNN_TANH) or relu (RNN_RELU)
//
// The cell is its activation, so these are the elementwise kernels under the cell's name: the loops in
// sequence.ts and step.ts call them as they call the LSTM's and the GRU's step. (The host reaches the same
// kernels as `activate` and `activateBackward`.)
import { activate, activateBackward } from './elementwise';
import { RNN_RELU, RELU, TANH } from './codes';

/** The activation code of a vanilla cell kind. */
// @ts-ignore: decorator
@inline
export function rnnActivation(kind: i32): i32 {
  return kind == RNN_RELU ? RELU : TANH;
}

/** h = f(a) over n floats (rows × H); a is left as it is. */
// @ts-ignore: decorator
@inline
export function rnnForward(kind: i32, a: usize, h: usize, n: i32): void {
  activate(rnnActivation(kind), a, h, n);
}

/** da = dh ⊙ f', with f' from the output h, over n floats. */
// @ts-ignore: decorator
@inline
export function rnnBackward(kind: i32, h: usize, dh: usize, da: usize, n: i32): void {
  activateBackward(rnnActivation(kind), h, dh, da, n, 0);
}
