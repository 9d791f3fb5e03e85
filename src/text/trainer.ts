import { Tensor, crossEntropy, Generator, noGrad } from '../tensor/index.js';
import { Adam, AdamW, SGD, RMSprop, Adagrad, StepLR, CosineAnnealingLR, LinearWarmup, type Optimizer, type LrSchedule } from '../optim/index.js';
import { detachState, trainStep, type TrainStepResult } from '../train/index.js';
import { pack, type Checkpoint } from '../io/index.js';
import type { CellName } from '../kernels/index.js';
import { CharLM, type CharLMState, type CharLMConfig } from './char_lm.js';
import { CharVocab, CharStreams, fingerprint, splitIds, type StreamPosition } from './streams.js';
import { sampleText } from './sample.js';
import { CHECKPOINT_FORMAT, WORD_CHECKPOINT_FORMAT, checkCharLMCheckpoint } from './checkpoint.js';
import { checkWordLMCheckpoint } from './word_checkpoint.js';
import { WordLMVocab } from './words.js';
import { sampleWords } from './word_sample.js';
import { readTrainState } from './train_state.js';
import { RnnkitError, FormatError, DataError } from '../errors.js';

/** The optimizers a character-model run can use. */
export type OptimizerName = 'adam' | 'adamw' | 'sgd' | 'rmsprop' | 'adagrad';
/** The learning-rate schedules a character-model run can use. */
export type ScheduleName = 'constant' | 'cosine' | 'step';

/** Everything that defines a character-model training run. */
export interface TrainConfig {
  cell: CellName;
  /** For the vanilla RNN: tanh (the lecture's) or relu. */
  nonlinearity: 'tanh' | 'relu';
  hidden: number;
  layers: number;
  dropout: number;
  seq: number;
  batch: number;
  optimizer: OptimizerName;
  lr: number;
  weightDecay: number;
  schedule: ScheduleName;
  /** Steps of linear warm-up before the schedule. */
  warmup: number;
  /** For the step schedule: multiply the rate by `decay` every `decayEvery` steps. */
  decayEvery: number;
  decay: number;
  /** Global gradient-norm clip; 0 turns it off. */
  clip: number;
  steps: number;
  valFraction: number;
  /** At most this many validation characters are scored each time (they are always the same ones). */
  valChars: number;
  /** Carry the hidden state from chunk to chunk (truncated BPTT); false resets it every chunk. */
  carry: boolean;
  seed: number;
  /** Present for a word-level run only (a character run's configuration has neither field). */
  tokens?: 'word';
  /** For a word-level run: at most this many entries in the vocabulary, `<unk>` included. */
  vocabSize?: number;
}

/** The defaults of a character-model run (those of `rnnkit train`). */
export const defaultTrainConfig: TrainConfig = {
  cell: 'lstm', nonlinearity: 'tanh', hidden: 256, layers: 1, dropout: 0, seq: 64, batch: 32, optimizer: 'adam', lr: 2e-3, weightDecay: 0,
  schedule: 'cosine', warmup: 0, decayEvery: 1000, decay: 0.5, clip: 5, steps: 1500, valFraction: 0.05, valChars: 65536,
  carry: true, seed: 1,
};

/** What one training step reports. */
export interface StepResult extends TrainStepResult {
  step: number;
  /** Characters consumed by this step (batch × sequence). */
  chars: number;
  epoch: number;
}

export { CHECKPOINT_FORMAT };
// thrown from trainStep, where it lives; the trainer's users catch it by this name
export { DivergedError } from '../train/index.js';

/**
 * One character-model training run, step by step, so that a terminal, a test or a Web Worker can
 * drive it and do what it likes between steps. Checkpoints capture everything that decides the
 * next step (weights, optimizer buffers, random state, data position, carried hidden state), so
 * a resumed run continues bit for bit.
 */
export class CharLMTrainer<V extends CharVocab | WordLMVocab = CharVocab> {
  readonly model: CharLM;
  readonly optimizer: Optimizer;
  readonly schedule: LrSchedule;
  /** @internal */
  readonly streams: CharStreams;
  readonly valIds: Int32Array;
  /** The generator behind dropout. */
  readonly rng: Generator;
  step = 0;
  carried: CharLMState | null = null;
  readonly history: { train: [number, number][]; val: [number, number][] } = { train: [], val: [] };

