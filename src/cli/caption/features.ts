import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { writeFileAtomic } from '../../io/fs.js';
import { int } from '../options.js';
import { UsageError } from '../errors.js';
import { importOptional } from '../optional.js';
import type { FeatureExtractor } from './cnn.js';
import { IMAGENET_PREPROCESS, type Preprocess } from './preprocess.js';
import { progress } from './progress.js';
import { defaultImageList, shapeFile, FEATURES_FORMAT } from './data.js';
import { prepareOutputFile, writingTo } from '../output_paths.js';

const IMAGE_EXT = /\.(jpe?g|png|webp|gif|tiff?|avif|heic|heif)$/i;

export interface PreprocessFlags {
  resize: number;
  crop?: number;
  mean: [number, number, number];
  std: [number, number, number];
}

/** Three numbers, comma-separated (per-channel mean or std). */
export function triple(v: string): [number, number, number] {
  const items = v.split(',');
  const parts = items.map((x) => (x.trim() === '' ? NaN : Number(x)));
  if (parts.length !== 3 || !parts.every(Number.isFinite)) throw new InvalidArgumentError(`expected three comma-separated numbers (R,G,B), got '${v}'`);
  return parts as [number, number, number];
}

/** A per-channel standard deviation divides the pixels: each must be a positive number. */
export function positiveTriple(v: string): [number, number, number] {
  const t = triple(v);
  if (!t.every((x) => x > 0)) throw new InvalidArgumentError(`each standard deviation divides a channel, so it must be > 0, got '${v}'`);
  return t;
}

export function addPreprocessOptions(c: Command): Command {
  const d = IMAGENET_PREPROCESS;
  return c
    .option('--resize <n>', 'resize the shorter side of each image to n pixels', int(1), d.resize)
    .option('--crop <n>', 'then centre-crop n × n (default: the model\'s input size, else 224)', int(1))
    .option('--mean <r,g,b>', 'per-channel mean subtracted after scaling to [0, 1]', triple, d.mean)
    .option('--std <r,g,b>', 'per-channel standard deviation divided by (each > 0)', positiveTriple, d.std);
}

export function preprocessOf(f: PreprocessFlags): Partial<Preprocess> {
  return { resize: f.resize, mean: f.mean, std: f.std, ...(f.crop ? { crop: f.crop } : {}) };
}

/**
 * The CNN code, with onnx-proto, onnxruntime-node and sharp, imported when a command first needs it:
 * loading those libraries takes about a quarter of a second, which every other command (and --help)
 * would otherwise pay at start-up.
 */
async function cnnModule(): Promise<typeof import('./cnn.js')> {
  return importOptional('reading images with a CNN', ['onnxruntime-node', 'sharp', 'onnx-proto'], () => import('./cnn.js'));
}

/** Loads the classifier and cuts it; says which node was cut. */
export async function loadExtractor(cnn: string, f: PreprocessFlags, say: (s: string) => void): Promise<FeatureExtractor> {
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(cnn);
  } catch {
    throw new UsageError(`--cnn '${cnn}' does not exist or cannot be read: give an ImageNet classifier in ONNX format`);
  }
  const { FeatureExtractor } = await cnnModule();
  let fx: FeatureExtractor;
  try {
    fx = await FeatureExtractor.create(new Uint8Array(bytes), cnn, preprocessOf(f));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const c = fx.cut;
  say(`${path.basename(cnn)}: cut before its final fully connected layer ${c.cutNode}` +
    `${c.featureSize ? ` (${c.featureSize} → ${c.classes})` : ''}; features = that layer's input, output '${c.outputName}'`);
  return fx;
}

interface FeatureFlags extends PreprocessFlags { cnn: string; images: string; out: string; list?: string; batch: number }

export function addFeaturesCommand(caption: Command): void {
  addPreprocessOptions(caption.command('features')
    .description('turn a folder of images into CNN feature vectors: an ImageNet classifier with its last FC layer cut off')
    .requiredOption('--cnn <model.onnx>', 'ImageNet classifier in ONNX format')
    .requiredOption('--images <dir>', 'folder of images (jpg, png, webp, …), read in name order')
    .requiredOption('--out <file>', 'feature matrix to write: raw little-endian float32, one row per image, with its shape in <file>.json (never overwrites)')
    .option('--list <file>', 'file naming the image of each row, one per line (default: images.txt beside --out; never overwrites)')
    .option('--batch <n>', 'images per inference batch', int(1), 8))
    .action(async (f: FeatureFlags) => features(f));
}

async function features(f: FeatureFlags): Promise<void> {
  // every output is checked before minutes of extraction; existing files are the user's and stay
  const list = f.list ?? defaultImageList(f.out);
  const outputs: [string, string][] = [[f.out, '--out'], [shapeFile(f.out), 'the shape file of --out'], [list, f.list ? '--list' : 'the image list (images.txt beside --out)']];
  const seen = new Set<string>();
  for (const [file, what] of outputs) {
    if (seen.has(path.resolve(file))) throw new UsageError(`${what} '${file}' is also another output of this command; give --out and --list different names`);
    seen.add(path.resolve(file));
    await prepareOutputFile(file, what, { hint: file === list && !f.list ? 'choose another --out folder, remove it first, or pass --list' : 'choose another name or remove it first' });
  }
  let files: string[];
  try {
    files = (await fsp.readdir(f.images)).filter((n) => IMAGE_EXT.test(n)).sort();
  } catch {
    throw new UsageError(`--images '${f.images}' is not a readable folder`);
  }
  if (!files.length) throw new UsageError(`--images '${f.images}' has no image files (jpg, jpeg, png, webp, gif, tif, avif, heic)`);
  const fx = await loadExtractor(f.cnn, f, (s) => process.stderr.write(`${s}\n`));
  const bar = progress(files.length, 'images');
  const rows: Float32Array[] = [], names: string[] = [], skipped: string[] = [];
  let dim = 0;
  const t0 = performance.now();
  for (let i = 0; i < files.length; i += f.batch) {
    const batch: Float32Array[] = [], batchNames: string[] = [];
    for (const name of files.slice(i, i + f.batch)) {
      try {
        batch.push(await fx.loadImage(path.join(f.images, name)));
        batchNames.push(name);
      } catch (e) {
        skipped.push(name);
        bar.log(`skipped ${name}: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    if (batch.length) {
      const r = await fx.run(batch);
      dim = r.dim;
      for (let j = 0; j < batch.length; j++) rows.push(r.data.subarray(j * dim, (j + 1) * dim));
      names.push(...batchNames);
    }
    bar.update(Math.min(files.length, i + f.batch));
  }
  bar.stop();
  await fx.release();
  const seconds = (performance.now() - t0) / 1000;
  if (!rows.length) throw new UsageError(`none of the ${files.length} images in '${f.images}' could be decoded`);
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => out.set(r, i * dim));
  await writingTo(f.out, '--out', async () => {
    for (const file of [f.out, list]) await fsp.mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await writeFileAtomic(f.out, new Uint8Array(out.buffer));
    await writeFileAtomic(shapeFile(f.out), `${JSON.stringify({ format: FEATURES_FORMAT, rows: rows.length, dim })}\n`);
    await writeFileAtomic(list, `${names.join('\n')}\n`);
  });
  process.stdout.write(`wrote ${rows.length} feature rows of ${dim} values to ${f.out} and their image names to ${list} ` +
    `(${(1000 * seconds / files.length).toFixed(1)} ms per image)` +
    `${skipped.length ? `; skipped ${skipped.length} image${skipped.length > 1 ? 's' : ''} that could not be decoded: ${skipped.join(', ')}` : ''}\n`);
}
