import type { Nonlinearity } from '../cells.js';
import { activate, activateBackward } from './elementwise.js';

/*
 * The vanilla RNN step (Elman's cell; f = tanh, or relu with nonlinearity: 'relu'):
 *
 *   a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh                            (the caller's matrix multiplies)
 *   h_t = f(a)
 *
 * Backward, given dh = ∂L/∂h_t: da = dh ⊙ f'(a), with f' written in terms of the output h_t:
 *   tanh' = 1 − h_t²,  relu' = [h_t > 0];   ∂L/∂h_{t-1} = da W_hh
 * The pre-activations a stay as they are (h_t is the activation).
 */
export function rnnForward(nonlinearity: Nonlinearity, a: Float32Array, hOut: Float32Array): void {
  activate(nonlinearity, a, hOut);
}

export function rnnBackward(nonlinearity: Nonlinearity, h: Float32Array, dh: Float32Array, da: Float32Array): void {
  activateBackward(nonlinearity, h, dh, da, false);
}
