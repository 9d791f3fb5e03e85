import {
  Tensor, dropout, reshape, embedding, crossEntropy, sub, mul, defaultGenerator, shapeStr, type Generator,
} from '../tensor/index.js';
import { gateCount, type CellName } from '../kernels/index.js';
import { Module, RNN, LSTM, Linear, Embedding, recurrentWithHead } from '../nn/index.js';
import { NULL_ID } from './vocab.js';

/**
 * How the image feature v enters the recurrence:
 *  every  the lecture's formula: h_t = tanh(W_xh x_t + W_hh h_{t-1} + W_ih v), the image term added at
 *         every step (for the LSTM, to all four gate pre-activations);
 *  init   a projection of v is the initial hidden state h_0 (Show and Tell, the Stanford course); c_0 = 0.
 */
export type InjectMode = 'every' | 'init';

/** A captioner's shape: what a checkpoint stores to rebuild it. */
export interface CaptionerConfig {
  /** The vanilla RNN (tanh) or the LSTM. */
  cell: Extract<CellName, 'rnn' | 'lstm'>;
  inject: InjectMode;
  vocabSize: number;
  /** Length of the image feature vector (1280 for MobileNetV2 with its last FC layer cut). */
  featureSize: number;
  embedSize: number;
  hiddenSize: number;
  /** Dropout on the image feature, the word embeddings and the recurrent output, while training. */
  dropout: number;
}

export function checkCaptionerConfig(c: CaptionerConfig): void {
  if (c.cell !== 'rnn' && c.cell !== 'lstm') throw new Error(`captioner cell must be rnn or lstm, got '${String(c.cell)}'`);
  if (c.inject !== 'every' && c.inject !== 'init') throw new Error(`captioner inject must be every or init, got '${String(c.inject)}'`);
  for (const k of ['vocabSize', 'featureSize', 'embedSize', 'hiddenSize'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`captioner ${k} must be a positive integer, got ${c[k]}`);
  }
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new Error(`captioner dropout must be in [0, 1), got ${c.dropout}`);
}

/** The recurrent state while decoding: h, and c for the LSTM, each [N, H]. */
export interface CaptionState {
  h: Tensor;
  c: Tensor | null;
}

/**
 * Image captioner: word embedding → RNN or LSTM → linear → softmax over the vocabulary, with the image
 * feature entering as `inject` says. Parameter names follow a PyTorch module with `embed`
 * (nn.Embedding), `img` (nn.Linear: F → H for init, F → G·H without bias for every), `rnn` (nn.RNN or
 * nn.LSTM, one layer) and `head` (nn.Linear).
 */
export class Captioner extends Module {
  readonly embed: Embedding;
  readonly img: Linear;
  readonly rnn: RNN | LSTM;
  readonly head: Linear;
  private norm: { mean: Float32Array; invStd: Float32Array } | null = null;

  constructor(readonly config: CaptionerConfig, private readonly generator: Generator = defaultGenerator) {
    super();
    checkCaptionerConfig(config);
    const { vocabSize: V, featureSize: F, embedSize: E, hiddenSize: H } = config;
    const gen = { generator };
    const kind = config.cell === 'lstm' ? 'lstm' : 'rnn_tanh';
    this.embed = this.registerModule('embed', new Embedding(V, E, gen));
    this.img = this.registerModule('img', config.inject === 'init' ? new Linear(F, H, gen) : new Linear(F, gateCount(kind) * H, { bias: false, generator }));
    const { rnn, head } = recurrentWithHead(kind, { inputSize: E, hiddenSize: H, generator }, V);
    this.rnn = this.registerModule('rnn', rnn as RNN | LSTM);
    this.head = this.registerModule('head', head);
  }

