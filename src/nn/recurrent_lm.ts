import { Tensor, reshape, embedding, defaultGenerator, type Generator } from '../tensor/index.js';
import { cellKind, type CellName, type Nonlinearity } from '../kernels/index.js';
import { Module } from './module.js';
import { Embedding } from './embedding.js';
import { Linear } from './linear.js';
import { OneHot } from './one_hot.js';
import { LSTM, recurrentWithHead, type AnyRecurrent } from './recurrent.js';

/** The shape of a {@link RecurrentLM}: token ids in, per-step logits out. */
export interface RecurrentLMConfig {
  cell: CellName;
  /** Number of token ids (the input vocabulary). */
  vocabSize: number;
  /** Embedding width; 0 feeds the ids as one-hot vectors of length vocabSize (the char-LM's input). */
  embedSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  /** Size of the output layer (the logits per step). */
  outputSize: number;
  /** The vanilla cell's nonlinearity (tanh unless given). */
  nonlinearity?: Nonlinearity;
  /** Whether the recurrent layers have biases (default true). */
  bias?: boolean;
}

/** The recurrent state of a RecurrentLM: h, and c for the LSTM, each [layers·dirs, B, H]. */
export interface RecurrentLMState {
  h: Tensor;
  c?: Tensor;
}

/**
 * Token ids → Embedding (or one-hot) → RNN | LSTM | GRU (layers, one or two directions) → Linear at
 * every step: the model torch.onnx.export graphs of recurrent language models describe. Parameter names
 * are those of a PyTorch module with `embed` (nn.Embedding, absent for one-hot input), `rnn` and `head`.
 */
export class RecurrentLM extends Module {
  readonly embed: Embedding | null;
  readonly rnn: AnyRecurrent;
  readonly head: Linear;

  constructor(readonly config: RecurrentLMConfig, generator: Generator = defaultGenerator) {
    super();
    const { cell, vocabSize, embedSize, hiddenSize, numLayers, bidirectional, outputSize } = config;
    if (!Number.isInteger(embedSize) || embedSize < 0) throw new Error(`RecurrentLM embedSize must be 0 (one-hot) or a positive integer, got ${embedSize}`);
    this.embed = embedSize > 0 ? this.registerModule('embed', new Embedding(vocabSize, embedSize, { generator })) : null;
    const { rnn, head } = recurrentWithHead(cellKind(cell, config.nonlinearity),
      { inputSize: embedSize || vocabSize, hiddenSize, numLayers, bidirectional, bias: config.bias ?? true, generator }, outputSize);
    this.rnn = this.registerModule('rnn', rnn);
    this.head = this.registerModule('head', head);
  }

  /** ids [T, B] (time-major) → logits [T, B, outputSize] and the final state. */
  forward(ids: Int32Array, shape: readonly [number, number], state?: RecurrentLMState | null): { logits: Tensor; state: RecurrentLMState } {
    const [T, B] = shape;
    const x = this.embed ? embedding(this.embed.weight, ids, [T, B]) : new OneHot(ids, shape, this.config.vocabSize);
    const r = this.rnn instanceof LSTM
      ? this.rnn.forward(x, state ? { h: state.h, c: state.c! } : null)
      : this.rnn.forward(x, state?.h ?? null);
    const logits = this.head.forward(r.output);
    return { logits: reshape(logits, [T, B, this.config.outputSize]), state: r.c ? { h: r.h, c: r.c } : { h: r.h } };
  }
}
