import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWasmBackend } from '../../src/kernels/wasm/index.js';
import { kernels, setBackend } from '../../src/kernels/registry.js';
import { Tensor, releaseGraph, releaseGrads, linear, tanh, sum, reshape, select, recurrence, crossEntropy } from '../../src/tensor/index.js';

// releaseGraph gives a finished step's intermediates back to the backend at once, and nothing else.

const W = await createWasmBackend({ threads: 1 });

test('releaseGraph frees the intermediates, keeps leaves and kept tensors (and what shares their memory)', () => {
  const before = kernels();
  setBackend(W);
  try {
    const x = Tensor.zeros([64, 32], true), w = Tensor.zeros([48, 32], true);
    x.data.fill(0.5); w.data.fill(0.25);
    const y = tanh(linear(x, w)); // [64, 48]
    const row = select(reshape(y, [64, 48]), 3); // shares or copies y's memory: either way it must survive
    const keepCopy = Float32Array.from(row.data);
    const loss = sum(y);
    loss.backward();
    const live = W.memoryStats().live;
    releaseGraph(loss, [row]);
    assert.ok(W.memoryStats().live < live, 'the intermediates went back to the heap');
    // reuse the freed memory, then check that kept and leaf tensors were not part of it
    for (let i = 0; i < 8; i++) W.alloc(64 * 48).fill(-9);
    assert.deepEqual(Float32Array.from(row.data), keepCopy, 'the kept tensor is intact');
    assert.ok(x.data.every((v) => v === 0.5) && w.data.every((v) => v === 0.25), 'the leaves are intact');
    assert.ok(x.grad && w.grad && x.grad.data.every(Number.isFinite), 'the leaves keep their gradients');
  } finally {
    setBackend(before);
  }
});

test('releaseGraph also frees what nodes saved beyond their outputs (an LSTM\'s cell states, the softmax probabilities), releaseGrads the gradients', () => {
  const before = kernels();
  setBackend(W);
  try {
    const T = 6, B = 3, H = 8, V = 5, D = 7;
    const fill = (t: Tensor, s: number) => { t.data.forEach((_, i) => { t.data[i] = Math.sin(s * (i + 1)) * 0.3; }); return t; };
    const x = fill(Tensor.zeros([T * B, D]), 1.1);
    const wIh = fill(Tensor.zeros([4 * H, D], true), 1.7), wHh = fill(Tensor.zeros([4 * H, H], true), 2.3);
    const wHy = fill(Tensor.zeros([V, H], true), 2.9);
    const h0 = fill(Tensor.zeros([B, H]), 3.1), c0 = fill(Tensor.zeros([B, H]), 3.7); // a detached carried state
    const targets = Array.from({ length: T * B }, (_, i) => (i * 3) % V);
    const live0 = W.memoryStats().live;
    const xw = reshape(linear(x, wIh), [T, B, 4 * H]);
    const { output, h, c } = recurrence('lstm', xw, h0, c0, wHh, null);
    const loss = crossEntropy(linear(reshape(output, [T * B, H]), wHy), targets);
    loss.backward();
    releaseGraph(loss, [h, c]);
    // what must remain: the three weight gradients and the kept last state, each in whole 64-byte blocks
    const block = (floats: number) => Math.ceil((floats * 4) / 64) * 64;
    const expected = live0 + block(4 * H * D) + block(4 * H * H) + block(V * H) + 2 * block(B * H);
    assert.equal(W.memoryStats().live, expected);
    // and releaseGrads gives the weights' gradients back too, leaving only the kept state
    releaseGrads([wIh, wHh, wHy]);
    assert.ok(wIh.grad === null && wHh.grad === null && wHy.grad === null);
    assert.equal(W.memoryStats().live, live0 + 2 * block(B * H));
  } finally {
    setBackend(before);
  }
});
