import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, mkdirSync, existsSync, statSync, readdirSync, readlinkSync } from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { rnnkit, tempDir, makeCorpus, CLI } from '../helpers/cli.js';
import onnxProto from 'onnx-proto';
import { tinyClassifier } from '../helpers/onnx.js';
import { decodeCaptionsONNX } from '../../src/node.js';

/*
 * The caption commands run as a user runs them, on a tiny world the test makes itself: an ONNX
 * classifier written here, reddish and bluish photos drawn with sharp (and one file that is no image),
 * two captions per photo that say its colour.
 */
const js = ['--backend', 'js'];
const pre = ['--resize', '18', '--crop', '16'];
let dir = '', cnn = '', images = '', feats = '', caps = '', split = '', run = '';

async function photo(file: string, rgb: [number, number, number], seed: number): Promise<void> {
  const W = 24, H = 20, px = Buffer.alloc(W * H * 3);
  let s = seed;
  for (let i = 0; i < px.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    px[i] = Math.max(0, Math.min(255, rgb[i % 3] + ((s >> 8) % 60) - 30));
  }
  await sharp(px, { raw: { width: W, height: H, channels: 3 } }).toFile(file);
}

before(async () => {
  dir = tempDir('rnnkit-caption-');
  cnn = path.join(dir, 'cnn.onnx');
  writeFileSync(cnn, tinyClassifier('gemm', { size: 16, channels: 8, classes: 10 }).bytes);
  images = path.join(dir, 'photos');
  mkdirSync(images);
  const capLines: string[] = [], splitLines: string[] = [];
  for (let i = 0; i < 12; i++) {
    for (const [colour, rgb, shape, ext] of [['red', [220, 40, 30], 'ball', 'png'], ['blue', [30, 60, 220], 'boat', 'jpg']] as const) {
      const name = `${colour}${String(i).padStart(2, '0')}.${ext}`;
      await photo(path.join(images, name), [...rgb], 7 + i);
      capLines.push(`${name}\t0\tA ${colour} ${shape} on the grass .`, `${name}\t1\tthe ${colour} ${shape} on the grass`);
      splitLines.push(`${name}\t${i < 9 ? 'train' : 'val'}`);
    }
  }
  writeFileSync(path.join(images, 'broken.jpg'), 'this is not a JPEG');
  caps = path.join(dir, 'captions.tsv');
  writeFileSync(caps, `${capLines.join('\n')}\n`);
  split = path.join(dir, 'split.tsv');
  writeFileSync(split, `${splitLines.join('\n')}\n`);
  feats = path.join(dir, 'feats', 'features.f32');
  run = path.join(dir, 'run');
});

test('the command line starts without loading the image libraries; only the commands that read images load them', () => {
  // the preloaded hook counts, at exit, the files of onnxruntime-node, sharp and onnx-proto that were loaded
  const hook = 'data:text/javascript,import{createRequire}from"node:module";const r=createRequire("/");' +
    'process.on("exit",()=>process.stderr.write(`image libraries: ${Object.keys(r.cache).filter((k)=>/node_modules.(sharp|onnxruntime-node|onnx-proto)./.test(k)).length} files\\n`))';
  const loaded = (args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', hook, CLI, ...args], { encoding: 'utf8' });
    const m = /image libraries: (\d+) files/.exec(r.stderr);
    assert.ok(m, r.stdout + r.stderr);
    return Number(m[1]);
  };
  for (const args of [['--help'], ['caption', 'train', '--help'], ['caption', 'describe', '--help'], ['train', '--help']]) assert.equal(loaded(args), 0, args.join(' '));
  assert.ok(loaded(['caption', 'features', '--cnn', path.join(dir, 'missing.onnx'), '--images', images, '--out', path.join(dir, 'y.f32')]) === 0,
    'a missing --cnn file is reported before the libraries are loaded');
  assert.ok(loaded(['caption', 'features', '--cnn', cnn, '--images', images, '--out', path.join(dir, 'y.f32'), ...pre]) > 0);
});

test('caption features: cuts the CNN, says where, writes one row per photo, and reports and skips a file that is no image', () => {
  const r = rnnkit(['caption', 'features', '--cnn', cnn, '--images', images, '--out', feats, ...pre, '--batch', '5']);
  assert.equal(r.status, 0, r.out);
  assert.match(r.stderr, /cut before its final fully connected layer fc \(Gemm\) \(8 → 10\)/);
  assert.match(r.out, /skipped broken\.jpg: /);
  assert.match(r.stdout, /wrote 24 feature rows of 8 values .*; skipped 1 image that could not be decoded: broken\.jpg/);
  assert.equal(statSync(feats).size, 24 * 8 * 4);
  // the shape beside it lets a reader refuse a truncated copy whose size still divides evenly
  assert.deepEqual(JSON.parse(readFileSync(`${feats}.json`, 'utf8')), { format: 'rnnkit.features/1', rows: 24, dim: 8 });
  // run again, it refuses to overwrite what is there, before reading any image
  const again = rnnkit(['caption', 'features', '--cnn', cnn, '--images', images, '--out', feats, ...pre]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /--out '.*features\.f32' already exists/);
  assert.equal(statSync(feats).size, 24 * 8 * 4);
  const names = readFileSync(path.join(path.dirname(feats), 'images.txt'), 'utf8').trim().split('\n');
  assert.equal(names.length, 24);
  assert.ok(!names.includes('broken.jpg'));
});

