import { Tensor, reshape, dropout, defaultGenerator, type Generator } from '../tensor/index.js';
import { cellKind, type CellName } from '../kernels/index.js';
import { Module, LSTM, Linear, OneHot, recurrentWithHead, type AnyRecurrent, type RecurrentStepper } from '../nn/index.js';

/** A character model's shape: what a checkpoint stores to rebuild it. */
export interface CharLMConfig {
  cell: CellName;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  /** Dropout between recurrent layers and before the output layer, while training. */
  dropout: number;
  /** The vanilla cell's nonlinearity (tanh unless given). */
  nonlinearity?: 'tanh' | 'relu';
}

/** The carried state of a CharLM: h, and c for the LSTM, each [layers, B, H]. */
export interface CharLMState {
  h: Tensor;
  c?: Tensor;
}

/**
 * A character-level language model in the lecture's form: one-hot x_t → recurrent layers → h_t →
 * y_t = W_hy h_t + b_y, the logits of the next character. Parameter names are those of a PyTorch
 * module with an `rnn` (nn.RNN/LSTM/GRU fed one-hot vectors) and a `head` (nn.Linear).
 */
export class CharLM extends Module {
  readonly rnn: AnyRecurrent;
  readonly head: Linear;

  constructor(readonly config: CharLMConfig, private readonly generator: Generator = defaultGenerator) {
    super();
    const { cell, vocabSize, hiddenSize, numLayers } = config;
    const { rnn, head } = recurrentWithHead(cellKind(cell, config.nonlinearity),
      { inputSize: vocabSize, hiddenSize, numLayers, dropout: config.dropout, generator }, vocabSize);
    this.rnn = this.registerModule('rnn', rnn);
    this.head = this.registerModule('head', head);
  }

  /** inputs: [T, B] ids, time-major → logits [T·B, V] and the final state. */
  forward(inputs: Int32Array, shape: readonly [number, number], state?: CharLMState | null): { logits: Tensor; state: CharLMState } {
    const x = new OneHot(inputs, shape, this.config.vocabSize);
    const r = this.rnn instanceof LSTM
      ? this.rnn.forward(x, state ? { h: state.h, c: state.c! } : null)
      : this.rnn.forward(x, state?.h ?? null);
    const top = dropout(r.output, this.config.dropout, this.training, this.generator);
    const logits = this.head.forward(reshape(top, [-1, this.config.hiddenSize]));
    return { logits, state: r.c ? { h: r.h, c: r.c } : { h: r.h } };
  }

  /**
   * The model one character at a time, for sampling: step(id) returns the logits of the next character.
   * It reads the weights as they are now (CharLMStepper.for keeps one while they stay so).
   */
  stepper(): RecurrentStepper {
    return this.rnn.stepper({ oneHot: true, head: this.head });
  }
}