  private constructor(readonly config: TrainConfig, readonly vocab: V, readonly corpus: string) {
    checkConfig(config);
    const ids = vocab.encode(corpus);
    const { train, val } = splitIds(ids, config.valFraction);
    this.streams = new CharStreams(train, config.batch, config.seq, `the training part of the text`);
    this.valIds = val.subarray(0, Math.min(val.length, config.valChars + 1));
    if (config.valFraction > 0 && this.valIds.length < config.seq + 1) {
      throw new Error(`the validation part has ${this.valIds.length} characters, fewer than one sequence (${config.seq + 1}): raise --val-fraction or set it to 0`);
    }
    this.rng = new Generator(config.seed);
    const lmConfig: CharLMConfig = { cell: config.cell, nonlinearity: config.nonlinearity, vocabSize: vocab.size, hiddenSize: config.hidden, numLayers: config.layers, dropout: config.dropout };
    this.model = new CharLM(lmConfig, this.rng);
    this.optimizer = makeOptimizer(config, this.model);
    this.schedule = makeSchedule(config);
  }

  /** A new run on `text` (the vocabulary comes from the text). */
  static create(text: string, config: TrainConfig): CharLMTrainer {
    if (text.length === 0) throw new Error('the text is empty: give a text with at least a few thousand characters');
    if (config.tokens !== undefined || config.vocabSize !== undefined) throw new Error('a configuration with tokens or vocabSize is a word-level run: use CharLMTrainer.createWords');
    return new CharLMTrainer(config, CharVocab.fromText(text), text);
  }

  /**
   * A new word-level run on `text`: `config.tokens` is 'word', and the vocabulary is the
   * `config.vocabSize` − 1 most frequent words of the text plus `<unk>`.
   */
  static createWords(text: string, config: TrainConfig): CharLMTrainer<WordLMVocab> {
    checkConfig(config);
    if (config.tokens !== 'word') throw new Error(`a word-level run needs tokens: 'word' in its configuration`);
    return new CharLMTrainer(config, WordLMVocab.fromText(text, config.vocabSize!), text);
  }

  /**
   * Continues the run a checkpoint saved. `text` must be the corpus it was trained on; `steps`
   * may raise the number of steps to train.
   */
  static resume(text: string, ckpt: Checkpoint, source: string, overrides: { steps?: number } = {}): CharLMTrainer {
    const meta = checkCharLMCheckpoint(ckpt.model, source);
    return CharLMTrainer.restore(text, ckpt, source, overrides, meta, (config) => {
      if (config.tokens !== undefined || config.vocabSize !== undefined) throw new FormatError(source, `${source}: its training configuration is a word-level run's but the model is a character model's (corrupt checkpoint?)`);
      return CharVocab.fromText(text);
    });
  }

  /** Continues a word-level run a checkpoint saved (as {@link CharLMTrainer.resume} does a character run). */
  static resumeWords(text: string, ckpt: Checkpoint, source: string, overrides: { steps?: number } = {}): CharLMTrainer<WordLMVocab> {
    const meta = checkWordLMCheckpoint(ckpt.model, source);
    return CharLMTrainer.restore(text, ckpt, source, overrides, meta, (config) => {
      if (config.tokens !== 'word' || config.vocabSize === undefined || config.vocabSize < meta.vocab.length) {
        throw new FormatError(source, `${source}: its training configuration (tokens ${JSON.stringify(config.tokens)}, vocabSize ${JSON.stringify(config.vocabSize)}) does not describe its word vocabulary of ${meta.vocab.length} (corrupt checkpoint?)`);
      }
      return WordLMVocab.fromText(text, config.vocabSize);
    });
  }

