import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT, CLI, rnnkit, tempDir, mobyCorpus } from '../helpers/cli.js';

/*
 * The README's Python snippet, as printed, on a model that `rnnkit train` wrote: it must load
 * model.safetensors into nn.LSTM + nn.Linear with nothing but Debian's python3-torch, and write text
 * in the model's characters.
 */
const PY = '/usr/bin/python3';
const hasTorch = existsSync(PY) && spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

function readmeSnippet(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Checkpoints and PyTorch'));
  const m = /```python\n([\s\S]*?)```/.exec(section);
  assert.ok(m, 'README.md has a ```python block under "Checkpoints and PyTorch"');
  return m[1];
}

test('the README\'s Python snippet loads a checkpoint of rnnkit train into PyTorch and continues the prime', {
  skip: !hasTorch ? `needs ${PY} with python3-torch (apt install python3-torch)` : !existsSync(CLI) ? `${CLI} is missing: run npm run build first` : false,
  timeout: 180_000,
}, () => {
  const snippet = readmeSnippet();
  assert.match(snippet, /runs\/latest\/model\.safetensors/);
  const dir = tempDir('rnnkit-py-');
  try {
    const corpus = mobyCorpus(dir);
    const r = rnnkit(['train', '--data', corpus, '--hidden', '16', '--seq', '16', '--batch', '4', '--steps', '5', '--checkpoint-every', '5',
      '--val-every', '0', '--sample-length', '0', '--out', 'runs'], { cwd: dir });
    assert.equal(r.status, 0, r.out);
    writeFileSync(path.join(dir, 'snippet.py'), snippet);
    const py = spawnSync(PY, ['snippet.py'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    assert.equal(py.status, 0, py.stderr);
    const text = py.stdout.replace(/\n$/, '');
    const vocab = new Set(JSON.parse(readMeta(path.join(dir, 'runs', 'latest', 'model.safetensors')).rnnkit).vocab as string[]);
    assert.ok(text.startsWith('Call me ') && [...text].length === 8 + 80, `the prime and 80 characters: ${JSON.stringify(text)}`);
    assert.ok([...text].every((c) => vocab.has(c)), `only the model's characters: ${JSON.stringify(text)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The __metadata__ of a safetensors file: string keys and values. */
function readMeta(file: string): Record<string, string> {
  const raw = readFileSync(file);
  const n = Number(raw.readBigUInt64LE(0));
  return JSON.parse(raw.subarray(8, 8 + n).toString('utf8')).__metadata__;
}
