import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT, tempDir, makeCorpus } from '../helpers/cli.js';

const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });

test('the generate example writes the same text with generate and with stream', () => {
  const dir = tempDir(), ckpt = path.join(dir, 'run');
  const train = run([path.join(ROOT, 'src', 'cli', 'main.ts'), 'train', '--data', makeCorpus(dir, 8000), '--hidden', '16', '--seq', '16',
    '--batch', '4', '--steps', '20', '--val-every', '0', '--sample-length', '0', '--backend', 'js', '--out', ckpt]);
  assert.equal(train.status, 0, train.stdout + train.stderr);
  const r = run([path.join(ROOT, 'examples', 'generate.ts'), ckpt]);
  assert.equal(r.status, 0, r.stderr);
  const half = r.stdout.slice(0, r.stdout.length / 2);
  assert.equal(r.stdout, half + half, r.stdout);
  assert.ok(half.startsWith('the whale') && half.endsWith('\n'), half);
  assert.equal([...half].length, 'the whale'.length + 200 + 1, half);
});
