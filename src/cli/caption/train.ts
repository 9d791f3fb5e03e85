import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { CaptionTrainer, defaultCaptionTrainConfig, type CaptionTrainConfig, type CaptionScores } from '../../caption/index.js';
import { saveCheckpoint, epochCheckpointName } from '../../io/checkpoint_files.js';
import { ConfigError } from '../../errors.js';
import { DivergedError } from '../../train/index.js';
import { prepareOutputDir, writingTo } from '../output_paths.js';
import { int, num, oneOf } from '../options.js';
import { selectBackend, BACKEND_CHOICES, type BackendChoice } from '../backend.js';
import { UsageError } from '../errors.js';
import { readCaptionData, defaultImageList, asUsage } from './data.js';
import { progress } from './progress.js';

interface TrainFlags {
  features: string; captions: string; split: string; list?: string;
  cell: CaptionTrainConfig['cell']; inject: CaptionTrainConfig['inject']; embed: number; hidden: number; dropout: number; labelSmoothing: number;
  minCount: number; maxLength: number; batch: number; lr: number; lrDecay: number; ema: number; clip: number; epochs: number; patience: number;
  valBeam: number; normalize: boolean; seed: number; out: string; backend: BackendChoice; json?: boolean;
}

const d = defaultCaptionTrainConfig;

/** BLEU-1…4 and CIDEr-D as the papers print them (×100). */
export function formatScores(s: CaptionScores): string {
  return `BLEU-1/2/3/4 ${s.bleu.map((b) => (100 * b).toFixed(1)).join(' / ')}  CIDEr-D ${(100 * s.ciderD).toFixed(1)}`;
}

export function addCaptionTrainCommand(caption: Command): void {
  caption.command('train')
    .description('train a captioner (word embedding → RNN/LSTM → linear → softmax) on image features and captions')
    .requiredOption('--features <file>', 'feature matrix: raw float32, one row per image (rnnkit caption features writes it)')
    .requiredOption('--captions <file>', 'captions: image<TAB>index<TAB>caption per line')
    .requiredOption('--split <file>', 'split: image<TAB>train|val per line')
    .option('--list <file>', 'the image of each feature row, one per line (default: images.txt beside --features)')
    .option('--cell <type>', 'recurrent cell: rnn or lstm', oneOf('rnn', 'lstm'), d.cell)
    .option('--inject <mode>', 'image feature: every (W_ih·v added at every step) or init (projection of v is h_0)', oneOf('every', 'init'), d.inject)
    .option('--embed <n>', 'word embedding size', int(1), d.embed)
    .option('--hidden <n>', 'hidden units', int(1), d.hidden)
    .option('--dropout <p>', 'dropout on the image feature, the embeddings and the recurrent output', num(0, 0.99), d.dropout)
    .option('--label-smoothing <ε>', 'train towards (1 − ε)·the next word + ε spread over the vocabulary', num(0, 0.99), d.labelSmoothing)
    .option('--min-count <n>', 'a word enters the vocabulary when the training captions use it at least n times', int(1), d.minCount)
    .option('--max-length <n>', 'training captions are cut to n words', int(1), d.maxLength)
    .option('--batch <n>', 'captions per batch', int(1), d.batch)
    .option('--lr <rate>', 'Adam learning rate', num(0, 10, false), d.lr)
    .option('--lr-decay <f>', 'learning rate factor after each epoch', num(0, 1, false), d.lrDecay)
    .option('--ema <β>', 'validate and save a moving average of the weights, updated after each step with decay β (0: off)', num(0, 0.9999), d.ema)
    .option('--clip <norm>', 'clip the global gradient norm (0: off)', num(0), d.clip)
    .option('--epochs <n>', 'epochs at most (one epoch visits every training caption once)', int(1), d.epochs)
    .option('--patience <n>', 'stop when validation BLEU-4 has not improved for n epochs (0: never)', int(0), d.patience)
    .option('--val-beam <k>', 'beam width of the validation decoding after each epoch', int(1), d.valBeam)
    .option('--no-normalize', 'feed the features as they are, instead of standardised with the training images\' mean and deviation')
    .option('--seed <n>', 'random seed (initialization, dropout, shuffling)', int(0), d.seed)
    .option('--out <dir>', 'run folder; latest points to the epoch with the best validation BLEU-4', 'runs/caption')
    .option('--backend <name>', `kernels: ${BACKEND_CHOICES.join(', ')}`, oneOf(...BACKEND_CHOICES), 'auto')
    .option('--json', 'print one JSON object per event instead of text')
    .action(async (f: TrainFlags) => train(f));
}

