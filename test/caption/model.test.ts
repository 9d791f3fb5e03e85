import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, Generator, noGrad, tanh, add, linear, reshape } from '../../src/tensor/index.js';
import { Captioner, padBatch, decodeCaptions, START_ID, END_ID, NULL_ID, UNK_ID, type CaptionerConfig } from '../../src/caption/index.js';
import { gradCheck, randTensor } from '../helpers/gradcheck.js';

const base: CaptionerConfig = { cell: 'lstm', inject: 'every', vocabSize: 9, featureSize: 6, embedSize: 5, hiddenSize: 7, dropout: 0 };
const caps = [Int32Array.of(4, 5, 6), Int32Array.of(7), Int32Array.of(8, 4, 5, 6, 7)];

test('padBatch: <START> w… as inputs, w… <END> as targets, <NULL> padding, time-major', () => {
  const b = padBatch([Int32Array.of(4, 5), Int32Array.of(6)]);
  assert.deepEqual(b.shape, [3, 2]);
  assert.deepEqual([...b.inputs], [START_ID, START_ID, 4, 6, 5, NULL_ID]);
  assert.deepEqual([...b.targets], [4, 6, 5, END_ID, END_ID, NULL_ID]);
  assert.equal(b.tokens, 5);
});

for (const cell of ['rnn', 'lstm'] as const) {
  for (const inject of ['every', 'init'] as const) {
    test(`masked loss (${cell}, inject ${inject}): a padded batch gives the token-weighted mean of each caption's own loss, and the same gradients`, () => {
      const model = new Captioner({ ...base, cell, inject }, new Generator(3));
      const feats = randTensor([3, 6], 4, 1, false);
      const row = (i: number) => new Tensor(feats.data.slice(i * 6, i * 6 + 6), [1, 6]);
      const b = padBatch(caps);
      const batched = model.loss(feats, b.inputs, b.targets, b.shape);
      model.zeroGrad();
      batched.backward();
      const gBatch = model.namedParameters().map(([n, p]) => [n, Float32Array.from(p.grad!.data)] as const);
      model.zeroGrad();
      let total = 0;
      for (let i = 0; i < caps.length; i++) {
        const one = padBatch([caps[i]]);
        const l = model.loss(row(i), one.inputs, one.targets, one.shape);
        // each caption's mean loss, weighted by its share of the batch's tokens
        const w = one.tokens / b.tokens;
        total += l.item() * w;
        l.backward(Tensor.scalar(w));
      }
      assert.ok(Math.abs(batched.item() - total) < 1e-5, `${batched.item()} vs ${total}`);
      for (const [name, g] of gBatch) {
        const p = model.namedParameters().find(([n]) => n === name)![1];
        g.forEach((v, i) => assert.ok(Math.abs(v - p.grad!.data[i]) < 1e-5, `${name}[${i}]: ${v} vs ${p.grad!.data[i]}`));
      }
    });
  }
}

test('inject every is the lecture\'s formula h_t = tanh(W_xh x_t + b + W_hh h_{t-1} + W_ih v)', () => {
  const model = new Captioner({ ...base, cell: 'rnn', inject: 'every' }, new Generator(5));
  const sd = model.stateDict();
  const v = randTensor([2, 6], 6, 1, false);
  const ids = Int32Array.of(START_ID, START_ID, 4, 7);
  const { output } = noGrad(() => model.run(ids, [2, 2], model.imageTerm(v), null));
  const iv = linear(v, sd['img.weight']);
  let h = Tensor.zeros([2, 7]);
  for (let t = 0; t < 2; t++) {
    const x = new Tensor(Float32Array.from([...ids.subarray(2 * t, 2 * t + 2)].flatMap((id) => [...sd['embed.weight'].data.subarray(id * 5, id * 5 + 5)])), [2, 5]);
    h = tanh(add(add(linear(x, sd['rnn.weight_ih_l0'], sd['rnn.bias_ih_l0']), linear(h, sd['rnn.weight_hh_l0'], sd['rnn.bias_hh_l0'])), iv));
    const got = reshape(output, [2, 2, 7]).data.subarray(t * 14, t * 14 + 14);
    h.data.forEach((x, i) => assert.ok(Math.abs(x - got[i]) < 1e-5));
  }
});

