import type { Tensor, Generator } from '../tensor/index.js';
import { RecurrentBase, type RecurrentOptions, type RecurrentOutput } from './rnn_base.js';
import { CellBase } from './cell_base.js';
import type { OneHot } from './one_hot.js';

/**
 * The vanilla recurrent network of the lecture (torch.nn.RNN):
 *
 *   h_t = tanh(W_hh h_{t-1} + W_xh x_t + b)          (relu in place of tanh with nonlinearity: 'relu')
 *
 * with W_xh = weight_ih_l{k}, W_hh = weight_hh_l{k} and b = bias_ih + bias_hh. The output y_t = W_hy h_t
 * is a `Linear` on top of `output`.
 */
export class RNN extends RecurrentBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(opts: RecurrentOptions & { nonlinearity?: 'tanh' | 'relu' }) {
    const nl = opts.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new Error(`RNN nonlinearity must be 'tanh' or 'relu', got '${String(nl)}'`);
    super(nl === 'relu' ? 'rnn_relu' : 'rnn_tanh', opts);
    this.nonlinearity = nl;
  }

  /** x [T, B, I] (or [B, T, I] batch-first, or one-hot ids), h0 [layers·dirs, B, H] → { output, h }. */
  forward(x: Tensor | OneHot, h0?: Tensor | null): RecurrentOutput {
    return this.run(x, h0);
  }
}

/** One step of the vanilla RNN (torch.nn.RNNCell): h' = tanh(W_ih x + b_ih + W_hh h + b_hh). */
export class RNNCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, opts: { bias?: boolean; nonlinearity?: 'tanh' | 'relu'; generator?: Generator } = {}) {
    super(opts.nonlinearity === 'relu' ? 'rnn_relu' : 'rnn_tanh', inputSize, hiddenSize, opts);
  }

  /** x [B, I], h [B, H] (zeros when absent) → h' [B, H]. */
  forward(x: Tensor, h?: Tensor | null): Tensor {
    return this.step(x, h ?? null, null).h;
  }
}
