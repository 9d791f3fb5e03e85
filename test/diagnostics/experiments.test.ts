import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sigmaSweep, logSlope } from '../../src/diagnostics/sigma_sweep.js';
import { compareCells, DEFAULT_CELLS } from '../../src/diagnostics/cell_comparison.js';
import { clippingExperiment } from '../../src/diagnostics/clipping.js';

test('σ sweep: for the linear RNN the gain per step is σ_max, so the log-norm slope changes sign at 1; tanh only lowers it', () => {
  const sigmas = [0.5, 0.9, 1, 1.1, 1.5, 2];
  const r = sigmaSweep({ sigmas, hidden: 16, steps: 30, batch: 4, seed: 1 });
  const lin = r.curves.filter((c) => c.activation === 'linear'), th = r.curves.filter((c) => c.activation === 'tanh');
  sigmas.forEach((s, i) => {
    assert.ok(Math.abs(lin[i].gainPerStep - s) < 1e-4 * s, `linear gain at σ = ${s}: ${lin[i].gainPerStep}`);
    const slope = lin[i].slope;
    if (s < 1) assert.ok(slope < -0.03, `σ = ${s}: slope ${slope} should be clearly negative`);
    else if (s > 1) assert.ok(slope > 0.03, `σ = ${s}: slope ${slope} should be clearly positive`);
    else assert.ok(Math.abs(slope) < 1e-4, `σ = 1: slope ${slope} should be flat`);
    // tanh′ ≤ 1 at every step: the tanh RNN's gradient can only fall behind the linear one's
    assert.ok(th[i].gainPerStep < lin[i].gainPerStep, `tanh gain ${th[i].gainPerStep} vs linear ${lin[i].gainPerStep} at σ = ${s}`);
    th[i].jacobian.norm.forEach((n, k) => assert.ok(n <= th[i].jacobian.bound[k] * (1 + 1e-6), `Jacobian above its bound at σ = ${s}, step ${k}`));
  });
  // the tanh RNN still vanishes well below 1 and explodes well above it
  assert.ok(th[0].gainPerStep < 0.6 && th[5].gainPerStep > 1.05, `tanh gains ${th.map((c) => c.gainPerStep.toFixed(3)).join(' ')}`);
  assert.throws(() => sigmaSweep({ sigmas: [0] }), /every σ_max must be in \(0, 4\], got 0/);
});

test('logSlope fits log10 against the index and skips values a log cannot take', () => {
  assert.ok(Math.abs(logSlope([1, 10, 100, 1000]) - 1) < 1e-12);
  assert.ok(Math.abs(logSlope([1, 0.5, 0, 0.125]) - Math.log10(0.5)) < 1e-12);
  assert.ok(Number.isNaN(logSlope([0, 0])));
});

test('recall over 25 steps: the LSTM learns it, the vanilla RNN of the same size does not, and the LSTM\'s gradient reaches much farther back', () => {
  const r = compareCells({ cells: DEFAULT_CELLS.filter((c) => c.cell !== 'gru'), delays: [25], hidden: 32, steps: 300, batch: 32, seed: 1 });
  const [rnn, lstm] = r.cells;
  console.log(`delay 25: RNN accuracy ${rnn.runs[0].accuracy}, reach ${rnn.init.reach}; LSTM accuracy ${lstm.runs[0].accuracy} (learned by step ${lstm.runs[0].solvedAt}), reach ${lstm.init.reach}`);
  assert.ok(lstm.runs[0].accuracy >= 0.95, `LSTM accuracy ${lstm.runs[0].accuracy}`);
  assert.ok(rnn.runs[0].accuracy <= 0.6, `RNN accuracy ${rnn.runs[0].accuracy}`);
  // before training: the vanilla gradient is down to 1% within a few steps, the LSTM's cell path carries it across the sequence
  assert.ok(rnn.init.reach <= 10, `RNN reach ${rnn.init.reach}`);
  assert.ok(lstm.init.reach >= 26, `LSTM reach ${lstm.init.reach}`);
  assert.ok(lstm.init.gate!.every((f) => f > 0.95), 'forget gates start near σ(4)');
  assert.ok(rnn.init.jacobian!.norm.every((n, k) => n <= rnn.init.jacobian!.bound[k] * (1 + 1e-6)));
});

test('exploding gradients: from W_hh = 3·Q, SGD without clipping fails where clipGradNorm learns', () => {
  const r = clippingExperiment({ sigma: 3, lr: 0.1, delay: 10, hidden: 32, steps: 300, seed: 3 });
  const [raw, clipped] = r.runs;
  console.log(`no clipping: accuracy ${raw.accuracy}, first gradient norm ${raw.gradNorms[0].toFixed(1)}; clipped: accuracy ${clipped.accuracy}, ${(100 * clipped.clippedFraction).toFixed(0)}% of steps clipped`);
  assert.equal(raw.clip, 0);
  assert.equal(raw.clippedFraction, 0);
  assert.ok(raw.gradNorms[0] > 10 * clipped.clip, `the gradient starts exploded: ${raw.gradNorms[0]}`);
  assert.equal(raw.gradNorms[0], clipped.gradNorms[0], 'both runs start from the same weights and batch');
  assert.ok(clipped.clippedFraction > 0.05 && clipped.clippedFraction < 1);
  assert.ok(clipped.accuracy >= 0.9, `clipped accuracy ${clipped.accuracy}`);
  assert.ok(raw.accuracy <= 0.5, `unclipped accuracy ${raw.accuracy}`);
  assert.throws(() => clippingExperiment({ clip: 0 }), /clip must be positive/);
});