test('gradient of the captioner loss matches central differences (LSTM, both inject modes)', () => {
  for (const inject of ['every', 'init'] as const) {
    const model = new Captioner({ ...base, inject }, new Generator(7));
    const feats = randTensor([3, 6], 8, 1, true);
    const b = padBatch(caps);
    const params = model.parameters();
    const r = gradCheck(() => model.loss(feats, b.inputs, b.targets, b.shape), [feats, ...params], { maxPerTensor: 12 });
    assert.ok(r.worst < 2e-2, `${inject}: ${r.where}`);
  }
});

/** log p of a caption under the model with decoding's masking (no <NULL>, <START>, <UNK>; no <END> first), <END> included. */
function logProb(model: Captioner, feat: Tensor, words: number[], alpha: number): number {
  return noGrad(() => {
    model.eval();
    const ids = Int32Array.from([START_ID, ...words]);
    const { output } = model.run(ids, [ids.length, 1], model.imageTerm(feat), null);
    const logits = model.logits(output).data;
    const V = model.config.vocabSize;
    let lp = 0;
    [...words, END_ID].forEach((w, t) => {
      const row = [...logits.subarray(t * V, (t + 1) * V)].map((z, j) => ([NULL_ID, START_ID, UNK_ID].includes(j) || (t === 0 && j === END_ID) ? -Infinity : z));
      const m = Math.max(...row);
      lp += row[w] - m - Math.log(row.reduce((s, z) => s + Math.exp(z - m), 0));
    });
    return lp / Math.pow(words.length + 1, alpha);
  });
}

test('beam search with a beam as wide as the search space finds the exhaustive best caption (raw and length-normalised)', () => {
  // words 4, 5, 6 and captions of 1 to 3 words (<END> forced after the third): 3 + 9 + 27 of them
  const model = new Captioner({ ...base, vocabSize: 7, hiddenSize: 6 }, new Generator(11));
  const feats = randTensor([3, 6], 12, 2, false);
  const all: number[][] = [];
  const grow = (prefix: number[]) => { if (prefix.length) all.push(prefix); if (prefix.length < 3) for (const w of [4, 5, 6]) grow([...prefix, w]); };
  grow([]);
  for (const alpha of [0, 1]) {
    const got = decodeCaptions(model, feats, { method: 'beam', beam: 40, maxLength: 3, lengthPenalty: alpha });
    for (let i = 0; i < 3; i++) {
      const f = new Tensor(feats.data.slice(i * 6, i * 6 + 6), [1, 6]);
      let best = all[0], bestLp = -Infinity;
      for (const c of all) {
        const lp = logProb(model, f, c, alpha);
        if (lp > bestLp) { bestLp = lp; best = c; }
      }
      assert.deepEqual([...got[i]], best, `image ${i}, α ${alpha}`);
    }
  }
});

test('beam 1 is greedy decoding, wider beams find captions at least as likely, and <UNK> is never written', () => {
  const model = new Captioner({ ...base, vocabSize: 12 }, new Generator(13));
  // make <UNK> the most likely word everywhere: decoding must still never write it
  const hb = model.stateDict()['head.bias'];
  hb.data[UNK_ID] = 50;
  const feats = randTensor([5, 6], 14, 2, false);
  const greedy = decodeCaptions(model, feats, { method: 'greedy', maxLength: 8 });
  const beam1 = decodeCaptions(model, feats, { method: 'beam', beam: 1, maxLength: 8 });
  assert.deepEqual(beam1.map((c) => [...c]), greedy.map((c) => [...c]));
  const beam4 = decodeCaptions(model, feats, { method: 'beam', beam: 4, maxLength: 8 });
  const sampled = decodeCaptions(model, feats, { method: 'sample', temperature: 1.5, maxLength: 8, generator: new Generator(1) });
  for (const set of [greedy, beam4, sampled]) for (const c of set) assert.ok(![...c].some((w) => w < 4), `special token in ${[...c]}`);
  for (let i = 0; i < 5; i++) {
    const f = new Tensor(feats.data.slice(i * 6, i * 6 + 6), [1, 6]);
    const lg = logProb(model, f, [...greedy[i]], 0), lb = logProb(model, f, [...beam4[i]], 0);
    if (greedy[i].length < 8 && beam4[i].length < 8) assert.ok(lb >= lg - 1e-6, `image ${i}: beam ${lb} < greedy ${lg}`);
  }
});
