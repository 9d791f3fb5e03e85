import type { Command } from 'commander';
import { captionerFromCheckpoint, evaluateCaptioner } from '../../caption/index.js';
import { loadCheckpoint } from '../../io/checkpoint_files.js';
import { int, oneOf } from '../options.js';
import { selectBackend, BACKEND_CHOICES, type BackendChoice } from '../backend.js';
import { UsageError } from '../errors.js';
import { readCaptionData, asUsage, defaultImageList, type CaptionFiles } from './data.js';
import { addDecodeOptions, decodeOptionsOf, describeDecoding, type DecodeFlags } from './decode_options.js';
import { progress } from './progress.js';
import { formatScores } from './train.js';

interface EvalFlags extends DecodeFlags { checkpoint: string; features?: string; list?: string; captions?: string; split?: string; show: number; json?: boolean; backend: BackendChoice }

/** Loads a captioning checkpoint, refusing any other kind with a message that says what it is. */
export async function loadCaptioner(p: string) {
  const ckpt = await asUsageAsync(() => loadCheckpoint(p));
  return { ...asUsage(() => captionerFromCheckpoint(ckpt, ckpt.dir)), dir: ckpt.dir };
}

async function asUsageAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw e instanceof UsageError ? e : new UsageError((e as Error).message);
  }
}

export function addCaptionEvalCommand(caption: Command): void {
  addDecodeOptions(caption.command('eval')
    .description('caption the validation images and score them: BLEU-1…4 and CIDEr-D against all reference captions')
    .option('--checkpoint <path>', 'run folder, its latest, or a checkpoint folder', 'runs/caption/latest')
    .option('--features <file>', 'feature matrix (default: the one the model was trained on)')
    .option('--list <file>', 'image list of the feature matrix (default: the one the model was trained with)')
    .option('--captions <file>', 'captions file (default: the one the model was trained on)')
    .option('--split <file>', 'split file (default: the one the model was trained on)')
    .option('--show <n>', 'print the captions of the first n validation images', int(0), 5)
    .option('--json', 'print the scores as one JSON object')
    .option('--backend <name>', `kernels: ${BACKEND_CHOICES.join(', ')}`, oneOf(...BACKEND_CHOICES), 'auto'))
    .action(async (f: EvalFlags) => evaluate(f));
}

async function evaluate(f: EvalFlags): Promise<void> {
  await selectBackend(f.backend);
  const { model, vocab, meta, dir } = await loadCaptioner(f.checkpoint);
  const stored = (meta.data ?? {}) as Partial<CaptionFiles>;
  const files: CaptionFiles = {
    features: f.features ?? stored.features ?? '', imageList: f.list ?? (f.features ? undefined : stored.imageList) ?? '',
    captions: f.captions ?? stored.captions ?? '', split: f.split ?? stored.split ?? '',
  };
  if (!files.imageList && files.features) files.imageList = defaultImageList(files.features);
  for (const [k, v] of Object.entries(files)) if (!v) throw new UsageError(`${dir} does not say which ${k} file it was trained on: pass --${k === 'imageList' ? 'list' : k}`);
  const data = await readCaptionData(files);
  if (data.dim !== model.config.featureSize) {
    throw new UsageError(`${files.features} has ${data.dim} features per image, but the model in ${dir} takes ${model.config.featureSize}`);
  }
  const bar = f.json ? null : progress(data.val.length, 'captioning validation images');
  const t0 = performance.now();
  const { scores, captions } = evaluateCaptioner(model, vocab, data.features, data.dim, data.val, decodeOptionsOf(f), (n) => bar?.update(n));
  bar?.stop();
  const seconds = (performance.now() - t0) / 1000;
  if (f.json) {
    process.stdout.write(`${JSON.stringify({ checkpoint: dir, decoding: describeDecoding(f), ...scores, seconds })}\n`);
    return;
  }
  const out: string[] = [];
  out.push(`${dir}: ${model.config.cell.toUpperCase()} ${model.config.hiddenSize}, inject ${model.config.inject}; ${scores.images} validation images, ${describeDecoding(f)}`);
  out.push(formatScores(scores));
  out.push(`${scores.distinctCaptions} distinct captions for ${scores.images} images, ${scores.distinctWords} distinct words (vocabulary ${vocab.size}), ` +
    `${scores.meanLength.toFixed(1)} words per caption; ${seconds.toFixed(1)} s`);
  for (let i = 0; i < Math.min(f.show, data.val.length); i++) {
    out.push(`${data.val[i].name}: ${captions[i].join(' ')}`);
    out.push(`  reference: ${data.val[i].captions[0].join(' ')}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
