import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CharLMTrainer, defaultTrainConfig } from '../../src/text/index.js';
import { GradFlowMonitor } from '../../src/diagnostics/training_monitor.js';
import { singularValues } from '../../src/diagnostics/spectrum.js';

test('the training monitor reports every N steps: layer norms before clipping, the clip ratio and σ_max(W_hh)', () => {
  const text = 'the whale and the sea and the ship, '.repeat(60);
  const trainer = CharLMTrainer.create(text, { ...defaultTrainConfig, cell: 'gru', hidden: 12, layers: 2, seq: 10, batch: 3, steps: 6, clip: 0.05, valFraction: 0, seed: 4 });
  const monitor = new GradFlowMonitor(trainer.model, 3, trainer.config.clip, trainer.config.hidden);
  const snaps = [];
  for (let i = 0; i < 6; i++) {
    const { result, snapshot } = monitor.watch(() => trainer.trainStep());
    assert.equal(snapshot === null, result.step % 3 !== 0);
    // σ_max(W_hh) is measured on the weights the step left
    if (snapshot) snaps.push({ snapshot, result, sigma: [0, 1].map((l) => singularValues(trainer.model.stateDict()[`rnn.weight_hh_l${l}`])[0]) });
  }
  assert.equal(snaps.length, 2);
  for (const { snapshot: s, result, sigma } of snaps) {
    assert.deepEqual(s.layers.map((l) => l.layer), ['rnn.l0', 'rnn.l1', 'head']);
    // the per-layer norms, taken back to before clipping, add up to the global norm the step measured
    const total = Math.hypot(...s.layers.map((l) => l.gradNorm));
    assert.ok(Math.abs(total - result.gradNorm) < 1e-4 * result.gradNorm, `${total} vs ${result.gradNorm}`);
    assert.ok(result.clipped && s.clipRatio < 1 && Math.abs(s.clipRatio - 0.05 / result.gradNorm) < 1e-5);
    assert.equal(s.clippedFraction, 1, 'every step of this run clips');
    for (const l of [0, 1]) {
      assert.ok(Math.abs(s.layers[l].sigmaMax! - sigma[l]) < 1e-6, `σ_max ${s.layers[l].sigmaMax} vs ${sigma[l]}`);
      assert.ok(s.layers[l].dhFirst! > 0 && s.layers[l].dhLast! > 0);
    }
    assert.equal(s.layers[2].sigmaMax, null);
  }
  assert.throws(() => new GradFlowMonitor(trainer.model, 0, 1, 12), /positive integer, got 0/);
});
