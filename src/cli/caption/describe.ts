import * as path from 'node:path';
import type { Command } from 'commander';
import { Tensor } from '../../tensor/index.js';
import { decodeCaptions } from '../../caption/index.js';
import { oneOf } from '../options.js';
import { selectBackend, BACKEND_CHOICES, type BackendChoice } from '../backend.js';
import { UsageError } from '../errors.js';
import { addDecodeOptions, checkDecodeFlags, decodeOptionsOf, type DecodeFlags } from './decode_options.js';
import { addPreprocessOptions, loadExtractor, type PreprocessFlags } from './features.js';
import { loadCaptioner } from './eval.js';

interface DescribeFlags extends DecodeFlags, PreprocessFlags { checkpoint: string; cnn: string; backend: BackendChoice; verbose?: boolean }

export function addCaptionDescribeCommand(caption: Command): void {
  addPreprocessOptions(addDecodeOptions(caption.command('describe')
    .description('write a caption for each photo: the CNN (cut before its last FC layer) gives the feature, the captioner the words')
    .argument('<photos...>', 'image files')
    .option('--checkpoint <path>', 'captioning run folder, its latest, or a checkpoint folder', 'runs/caption/latest')
    .requiredOption('--cnn <model.onnx>', 'the ImageNet classifier whose features the captioner was trained on')
    .option('--verbose', 'say which node was cut and how long each photo took')
    .option('--backend <name>', `kernels: ${BACKEND_CHOICES.join(', ')}`, oneOf(...BACKEND_CHOICES), 'auto')))
    .action(async (photos: string[], f: DescribeFlags, cmd: Command) => {
      checkDecodeFlags(f, (name) => cmd.getOptionValueSource(name) === 'cli');
      await describe(photos, f);
    });
}

async function describe(photos: string[], f: DescribeFlags): Promise<void> {
  await selectBackend(f.backend);
  const { model, vocab, dir } = await loadCaptioner(f.checkpoint);
  const say = (s: string) => { if (f.verbose) process.stderr.write(`${s}\n`); };
  const fx = await loadExtractor(f.cnn, f, say);
  if (fx.cut.featureSize && fx.cut.featureSize !== model.config.featureSize) {
    throw new UsageError(`${f.cnn} gives ${fx.cut.featureSize} features per image, but the captioner in ${dir} was trained on ${model.config.featureSize}: use the CNN its features came from`);
  }
  const opts = decodeOptionsOf(f);
  const failed: string[] = [];
  for (const photo of photos) {
    const t0 = performance.now();
    let image: Float32Array;
    try {
      image = await fx.loadImage(photo);
    } catch (e) {
      failed.push(photo);
      process.stderr.write(`skipped ${photo}: ${(e as Error).message.split('\n')[0]}\n`);
      continue;
    }
    const { data, dim } = await fx.run([image]);
    if (dim !== model.config.featureSize) throw new UsageError(`${f.cnn} gives ${dim} features per image, but the captioner takes ${model.config.featureSize}`);
    const [ids] = decodeCaptions(model, new Tensor(data, [1, dim]), opts);
    process.stdout.write(`${path.basename(photo)}: ${vocab.decode(ids).join(' ')}\n`);
    say(`  ${(performance.now() - t0).toFixed(0)} ms`);
  }
  await fx.release();
  if (failed.length) {
    process.stderr.write(`${photos.length - failed.length} of ${photos.length} photos captioned; ${failed.length} could not be decoded\n`);
    if (failed.length === photos.length) process.exitCode = 1;
  }
}
