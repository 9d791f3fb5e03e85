import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { Tensor, noGrad } from '../../src/tensor/index.js';
import { CaptionTrainer, decodeCaptions, exportCaptionerStep, joinDataset, parseCaptions, parseSplit, defaultCaptionTrainConfig } from '../../src/caption/index.js';
import { decodeCaptionsONNX } from '../../src/node.js';

/*
 * The captioner's decoder step exported to ONNX, driven by the same search under ONNX Runtime, must
 * write the captions rnnkit writes (what `rnnkit caption describe` prints for these features).
 */

/** 24 images in 3 kinds: features that say the kind, captions that name it in a few ways. */
function tinyData() {
  const F = 6, names: string[] = [], feats = new Float32Array(24 * F);
  const caps: string[] = [], split: string[] = [];
  const kinds = ['dog', 'cat', 'bird'];
  for (let i = 0; i < 24; i++) {
    const kind = kinds[i % 3];
    names.push(`${i}.jpg`);
    for (let d = 0; d < F; d++) feats[i * F + d] = 2 + ((i % 3) * 2 + d) % F + 0.1 * ((i * 7 + d * 3) % 5);
    caps.push(`${i}.jpg\t0\tA ${kind} sits .`, `${i}.jpg\t1\tthe ${kind} sits on a mat`, `${i}.jpg\t2\ta small ${kind} on the grass`);
    split.push(`${i}.jpg\t${i < 18 ? 'train' : 'val'}`);
  }
  return joinDataset(feats, names, parseCaptions(caps.join('\n'), 'c'), parseSplit(split.join('\n'), 's'));
}

const cfg = { ...defaultCaptionTrainConfig, embed: 8, hidden: 16, dropout: 0, labelSmoothing: 0, minCount: 2, batch: 8, lr: 0.02, lrDecay: 1, ema: 0, valBeam: 2 };

for (const cell of ['rnn', 'lstm'] as const) {
  for (const inject of ['every', 'init'] as const) {
    test(`${cell}, inject ${inject}: beam search over the exported step under ONNX Runtime writes rnnkit's captions`, async () => {
      const data = tinyData();
      const tr = new CaptionTrainer(data, { ...cfg, cell, inject });
      // a few epochs: trained enough that the captions depend on the image, with close calls left in the beam
      for (let e = 0; e < 8; e++) for (const b of tr.epochPlan()) tr.trainStep(b);
      const model = tr.model.eval();
      const bytes = await exportCaptionerStep(model);

      // one step: the graph's log-probabilities are the model's
      const N = 4, F = data.dim, H = cfg.hidden, V = model.config.vocabSize;
      const feats = new Tensor(data.features.slice(0, N * F), [N, F]);
      const words = Int32Array.from([1, 4, 5, 6]);
      const session = await ort.InferenceSession.create(bytes);
      const feeds: Record<string, ort.Tensor> = {
        word: new ort.Tensor('int64', BigInt64Array.from(words, (w) => BigInt(w)), [N]),
        feature: new ort.Tensor('float32', Float32Array.from(feats.data), [N, F]),
        h: new ort.Tensor('float32', new Float32Array(N * H), [N, H]),
      };
      if (cell === 'lstm') feeds.c = new ort.Tensor('float32', new Float32Array(N * H), [N, H]);
      if (inject === 'init') feeds.start = new ort.Tensor('bool', new Uint8Array(N).fill(1), [N]);
      const got = await session.run(feeds);
      const want = noGrad(() => {
        const r = model.run(words, [1, N], model.imageTerm(feats), null);
        return { logits: model.logits(r.output).data, h: r.state.h.data };
      });
      assert.deepEqual(got.log_probs.dims, [N, V]);
      (got.logits.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - want.logits[i]) < 1e-5, `logit ${i}`));
      (got.h_out.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - want.h[i]) < 1e-5, `h ${i}`));
      await session.release();

      const all = new Tensor(data.features, [data.features.length / F, F]);
      for (const opts of [{ beam: 3 }, { beam: 5, lengthPenalty: 0.7 }, { method: 'greedy' as const }]) {
        const mine = decodeCaptions(model, all, opts).map((c) => tr.vocab.decode(c).join(' '));
        const theirs = (await decodeCaptionsONNX(bytes, data.features, opts)).map((c) => tr.vocab.decode(c).join(' '));
        assert.deepEqual(theirs, mine, JSON.stringify(opts));
        assert.ok(new Set(mine).size > 1, 'the captions depend on the image');
      }
    });
  }
}
