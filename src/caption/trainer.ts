import { Generator, Tensor } from '../tensor/index.js';
import { Adam } from '../optim/index.js';
import { trainStep } from '../train/index.js';
import type { Checkpoint } from '../io/index.js';
import { Captioner, type InjectMode, type CaptionerConfig } from './model.js';
import { WordVocab, SPECIALS, START_ID, END_ID, NULL_ID } from './vocab.js';
import { ConfigError } from '../errors.js';
import type { CaptionDataset } from './dataset.js';
import { evaluateCaptioner, featureRows, type CaptionScores } from './evaluate.js';
import type { DecodeOptions } from './decode.js';

/** The `format` in a captioner checkpoint's metadata. */
export const CAPTION_CHECKPOINT_FORMAT = 'rnnkit.captioner/1';

/** Everything that defines a captioner training run. */
export interface CaptionTrainConfig {
  cell: CaptionerConfig['cell'];
  inject: InjectMode;
  embed: number;
  hidden: number;
  dropout: number;
  /** Label smoothing ε of the training loss: each target word keeps 1 − ε of the probability, ε is spread over the vocabulary. */
  labelSmoothing: number;
  /** A word enters the vocabulary when it occurs at least this often in the training captions. */
  minCount: number;
  /** Training captions are cut to this many words. */
  maxLength: number;
  batch: number;
  lr: number;
  /** The learning rate is multiplied by this after every epoch. */
  lrDecay: number;
  /**
   * Decay β of an exponential moving average of the weights, updated after every step; when on (β > 0),
   * validation and checkpoints use the averaged weights. 0 turns it off.
   */
  ema: number;
  /** Global gradient-norm clip; 0 turns it off. */
  clip: number;
  epochs: number;
  /** Stop when validation BLEU-4 has not improved for this many epochs (0: never stop early). */
  patience: number;
  /** Beam width of the validation decoding that early stopping watches. */
  valBeam: number;
  /** Standardise each feature dimension with the training images' mean and standard deviation. */
  normalize: boolean;
  seed: number;
}

/** The defaults of a captioner run (those of `rnnkit caption train`). */
export const defaultCaptionTrainConfig: CaptionTrainConfig = {
  cell: 'lstm', inject: 'every', embed: 256, hidden: 512, dropout: 0.3, labelSmoothing: 0.1, minCount: 5, maxLength: 20, batch: 64,
  lr: 2e-3, lrDecay: 0.5, ema: 0, clip: 5, epochs: 4, patience: 2, valBeam: 3, normalize: true, seed: 1,
};

export function checkCaptionTrainConfig(c: CaptionTrainConfig): void {
  const bad = (opt: string, want: string, got: unknown) => { throw new Error(`--${opt} must be ${want}, got ${String(got)}`); };
  const posInt = (opt: string, v: number, max = 1e9) => { if (!Number.isInteger(v) || v < 1 || v > max) bad(opt, `an integer from 1 to ${max}`, v); };
  if (c.cell !== 'rnn' && c.cell !== 'lstm') bad('cell', 'rnn or lstm', c.cell);
  if (c.inject !== 'every' && c.inject !== 'init') bad('inject', 'every or init', c.inject);
  posInt('embed', c.embed, 8192);
  posInt('hidden', c.hidden, 8192);
  posInt('min-count', c.minCount);
  posInt('max-length', c.maxLength, 1000);
  posInt('batch', c.batch, 100000);
  posInt('epochs', c.epochs, 10000);
  posInt('val-beam', c.valBeam, 100);
  if (!(c.dropout >= 0 && c.dropout < 1)) bad('dropout', 'in [0, 1)', c.dropout);
  if (!(c.labelSmoothing >= 0 && c.labelSmoothing < 1)) bad('label-smoothing', 'in [0, 1)', c.labelSmoothing);
  if (!(c.lr > 0 && c.lr < 10)) bad('lr', 'a number in (0, 10)', c.lr);
  if (!(c.lrDecay > 0 && c.lrDecay <= 1)) bad('lr-decay', 'in (0, 1]', c.lrDecay);
  if (!(c.ema >= 0 && c.ema < 1)) bad('ema', 'in [0, 1) (0 turns averaging off)', c.ema);
  if (!(c.clip >= 0)) bad('clip', '≥ 0 (0 turns clipping off)', c.clip);
  if (!Number.isInteger(c.patience) || c.patience < 0) bad('patience', 'a non-negative integer', c.patience);
  if (!Number.isInteger(c.seed) || c.seed < 0) bad('seed', 'a non-negative integer', c.seed);
}

/** One training caption: its image's feature row and its word ids (cut to maxLength). */
interface Pair {
  row: number;
  ids: Int32Array;
}

/** A padded batch, time-major: inputs <START> w_1 … w_n, targets w_1 … w_n <END>, <NULL> after. */
export interface CaptionBatch {
  features: Tensor;
  inputs: Int32Array;
  targets: Int32Array;
  shape: [number, number];
  /** Real (unpadded) target tokens. */
  tokens: number;
}