test('caption train → eval → describe on the tiny world: the captions name the colour', () => {
  const t = rnnkit(['caption', 'train', '--features', feats, '--captions', caps, '--split', split, '--hidden', '24', '--embed', '12', '--min-count', '1',
    '--batch', '6', '--lr', '0.02', '--lr-decay', '1', '--dropout', '0', '--epochs', '15', '--patience', '0', '--val-beam', '2', '--out', run, ...js]);
  assert.equal(t.status, 0, t.out);
  assert.match(t.stdout, /training a LSTM 24 captioner \(inject every/);
  assert.match(t.stdout, /epoch 1: train loss \d+\.\d+; validation BLEU-1\/2\/3\/4 [\d.]+ \/ [\d.]+ \/ [\d.]+ \/ [\d.]+ {2}CIDEr-D [\d.]+/);
  assert.match(t.stdout, /best: epoch \d+/);
  assert.ok(existsSync(path.join(run, 'latest', 'model.safetensors')));
  // checkpoints are named by epoch; only the best is kept
  const kept = readdirSync(run).filter((n) => !n.startsWith('.') && n !== 'latest');
  assert.equal(kept.length, 1, kept.join(', '));
  assert.match(kept[0], /^epoch-\d{2}$/);
  assert.equal(readlinkSync(path.join(run, 'latest')), kept[0]);

  const e = rnnkit(['caption', 'eval', '--checkpoint', run, '--json', ...js]);
  assert.equal(e.status, 0, e.out);
  const s = JSON.parse(e.stdout);
  assert.equal(s.images, 6);
  assert.equal(s.bleu.length, 4);
  assert.ok(s.bleu[3] > 0.5, `BLEU-4 ${s.bleu[3]}`);
  assert.ok(Number.isFinite(s.ciderD));
  // a split file that lists only the images to score, and a user's own set scored without any split
  const testSplit = path.join(dir, 'test_split.tsv');
  writeFileSync(testSplit, ['red10.png', 'blue11.jpg', 'red11.png'].map((n) => `${n}\ttest`).join('\n'));
  const onlyTest = rnnkit(['caption', 'eval', '--checkpoint', run, '--split', testSplit, '--part', 'test', '--json', ...js]);
  assert.equal(onlyTest.status, 0, onlyTest.out);
  assert.equal(JSON.parse(onlyTest.stdout).images, 3);
  const own = rnnkit(['caption', 'eval', '--checkpoint', run, '--features', feats, '--captions', caps, '--json', ...js]);
  assert.equal(own.status, 0, own.out);
  assert.equal(JSON.parse(own.stdout).images, 24, 'every listed image that has captions');
  const text = rnnkit(['caption', 'eval', '--checkpoint', run, '--greedy', '--show', '2', ...js]);
  assert.equal(text.status, 0, text.out);
  assert.match(text.stdout, /BLEU-1\/2\/3\/4 .* CIDEr-D/);
  assert.match(text.stdout, /\d+ distinct captions for 6 images, \d+ distinct words/);

  const d = rnnkit(['caption', 'describe', '--checkpoint', run, '--cnn', cnn, ...pre, ...js,
    path.join(images, 'red10.png'), path.join(images, 'broken.jpg'), path.join(images, 'blue11.jpg')]);
  assert.equal(d.status, 0, d.out);
  const lines = d.stdout.trim().split('\n');
  assert.equal(lines.length, 2, d.out);
  assert.match(lines[0], /^red10\.png: .*\bred\b/);
  assert.match(lines[1], /^blue11\.jpg: .*\bblue\b/);
  assert.match(d.stderr, /skipped .*broken\.jpg: /);
  assert.match(d.stderr, /2 of 3 photos captioned; 1 could not be decoded/);
});

test('the decoder step that rnnkit export --onnx writes, searched under ONNX Runtime, gives the captions rnnkit caption describe writes', async () => {
  const step = path.join(dir, 'step.onnx');
  const x = rnnkit(['export', '--onnx', '--checkpoint', run, '--out', step]);
  assert.equal(x.status, 0, x.out);
  const photos = ['red10.png', 'blue11.jpg', 'red03.png', 'blue04.jpg', 'red07.png'];
  const d = rnnkit(['caption', 'describe', '--checkpoint', run, '--cnn', cnn, ...pre, ...js, ...photos.map((p) => path.join(images, p))]);
  assert.equal(d.status, 0, d.out);
  // the same photos' features, as caption features wrote them with the same CNN and preprocessing
  const names = readFileSync(path.join(path.dirname(feats), 'images.txt'), 'utf8').trim().split('\n');
  const all = new Float32Array(new Uint8Array(readFileSync(feats)).buffer), F = 8;
  const rows = new Float32Array(photos.length * F);
  photos.forEach((p, i) => rows.set(all.subarray(names.indexOf(p) * F, (names.indexOf(p) + 1) * F), i * F));
  const bytes = new Uint8Array(readFileSync(step));
  const words = JSON.parse(onnxProto.onnx.ModelProto.decode(bytes).metadataProps.find((m) => m.key === 'rnnkit.vocab')!.value!) as string[];
  const captions = await decodeCaptionsONNX(bytes, rows, { beam: 3 });
  assert.deepEqual(d.stdout.trim().split('\n'), photos.map((p, i) => `${p}: ${[...captions[i]].map((w) => words[w]).join(' ')}`));
});

test('caption commands refuse bad input with one line that says what is wrong', () => {
  const badCaps = path.join(dir, 'bad_captions.tsv');
  writeFileSync(badCaps, 'red00.png\t0\tA red ball .\nred00.png\t1\tthe red ball\nred01.png this line has no tabs\n');
  const shortFeats = path.join(dir, 'short', 'features.f32');
  mkdirSync(path.dirname(shortFeats));
  writeFileSync(shortFeats, Buffer.alloc(10));
  writeFileSync(path.join(dir, 'short', 'images.txt'), readFileSync(path.join(path.dirname(feats), 'images.txt')));
  // half the rows of 8 values: 384 bytes still divide evenly into 24 rows (of 4)
  const cutFeats = path.join(dir, 'cut', 'features.f32');
  mkdirSync(path.dirname(cutFeats));
  writeFileSync(cutFeats, readFileSync(feats).subarray(0, 384));
  writeFileSync(`${cutFeats}.json`, readFileSync(`${feats}.json`));
  writeFileSync(path.join(dir, 'cut', 'images.txt'), readFileSync(path.join(path.dirname(feats), 'images.txt')));
  const noFc = path.join(dir, 'nofc.onnx');
  writeFileSync(noFc, tinyClassifier('none').bytes);
  const charRun = path.join(dir, 'charrun');
  const c = rnnkit(['train', '--data', makeCorpus(dir, 5000), '--hidden', '8', '--seq', '8', '--batch', '2', '--steps', '2', '--val-every', '0', '--sample-length', '0', '--out', charRun, ...js]);
  assert.equal(c.status, 0, c.out);
  const cases: [string[], RegExp][] = [
    [['caption', 'train', '--features', feats, '--captions', badCaps, '--split', split, ...js], /bad_captions\.tsv line 3 is malformed: expected "image<TAB>index<TAB>caption"/],
    [['caption', 'train', '--features', shortFeats, '--captions', caps, '--split', split, ...js], /has 10 bytes, which is not a whole number of float32 rows for the 24 images of .*images\.txt/],
    [['caption', 'features', '--cnn', noFc, '--images', images, '--out', path.join(dir, 'nofc', 'x.f32')], /nofc\.onnx has no fully connected layer \(Gemm\/MatMul\) before its output/],
    [['caption', 'eval', '--checkpoint', charRun, ...js], /is not an image-captioning checkpoint: it holds a character language model/],
    [['sample', '--checkpoint', run, ...js], /is not a character-model checkpoint \(format "rnnkit\.captioner\/1"\)/],
    [['caption', 'describe', '--checkpoint', run, '--cnn', path.join(dir, 'missing.onnx'), path.join(images, 'red00.png'), ...js], /--cnn '.*missing\.onnx' does not exist/],
    [['caption', 'describe', '--checkpoint', run, '--cnn', cnn, ...pre, path.join(images, 'broken.jpg'), ...js], /skipped .*broken\.jpg/],
    [['caption', 'train', '--features', feats, '--captions', caps, '--split', split, '--min-count', '1000000000', '--out', path.join(dir, 'never'), ...js],
      /the vocabulary would hold only the special tokens .*--min-count/],
    [['caption', 'train', '--features', cutFeats, '--captions', caps, '--split', split, ...js], /has 384 bytes, but 24 rows × 8 values need 768: the file is truncated/],
    [['caption', 'eval', '--checkpoint', run, '--greedy', '--sample', ...js], /--greedy and --sample are two different ways to decode/],
    [['caption', 'features', '--cnn', cnn, '--images', images, '--out', path.join(dir, 'x2.f32'), '--std', '0,0,0'], /must be > 0/],
    [['train', '--resume', run], /is an image-captioning checkpoint: rnnkit train --resume continues character-model runs/],
  ];
  for (const [args, want] of cases) {
    const r = rnnkit(args);
    assert.notEqual(r.status, 0, `${args.join(' ')} should fail: ${r.out}`);
    assert.match(r.stderr, want, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});
