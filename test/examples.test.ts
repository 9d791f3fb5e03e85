import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT } from './helpers/cli.js';

test('the README example trains an LSTM that learns its text', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'examples', 'train_lstm.ts')], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const losses = [...r.stdout.matchAll(/loss (\d+\.\d+)/g)].map((m) => Number(m[1]));
  assert.equal(losses.length, 4, r.stdout);
  assert.ok(losses[3] < 0.1 && losses[3] < losses[0], r.stdout);
});
