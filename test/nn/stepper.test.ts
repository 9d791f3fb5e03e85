import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LSTM, Linear, recurrentLayer } from '../../src/nn/index.js';
import { Tensor, Generator, noGrad } from '../../src/tensor/index.js';
import type { CellKind } from '../../src/kernels/index.js';
import { referenceBackend } from '../../src/kernels/reference/index.js';
import { createWasmBackend } from '../../src/kernels/wasm/index.js';
import { withBackend } from '../../src/kernels/registry.js';

// RecurrentBase.stepper: a layer one step at a time at batch 1 against its own forward pass.

const I = 5, H = 12, T = 9;
const wasm = await createWasmBackend({ threads: 1 });

function input(seed: number): Tensor {
  const x = Tensor.zeros([T, 1, I]);
  for (let i = 0; i < x.data.length; i++) x.data[i] = Math.sin(1.3 * i + seed);
  return x;
}

const near = (got: Float32Array, want: Float32Array, what: string) => {
  assert.equal(got.length, want.length, what);
  for (let j = 0; j < want.length; j++) {
    if (!(Math.abs(got[j] - want[j]) <= 1e-5 * (1 + Math.abs(want[j])))) assert.fail(`${what}: [${j}] ${got[j]}, forward ${want[j]}`);
  }
};

for (const K of [referenceBackend, wasm]) {
  test(`a dense-input stepper follows forward's last layer, from zero and from a carried state, with and without a head (${K.name})`, () => withBackend(K, () => {
    let seed = 1;
    for (const kind of ['rnn_tanh', 'rnn_relu', 'lstm', 'gru'] as CellKind[]) for (const layers of [1, 2]) {
      const g = new Generator(seed++);
      const rnn = recurrentLayer(kind, { inputSize: I, hiddenSize: H, numLayers: layers, generator: g });
      const head = new Linear(H, 7, { generator: g });
      const x = input(seed);
      const { out, state, out2 } = noGrad(() => {
        const a = rnn instanceof LSTM ? rnn.forward(x) : rnn.forward(x);
        const b = rnn instanceof LSTM ? rnn.forward(x, { h: a.h, c: a.c! }) : rnn.forward(x, a.h);
        return { out: a.output, state: { h: a.h, c: a.c }, out2: b.output };
      });
      const plain = rnn.stepper(), withHead = rnn.stepper({ head });
      plain.setState(null);
      withHead.setState(null);
      for (let t = 0; t < T; t++) {
        const xt = x.data.subarray(t * I, (t + 1) * I), ht = out.data.subarray(t * H, (t + 1) * H);
        near(plain.step(xt), ht, `${kind} ×${layers} h at step ${t}`);
        const want = noGrad(() => head.forward(new Tensor(Float32Array.from(ht), [1, H]))).data;
        near(withHead.step(xt), want, `${kind} ×${layers} logits at step ${t}`);
      }
      plain.setState(state);
      for (let t = 0; t < T; t++) near(plain.step(x.data.subarray(t * I, (t + 1) * I)), out2.data.subarray(t * H, (t + 1) * H), `${kind} ×${layers} carried, step ${t}`);
      assert.throws(() => plain.step(3), /takes a dense vector/);
    }
  }));
}

test('a bidirectional layer has no stepper', () => {
  assert.throws(() => new LSTM({ inputSize: 2, hiddenSize: 3, bidirectional: true }).stepper(), /bidirectional layer cannot run one step at a time/);
});
