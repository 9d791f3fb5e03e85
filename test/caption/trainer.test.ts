import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, linear, noGrad } from '../../src/tensor/index.js';
import { DivergedError } from '../../src/train/index.js';
import { CaptionTrainer, captionerFromCheckpoint, decodeCaptions, featureStats, joinDataset, parseCaptions, parseSplit, defaultCaptionTrainConfig, evaluateCaptioner } from '../../src/caption/index.js';

/** 16 images in 2 kinds: features that say the kind, captions that name it. */
function tinyData() {
  const F = 6, names: string[] = [], feats = new Float32Array(16 * F);
  const caps: string[] = [], split: string[] = [];
  for (let i = 0; i < 16; i++) {
    const kind = i % 2 ? 'cat' : 'dog';
    names.push(`${i}.jpg`);
    for (let d = 0; d < F; d++) feats[i * F + d] = 2 + (i % 2 ? d : F - d) + 0.1 * ((i * 7 + d * 3) % 5);
    caps.push(`${i}.jpg\t0\tA ${kind} sits .`, `${i}.jpg\t1\tthe ${kind} sits on a mat`);
    split.push(`${i}.jpg\t${i < 12 ? 'train' : 'val'}`);
  }
  return joinDataset(feats, names, parseCaptions(caps.join('\n'), 'c'), parseSplit(split.join('\n'), 's'));
}

const cfg = { ...defaultCaptionTrainConfig, embed: 8, hidden: 16, dropout: 0, labelSmoothing: 0, minCount: 2, batch: 8, lr: 0.02, lrDecay: 1, ema: 0, valBeam: 2 };

test('the trainer learns captions that depend on the image, for both inject modes', () => {
  for (const inject of ['every', 'init'] as const) {
    const tr = new CaptionTrainer(tinyData(), { ...cfg, inject });
    assert.deepEqual(tr.vocab.words.slice(4).sort(), ['a', 'cat', 'dog', 'mat', 'on', 'sits', 'the']);
    let first = 0, last = 0;
    for (let e = 0; e < 25; e++) for (const b of tr.epochPlan()) { const r = tr.trainStep(b); if (!first) first = r.loss; last = r.loss; }
    assert.ok(last < first / 3, `${inject}: loss ${first} → ${last}`);
    const { captions, scores } = tr.evaluate({ method: 'greedy' });
    captions.forEach((c, i) => assert.ok(c.includes(i % 2 ? 'cat' : 'dog'), `${inject}: image ${12 + i}: ${c.join(' ')}`));
    assert.ok(scores.bleu[0] > 0.8);
  }
});

test('feature standardisation: the statistics of the training images, applied inside the model and kept by its checkpoint', () => {
  const data = tinyData();
  const tr = new CaptionTrainer(data, cfg);
  const { mean, std } = featureStats(data.features, data.dim, data.train.map((t) => t.row));
  assert.deepEqual(tr.model.featureNorm!.mean, mean);
  const v = new Tensor(data.features.slice(0, 12), [2, 6]);
  const z = Tensor.from(Array.from(v.data, (x, i) => (x - mean[i % 6]) / std[i % 6]), [2, 6]);
  const got = noGrad(() => tr.model.eval().imageTerm(v));
  const want = noGrad(() => linear(z, tr.model.img.weight, tr.model.img.bias));
  got.data.forEach((g, i) => assert.ok(Math.abs(g - want.data[i]) < 1e-4));

  const ckpt = tr.checkpoint();
  assert.equal(ckpt.model.meta.format, 'rnnkit.captioner/1');
  const back = captionerFromCheckpoint(ckpt, 'ckpt');
  assert.deepEqual(back.model.featureNorm!.std.map((x) => +x.toFixed(4)), tr.model.featureNorm!.std.map((x) => +x.toFixed(4)));
  const feats = new Tensor(data.features.slice(0, 24), [4, 6]);
  assert.deepEqual(decodeCaptions(back.model, feats, { beam: 2 }).map((c) => [...c]), decodeCaptions(tr.model, feats, { beam: 2 }).map((c) => [...c]));
  const other = { model: { tensors: {}, meta: { format: 'rnnkit.char-lm/1' } }, state: null };
  assert.throws(() => captionerFromCheckpoint(other, 'runs/step-000010'), /runs\/step-000010 is not an image-captioning checkpoint: it holds a character language model/);
});