  /**
   * Standardises every image feature with these per-dimension statistics (those of the training images)
   * before it enters the model. CNN features are far from centred (post-ReLU averages, all ≥ 0), so
   * without this the image term is mostly a constant offset that the recurrence learns to use only slowly.
   */
  setFeatureNorm(mean: Float32Array, std: Float32Array): void {
    const F = this.config.featureSize;
    if (mean.length !== F || std.length !== F) throw new Error(`captioner: feature statistics must have ${F} values, got ${mean.length} and ${std.length}`);
    if (!std.every((v) => v > 0 && Number.isFinite(v))) throw new Error('captioner: feature standard deviations must be positive');
    this.norm = { mean: Float32Array.from(mean), invStd: Float32Array.from(std, (v) => 1 / v) };
  }

  /** The statistics set by setFeatureNorm, or null. */
  get featureNorm(): { mean: Float32Array; std: Float32Array } | null {
    return this.norm ? { mean: this.norm.mean, std: Float32Array.from(this.norm.invStd, (v) => 1 / v) } : null;
  }

  /** The image's part of the computation, once per image: W_iv·v [N, G·H] (every) or h_0 [N, H] (init). */
  imageTerm(features: Tensor): Tensor {
    if (features.ndim !== 2 || features.shape[1] !== this.config.featureSize) {
      throw new Error(`captioner: image features must be [N, ${this.config.featureSize}], got ${shapeStr(features.shape)}`);
    }
    let v = features;
    if (this.norm) {
      const N = features.shape[0], F = this.config.featureSize;
      const M = Tensor.zeros([N, F]), S = Tensor.zeros([N, F]);
      for (let i = 0; i < N; i++) {
        M.data.set(this.norm.mean, i * F);
        S.data.set(this.norm.invStd, i * F);
      }
      v = mul(sub(features, M), S);
    }
    return this.img.forward(dropout(v, this.config.dropout, this.training, this.generator));
  }

  /**
   * Runs the recurrence over word ids [T, N] (time-major) from `state` (null: the start of a caption,
   * where init mode takes h_0 from the image term). Returns h_t for every step [T, N, H] and the final state.
   */
  run(ids: Int32Array, shape: readonly [number, number], image: Tensor, state: CaptionState | null): { output: Tensor; state: CaptionState } {
    const [T, N] = shape, H = this.config.hiddenSize;
    const x = dropout(embedding(this.embed.weight, ids, [T, N]), this.config.dropout, this.training, this.generator);
    // b_hh apart: the order of additions the captioner has always had
    const opts = this.config.inject === 'every' ? { everyStep: image, biasApart: true } : { biasApart: true };
    const h0 = state?.h ?? (this.config.inject === 'init' ? image : null);
    // the layer's states are [layers, N, H], the decoder's [N, H]
    const layer = (t: Tensor) => reshape(t, [1, N, H]);
    const r = this.rnn instanceof LSTM
      ? this.rnn.forward(x, h0 ? { h: layer(h0), c: state?.c ? layer(state.c) : Tensor.zeros([1, N, H]) } : null, opts)
      : this.rnn.forward(x, h0 ? layer(h0) : null, opts);
    return { output: r.output, state: { h: reshape(r.h, [N, H]), c: r.c ? reshape(r.c, [N, H]) : null } };
  }

  /** Logits [rows, V] from recurrent outputs [..., H]. */
  logits(output: Tensor): Tensor {
    const top = dropout(output, this.config.dropout, this.training, this.generator);
    return this.head.forward(reshape(top, [-1, this.config.hiddenSize]));
  }

  /**
   * The training loss of a padded batch: inputs [T, N] (<START> w_1 … w_n, then <NULL>), targets [T, N]
   * (w_1 … w_n <END>, then <NULL>). Padding positions are masked out: the loss is the mean over real
   * tokens only, so a caption's loss does not depend on how long the others in its batch are.
   * `labelSmoothing` ε trains towards (1 − ε)·onehot + ε/V instead of the one-hot target.
   */
  loss(features: Tensor, inputs: Int32Array, targets: Int32Array, shape: readonly [number, number], opts: { labelSmoothing?: number } = {}): Tensor {
    const { output } = this.run(inputs, shape, this.imageTerm(features), null);
    return crossEntropy(this.logits(output), targets, { ignoreIndex: NULL_ID, labelSmoothing: opts.labelSmoothing ?? 0 });
  }
}