  private static restore<W extends CharVocab | WordLMVocab>(text: string, ckpt: Checkpoint, source: string, overrides: { steps?: number },
    meta: { model: CharLMConfig; vocab: string[] }, makeVocab: (config: TrainConfig) => W): CharLMTrainer<W> {
    if (!ckpt.state) throw new FormatError(source, `${source} has no training state (state.safetensors), so it cannot be resumed; it can still be sampled`);
    const sm = readTrainState(ckpt.state, meta, source);
    if (sm.corpus !== fingerprint(text)) {
      throw new DataError(source, `${source} was trained on a different text (${sm.corpusName ?? 'unknown'}, fingerprint ${sm.corpus}); pass the same --data to resume`);
    }
    try {
      checkConfig(sm.config);
    } catch (e) {
      throw new FormatError(source, `${source}: its training configuration is out of range (${(e as Error).message})`);
    }
    const vocab = makeVocab(sm.config);
    const held = vocab.toJSON();
    if (held.length !== meta.vocab.length || held.some((w, i) => w !== meta.vocab[i])) throw new FormatError(source, `${source}: its vocabulary is not the one of the text it was trained on (corrupt checkpoint?)`);
    const config = { ...sm.config, ...(overrides.steps ? { steps: overrides.steps } : {}) };
    let t: CharLMTrainer<W>;
    try {
      t = new CharLMTrainer(config, vocab, text);
    } catch (e) {
      if (e instanceof RnnkitError) throw e;
      throw new FormatError(source, `${source}: its training configuration does not fit the text (${(e as Error).message})`);
    }
    const positions = t.streams.chunksPerEpoch * config.seq;
    if (sm.position.offset > positions) throw new FormatError(source, `${source}: position.offset ${sm.position.offset} is past the end of the text's streams (${positions})`);
    t.model.loadStateDict(ckpt.model.tensors);
    const made = t.optimizer.stateDict().hyper;
    try {
      t.optimizer.loadStateDict(sm.optimizer);
    } catch (e) {
      throw new FormatError(source, `${source}: the optimizer state does not fit the model (${(e as Error).message})`);
    }
    // the stored hyper-parameters are the configuration's, but for the learning rate the schedule sets each step
    const stored = t.optimizer.stateDict().hyper;
    for (const key of Object.keys(made)) {
      if (key !== 'lr' && JSON.stringify(stored[key]) !== JSON.stringify(made[key])) {
        throw new FormatError(source, `${source}: the optimizer's ${key} is ${JSON.stringify(stored[key])} but the training configuration gives ${JSON.stringify(made[key])}`);
      }
    }
    t.rng.setState(sm.rng);
    t.streams.position = sm.position;
    t.step = sm.step;
    t.history.train.push(...sm.history.train);
    t.history.val.push(...sm.history.val);
    t.carried = sm.carry;
    return t;
  }

  get done(): boolean {
    return this.step >= this.config.steps;
  }

  /** One optimizer step on the next chunk of every stream. */
  trainStep(): StepResult {
    const { seq: T, batch: B, clip } = this.config;
    const chunk = this.streams.next();
    if (chunk.fresh || !this.config.carry) this.carried = null;
    this.model.train();
    const { logits, state } = this.model.forward(chunk.inputs, [T, B], this.carried);
    const step = this.step + 1;
    const r = trainStep(crossEntropy(logits, chunk.targets), this.optimizer, { step, clip, lr: this.schedule, keep: state });
    this.carried = detachState(state);
    this.step = step;
    this.history.train.push([step, r.loss]);
    return { step, ...r, chars: T * B, epoch: this.streams.position.epoch };
  }

  /** Mean loss in nats per character over the validation characters (the same ones every time). */
  validate(): { loss: number; bpc: number } | null {
    if (this.config.valFraction === 0) return null;
    const T = this.config.seq;
    const B = Math.max(1, Math.min(this.config.batch, Math.floor((this.valIds.length - 1) / T)));
    const streams = new CharStreams(this.valIds, B, T, 'the validation part');
    let total = 0, n = 0;
    this.model.eval();
    noGrad(() => {
      let state: CharLMState | null = null;
      for (let k = 0; k < streams.chunksPerEpoch; k++) {
        const c = streams.next();
        const r = this.model.forward(c.inputs, [T, B], state);
        total += crossEntropy(r.logits, c.targets).item() * c.targets.length;
        n += c.targets.length;
        state = r.state;
      }
    });
    this.model.train();
    const loss = total / n;
    this.history.val.push([this.step, loss]);
    return { loss, bpc: loss / Math.LN2 };
  }

  /** A short sample for progress reports; its own generator, so it never changes the training run. */
  preview(length = 200, temperature = 0.8, prime?: string): string {
    const generator = new Generator(this.config.seed * 7919 + this.step);
    if (this.vocab instanceof WordLMVocab) return sampleWords(this.model, this.vocab, { length, temperature, prime, generator }).replace(/^ /, '');
    return sampleText(this.model, this.vocab, { length, temperature, prime, generator });
  }

  /** Everything needed to sample from the model (model part) and to resume exactly (state part). */
  checkpoint(corpusName = 'text'): Checkpoint {
    const stateTensors: Record<string, Tensor> = {};
    const optimizer = pack(this.optimizer.stateDict(), 'optimizer', stateTensors);
    if (this.carried) {
      stateTensors['carry.h'] = this.carried.h.clone();
      if (this.carried.c) stateTensors['carry.c'] = this.carried.c.clone();
    }
    return {
      model: {
        tensors: this.model.stateDict(),
        meta: this.vocab instanceof WordLMVocab
          ? { format: WORD_CHECKPOINT_FORMAT, model: this.model.config, tokens: 'word', vocab: this.vocab.toJSON() }
          : { format: CHECKPOINT_FORMAT, model: this.model.config, vocab: this.vocab.toJSON() },
      },
      state: {
        tensors: stateTensors,
        meta: {
          step: this.step, config: this.config, optimizer, rng: this.rng.getState(), position: this.streams.position,
          corpus: fingerprint(this.corpus), corpusName, history: this.history,
        },
      },
    };
  }
}

