import * as path from 'node:path';
import type { Command } from 'commander';
import { CharLMTrainer, DivergedError, defaultTrainConfig, type TrainConfig } from '../text/index.js';
import { saveCheckpoint, loadCheckpoint, checkpointName } from '../io/checkpoint_files.js';
import { readCorpus, DEFAULT_CORPUS } from './corpus_files.js';
import { jsonReporter, lineReporter, terminalReporter, type Reporter } from './progress.js';
import { int, num, oneOf } from './options.js';
import { selectBackend, BACKEND_CHOICES, type BackendChoice } from './backend.js';
import { UsageError } from './errors.js';
import { kernels, setBackend, withBackend, profiled } from '../kernels/index.js';
import { GradFlowMonitor } from '../diagnostics/training_monitor.js';

/** Runs fn with the plain backend, so that a profile counts training steps only. */
function withoutProfiler(p: ReturnType<typeof profiled> | null, fn: () => void): void {
  if (!p) return fn();
  withBackend(p.inner, fn);
}

interface TrainFlags {
  data?: string; cell: TrainConfig['cell']; nonlinearity: TrainConfig['nonlinearity']; hidden: number; layers: number; seq: number; batch: number; dropout: number;
  lr: number; optimizer: TrainConfig['optimizer']; schedule: TrainConfig['schedule']; warmup: number; weightDecay: number;
  decayEvery: number; decay: number; clip: number; steps: number; valFraction: number; valChars: number; valEvery: number;
  sampleLength: number; temperature: number; checkpointEvery: number; keep: number; seed: number; carry: boolean;
  out: string; resume?: string; json?: boolean; backend: BackendChoice; threads?: number; logEvery: number; profile?: boolean; gradflowEvery: number;
}

const d = defaultTrainConfig;

export function addTrainCommand(program: Command): void {
  program.command('train')
    .description('train a character-level language model on a text (default: Moby Dick) and save checkpoints')
    .option('--data <path>', 'UTF-8 text file or folder of .txt files', DEFAULT_CORPUS)
    .option('--cell <type>', 'recurrent cell: rnn, lstm or gru', oneOf('rnn', 'lstm', 'gru'), d.cell)
    .option('--nonlinearity <f>', 'for --cell rnn: tanh or relu', oneOf('tanh', 'relu'), d.nonlinearity)
    .option('--hidden <n>', 'hidden units per layer', int(1), d.hidden)
    .option('--layers <n>', 'recurrent layers', int(1), d.layers)
    .option('--seq <n>', 'characters per chunk (truncated BPTT length)', int(1), d.seq)
    .option('--batch <n>', 'parallel streams through the text', int(1), d.batch)
    .option('--dropout <p>', 'dropout between layers and before the output', num(0, 0.99), d.dropout)
    .option('--optimizer <name>', 'adam, adamw, sgd, rmsprop or adagrad', oneOf('adam', 'adamw', 'sgd', 'rmsprop', 'adagrad'), d.optimizer)
    .option('--lr <rate>', 'learning rate', num(0, 10, false), d.lr)
    .option('--schedule <name>', 'learning-rate schedule: constant, cosine or step', oneOf('constant', 'cosine', 'step'), d.schedule)
    .option('--warmup <steps>', 'linear warm-up steps', int(0), d.warmup)
    .option('--decay-every <steps>', 'step schedule: steps between decays', int(1), d.decayEvery)
    .option('--decay <factor>', 'step schedule: factor per decay', num(0, 1, false), d.decay)
    .option('--weight-decay <λ>', 'weight decay', num(0), d.weightDecay)
    .option('--clip <norm>', 'clip the global gradient norm (0: off)', num(0), d.clip)
    .option('--steps <n>', 'optimizer steps in total', int(1), d.steps)
    .option('--val-fraction <f>', 'share of the text held out for validation', num(0, 0.49), d.valFraction)
    .option('--val-chars <n>', 'validation characters scored each time', int(1), d.valChars)
    .option('--val-every <steps>', 'validate and print a sample every N steps (0: only at the end)', int(0), 250)
    .option('--sample-length <n>', 'length of the samples shown while training', int(0), 200)
    .option('--temperature <t>', 'temperature of the samples shown while training', num(0, 10, false), 0.8)
    .option('--checkpoint-every <steps>', 'save a checkpoint every N steps', int(1), 250)
    .option('--keep <n>', 'checkpoints to keep in the run folder (0: all)', int(0), 3)
    .option('--seed <n>', 'random seed (initialization, dropout)', int(0), d.seed)
    .option('--no-carry', 'reset the hidden state at every chunk instead of carrying it')
    .option('--out <dir>', 'run folder for checkpoints', 'runs')
    .option('--resume <checkpoint>', 'continue a run exactly where a checkpoint left it')
    .option('--backend <name>', `kernels: ${BACKEND_CHOICES.join(', ')}`, oneOf(...BACKEND_CHOICES), 'auto')
    .option('--threads <n>', 'threads for the wasm kernels (default: the cores, at most 2)', int(1))
    .option('--json', 'print one JSON object per event instead of a progress bar')
    .option('--profile', 'time every kernel and print where the training steps spent their time')
    .option('--log-every <steps>', 'without a terminal: print a step line every N steps', int(1), 50)
    .option('--gradflow-every <steps>', 'every N steps log each layer\'s gradient norm, the clip ratio and σ_max(W_hh) (0: off)', int(0), 0)
    .action(async (flags: TrainFlags, cmd: Command) => train(flags, cmd));
}