/** Pads captions (word ids) into one time-major batch. */
export function padBatch(captions: readonly Int32Array[]): Omit<CaptionBatch, 'features'> {
  const B = captions.length;
  const T = Math.max(...captions.map((c) => c.length)) + 1;
  const inputs = new Int32Array(T * B).fill(NULL_ID), targets = new Int32Array(T * B).fill(NULL_ID);
  let tokens = 0;
  captions.forEach((c, b) => {
    inputs[b] = START_ID;
    for (let t = 0; t < c.length; t++) {
      inputs[(t + 1) * B + b] = c[t];
      targets[t * B + b] = c[t];
    }
    targets[c.length * B + b] = END_ID;
    tokens += c.length + 1;
  });
  return { inputs, targets, shape: [T, B], tokens };
}

/**
 * One captioner training run, batch by batch, so that a terminal or a test can drive it. An epoch
 * visits every training caption once, in batches of captions of similar length (shuffled, then sorted
 * within pools of 50 batches), which keeps padding small; the loss masks what padding remains.
 */
export class CaptionTrainer {
  readonly vocab: WordVocab;
  readonly model: Captioner;
  readonly optimizer: Adam;
  readonly rng: Generator;
  /** @internal */
  readonly pairs: Pair[];
  epoch = 0;
  step = 0;
  readonly history: { epoch: number; loss: number; bleu: number[]; ciderD: number; lr: number }[] = [];
  /** The moving average of each parameter (config.ema > 0), in the order of model.parameters(). */
  private readonly average: Float32Array[] | null;

  constructor(readonly data: CaptionDataset, readonly config: CaptionTrainConfig) {
    checkCaptionTrainConfig(config);
    this.vocab = WordVocab.build(data.train.flatMap((t) => t.captions), config.minCount);
    // a vocabulary of only the special tokens can say nothing: refuse before an epoch is spent on it
    if (this.vocab.size === SPECIALS.length) {
      throw new ConfigError('minCount', `no training word occurs ${config.minCount.toLocaleString('en-US')} times or more, so the vocabulary would hold only the special tokens ` +
        `(${SPECIALS.join(', ')}); lower the minimum word count`);
    }
    this.pairs = data.train.flatMap((t) => t.captions.map((c) => ({ row: t.row, ids: this.vocab.encode(c.slice(0, config.maxLength)) })));
    this.rng = new Generator(config.seed);
    this.model = new Captioner(this.modelConfig(), this.rng);
    if (config.normalize) {
      const { mean, std } = featureStats(data.features, data.dim, data.train.map((t) => t.row));
      this.model.setFeatureNorm(mean, std);
    }
    this.optimizer = new Adam(this.model.namedParameters(), { lr: config.lr });
    this.average = config.ema > 0 ? this.model.parameters().map((p) => Float32Array.from(p.data)) : null;
  }

  /** The captioner's configuration as this run builds it. */
  modelConfig(): CaptionerConfig {
    const c = this.config;
    return { cell: c.cell, inject: c.inject, vocabSize: this.vocab.size, featureSize: this.data.dim, embedSize: c.embed, hiddenSize: c.hidden, dropout: c.dropout };
  }

  /** The batches of the next epoch, as lists of caption indices. */
  epochPlan(): number[][] {
    const order = this.rng.shuffle(Array.from({ length: this.pairs.length }, (_, i) => i));
    const B = this.config.batch, pool = 50 * B;
    const batches: number[][] = [];
    for (let p = 0; p < order.length; p += pool) {
      const part = order.slice(p, p + pool).sort((a, b) => this.pairs[a].ids.length - this.pairs[b].ids.length);
      for (let i = 0; i < part.length; i += B) batches.push(part.slice(i, i + B));
    }
    return this.rng.shuffle(batches);
  }

  /** The training pairs at `indices` as one padded batch. */
  batch(indices: readonly number[]): CaptionBatch {
    const ps = indices.map((i) => this.pairs[i]);
    return { features: featureRows(this.data.features, this.data.dim, ps.map((p) => p.row)), ...padBatch(ps.map((p) => p.ids)) };
  }

  /**
   * One optimizer step on a batch; the learning rate follows the epoch (lr · lrDecay^epoch). A loss or
   * gradient that turns NaN or infinite throws a DivergedError before the weights change.
   */
  trainStep(indices: readonly number[]): { loss: number; gradNorm: number; tokens: number } {
    const b = this.batch(indices);
    this.model.train();
    const loss = this.model.loss(b.features, b.inputs, b.targets, b.shape, { labelSmoothing: this.config.labelSmoothing });
    const r = trainStep(loss, this.optimizer, { step: this.step + 1, clip: this.config.clip, lr: this.lr });
    this.step++;
    if (this.average) this.updateAverage();
    return { loss: r.loss, gradNorm: r.gradNorm, tokens: b.tokens };
  }