function makeOptimizer(c: TrainConfig, model: CharLM): Optimizer {
  const params = model.namedParameters();
  switch (c.optimizer) {
    case 'adam': return new Adam(params, { lr: c.lr, weightDecay: c.weightDecay });
    case 'adamw': return new AdamW(params, { lr: c.lr, weightDecay: c.weightDecay });
    case 'sgd': return new SGD(params, { lr: c.lr, momentum: 0.9, weightDecay: c.weightDecay });
    case 'rmsprop': return new RMSprop(params, { lr: c.lr, weightDecay: c.weightDecay });
    case 'adagrad': return new Adagrad(params, { lr: c.lr, weightDecay: c.weightDecay });
  }
}

function makeSchedule(c: TrainConfig): LrSchedule {
  const after = c.steps - c.warmup;
  const main: LrSchedule = c.schedule === 'cosine' ? new CosineAnnealingLR({ baseLr: c.lr, tMax: Math.max(1, after), etaMin: c.lr / 20 })
    : c.schedule === 'step' ? new StepLR({ baseLr: c.lr, stepSize: c.decayEvery, gamma: c.decay })
      : { lrAt: () => c.lr };
  return c.warmup > 0 ? new LinearWarmup({ warmupSteps: c.warmup, then: main }) : main;
}

/** Range checks with messages that name the option as the command line spells it. */
export function checkConfig(c: TrainConfig): void {
  const bad = (opt: string, want: string, got: unknown) => { throw new Error(`--${opt} must be ${want}, got ${String(got)}`); };
  const posInt = (opt: string, v: number, max = Infinity) => { if (!Number.isInteger(v) || v < 1 || v > max) bad(opt, `an integer from 1 to ${max}`, v); };
  if (!['rnn', 'lstm', 'gru'].includes(c.cell)) bad('cell', 'rnn, lstm or gru', c.cell);
  if (!['tanh', 'relu'].includes(c.nonlinearity)) bad('nonlinearity', 'tanh or relu', c.nonlinearity);
  posInt('hidden', c.hidden, 8192);
  posInt('layers', c.layers, 16);
  posInt('seq', c.seq, 100000);
  posInt('batch', c.batch, 100000);
  posInt('steps', c.steps, 1e9);
  if (!(c.dropout >= 0 && c.dropout < 1)) bad('dropout', 'in [0, 1)', c.dropout);
  if (!['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad'].includes(c.optimizer)) bad('optimizer', 'adam, adamw, sgd, rmsprop or adagrad', c.optimizer);
  if (!(c.lr > 0 && c.lr < 10)) bad('lr', 'a number in (0, 10)', c.lr);
  if (!(c.weightDecay >= 0)) bad('weight-decay', '≥ 0', c.weightDecay);
  if (!['constant', 'cosine', 'step'].includes(c.schedule)) bad('schedule', 'constant, cosine or step', c.schedule);
  if (!(Number.isInteger(c.warmup) && c.warmup >= 0 && c.warmup < c.steps)) bad('warmup', `an integer from 0 to steps − 1 (${c.steps - 1})`, c.warmup);
  posInt('decay-every', c.decayEvery);
  if (!(c.decay > 0 && c.decay <= 1)) bad('decay', 'in (0, 1]', c.decay);
  if (!(c.clip >= 0)) bad('clip', '≥ 0 (0 turns clipping off)', c.clip);
  if (!(c.valFraction >= 0 && c.valFraction < 0.5)) bad('val-fraction', 'in [0, 0.5)', c.valFraction);
  posInt('val-chars', c.valChars);
  if (!Number.isInteger(c.seed) || c.seed < 0) bad('seed', 'a non-negative integer', c.seed);
  if (c.tokens !== undefined && c.tokens !== 'word') bad('tokens', 'char or word', c.tokens);
  if (c.tokens === 'word') {
    if (!(Number.isInteger(c.vocabSize) && c.vocabSize! >= 2 && c.vocabSize! <= MAX_WORD_VOCAB)) bad('vocab-size', `an integer from 2 to ${MAX_WORD_VOCAB}`, c.vocabSize);
  } else if (c.vocabSize !== undefined) throw new Error('--vocab-size applies to --tokens word only');
}

/** The largest vocabulary a word-level run may have (the output layer and its logits grow with it). */
export const MAX_WORD_VOCAB = 200000;
