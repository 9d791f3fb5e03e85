import { Tensor, crossEntropy, noGrad, Generator, select } from '../tensor/index.js';
import { cellKind, type CellName } from '../kernels/index.js';
import { Module, Linear, OneHot, recurrentWithHead, type AnyRecurrent } from '../nn/index.js';
import { Adam, SGD } from '../optim/index.js';
import { trainStep, DivergedError } from '../train/index.js';

/*
 * The delayed-recall task: the first input is one of K symbols, then come `delay` blanks, then a
 * "recall" marker; the target at the last step is the first symbol. Nothing in between helps, so
 * the network must carry one fact across `delay` steps — and the gradient that teaches it to must
 * travel back just as far. Chance accuracy is 1/K.
 */
export interface RecallTask {
  symbols: number;
  delay: number;
}

const BLANK = 0;

/** Vocabulary: 0 blank, 1 recall marker, 2.. the symbols. */
export function recallVocab(t: RecallTask): number {
  return t.symbols + 2;
}

/** A batch as time-major one-hot ids [delay + 2, B] and the symbol each sequence must recall. */
export function recallBatch(t: RecallTask, batch: number, rng: Generator): { inputs: OneHot; answers: Int32Array } {
  const T = t.delay + 2;
  const ids = new Int32Array(T * batch).fill(BLANK);
  const answers = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    answers[b] = 2 + rng.int(t.symbols);
    ids[b] = answers[b];
    ids[(T - 1) * batch + b] = 1;
  }
  return { inputs: new OneHot(ids, [T, batch], recallVocab(t)), answers };
}

/** A recurrent layer with a linear read-out of its last state. */
export class RecallNet extends Module {
  readonly rnn: AnyRecurrent;
  readonly head: Linear;

  /**
   * forgetBias (LSTM): added to the forget gate's bias, as LSTM's own option. inputBias (LSTM): added to
   * the input gate's bias. A forget gate near 1 keeps the cell's memory, but then c_t = f ⊙ c_{t−1} + i ⊙ g
   * also sums up what every blank step writes, until tanh(c_t) saturates and its gradient dies; a
   * negative input bias (the "chrono" initialization of Tallec & Ollivier uses −forgetBias) keeps those
   * writes small.
   */
  constructor(readonly cell: CellName, readonly task: RecallTask, readonly hidden: number, generator: Generator, forgetBias = 0, inputBias = 0) {
    super();
    const { rnn, head } = recurrentWithHead(cellKind(cell), { inputSize: recallVocab(task), hiddenSize: hidden, generator, forgetBias }, recallVocab(task));
    this.rnn = this.registerModule('rnn', rnn);
    this.head = this.registerModule('head', head);
    if (cell === 'lstm' && inputBias !== 0) {
      const b = this.rnn.stateDict().bias_ih_l0;
      for (let j = 0; j < hidden; j++) b.data[j] += inputBias;
    }
  }

  /** Logits [B, V] for the last step. */
  forward(inputs: OneHot): Tensor {
    const r = this.rnn.forward(inputs);
    return this.head.forward(select(r.output, inputs.shape[0] - 1));
  }
}

export interface RecallResult {
  cell: CellName;
  delay: number;
  /** Accuracy on fresh sequences after training. */
  accuracy: number;
  chance: number;
  losses: number[];
  /** The global gradient norm of every step, before clipping. */
  gradNorms: number[];
  /** Steps whose gradient was clipped. */
  clippedSteps: number;
  /** The step at which the smoothed loss fell below `stopLoss`, or null. */
  solvedAt: number | null;
  /** The step at which the loss or the gradient turned NaN or infinite (training stopped there), or null. */
  divergedAt: number | null;
  /** The trained network. */
  net: RecallNet;
}

export interface RecallTrainOptions {
  hidden?: number;
  /** The most optimizer steps to take (default 300). */
  steps?: number;
  batch?: number;
  lr?: number;
  seed?: number;
  forgetBias?: number;
  /** LSTM: added to the input gate's bias (see RecallNet). */
  inputBias?: number;
  /** Adam (default) or plain SGD, which shows the raw effect of a gradient's size. */
  optimizer?: 'adam' | 'sgd';
  /** Clip the global gradient norm to this (default 1); 0 turns clipping off. */
  clip?: number;
  /** Stop early once the loss, smoothed over about ten steps, falls below this. */
  stopLoss?: number;
  /** Called on the fresh network before training, e.g. to set W_hh. */
  init?: (net: RecallNet) => void;
}

/** Trains a small network on the task and measures its accuracy on 512 fresh sequences. */
export function trainRecall(cell: CellName, task: RecallTask, o: RecallTrainOptions = {}): RecallResult {
  const rng = new Generator(o.seed ?? 1);
  const net = new RecallNet(cell, task, o.hidden ?? 32, rng, o.forgetBias ?? 0, o.inputBias ?? 0);
  o.init?.(net);
  const lr = o.lr ?? 1e-2, clip = o.clip ?? 1;
  const opt = o.optimizer === 'sgd' ? new SGD(net.namedParameters(), { lr }) : new Adam(net.namedParameters(), { lr });
  const losses: number[] = [], gradNorms: number[] = [];
  let clippedSteps = 0, solvedAt: number | null = null, divergedAt: number | null = null, smooth = Math.log(task.symbols);
  for (let s = 0; s < (o.steps ?? 300); s++) {
    const { inputs, answers } = recallBatch(task, o.batch ?? 32, rng);
    const loss = crossEntropy(net.forward(inputs), answers);
    let r;
    try {
      r = trainStep(loss, opt, { step: s + 1, clip });
    } catch (e) {
      if (!(e instanceof DivergedError)) throw e;
      // the diverged step is recorded too; a loss that is not finite leaves its gradient unmeasured
      losses.push(loss.item());
      gradNorms.push(e.what === 'gradient norm' ? e.value : NaN);
      divergedAt = s + 1;
      break;
    }
    losses.push(r.loss);
    gradNorms.push(r.gradNorm);
    if (r.clipped) clippedSteps++;
    smooth = 0.9 * smooth + 0.1 * r.loss;
    if (o.stopLoss !== undefined && smooth < o.stopLoss) {
      solvedAt = s + 1;
      break;
    }
  }
  const test = recallBatch(task, 512, new Generator(12345));
  const logits = noGrad(() => net.forward(test.inputs));
  const V = recallVocab(task);
  let right = 0;
  for (let b = 0; b < 512; b++) {
    const row = logits.data.subarray(b * V, (b + 1) * V);
    let best = 0;
    for (let j = 1; j < V; j++) if (row[j] > row[best]) best = j;
    if (best === test.answers[b]) right++;
  }
  return { cell, delay: task.delay, accuracy: right / 512, chance: 1 / task.symbols, losses, gradNorms, clippedSteps, solvedAt, divergedAt, net };
}
