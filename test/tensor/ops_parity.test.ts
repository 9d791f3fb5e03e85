import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../src/kernels/index.js';
import { registerWasmBackend } from '../../src/kernels/wasm/index.js';
import { Tensor, sum, mul } from '../../src/index.js';
import { opCases, leaves, runCase } from './ops_fixture.js';

// Every op and loss against torch (test/fixtures/make_ops.py): the value within 1e-5 and the gradient of
// sum(out ⊙ P) for the fixture's P within 1e-4, relative to the larger of 1 and the expected magnitude.

function within(actual: Float32Array, expected: number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    assert.ok(err <= tol, `${what}[${i}]: ${actual[i]}, torch ${expected[i]} (error ${err.toExponential(2)} > ${tol})`);
  }
}

test('the fixture covers every op and loss', () => {
  const ops = new Set(opCases.map((c) => c.op));
  for (const op of ['sigmoid', 'tanh', 'relu', 'softmax', 'logSoftmax', 'cat', 'sum', 'mean', 'gatherLast', 'maskedMean',
    'mseLoss', 'l1Loss', 'huberLoss', 'smoothL1Loss', 'bceWithLogits', 'nllLoss', 'crossEntropy']) assert.ok(ops.has(op), op);
});

for (const backend of ['js', 'wasm'] as const) {
  test(`ops and losses match torch on the ${backend} backend`, async (t) => {
    registerWasmBackend();
    await useBackend(backend);
    try {
      for (const c of opCases) {
        await t.test(c.name, () => {
          const x = leaves(c);
          const out = runCase(c, x);
          assert.deepEqual(out.shape, c.out.shape, 'shape');
          within(out.data, c.out.data, 1e-5, 'value');
          sum(mul(out, Tensor.from(Float32Array.from(c.P.data), c.P.shape))).backward();
          for (const [k, g] of Object.entries(c.grads)) {
            assert.ok(x[k].grad, `${k} got no gradient`);
            within(x[k].grad!.data, g.data, 1e-4, `grad ${k}`);
          }
        });
      }
    } finally {
      await useBackend('js');
    }
  });
}