async function train(f: TrainFlags, cmd: Command): Promise<void> {
  const backend = await selectBackend(f.backend, f.threads);
  const threads = (kernels() as { threads?: number }).threads ?? 1;
  const profiler = f.profile ? profiled(kernels()) : null;
  let trainer: CharLMTrainer;
  let out = f.out;
  let dataName: string;
  if (f.resume) {
    const ckpt = await loadCheckpoint(f.resume, true);
    const stored = (ckpt.state?.meta.corpusName as string | undefined) ?? DEFAULT_CORPUS;
    const given = cmd.getOptionValueSource('data') === 'cli' ? f.data : stored;
    const corpus = await readCorpus(given);
    dataName = corpus.name;
    const steps = cmd.getOptionValueSource('steps') === 'cli' ? f.steps : undefined;
    trainer = CharLMTrainer.resume(corpus.text, ckpt, ckpt.dir, { steps });
    if (cmd.getOptionValueSource('out') !== 'cli') out = path.dirname(ckpt.dir);
    if (trainer.done) throw new UsageError(`${ckpt.dir} already finished its ${trainer.config.steps} steps: pass a larger --steps to train on`);
  } else {
    const corpus = await readCorpus(f.data);
    dataName = corpus.name;
    const config: TrainConfig = {
      cell: f.cell, nonlinearity: f.nonlinearity, hidden: f.hidden, layers: f.layers, dropout: f.dropout, seq: f.seq, batch: f.batch, optimizer: f.optimizer,
      lr: f.lr, weightDecay: f.weightDecay, schedule: f.schedule, warmup: f.warmup, decayEvery: f.decayEvery, decay: f.decay,
      clip: f.clip, steps: f.steps, valFraction: f.valFraction, valChars: f.valChars, carry: f.carry, seed: f.seed,
    };
    trainer = CharLMTrainer.create(corpus.text, config);
  }

  const total = trainer.config.steps;
  const reporter: Reporter = f.json ? jsonReporter() : process.stdout.isTTY ? terminalReporter(total) : lineReporter(f.logEvery);
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130); // a second Ctrl-C leaves at once (the handler stays until exit)
    interrupted = true;
  };
  process.on('SIGINT', onSigint);
  const save = async () => {
    const dir = await saveCheckpoint(out, trainer.step, trainer.checkpoint(dataName), f.keep);
    reporter.emit({ event: 'checkpoint', step: trainer.step, path: dir });
    return dir;
  };
  const valAndSample = () => {
    const v = trainer.validate();
    if (v) reporter.emit({ event: 'val', step: trainer.step, ...v });
    if (f.sampleLength > 0) reporter.emit({ event: 'sample', step: trainer.step, text: trainer.preview(f.sampleLength, f.temperature) });
  };

  reporter.emit({
    event: 'start', steps: total, fromStep: trainer.step, params: trainer.model.numParameters(), vocab: trainer.vocab.size,
    trainChars: trainer.streams.ids.length, valChars: trainer.valIds.length, backend, threads, out, data: dataName, config: trainer.config,
  });
  const t0 = performance.now();
  let lastSaved = '';
  let stepMs = 0, stepsTimed = 0;
  if (profiler) setBackend(profiler);
  const monitor = f.gradflowEvery > 0 ? new GradFlowMonitor(trainer.model, f.gradflowEvery, trainer.config.clip, trainer.config.hidden) : null;
  try {
    while (!trainer.done && !interrupted) {
      const s0 = performance.now();
      const { result: r, snapshot } = monitor ? monitor.watch(() => trainer.trainStep()) : { result: trainer.trainStep(), snapshot: null };
      const dt = (performance.now() - s0) / 1000;
      stepMs += dt * 1000;
      stepsTimed++;
      reporter.emit({ event: 'step', step: r.step, loss: r.loss, gradNorm: r.gradNorm, clipped: r.clipped, lr: r.lr, charsPerSec: r.chars / dt, epoch: r.epoch });
      if (snapshot) reporter.emit({ event: 'gradflow', ...snapshot });
      if (f.valEvery > 0 && r.step % f.valEvery === 0 && !trainer.done) withoutProfiler(profiler, valAndSample);
      if (r.step % f.checkpointEvery === 0 || trainer.done) lastSaved = await save();
      // let Ctrl-C (and the progress bar's timer) in between steps
      await new Promise((res) => setImmediate(res));
    }
    if (interrupted) lastSaved = await save();
    else withoutProfiler(profiler, valAndSample);
  } catch (e) {
    reporter.close();
    if (e instanceof DivergedError) {
      const prev = trainer.step >= f.checkpointEvery ? path.join(out, checkpointName(trainer.step - (trainer.step % f.checkpointEvery))) : null;
      throw new UsageError(`${e.message}. ${prev ? `The last good checkpoint (${prev}) is untouched. ` : 'No checkpoint was written. '}` +
        `Try a lower --lr (now ${trainer.config.lr}) or gradient clipping (--clip 5${trainer.config.clip ? `, now ${trainer.config.clip}` : ''}).`);
    }
    throw e;
  }
  if (profiler) {
    setBackend(profiler.inner);
    reporter.emit({ event: 'profile', steps: stepsTimed, stepMs, kernels: profiler.report() });
  }
  reporter.emit({ event: 'done', step: trainer.step, seconds: (performance.now() - t0) / 1000, checkpoint: lastSaved || path.join(out, 'latest'), interrupted });
  reporter.close();
  if (interrupted) process.exitCode = 130;
}
