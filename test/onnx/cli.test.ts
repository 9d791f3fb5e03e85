import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync, symlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ROOT, rnnkit, tempDir } from '../helpers/cli.js';
import { charRun, captionRun } from '../reliability/fixtures_models.js';
import { loadCharLM, decodeCaptionsONNX } from '../../src/node.js';
import { Tensor, decodeCaptions, captionerFromCheckpoint } from '../../src/index.js';
import { loadCheckpoint } from '../../src/io/checkpoint_files.js';

test('rnnkit export --onnx writes a char-LM checkpoint as a graph that onnxruntime runs to the model\'s logits, and never overwrites', async () => {
  const dir = tempDir();
  const run = charRun(dir);
  const out = path.join(dir, 'model.onnx');
  const r = rnnkit(['export', '--onnx', '--checkpoint', run, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /wrote .*model\.onnx: the character model/);
  const { model } = await loadCharLM(run);
  const [T, B, H, V] = [4, 2, model.config.hiddenSize, model.config.vocabSize];
  const ids = Int32Array.from({ length: T * B }, (_, i) => (i * 3) % V);
  const session = await ort.InferenceSession.create(readFileSync(out));
  const zeros = new Float32Array(B * H);
  const got = await session.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [T, B]),
    h0: new ort.Tensor('float32', zeros, [1, B, H]), c0: new ort.Tensor('float32', zeros, [1, B, H]),
  });
  const want = model.forward(ids, [T, B]).logits.data;
  (got.logits.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-5));

  writeFileSync(out, 'mine');
  const again = rnnkit(['export', '--onnx', '--checkpoint', run, '--out', out]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /^rnnkit: --out '.*model\.onnx' already exists; choose another name or remove it first\n$/);
  assert.equal(readFileSync(out, 'utf8'), 'mine');
});

test('rnnkit export --onnx of a captioning checkpoint writes its decoder step, whose beam search writes the captioner\'s captions', async () => {
  const dir = tempDir();
  const run = captionRun(dir);
  const out = path.join(dir, 'step.onnx');
  const r = rnnkit(['export', '--onnx', '--checkpoint', run, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /the captioner's decoder step/);
  const ckpt = await loadCheckpoint(run);
  const { model } = captionerFromCheckpoint(ckpt, run);
  const F = model.config.featureSize;
  const feats = Float32Array.from({ length: 3 * F }, (_, i) => Math.cos(i));
  const want = decodeCaptions(model, new Tensor(feats, [3, F]), { beam: 3 }).map((c) => [...c]);
  assert.deepEqual((await decodeCaptionsONNX(out, feats, { beam: 3 })).map((c) => [...c]), want);
  assert.ok(!existsSync(path.join(dir, `.step.onnx.${process.pid}.tmp`)));
});

test('the Node snippet of docs/onnx.md runs an exported char-LM and writes text in the model\'s characters', async () => {
  const doc = readFileSync(path.join(ROOT, 'docs/onnx.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Running the exported model'));
  const snippet = /```js\n([\s\S]*?)```/.exec(section);
  assert.ok(snippet, 'docs/onnx.md has a ```js block under "Running the exported model"');
  const dir = tempDir();
  const r = rnnkit(['export', '--onnx', '--checkpoint', charRun(dir), '--out', path.join(dir, 'model.onnx')]);
  assert.equal(r.status, 0, r.stderr);
  writeFileSync(path.join(dir, 'snippet.mjs'), snippet[1]);
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  const run = spawnSync(process.execPath, ['snippet.mjs'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  const text = run.stdout.replace(/\n$/, '');
  assert.equal([...text].length, 204);
  assert.ok(text.startsWith('the '));
  const { vocab } = await loadCharLM(path.join(dir, 'run'));
  assert.deepEqual(vocab.unknown(text.slice(4)), []);
});
