import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWasmBackend } from '../../src/kernels/wasm/index.js';
import { referenceBackend } from '../../src/kernels/reference/index.js';
import { setBackend } from '../../src/kernels/registry.js';
import type { Backend } from '../../src/kernels/backend.js';
import { Tensor, recurrence, reshape, linear, sum, add, mul } from '../../src/tensor/index.js';
import type { CellKind } from '../../src/kernels/index.js';

// Paths of the backward pass that skip work: a detached initial state needs no ∂L/∂h_0, a fresh
// gradient is written rather than added onto zeros, reshape hands its gradient through.

const W = await createWasmBackend({ threads: 1 });
const fill = (t: Tensor, s: number) => { t.data.forEach((_, i) => { t.data[i] = Math.sin(s * (i + 1)) * 0.4; }); return t; };

/** ∂W_hh, ∂b_hh and ∂xw of Σ output ⊙ P through a recurrence whose initial state does or does not want a gradient. */
function paramGrads(K: Backend, kind: CellKind, initGrad: boolean): Float32Array[] {
  setBackend(K);
  try {
    const T = 5, B = 4, H = 6, G = kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1;
    const xw = fill(Tensor.zeros([T, B, G * H], true), 1.3), wHh = fill(Tensor.zeros([G * H, H], true), 2.1);
    const bHh = fill(Tensor.zeros([G * H], true), 0.7), P = fill(Tensor.zeros([T, B, H]), 3.3);
    const h0 = fill(Tensor.zeros([B, H], initGrad), 1.9), c0 = kind === 'lstm' ? fill(Tensor.zeros([B, H], initGrad), 2.7) : null;
    const { output } = recurrence(kind, xw, h0, c0, wHh, bHh);
    sum(mul(output, P)).backward();
    const grads = [wHh.grad!.data, bHh.grad!.data, xw.grad!.data];
    if (initGrad) grads.push(h0.grad!.data);
    return grads.map((d) => Float32Array.from(d));
  } finally {
    setBackend(referenceBackend);
  }
}

for (const kind of ['lstm', 'gru', 'rnn_tanh'] as CellKind[]) {
  test(`${kind}: a detached initial state gives the same parameter gradients, without the ∂L/∂h_0 multiply`, () => {
    for (const K of [referenceBackend, W as Backend]) {
      const want = paramGrads(K, kind, true), got = paramGrads(K, kind, false);
      for (let i = 0; i < got.length; i++) assert.deepEqual(got[i], want[i]);
    }
    // and where ∂L/∂h_0 is wanted, the whole-sequence kernel still gives it
    const ref = paramGrads(referenceBackend, kind, true)[3], wasm = paramGrads(W, kind, true)[3];
    wasm.forEach((v, i) => assert.ok(Math.abs(v - ref[i]) < 1e-5, `∂h0[${i}] = ${v}, reference ${ref[i]}`));
  });
}

test('reshape hands its gradient through, and still adds when its input already has one', () => {
  for (const K of [referenceBackend, W as Backend]) {
    setBackend(K);
    try {
      const x = fill(Tensor.zeros([4, 6], true), 1.1), w = fill(Tensor.zeros([3, 6], true), 0.9);
      const y = linear(x, w); // [4, 3]; y's gradient arrives through two reshapes
      const a = reshape(y, [12]), b = reshape(y, [2, 6]);
      const pa = fill(Tensor.zeros([12]), 2.3), pb = fill(Tensor.zeros([2, 6]), 3.1);
      add(sum(mul(a, pa)), sum(mul(b, pb))).backward();
      // ∂L/∂y = pa + pb (same order of values), so ∂L/∂x = (pa + pb) · w
      const dy = pa.data.map((v, i) => v + pb.data[i]);
      const dx = new Float32Array(24);
      for (let r = 0; r < 4; r++) for (let j = 0; j < 6; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += dy[r * 3 + k] * w.data[k * 6 + j];
        dx[r * 6 + j] = s;
      }
      x.grad!.data.forEach((v, i) => assert.ok(Math.abs(v - dx[i]) < 1e-6, `∂x[${i}] = ${v}, want ${dx[i]}`));
    } finally {
      setBackend(referenceBackend);
    }
  }
});
