import type { Tensor, Generator } from '../tensor/index.js';
import { RecurrentBase, type RecurrentOptions, type RecurrentOutput } from './rnn_base.js';
import { CellBase } from './cell_base.js';
import type { OneHot } from './one_hot.js';

/**
 * Long short-term memory (torch.nn.LSTM), in the lecture's notation:
 *
 *   [i f g o] = [σ σ tanh σ] (W [h_{t-1}; x_t] + b)
 *   c_t = f ⊙ c_{t-1} + i ⊙ g
 *   h_t = o ⊙ tanh(c_t)
 *
 * W is stored as PyTorch does, split into weight_ih_l{k} [4H, I] and weight_hh_l{k} [4H, H] with the
 * gate blocks in the order i, f, g, o. The step itself is kernels/reference/lstm.ts.
 */
export class LSTM extends RecurrentBase {
  /**
   * forgetBias: added to the forget-gate block of every bias_ih after PyTorch's initialization
   * (Keras's unit_forget_bias uses 1). It starts f near σ(1) ≈ 0.73 instead of 0.5, so memory and
   * gradient decay much more slowly along the cell path early in training. Default 0: PyTorch's init.
   */
  constructor(opts: RecurrentOptions & { forgetBias?: number }) {
    super('lstm', opts);
    const fb = opts.forgetBias ?? 0;
    if (!Number.isFinite(fb)) throw new Error(`LSTM forgetBias must be a finite number, got ${fb}`);
    if (fb !== 0 && this.bias) {
      const H = this.hiddenSize;
      for (const [name, p] of this.namedParameters()) if (name.startsWith('bias_ih')) for (let j = H; j < 2 * H; j++) p.data[j] += fb;
    }
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
