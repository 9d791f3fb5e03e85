import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CharLM, CharVocab, traceCharLM, topPredictions } from '../../src/text/index.js';
import type { CellName } from '../../src/kernels/index.js';
import { Generator, noGrad } from '../../src/tensor/index.js';
import { useBackend } from '../../src/kernels/index.js';
import { registerWasmBackend } from '../../src/kernels/wasm/index.js';

const text = 'call me ishmael. some years ago, never mind how long precisely';
const vocab = CharVocab.fromText(text);

function model(cell: CellName, layers = 2, H = 6): CharLM {
  return new CharLM({ cell, vocabSize: vocab.size, hiddenSize: H, numLayers: layers, dropout: 0.3 }, new Generator(5));
}

const close = (a: number, b: number, tol = 1e-5) => Math.abs(a - b) <= tol * (1 + Math.abs(b));

for (const backend of ['js', 'wasm'] as const) {
  test(`traceCharLM (${backend}): the top layer's h is the model's output, probabilities its softmax, and the gates obey the cell equations`, async () => {
    registerWasmBackend();
    await useBackend(backend);
    try {
      for (const cell of ['rnn', 'lstm', 'gru'] as const) {
        const m = model(cell);
        const tr = traceCharLM(m, vocab, text);
        const T = [...text].length, H = 6, V = vocab.size;
        assert.equal(tr.chars.join(''), text);
        assert.equal(tr.layers.length, 2);
        assert.equal(m.training, true, 'the model is left in training mode as it was');
        // the same forward pass without the probe, dropout off
        m.eval();
        const ref = noGrad(() => m.forward(vocab.encode(text), [T, 1], null));
        m.train();
        const logits = ref.logits.data;
        for (let t = 0; t < T; t++) {
          let z = 0, max = -Infinity;
          for (let j = 0; j < V; j++) max = Math.max(max, logits[t * V + j]);
          for (let j = 0; j < V; j++) z += Math.exp(logits[t * V + j] - max);
          let total = 0;
          for (let j = 0; j < V; j++) {
            total += tr.probs[t * V + j];
            assert.ok(close(tr.probs[t * V + j], Math.exp(logits[t * V + j] - max) / z), `${cell} p[${t}, ${j}]`);
          }
          assert.ok(close(total, 1), `${cell}: row ${t} sums to ${total}`);
        }
        // the final state of each layer is its trace's last row
        for (let l = 0; l < 2; l++) {
          for (let j = 0; j < H; j++) assert.ok(close(tr.layers[l].h[(T - 1) * H + j], ref.state.h.data[l * H + j]), `${cell} h_T layer ${l}`);
        }
        const L0 = tr.layers[0];
        if (cell === 'rnn') {
          assert.equal(L0.gates, null);
          assert.equal(L0.c, null);
          assert.deepEqual(tr.gateNames, []);
        }
        if (cell === 'lstm') {
          assert.deepEqual(tr.gateNames, ['i', 'f', 'g', 'o']);
          for (let t = 0; t < T; t++) {
            for (let j = 0; j < H; j++) {
              const g = (k: number) => L0.gates![t * 4 * H + k * H + j];
              const cPrev = t ? L0.c![(t - 1) * H + j] : 0;
              assert.ok(close(L0.c![t * H + j], g(1) * cPrev + g(0) * g(2), 1e-4), `c_t = f c_{t-1} + i g at ${t}, ${j}`);
              assert.ok(close(L0.h[t * H + j], g(3) * Math.tanh(L0.c![t * H + j]), 1e-4), `h_t = o tanh(c_t) at ${t}, ${j}`);
              for (const k of [0, 1, 3]) assert.ok(g(k) > 0 && g(k) < 1, 'sigmoid gates lie in (0, 1)');
            }
          }
        }
        if (cell === 'gru') {
          assert.deepEqual(tr.gateNames, ['r', 'z', 'n']);
          assert.equal(L0.c, null);
          for (let t = 0; t < T; t++) {
            for (let j = 0; j < H; j++) {
              const g = (k: number) => L0.gates![t * 3 * H + k * H + j];
              const hPrev = t ? L0.h[(t - 1) * H + j] : 0;
              assert.ok(close(L0.h[t * H + j], (1 - g(1)) * g(2) + g(1) * hPrev, 1e-4), `h_t = (1 − z) n + z h_{t-1} at ${t}, ${j}`);
            }
          }
        }
      }
    } finally {
      await useBackend('js');
    }
  });
}

test('traceCharLM refuses characters outside the vocabulary; topPredictions ranks a row', () => {
  assert.throws(() => traceCharLM(model('lstm', 1), vocab, 'ZEBRA'), /never saw: "Z", "E", "B", "R", "A"/);
  assert.throws(() => traceCharLM(model('lstm', 1), vocab, ''), /empty/);
  assert.deepEqual(topPredictions([0.1, 0.5, 0.05, 0.3, 0.05], 3).map((e) => e.index), [1, 3, 0]);
  assert.equal(topPredictions([0.2, 0.8], 5).length, 2);
});
