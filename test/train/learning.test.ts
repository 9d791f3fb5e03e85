import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainRecall } from '../../src/diagnostics/recall_task.js';

test('an LSTM learns to recall a symbol across 20 steps; a vanilla RNN of the same size does not', () => {
  const task = { symbols: 4, delay: 20 };
  // forgetBias 2 starts the forget gates near σ(2) ≈ 0.88, so the memory (and its gradient) survives the delay early on
  const lstm = trainRecall('lstm', task, { hidden: 32, steps: 400, lr: 1e-2, forgetBias: 2, seed: 1 });
  const rnn = trainRecall('rnn', task, { hidden: 32, steps: 400, lr: 1e-2, seed: 1 });
  console.log(`delay ${task.delay}, chance ${lstm.chance}: LSTM accuracy ${lstm.accuracy.toFixed(3)}, vanilla RNN accuracy ${rnn.accuracy.toFixed(3)}`);
  assert.ok(lstm.accuracy >= 0.95, `LSTM accuracy ${lstm.accuracy}`);
  assert.ok(rnn.accuracy <= 0.6, `RNN accuracy ${rnn.accuracy}`);
});

test('a recall run that diverges stops at that step and records it, with the weights it had', () => {
  let start: Float32Array[] = [];
  const r = trainRecall('gru', { symbols: 4, delay: 5 }, {
    hidden: 8, steps: 10,
    init: (net) => { net.head.weight.data[3] = Infinity; start = net.parameters().map((p) => Float32Array.from(p.data)); },
  });
  assert.equal(r.divergedAt, 1);
  assert.deepEqual(r.losses, [NaN]);
  assert.deepEqual(r.gradNorms, [NaN], 'a loss that is not finite leaves its gradient unmeasured');
  assert.equal(r.clippedSteps, 0);
  assert.deepEqual(r.net.parameters().map((p) => Float32Array.from(p.data)), start);
});
