import { mkdirSync, writeFileSync, symlinkSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Generator } from '../../src/tensor/index.js';
import { CharLM, CharVocab, CHECKPOINT_FORMAT, WordLMVocab, wordLMCheckpointPart } from '../../src/text/index.js';
import { CaptionTrainer, defaultCaptionTrainConfig, parseCaptions, parseImageList, parseSplit, joinDataset } from '../../src/caption/index.js';
import { encodeCheckpoint, type Checkpoint } from '../../src/io/checkpoint.js';

/*
 * Small files for the bad-input tables, made in-process in a row's folder (no training run): a
 * character model, an image-captioning data set and a captioner, each written as the commands write them.
 */

export const TEXT = 'the whale and the sea. the ship and the captain.\n'.repeat(40);

function writeCheckpoint(dir: string, c: Checkpoint, name = 'step-000001'): string {
  const ckpt = path.join(dir, name);
  mkdirSync(ckpt, { recursive: true });
  for (const [file, bytes] of Object.entries(encodeCheckpoint(c))) writeFileSync(path.join(ckpt, file), bytes);
  symlinkSync(name, path.join(dir, 'latest'));
  return ckpt;
}

/** A run folder `name` with a tiny untrained character LSTM over TEXT's characters; returns the run folder. */
export function charRun(dir: string, name = 'run'): string {
  const vocab = CharVocab.fromText(TEXT);
  const config = { cell: 'lstm' as const, vocabSize: vocab.size, hiddenSize: 8, numLayers: 1, dropout: 0 };
  const model = new CharLM(config, new Generator(1));
  const run = path.join(dir, name);
  writeCheckpoint(run, { model: { tensors: model.stateDict(), meta: { format: CHECKPOINT_FORMAT, model: config, vocab: vocab.toJSON() } }, state: null });
  return run;
}

/**
 * A run folder `name` with a tiny untrained word-level LSTM over TEXT's words; `edit` may tamper with
 * its metadata before it is written. Returns the run folder.
 */
export function wordRun(dir: string, name = 'run', edit?: (meta: Record<string, any>) => void): string {
  const vocab = WordLMVocab.fromText(TEXT, 100);
  const model = new CharLM({ cell: 'lstm', vocabSize: vocab.size, hiddenSize: 8, numLayers: 1, dropout: 0 }, new Generator(1));
  const part = wordLMCheckpointPart(model, vocab);
  const meta = JSON.parse(JSON.stringify(part.meta));
  edit?.(meta);
  const run = path.join(dir, name);
  writeCheckpoint(run, { model: { tensors: part.tensors, meta }, state: null });
  return run;
}

export interface CaptionFixture { features: string; list: string; captions: string; split: string }

/**
 * Eight images of four features each, two captions apiece, six for training and two for validation,
 * with the shape file `caption features` writes. Names are relative to dir (the command's cwd).
 */
export function captionData(dir: string, opts: { rows?: number; dim?: number; shape?: boolean } = {}): CaptionFixture {
  const rows = opts.rows ?? 8, dim = opts.dim ?? 4;
  const names = Array.from({ length: rows }, (_, i) => `img${i}.jpg`);
  const feats = new Float32Array(rows * dim).map((_, i) => Math.sin(i));
  writeFileSync(path.join(dir, 'features.f32'), new Uint8Array(feats.buffer));
  if (opts.shape ?? true) writeFileSync(path.join(dir, 'features.f32.json'), `${JSON.stringify({ format: 'rnnkit.features/1', rows, dim })}\n`);
  writeFileSync(path.join(dir, 'images.txt'), `${names.join('\n')}\n`);
  writeFileSync(path.join(dir, 'captions.tsv'), names.flatMap((n, i) => [`${n}\t0\ta ${i % 2 ? 'red' : 'blue'} ball`, `${n}\t1\tthe ${i % 2 ? 'red' : 'blue'} ball`]).join('\n') + '\n');
  writeFileSync(path.join(dir, 'split.tsv'), names.map((n, i) => `${n}\t${i < rows - 2 ? 'train' : 'val'}`).join('\n') + '\n');
  return { features: 'features.f32', list: 'images.txt', captions: 'captions.tsv', split: 'split.tsv' };
}

/** A captioning run folder `name` (untrained captioner) over captionData's files; returns the run folder. */
export function captionRun(dir: string, name = 'caprun', checkpoint = 'step-000001'): string {
  const f = captionData(dir);
  const read = (n: string) => readFileSync(path.join(dir, n), 'utf8');
  const data = joinDataset(new Float32Array(new Uint8Array(readFileSync(path.join(dir, f.features))).buffer), parseImageList(read(f.list), f.list),
    parseCaptions(read(f.captions), f.captions), parseSplit(read(f.split), f.split));
  const trainer = new CaptionTrainer(data, { ...defaultCaptionTrainConfig, embed: 4, hidden: 8, minCount: 1, batch: 4, epochs: 1, valBeam: 1 });
  const files = { features: path.join(dir, f.features), imageList: path.join(dir, f.list), captions: path.join(dir, f.captions), split: path.join(dir, f.split) };
  const run = path.join(dir, name);
  writeCheckpoint(run, trainer.checkpoint({ data: files }), checkpoint);
  return run;
}

