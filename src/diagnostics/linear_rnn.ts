import { Tensor, add, linear, linearOneHot, select, stack, reshape, assertTensor, shapeStr, defaultGenerator, type Generator } from '../tensor/index.js';
import { Module, OneHot, uniform } from '../nn/index.js';

/**
 * The vanilla RNN without its nonlinearity, the lab's case with a known answer:
 *
 *   h_t = W_hh h_{t−1} + W_ih x_t + b_ih + b_hh
 *
 * Backward multiplies by W_hhᵀ at every step and by nothing else, so ∂L/∂h_{t−k} = (W_hhᵀ)^k ∂L/∂h_t;
 * with W_hh = s·Q (Q orthogonal) every norm scales by exactly s per step. It is built from tensor ops one
 * step at a time (the fused recurrence has no identity activation), with PyTorch's parameter names and
 * initialization, and returns every step's state so that their gradients can be read.
 */
export class LinearRNN extends Module {
  readonly kind = 'rnn_linear' as const;
  readonly numLayers = 1;
  readonly numDirections = 1;
  readonly batchFirst = false;

  constructor(readonly inputSize: number, readonly hiddenSize: number, opts: { bias?: boolean; generator?: Generator } = {}) {
    super();
    for (const [v, what] of [[inputSize, 'inputSize'], [hiddenSize, 'hiddenSize']] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`LinearRNN ${what} must be a positive integer, got ${v}`);
    }
    const rng = opts.generator ?? defaultGenerator;
    const k = 1 / Math.sqrt(hiddenSize);
    const make = (shape: number[]) => uniform(Tensor.zeros(shape), -k, k, rng);
    this.registerParameter('weight_ih_l0', make([hiddenSize, inputSize]));
    this.registerParameter('weight_hh_l0', make([hiddenSize, hiddenSize]));
    if (opts.bias ?? true) {
      this.registerParameter('bias_ih_l0', make([hiddenSize]));
      this.registerParameter('bias_hh_l0', make([hiddenSize]));
    }
  }

  /**
   * x [T, B, I] (or one-hot ids [T, B]), h0 [1, B, H] → output [T, B, H], the final h [1, B, H], and
   * `steps`, the tensors h_1 … h_T themselves (output stacks them), whose gradients `retainGrad` keeps.
   */
  forward(x: Tensor | OneHot, h0?: Tensor | null): { output: Tensor; h: Tensor; steps: Tensor[] } {
    const H = this.hiddenSize;
    const wIh = this.param('weight_ih_l0'), wHh = this.param('weight_hh_l0');
    const bIh = this.paramOrNull('bias_ih_l0'), bHh = this.paramOrNull('bias_hh_l0');
    let xw: Tensor;
    if (x instanceof OneHot) {
      if (x.size !== this.inputSize) throw new Error(`LinearRNN one-hot input has size ${x.size}, expected inputSize ${this.inputSize}`);
      xw = linearOneHot(x.ids, x.shape, wIh, bIh);
    } else {
      assertTensor(x, 'LinearRNN input');
      if (x.ndim !== 3 || x.shape[2] !== this.inputSize) throw new Error(`LinearRNN input must be [T, B, ${this.inputSize}], got ${shapeStr(x.shape)}`);
      xw = linear(x, wIh, bIh);
    }
    const [T, B] = xw.shape;
    if (T === 0 || B === 0) throw new Error(`LinearRNN input ${shapeStr(xw.shape)} is empty`);
    if (h0 && shapeStr(h0.shape) !== shapeStr([1, B, H])) throw new Error(`LinearRNN h0 must be [1, ${B}, ${H}], got ${shapeStr(h0.shape)}`);
    let h = h0 ? select(h0, 0) : Tensor.zeros([B, H]);
    const steps: Tensor[] = [];
    for (let t = 0; t < T; t++) {
      h = add(select(xw, t), linear(h, wHh, bHh));
      steps.push(h);
    }
    return { output: stack(steps), h: reshape(h, [1, B, H]), steps };
  }
}