  get lr(): number {
    return this.config.lr * Math.pow(this.config.lrDecay, this.epoch);
  }

  /**
   * avg ← avg + (1 − β)(p − avg) after each step, with β kept below (1 + step)/(10 + step) early on (as
   * TensorFlow's ExponentialMovingAverage with num_updates), so the first steps' weights fade quickly.
   */
  private updateAverage(): void {
    const a = 1 - Math.min(this.config.ema, (1 + this.step) / (10 + this.step));
    this.model.parameters().forEach((p, k) => {
      const avg = this.average![k], w = p.data;
      for (let i = 0; i < avg.length; i++) avg[i] += a * (w[i] - avg[i]);
    });
  }

  /** Runs fn with the averaged weights in the model (the trained ones when averaging is off), then puts the trained ones back. */
  withAveragedWeights<T>(fn: () => T): T {
    if (!this.average) return fn();
    const params = this.model.parameters();
    const trained = params.map((p) => Float32Array.from(p.data));
    params.forEach((p, k) => p.data.set(this.average![k]));
    try {
      return fn();
    } finally {
      params.forEach((p, k) => p.data.set(trained[k]));
    }
  }

  /** Captions for the validation images and their scores (with the averaged weights when config.ema > 0). */
  evaluate(opts: DecodeOptions = { beam: this.config.valBeam }, onProgress?: (done: number) => void): { scores: CaptionScores; captions: string[][] } {
    return this.withAveragedWeights(() => evaluateCaptioner(this.model, this.vocab, this.data.features, this.data.dim, this.data.val, opts, onProgress));
  }

  /** The model part of a checkpoint (weights — the averaged ones when config.ema > 0 —, configuration, vocabulary) plus what `meta` adds. */
  checkpoint(meta: Record<string, unknown> = {}): Checkpoint {
    const weights = this.average
      ? this.withAveragedWeights(() => Object.fromEntries(Object.entries(this.model.stateDict()).map(([k, t]) => [k, t.clone()])))
      : this.model.stateDict();
    return {
      model: {
        tensors: { ...weights, ...normTensors(this.model) },
        meta: { format: CAPTION_CHECKPOINT_FORMAT, model: this.model.config, vocab: this.vocab.toJSON(), train: this.config, epoch: this.epoch, history: this.history, ...meta },
      },
      state: null,
    };
  }
}

const NORM_MEAN = 'feature_norm.mean', NORM_STD = 'feature_norm.std';

/** The feature statistics, stored beside the weights (PyTorch users standardise v with them before `img`). */
function normTensors(model: Captioner): Record<string, Tensor> {
  const n = model.featureNorm;
  return n ? { [NORM_MEAN]: new Tensor(n.mean, [n.mean.length]), [NORM_STD]: new Tensor(n.std, [n.std.length]) } : {};
}

/**
 * Per-dimension mean and standard deviation of the feature rows `rows`. A deviation is never taken
 * below a tenth of the average one, so that a dimension that hardly varies (a channel a ReLU keeps
 * at zero) is not blown up into noise.
 */
export function featureStats(features: Float32Array, dim: number, rows: readonly number[]): { mean: Float32Array; std: Float32Array } {
  const sum = new Float64Array(dim), sq = new Float64Array(dim);
  for (const r of rows) {
    for (let d = 0; d < dim; d++) {
      const v = features[r * dim + d];
      sum[d] += v;
      sq[d] += v * v;
    }
  }
  const n = Math.max(1, rows.length);
  const mean = Float32Array.from(sum, (s) => s / n);
  const raw = Float64Array.from(sq, (q, d) => Math.sqrt(Math.max(0, q / n - (sum[d] / n) ** 2)));
  const floor = Math.max(1e-6, 0.1 * raw.reduce((a, b) => a + b, 0) / dim);
  return { mean, std: Float32Array.from(raw, (s) => Math.max(s, floor)) };
}

/** The captioner and vocabulary a checkpoint holds; any other kind of checkpoint is refused by name. */
export function captionerFromCheckpoint(ckpt: Checkpoint, source: string): { model: Captioner; vocab: WordVocab; meta: Record<string, unknown> } {
  const meta = ckpt.model.meta;
  if (meta.format !== CAPTION_CHECKPOINT_FORMAT) {
    const what = meta.format === 'rnnkit.char-lm/1' ? 'a character language model (use rnnkit sample with it)' : `format ${JSON.stringify(meta.format ?? null)}`;
    throw new Error(`${source} is not an image-captioning checkpoint: it holds ${what}`);
  }
  const model = new Captioner(meta.model as CaptionerConfig);
  const { [NORM_MEAN]: mean, [NORM_STD]: std, ...weights } = ckpt.model.tensors;
  model.loadStateDict(weights);
  if (mean && std) model.setFeatureNorm(mean.data, std.data);
  model.eval();
  return { model, vocab: new WordVocab(meta.vocab as string[]), meta };
}
