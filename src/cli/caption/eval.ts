import { InvalidArgumentError, type Command } from 'commander';
import { captionerFromCheckpoint, evaluateCaptioner } from '../../caption/index.js';
import { loadCheckpoint } from '../../io/checkpoint_files.js';
import { int, oneOf } from '../options.js';
import { selectBackend, BACKEND_CHOICES, type BackendChoice } from '../backend.js';
import { UsageError } from '../errors.js';
import { readEvalData, asUsage, defaultImageList, type CaptionFiles } from './data.js';
import { addDecodeOptions, checkDecodeFlags, decodeOptionsOf, describeDecoding, type DecodeFlags } from './decode_options.js';
import { progress } from './progress.js';
import { formatScores } from './train.js';

interface EvalFlags extends DecodeFlags { checkpoint: string; features?: string; list?: string; captions?: string; split?: string; part: string; show: number; json?: boolean; backend: BackendChoice }

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
    .description('caption a set of images and score them: BLEU-1…4 and CIDEr-D against all reference captions (default: the validation images the model was trained with)')
    .option('--checkpoint <path>', 'run folder, its latest, or a checkpoint folder', 'runs/caption/latest')
    .option('--features <file>', 'feature matrix of the images to score (default: the one the model was trained on)')
    .option('--list <file>', 'image list of the feature matrix (default: images.txt beside --features, else the one the model was trained with)')
    .option('--captions <file>', 'reference captions (default: the ones the model was trained on)')
    .option('--split <file>', 'split file; its --part images are scored (default: with --features, none: every listed image that has captions; else the one the model was trained with)')
    .option('--part <name>', 'which part of the split to score: val, test, …', (v: string) => {
      if (!/^[A-Za-z]+$/.test(v)) throw new InvalidArgumentError('expected a word such as val or test');
      return v;
    }, 'val')
    .option('--show <n>', 'print the captions of the first n images', int(0), 5)
    .option('--json', 'print the scores as one JSON object')
    .option('--backend <name>', `kernels: ${BACKEND_CHOICES.join(', ')}`, oneOf(...BACKEND_CHOICES), 'auto'))
    .action(async (f: EvalFlags, cmd: Command) => {
      checkDecodeFlags(f, (name) => cmd.getOptionValueSource(name) === 'cli');
      await evaluate(f, cmd.getOptionValueSource('part') === 'cli');
    });
}

async function evaluate(f: EvalFlags, partGiven: boolean): Promise<void> {
  for (const [flag, v] of [['--features', f.features], ['--list', f.list], ['--captions', f.captions], ['--split', f.split]] as const) {
    if (v !== undefined && v.trim() === '') throw new UsageError(`${flag} is empty; give a file`);
  }
  await selectBackend(f.backend);
  const { model, vocab, meta, dir } = await loadCaptioner(f.checkpoint);
  const stored = (meta.data ?? {}) as Partial<CaptionFiles>;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  // images of the user's own: their features, list and captions; the trained split only when asked for
  const own = f.features !== undefined;
  const files = {
    features: f.features ?? str(stored.features) ?? '',
    imageList: f.list ?? (own ? defaultImageList(f.features!) : str(stored.imageList)) ?? '',
    captions: f.captions ?? str(stored.captions) ?? '',
    split: f.split ?? (own ? null : str(stored.split) ?? ''),
  };
  for (const [k, v] of Object.entries(files)) if (v === '') throw new UsageError(`${dir} does not say which ${k} file it was trained on: pass --${k === 'imageList' ? 'list' : k}`);
  if (files.split === null && partGiven) throw new UsageError('--part chooses images of a split file: pass --split as well');
  const data = await readEvalData(files, f.part);
  if (data.dim !== model.config.featureSize) {
    throw new UsageError(`${files.features} has ${data.dim} features per image, but the model in ${dir} takes ${model.config.featureSize}`);
  }
  const which = files.split === null ? 'images' : `${f.part} images`;
  const bar = f.json ? null : progress(data.val.length, `captioning ${which}`);
  const t0 = performance.now();
  const { scores, captions } = evaluateCaptioner(model, vocab, data.features, data.dim, data.val, decodeOptionsOf(f), (n) => bar?.update(n));
  bar?.stop();
  const seconds = (performance.now() - t0) / 1000;
  if (f.json) {
    process.stdout.write(`${JSON.stringify({ checkpoint: dir, decoding: describeDecoding(f), ...scores, seconds })}\n`);
    return;
  }
  const out: string[] = [];
  out.push(`${dir}: ${model.config.cell.toUpperCase()} ${model.config.hiddenSize}, inject ${model.config.inject}; ${scores.images} ${which}, ${describeDecoding(f)}`);
  out.push(formatScores(scores));
  out.push(`${scores.distinctCaptions} distinct captions for ${scores.images} images, ${scores.distinctWords} distinct words (vocabulary ${vocab.size}), ` +
    `${scores.meanLength.toFixed(1)} words per caption; ${seconds.toFixed(1)} s`);
  for (let i = 0; i < Math.min(f.show, data.val.length); i++) {
    out.push(`${data.val[i].name}: ${captions[i].join(' ')}`);
    out.push(`  reference: ${data.val[i].captions[0].join(' ')}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
