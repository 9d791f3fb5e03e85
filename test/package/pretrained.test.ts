import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { rnnkit, tempDir, ROOT } from '../helpers/cli.js';
import { pretrainedModelPath, PRETRAINED_MODEL } from '../../src/io/pretrained.js';
import { loadCheckpoint } from '../../src/io/checkpoint_files.js';
import { CHECKPOINT_FORMAT } from '../../src/text/index.js';

const sample = ['sample', '--length', '40', '--seed', '3', '--prime', 'The whale', '--backend', 'js'];

test('the pretrained model ships in models/ and pretrainedModelPath() finds it', async () => {
  assert.equal(pretrainedModelPath(), path.join(ROOT, 'models', PRETRAINED_MODEL));
  const ckpt = await loadCheckpoint(pretrainedModelPath());
  const meta = ckpt.model.meta as { format: string; model: { cell: string; hiddenSize: number; vocabSize: number }; vocab: string[] };
  assert.equal(meta.format, CHECKPOINT_FORMAT);
  assert.equal(meta.model.cell, 'lstm');
  assert.equal(meta.model.hiddenSize, 256);
  assert.equal(meta.vocab.length, meta.model.vocabSize);
  assert.ok(!existsSync(path.join(ROOT, 'models', 'state.safetensors')), 'the optimizer state does not ship');
});

test('sample with no --checkpoint and no runs/latest uses the pretrained model and says so in one line', () => {
  const dir = tempDir();
  const r = rnnkit(sample, { cwd: dir });
  assert.equal(r.status, 0, r.out);
  assert.ok(r.stdout.startsWith('The whale') && r.stdout.trimEnd().length >= 40, r.stdout);
  assert.equal(r.stderr, `rnnkit: no --checkpoint and no runs/latest: sampling from the pretrained Moby Dick model (${pretrainedModelPath()})\n`);
  const same = rnnkit([...sample, '--checkpoint', pretrainedModelPath()], { cwd: dir });
  assert.equal(same.status, 0, same.out);
  assert.equal(same.stdout, r.stdout, '--checkpoint with the same model gives the same text');
  assert.equal(same.stderr, '');
});

test('sample with no --checkpoint takes runs/latest where training left one, as before', () => {
  const dir = tempDir();
  const run = path.join(dir, 'runs');
  const t = rnnkit(['train', '--hidden', '8', '--seq', '8', '--batch', '2', '--steps', '3', '--val-every', '0', '--val-chars', '64', '--sample-length', '0', '--backend', 'js', '--out', run], { cwd: dir });
  assert.equal(t.status, 0, t.out);
  const r = rnnkit(sample, { cwd: dir });
  assert.equal(r.status, 0, r.out);
  assert.equal(r.stderr, '');
  const named = rnnkit([...sample, '--checkpoint', path.join(run, 'latest')], { cwd: dir });
  assert.equal(named.stdout, r.stdout);
  // a runs/latest that points nowhere is an error, as with --checkpoint runs/latest: never a silent switch
  const broken = tempDir();
  mkdirSync(path.join(broken, 'runs'));
  symlinkSync('step-000009', path.join(broken, 'runs', 'latest'));
  const b = rnnkit(sample, { cwd: broken });
  assert.equal(b.status, 1, b.out);
  assert.match(b.stderr, /^rnnkit: checkpoint 'runs\/latest' is a broken link/);
});