test('label smoothing: the trainer passes ε to its loss (higher than the plain loss on the same batch), and refuses ε outside [0, 1)', () => {
  const data = tinyData();
  const plain = new CaptionTrainer(data, cfg), smooth = new CaptionTrainer(data, { ...cfg, labelSmoothing: 0.2 });
  const batch = plain.epochPlan()[0];
  for (let e = 0; e < 10; e++) for (const b of plain.epochPlan()) plain.trainStep(b);
  smooth.model.loadStateDict(plain.model.stateDict());
  const b = plain.batch(batch);
  const loss = (tr: CaptionTrainer, eps: number) => noGrad(() => tr.model.loss(b.features, b.inputs, b.targets, b.shape, { labelSmoothing: eps }).item());
  assert.ok(loss(smooth, 0.2) > loss(plain, 0) + 0.1, `${loss(smooth, 0.2)} vs ${loss(plain, 0)}`);
  const before = smooth.model.stateDict()['head.weight'].data.slice();
  const r = smooth.trainStep(batch);
  assert.ok(Math.abs(r.loss - loss(plain, 0.2)) < 1e-5, 'trainStep uses the smoothed loss');
  assert.ok(smooth.model.stateDict()['head.weight'].data.some((v, i) => v !== before[i]));
  assert.throws(() => new CaptionTrainer(data, { ...cfg, labelSmoothing: 1 }), /--label-smoothing must be in \[0, 1\), got 1/);
});

test('weight averaging (--ema): validation and checkpoints use the moving average, training goes on with the trained weights', () => {
  const data = tinyData();
  const plain = new CaptionTrainer(data, cfg), avg = new CaptionTrainer(data, { ...cfg, ema: 0.9 });
  const steps: number[][] = [];
  for (let e = 0; e < 3; e++) steps.push(...plain.epochPlan());
  const trained = (tr: CaptionTrainer) => tr.model.parameters().map((p) => Float32Array.from(p.data));
  // the same steps give the same trained weights: averaging does not change training
  const expect = trained(plain);
  steps.forEach((b, t) => {
    plain.trainStep(b);
    avg.trainStep(b);
    const a = 1 - Math.min(0.9, (2 + t) / (11 + t));
    trained(plain).forEach((w, k) => { for (let i = 0; i < w.length; i++) expect[k][i] += a * (w[i] - expect[k][i]); });
  });
  assert.deepEqual(trained(avg), trained(plain));
  const inside = avg.withAveragedWeights(() => trained(avg));
  inside.forEach((w, k) => w.forEach((v, i) => assert.ok(Math.abs(v - expect[k][i]) < 1e-5)));
  assert.deepEqual(trained(avg), trained(plain), 'the trained weights are back after withAveragedWeights');
  const saved = avg.checkpoint().model.tensors;
  avg.model.namedParameters().forEach(([name], k) => assert.deepEqual(saved[name].data, inside[k], name));
  const direct = avg.withAveragedWeights(() => evaluateCaptioner(avg.model, avg.vocab, data.features, data.dim, data.val, { method: 'greedy' }));
  assert.deepEqual(avg.evaluate({ method: 'greedy' }).captions, direct.captions);
  assert.throws(() => new CaptionTrainer(data, { ...cfg, ema: 1 }), /--ema must be in \[0, 1\)/);
});

test('a loss that turns NaN stops training with DivergedError, before the weights or the average change', () => {
  const tr = new CaptionTrainer(tinyData(), { ...cfg, ema: 0.9 });
  const b = tr.epochPlan()[0];
  tr.trainStep(b);
  tr.model.img.weight.data[0] = NaN;
  const weights = tr.model.parameters().map((p) => Float32Array.from(p.data));
  const averaged = tr.withAveragedWeights(() => tr.model.parameters().map((p) => Float32Array.from(p.data)));
  assert.throws(() => tr.trainStep(b), (e: unknown) => e instanceof DivergedError && e.step === 2 && e.what === 'loss' && e.message === 'training diverged at step 2: the loss is NaN');
  assert.equal(tr.step, 1);
  assert.deepEqual(tr.model.parameters().map((p) => Float32Array.from(p.data)), weights);
  assert.deepEqual(tr.withAveragedWeights(() => tr.model.parameters().map((p) => Float32Array.from(p.data))), averaged);
});
