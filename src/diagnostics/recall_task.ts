import { Tensor, crossEntropy, noGrad, Generator, select } from '../tensor/index.js';
import { Module, RNN, LSTM, GRU, Linear, OneHot } from '../nn/index.js';
import { Adam, clipGradNorm } from '../optim/index.js';

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

export type CellName = 'rnn' | 'lstm' | 'gru';

/** A recurrent layer with a linear read-out of its last state. */
export class RecallNet extends Module {
  readonly rnn: RNN | LSTM | GRU;
  readonly head: Linear;

  constructor(readonly cell: CellName, readonly task: RecallTask, readonly hidden: number, generator: Generator, forgetBias = 0) {
    super();
    const opts = { inputSize: recallVocab(task), hiddenSize: hidden, generator };
    this.rnn = this.registerModule('rnn', cell === 'lstm' ? new LSTM({ ...opts, forgetBias }) : cell === 'gru' ? new GRU(opts) : new RNN(opts));
    this.head = this.registerModule('head', new Linear(hidden, recallVocab(task), { generator }));
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
}

/** Trains a small network on the task and measures its accuracy on 512 fresh sequences. */
export function trainRecall(cell: CellName, task: RecallTask, o: { hidden?: number; steps?: number; batch?: number; lr?: number; seed?: number; forgetBias?: number } = {}): RecallResult {
  const rng = new Generator(o.seed ?? 1);
  const net = new RecallNet(cell, task, o.hidden ?? 32, rng, o.forgetBias ?? 0);
  const opt = new Adam(net.namedParameters(), { lr: o.lr ?? 1e-2 });
  const losses: number[] = [];
  for (let s = 0; s < (o.steps ?? 300); s++) {
    const { inputs, answers } = recallBatch(task, o.batch ?? 32, rng);
    const loss = crossEntropy(net.forward(inputs), answers);
    opt.zeroGrad();
    loss.backward();
    clipGradNorm(net.parameters(), 1);
    opt.step();
    losses.push(loss.item());
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
  return { cell, delay: task.delay, accuracy: right / 512, chance: 1 / task.symbols, losses };
}
