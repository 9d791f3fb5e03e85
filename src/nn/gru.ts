import type { Tensor, Generator } from '../tensor/index.js';
import { RecurrentBase, type RecurrentOptions, type RecurrentOutput } from './rnn_base.js';
import { CellBase } from './cell_base.js';
import type { OneHot } from './one_hot.js';

/**
 * Gated recurrent unit (torch.nn.GRU):
 *
 *   r = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
 *   z = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
 *   n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t-1} + b_hn))
 *   h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}
 *
 * Gate blocks in weight_ih / weight_hh are ordered r, z, n; the reset gate multiplies the recurrent
 * term after its bias, as in PyTorch and cuDNN. The step itself is kernels/reference/gru.ts.
 */
export class GRU extends RecurrentBase {
  constructor(opts: RecurrentOptions) {
    super('gru', opts);
  }

  /** Runs the whole sequence from h0 (default zeros); see {@link RecurrentOutput}. */
  forward(x: Tensor | OneHot, h0?: Tensor | null): RecurrentOutput {
    return this.run(x, h0);
  }
}

/** One GRU step (torch.nn.GRUCell). */
export class GRUCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, opts: { bias?: boolean; generator?: Generator } = {}) {
    super('gru', inputSize, hiddenSize, opts);
  }

  /** One step: the next hidden state [B, H] from input x [B, I] and h (default zeros). */
  forward(x: Tensor, h?: Tensor | null): Tensor {
    return this.step(x, h ?? null, null).h;
  }
}
