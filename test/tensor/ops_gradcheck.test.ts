import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../src/kernels/index.js';
import { registerWasmBackend } from '../../src/kernels/wasm/index.js';
import { Tensor, sum, mul, bceWithLogits, crossEntropy, nllLoss, logSoftmax } from '../../src/index.js';
import { gradCheck, randTensor, projection } from '../helpers/gradcheck.js';
import { opCases, leaves, runCase } from './ops_fixture.js';

// Each op and loss of the fixture, its hand-written backward against central differences of
// sum(out ⊙ P): independent of torch, so a backward that agreed with a wrong fixture would still fail here.

/** Ops with a kink (relu, |d|, the switch of Huber and smooth L1), where the check skips points within ε of it. */
const KINKED = new Set(['relu', 'l1Loss', 'huberLoss', 'smoothL1Loss']);

for (const backend of ['js', 'wasm'] as const) {
  test(`every op and loss of the fixture passes a numerical gradient check on the ${backend} backend`, async (t) => {
    registerWasmBackend();
    await useBackend(backend);
    try {
      for (const c of opCases) {
        await t.test(c.name, () => {
          const x = leaves(c);
          const P = Tensor.from(Float32Array.from(c.P.data), c.P.shape);
          // a BCE target is a probability: nudging a 0 or a 1 leaves [0, 1], so its gradient is checked below
          const wrt = Object.entries(x).filter(([k]) => !(c.op === 'bceWithLogits' && k === 'target')).map(([, v]) => v);
          const r = gradCheck(() => sum(mul(runCase(c, x), P)), wrt, { skipKinks: KINKED.has(c.op) });
          assert.ok(r.checked > 0, 'nothing checked');
          assert.ok(r.worst < 1e-2, r.where);
        });
      }
    } finally {
      await useBackend('js');
    }
  });
}

test('bceWithLogits: the gradient with respect to soft targets, with posWeight and weight', () => {
  const x = randTensor([4, 3], 31, 3);
  const target = randTensor([4, 3], 32, 0.4);
  for (let i = 0; i < target.size; i++) target.data[i] += 0.5;
  const posWeight = Tensor.from([0.5, 2, 3]), weight = Tensor.from([1, 0.3, 2]);
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    const P = reduction === 'none' ? projection([4, 3], 33) : Tensor.scalar(1.3);
    const r = gradCheck(() => sum(mul(bceWithLogits(x, target, { posWeight, weight, reduction }), P)), [x, target]);
    assert.ok(r.worst < 1e-2, `${reduction}: ${r.where}`);
  }
});

test('crossEntropy equals nllLoss of logSoftmax for every weight, ignoreIndex and reduction', () => {
  const logits = randTensor([6, 4], 41, 3);
  const y = [3, 0, -100, 1, 3, 2], weight = Tensor.from([0.2, 1, 1.5, 3]);
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    for (const w of [undefined, weight]) {
      const a = crossEntropy(logits, y, { weight: w, reduction }), b = nllLoss(logSoftmax(logits), y, { weight: w, reduction });
      a.data.forEach((v, i) => assert.ok(Math.abs(v - b.data[i]) < 1e-5, `${reduction} ${w ? 'weighted' : ''}: ${v} vs ${b.data[i]}`));
    }
  }
});

test('crossEntropy without weights keeps the bits of its fused form, whichever reduction spells it', () => {
  const logits = randTensor([5, 7], 51, 2);
  const y = [6, 0, 3, -100, 2];
  const plain = crossEntropy(logits, y), explicit = crossEntropy(logits, y, { reduction: 'mean' });
  assert.equal(explicit.item(), plain.item());
  // the per-row losses of 'none' add up to the fused sum
  const rows = crossEntropy(logits, y, { reduction: 'none' });
  assert.deepEqual(rows.shape, [5]);
  assert.equal(rows.data[3], 0);
  const total = rows.toArray().reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(total - crossEntropy(logits, y, { reduction: 'sum' }).item()) < 1e-4);
});
