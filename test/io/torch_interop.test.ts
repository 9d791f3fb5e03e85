import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CharLM } from '../../src/text/index.js';
import { Generator, noGrad } from '../../src/tensor/index.js';
import { encodeCheckpoint, MODEL_FILE } from '../../src/io/index.js';
import { tempDir, ROOT } from '../helpers/cli.js';

const PY = '/usr/bin/python3';
const hasTorch = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

test('PyTorch loads our model.safetensors into nn.LSTM/GRU/RNN + nn.Linear and computes the same logits', { skip: hasTorch ? false : `needs ${PY} with python3-torch (apt install python3-torch)` }, () => {
  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    const model = new CharLM({ cell, vocabSize: 7, hiddenSize: 5, numLayers: 2, dropout: 0 }, new Generator(3));
    const dir = tempDir();
    const files = encodeCheckpoint({ model: { tensors: model.stateDict(), meta: { model: model.config } }, state: null });
    writeFileSync(path.join(dir, MODEL_FILE), files[MODEL_FILE]);
    const ids = [0, 3, 6, 2, 1, 5, 4, 4];
    writeFileSync(path.join(dir, 'input.json'), JSON.stringify({ ids, T: 4, B: 2 }));
    const r = spawnSync(PY, [path.join(ROOT, 'test/io/torch_forward.py'), path.join(dir, MODEL_FILE), path.join(dir, 'input.json')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const theirs = JSON.parse(r.stdout) as number[];
    const ours = noGrad(() => model.eval().forward(Int32Array.from(ids), [4, 2]).logits.data);
    assert.equal(theirs.length, ours.length);
    theirs.forEach((v, i) => assert.ok(Math.abs(v - ours[i]) < 1e-5, `${cell} logit ${i}: torch ${v}, rnnkit ${ours[i]}`));
  }
});
