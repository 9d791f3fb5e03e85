import type { Tensor, Generator } from '../tensor/index.js';
import { RecurrentBase, type RecurrentOptions, type RecurrentOutput } from './rnn_base.js';
import { CellBase } from './cell_base.js';
import type { OneHot } from './one_hot.js';

/**
 * Long short-term memory (torch.nn.LSTM), in the lecture's notation:
 *
 *   [i f g o] = [σ σ tanh σ](W [h_{t-1}; x_t] + b)
 *   c_t = f ⊙ c_{t-1} + i ⊙ g
 *   h_t = o ⊙ tanh(c_t)
 *
 * W is stored as PyTorch does, split into weight_ih_l{k} [4H, I] and weight_hh_l{k} [4H, H] with the
 * gate blocks in the order i, f, g, o. The step itself is kernels/reference/lstm.ts.
 */
export class LSTM extends RecurrentBase {
  constructor(opts: RecurrentOptions) {
    super('lstm', opts);
  }

  /** x [T, B, I] (or [B, T, I], or one-hot ids), state { h, c } each [layers·dirs, B, H] → { output, h, c }. */
  forward(x: Tensor | OneHot, state?: { h: Tensor; c: Tensor } | null): Required<RecurrentOutput> {
    return this.run(x, state) as Required<RecurrentOutput>;
  }
}

/** One LSTM step (torch.nn.LSTMCell), for generation and captioning where each input depends on the last output. */
export class LSTMCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, opts: { bias?: boolean; generator?: Generator } = {}) {
    super('lstm', inputSize, hiddenSize, opts);
  }

  /** x [B, I], state { h, c } each [B, H] (zeros when absent) → the next { h, c }. */
  forward(x: Tensor, state?: { h: Tensor; c: Tensor } | null): { h: Tensor; c: Tensor } {
    const r = this.step(x, state?.h ?? null, state?.c ?? null);
    return { h: r.h, c: r.c! };
  }
}
