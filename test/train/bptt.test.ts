import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LSTM, Linear } from '../../src/nn/index.js';
import { Tensor, crossEntropy, savedBytes, manualSeed, reshape } from '../../src/tensor/index.js';
import { chunks, truncatedBPTT, detachState } from '../../src/train/index.js';
import { randTensor } from '../helpers/gradcheck.js';

function model() {
  manualSeed(1);
  return { lstm: new LSTM({ inputSize: 4, hiddenSize: 8 }), head: new Linear(8, 4) };
}

function lossOver(m: ReturnType<typeof model>, x: Tensor, y: number[], state: { h: Tensor; c: Tensor } | null) {
  const r = m.lstm.forward(x, state);
  const logits = m.head.forward(reshape(r.output, [-1, 8]));
  return { loss: crossEntropy(logits, y), state: { h: r.h, c: r.c } };
}

function slice(x: Tensor, start: number, end: number): Tensor {
  const row = x.size / x.shape[0];
  const t = Tensor.zeros([end - start, ...x.shape.slice(1)], x.requiresGrad);
  t.data.set(x.data.subarray(start * row, end * row));
  return t;
}

test('chunks cover the sequence exactly, the last one shorter', () => {
  assert.deepEqual(chunks(10, 4).map((c) => [c.start, c.end]), [[0, 4], [4, 8], [8, 10]]);
  assert.throws(() => chunks(10, 0), /chunk length must be a positive integer, got 0/);
});

test('memory held for backward: linear in T for full BPTT, flat for truncated BPTT', () => {
  const m = model();
  const full: number[] = [], trunc: number[] = [];
  const Ts = [32, 64, 128, 256];
  for (const T of Ts) {
    const x = randTensor([T, 2, 4], T, 1, false);
    const y = Array.from({ length: T * 2 }, (_, i) => i % 4);
    full.push(savedBytes(lossOver(m, x, y, null).loss));
    let peak = 0;
    truncatedBPTT<{ h: Tensor; c: Tensor }>({
      length: T, chunk: 16,
      forward: (c, s) => lossOver(m, slice(x, c.start, c.end), y.slice(c.start * 2, c.end * 2), s),
      update: (loss) => { peak = Math.max(peak, savedBytes(loss)); m.lstm.zeroGrad(); loss.backward(); },
    });
    trunc.push(peak);
  }
  // full BPTT: each doubling of T doubles the bytes (within the constant overhead of the head)
  for (let i = 1; i < Ts.length; i++) assert.ok(Math.abs(full[i] / full[i - 1] - 2) < 0.05, `full: ${full}`);
  // truncated: one chunk's worth, whatever T is
  assert.ok(trunc.every((b) => b === trunc[0]), `truncated: ${trunc}`);
  assert.ok(trunc[0] < full[0]);
  console.log(`bytes held for backward, T = ${Ts.join(', ')}: full ${full.join(', ')}; truncated (k = 16) ${trunc.join(', ')}`);
});

test('truncated BPTT with one chunk equals full BPTT; with chunks the state carries but the gradient stops', () => {
  const m = model();
  const T = 12;
  const x = randTensor([T, 2, 4], 5, 1, false);
  const y = Array.from({ length: T * 2 }, (_, i) => (i * 7) % 4);
  const grads = () => m.lstm.parameters().map((p) => Array.from(p.grad!.data));
  const run = (k: number, carry = true) => {
    m.lstm.zeroGrad(); m.head.zeroGrad();
    const states: Tensor[] = [];
    truncatedBPTT<{ h: Tensor; c: Tensor }>({
      length: T, chunk: k, carry,
      forward: (c, s) => { if (s) states.push(s.h); return lossOver(m, slice(x, c.start, c.end), y.slice(c.start * 2, c.end * 2), s); },
      update: (loss) => loss.backward(), // accumulate over chunks, no update, to compare gradients
    });
    return { g: grads(), states };
  };
  m.lstm.zeroGrad();
  lossOver(m, x, y, null).loss.backward();
  const fullGrad = grads();
  assert.deepEqual(run(T).g, fullGrad);
  const chunked = run(4);
  assert.equal(chunked.states.length, 2);
  assert.ok(chunked.states.every((s) => !s.requiresGrad && s.node === null), 'carried states are detached');
  assert.notDeepEqual(chunked.g, fullGrad, 'no gradient crosses a chunk boundary');
  assert.equal(run(4, false).states.length, 0, 'no carry: every chunk starts from the initial (zero) state');
});

test('detachState keeps values and cuts the tape for h, {h, c} and lists', () => {
  const h = randTensor([1, 2, 3], 1);
  const s = detachState({ h, c: h });
  assert.equal(s.h.data, h.data);
  assert.equal(s.c!.requiresGrad, false);
  const l = detachState([h, { h }]);
  assert.equal((l[0] as Tensor).requiresGrad, false);
});
