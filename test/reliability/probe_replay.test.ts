import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, Generator, sum, mul, reshape } from '../../src/tensor/index.js';
import { RNN, LSTM, GRU, type Module } from '../../src/nn/index.js';
import { FlowRecorder } from '../../src/diagnostics/flow_recorder.js';
import { setBackend, useBackend, kernels } from '../../src/kernels/registry.js';
import { registerWasmBackend } from '../../src/kernels/wasm/index.js';

/*
 * With whole-sequence kernels (wasm) a probe no longer switches the recurrence to the step loop: it
 * reads the kernels' results, and ∂L/∂h_t (and the LSTM's ∂L/∂c_t) are rebuilt from the gate
 * gradients. They must match what the step loop hands the probe on the reference backend.
 */
registerWasmBackend();
const T = 7, B = 3, I = 5, H = 6;

type Forward = (x: Tensor, state: null, o?: { lengths?: number[] }) => { output: Tensor };

function traces(make: () => Module & { forward: Forward }, weights: Record<string, Float32Array> | null, x: Float32Array, w: Float32Array, lengths?: number[]) {
  const m = make();
  if (weights) m.loadStateDict(Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, new Tensor(v.slice(), m.stateDict()[k].shape)])));
  const rec = new FlowRecorder(H);
  rec.watch(() => {
    const out = m.forward(new Tensor(x.slice(), [T, B, I]), null, lengths ? { lengths } : undefined).output;
    sum(mul(reshape(out, [-1]), new Tensor(w.slice(), [w.length]))).backward();
  });
  const sd = Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.data.slice()]));
  return { sd, out: rec.tags().map((t) => rec.trace(t)) };
}

for (const [name, make] of [
  ['rnn', () => new RNN({ inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true })],
  ['lstm', () => new LSTM({ inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true })],
  ['gru', () => new GRU({ inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true })],
] as const) for (const lengths of [undefined, [3, T, 1]]) {
  // with lengths (a batch sorted inside the layer, rows that stop early), the kernels' batchSizes path
  test(`${name}${lengths ? ' with lengths' : ''}: a probe on the whole-sequence kernels sees the step loop's ∂L/∂h_t and ∂L/∂c_t`, async () => {
    const g = new Generator(11);
    const x = Float32Array.from({ length: T * B * I }, () => g.random() * 2 - 1);
    const w = Float32Array.from({ length: T * B * 2 * H }, () => g.random() * 2 - 1);
    const ref = kernels();
    const a = traces(make as never, null, x, w, lengths);
    const wasm = await useBackend('wasm');
    let b: ReturnType<typeof traces>;
    try {
      b = traces(make as never, a.sd, x, w, lengths);
    } finally {
      setBackend(ref);
    }
    assert.equal(wasm.name, 'wasm');
    assert.equal(b.out.length, 4, 'two layers, two directions');
    for (let i = 0; i < a.out.length; i++) {
      const ta = a.out[i], tb = b.out[i];
      assert.equal(tb.tag, ta.tag);
      for (const key of ['dh', 'dc', 'gateMean'] as const) {
        const va = ta[key], vb = tb[key];
        assert.equal(vb === null, va === null, `${ta.tag} ${key}`);
        if (!va || !vb) continue;
        assert.equal(vb.length, T);
        for (let t = 0; t < T; t++) assert.ok(Math.abs(va[t] - vb[t]) <= 1e-4 * Math.max(1, Math.abs(va[t])), `${ta.tag} ${key}[${t}]: ${va[t]} vs ${vb[t]}`);
      }
    }
  });
}