async function train(f: TrainFlags): Promise<void> {
  // the run folder is checked before any reading or training; another run's checkpoints there stay
  await prepareOutputDir(f.out, '--out');
  const earlier = (await writingTo(f.out, '--out', () => fsp.readdir(f.out).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  }))).filter((n) => n === 'latest' || /^(epoch|step)-\d+$/.test(n)).sort();
  if (earlier.length) {
    throw new UsageError(`--out '${f.out}' already holds a run (${earlier.slice(0, 3).join(', ')}${earlier.length > 3 ? ', …' : ''}); choose another folder, or remove it first`);
  }
  const backend = await selectBackend(f.backend);
  const files = { features: path.resolve(f.features), imageList: path.resolve(f.list ?? defaultImageList(f.features)), captions: path.resolve(f.captions), split: path.resolve(f.split) };
  const data = await readCaptionData(files);
  const config: CaptionTrainConfig = {
    cell: f.cell, inject: f.inject, embed: f.embed, hidden: f.hidden, dropout: f.dropout, labelSmoothing: f.labelSmoothing, minCount: f.minCount, maxLength: f.maxLength,
    batch: f.batch, lr: f.lr, lrDecay: f.lrDecay, ema: f.ema, clip: f.clip, epochs: f.epochs, patience: f.patience, valBeam: f.valBeam, normalize: f.normalize, seed: f.seed,
  };
  let trainer: CaptionTrainer;
  try {
    trainer = new CaptionTrainer(data, config);
  } catch (e) {
    // the library names its fields; the person at the terminal typed options
    if (e instanceof ConfigError) throw new UsageError(e.message.replace(/\bthe minimum word count\b/, 'the minimum word count (--min-count)'));
    throw e instanceof UsageError ? e : new UsageError((e as Error).message);
  }
  const emit = (event: Record<string, unknown>, text: string | null) => {
    if (f.json) process.stdout.write(`${JSON.stringify(event)}\n`);
    else if (text !== null) process.stdout.write(`${text}\n`);
  };
  emit({ event: 'start', params: trainer.model.numParameters(), vocab: trainer.vocab.size, trainImages: data.train.length, trainCaptions: trainer.pairs.length, valImages: data.val.length, featureSize: data.dim, backend, out: f.out, config },
    `training a ${config.cell.toUpperCase()} ${config.hidden} captioner (inject ${config.inject}, ${trainer.model.numParameters().toLocaleString('en-US')} parameters, ` +
    `vocabulary ${trainer.vocab.size} words) on ${trainer.pairs.length.toLocaleString('en-US')} captions of ${data.train.length} images (${data.dim} features each); ` +
    `validation: ${data.val.length} images, beam ${config.valBeam}; ${backend} backend → ${f.out}`);

  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
  };
  process.on('SIGINT', onSigint);
  const t0 = performance.now();
  let trainSeconds = 0;
  let best = -1, bestEpoch = 0, bestDir = '', bestScores: CaptionScores | null = null, since = 0;
  for (let e = 1; e <= config.epochs && !interrupted; e++) {
    const plan = trainer.epochPlan();
    const bar = f.json ? null : progress(plan.length, `epoch ${e}/${config.epochs} batch`, (s) => process.stdout.write(s));
    let lossSum = 0, tokens = 0, n = 0;
    const e0 = performance.now();
    for (const b of plan) {
      if (interrupted) break;
      const r = asUsage(() => trainStepOrSay(trainer, b));
      lossSum += r.loss;
      tokens += r.tokens;
      n++;
      bar?.update(n, `loss ${(lossSum / n).toFixed(3)} | ${Math.round(tokens / ((performance.now() - e0) / 1000))} words/s |`);
      // let Ctrl-C in between batches, and the collector return the buffers of finished steps
      await new Promise((res) => setImmediate(res));
    }
    bar?.stop();
    trainSeconds += (performance.now() - e0) / 1000;
    if (interrupted && n < plan.length) break;
    trainer.epoch = e;
    const v0 = performance.now();
    const { scores, captions } = trainer.evaluate({ beam: config.valBeam });
    const b4 = scores.bleu[3];
    trainer.history.push({ epoch: e, loss: lossSum / n, bleu: scores.bleu, ciderD: scores.ciderD, lr: trainer.lr });
    const better = b4 > best;
    emit({ event: 'epoch', epoch: e, loss: lossSum / n, ...scores, trainSeconds, valSeconds: (performance.now() - v0) / 1000, best: better, example: captions[0].join(' ') },
      `epoch ${e}: train loss ${(lossSum / n).toFixed(3)}; validation ${formatScores(scores)}; ${scores.distinctCaptions} distinct captions, ` +
      `${scores.distinctWords} words${better ? ' (best so far)' : ''}\n  e.g. "${captions[0].join(' ')}"`);
    if (better) {
      best = b4;
      bestEpoch = e;
      bestScores = scores;
      since = 0;
      bestDir = await writingTo(f.out, '--out', () => saveCheckpoint(f.out, e, trainer.checkpoint({ data: files, trainSeconds, valScores: scores }), 1, epochCheckpointName(e)));
      emit({ event: 'checkpoint', epoch: e, path: bestDir }, `checkpoint saved: ${bestDir}`);
    } else if (config.patience > 0 && ++since >= config.patience) {
      emit({ event: 'early-stop', epoch: e, bestEpoch }, `validation BLEU-4 has not improved for ${since} epochs: stopping`);
      break;
    }
  }
  process.off('SIGINT', onSigint);
  if (!bestScores) {
    if (interrupted) throw new UsageError('interrupted before the first epoch ended; no checkpoint was written');
    throw new UsageError('no epoch finished');
  }
  const seconds = (performance.now() - t0) / 1000;
  emit({ event: 'done', bestEpoch, ...bestScores, seconds, trainSeconds, checkpoint: bestDir, interrupted },
    `${interrupted ? 'interrupted; ' : ''}best: epoch ${bestEpoch}, ${formatScores(bestScores)} (beam ${config.valBeam}); ` +
    `${Math.round(seconds)} s in all, ${Math.round(trainSeconds)} s training; model at ${bestDir}\n` +
    `Try: rnnkit caption eval --checkpoint ${f.out}`);
  if (interrupted) process.exitCode = 130;
}

/** One training step; a divergence becomes one line that names the options to change. */
function trainStepOrSay(trainer: CaptionTrainer, batch: readonly number[]): ReturnType<CaptionTrainer['trainStep']> {
  try {
    return trainer.trainStep(batch);
  } catch (e) {
    if (!(e instanceof DivergedError)) throw e;
    const { lr, clip } = trainer.config;
    throw new UsageError(`${e.message}; try a lower --lr (now ${lr})${clip > 0 ? '' : ' or gradient clipping (--clip 5)'}`);
  }
}
