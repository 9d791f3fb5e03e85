import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CharLM, CharLMStepper, CharVocab, pick, sampleText, type CharLMState } from '../../src/text/index.js';
import type { CellName } from '../../src/kernels/index.js';
import { Generator, noGrad } from '../../src/tensor/index.js';
import { referenceBackend } from '../../src/kernels/reference/index.js';
import { createWasmBackend } from '../../src/kernels/wasm/index.js';
import { withBackend } from '../../src/kernels/registry.js';
import { profiled } from '../../src/kernels/profile.js';
import type { Backend } from '../../src/kernels/backend.js';

// The one-character-at-a-time path of sampling against the model's own forward pass.

const text = 'the whale, the sea; and Ahab! call me Ishmael.\n';
const vocab = CharVocab.fromText(text);
const ids = vocab.encode(text);
const wasm = await createWasmBackend({ threads: 1 });

function model(cell: CellName, layers: number, seed: number, hidden = 24): CharLM {
  const m = new CharLM({ cell, vocabSize: vocab.size, hiddenSize: hidden, numLayers: layers, dropout: 0, nonlinearity: seed % 2 ? 'relu' : 'tanh' }, new Generator(seed));
  // non-zero biases everywhere, so that a bias added in the wrong place shows
  for (const p of m.parameters()) for (let i = 0; i < p.data.length; i++) p.data[i] += 0.05 * Math.sin(i + seed);
  return m;
}

/** The stepper's logits against CharLM.forward's, from a zero state and then from a carried one. */
function checkStepper(m: CharLM, cell: CellName, layers: number): void {
  m.eval();
  const half = 20;
  const { first, rest } = noGrad(() => {
    const a = m.forward(ids.subarray(0, half), [half, 1], null);
    const b = m.forward(ids.subarray(half), [ids.length - half, 1], a.state);
    return { first: a, rest: b };
  });
  const s = new CharLMStepper(m);
  const check = (got: Float32Array, want: Float32Array, what: string) => {
    for (let j = 0; j < vocab.size; j++) {
      if (!(Math.abs(got[j] - want[j]) <= 1e-5 * (1 + Math.abs(want[j])))) assert.fail(`${cell} ×${layers} ${what}: logit ${j} ${got[j]}, forward ${want[j]}`);
    }
  };
  s.setState(null);
  for (let t = 0; t < half; t++) check(s.step(ids[t]), first.logits.data.subarray(t * vocab.size, (t + 1) * vocab.size), `step ${t} from zero`);
  s.setState(first.state as CharLMState);
  for (let t = half; t < ids.length; t++) {
    check(s.step(ids[t]), rest.logits.data.subarray((t - half) * vocab.size, (t - half + 1) * vocab.size), `step ${t} from the carried state`);
  }
}

for (const K of [referenceBackend, wasm]) {
  test(`stepper logits equal CharLM.forward for every cell, 1 and 2 layers, from zero and from a carried state (${K.name})`, () => {
    withBackend(K, () => {
      let seed = 1;
      for (const cell of ['rnn', 'lstm', 'gru'] as CellName[]) for (const layers of [1, 2]) checkStepper(model(cell, layers, seed++), cell, layers);
    });
  });
}

test('the wasm backend\'s batch-1 layer layout: the same logits, split over two threads or not, with padded panels', async () => {
  const wasm2 = await createWasmBackend({ threads: 2 });
  let seed = 11;
  // 10 units: gate rows padded to whole panels; 210: big enough that the LSTM's and GRU's units split over the two threads
  for (const hidden of [10, 210]) for (const cell of ['rnn', 'lstm', 'gru'] as CellName[]) {
    const P = profiled(wasm2);
    withBackend(P, () => checkStepper(model(cell, 2, seed++, hidden), cell, 2));
    assert.equal(P.report().find((k) => k.kernel === 'stepLayer')?.calls, 2, `${cell} ${hidden}: both layers took the backend's layout`);
    // the last layer computes the logits in blocks of units, summed in block order: one thread or two, the same bits
    const m = model(cell, 2, seed++, hidden);
    const run = (K: Backend) => withBackend(K, () => {
      const s = new CharLMStepper(m);
      s.setState(null);
      return Array.from(ids.subarray(0, 12), (x) => Float32Array.from(s.step(x)));
    });
    assert.deepEqual(run(wasm2), run(wasm), `${cell} ${hidden}: two threads changed the logits`);
  }
  wasm2.stopThreads();
});

test('sampleText draws the same characters as sampling through CharLM.forward', () => {
  withBackend(wasm, () => {
    for (const cell of ['lstm', 'gru'] as CellName[]) {
      const m = model(cell, 2, 7);
      const got = sampleText(m, vocab, { length: 120, temperature: 0.9, prime: 'the ', generator: new Generator(3) });
      // the slow path, one forward call per character
      const g = new Generator(3);
      const want = noGrad(() => {
        m.eval();
        const start = vocab.encode('the ');
        let r = m.forward(start, [start.length, 1], null);
        let logits = r.logits.data.subarray((start.length - 1) * vocab.size);
        let out = '';
        for (let i = 0; i < 120; i++) {
          const next = pick(logits, { temperature: 0.9 }, g);
          out += vocab.chars[next];
          r = m.forward(Int32Array.of(next), [1, 1], r.state);
          logits = r.logits.data;
        }
        return out;
      });
      assert.equal(got, want, cell);
    }
  });
});

test('CharLMStepper.for reuses a stepper until the weights change', () => {
  withBackend(wasm, () => {
    const m = model('lstm', 1, 3);
    const a = CharLMStepper.for(m);
    assert.equal(CharLMStepper.for(m), a, 'same weights: the same stepper');
    const p = m.parameters()[0];
    p.data[0] += 1;
    p.version++; // what an optimizer step or loadStateDict does
    const b = CharLMStepper.for(m);
    assert.notEqual(b, a, 'changed weights: a new stepper');
    // and the new one computes with the new weights
    const want = noGrad(() => { m.eval(); return m.forward(ids.subarray(0, 1), [1, 1], null).logits.data; });
    b.setState(null);
    const got = b.step(ids[0]);
    for (let j = 0; j < vocab.size; j++) assert.ok(Math.abs(got[j] - want[j]) <= 1e-5 * (1 + Math.abs(want[j])));
  });
});
