import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWasmBackend } from '../../src/kernels/wasm/index.js';
import { kernels, setBackend } from '../../src/kernels/registry.js';
import { Tensor, releaseGraph, linear, tanh, sum, reshape, select } from '../../src/tensor/index.js';

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
