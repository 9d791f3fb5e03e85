import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { CharLMTrainer, DivergedError, defaultTrainConfig, WORD_CHECKPOINT_FORMAT, MAX_WORD_VOCAB, type TrainConfig, type CharVocab, type WordLMVocab } from '../text/index.js';
import { saveCheckpoint, loadCheckpoint, listCheckpoints, lockRunDir, cleanRunDir, checkpointName, LATEST, type RunLock } from '../io/checkpoint_files.js';
import { ensureWritableDir, exists } from '../io/fs.js';
import { readCorpus, DEFAULT_CORPUS, SOTU_CORPUS } from './corpus_files.js';
import { trainMemoryBytes, memoryBudget, limitBytes, formatBytes } from './train_memory.js';
import { jsonReporter, lineReporter, terminalReporter, type Reporter } from './progress.js';
import { int, num, oneOf } from './options.js';
import { selectBackend, BACKEND_CHOICES, type BackendChoice } from './backend.js';
import { UsageError } from './errors.js';
import { CAPTION_CHECKPOINT_FORMAT } from '../caption/index.js';
import { kernels, setBackend, withBackend, profiled } from '../kernels/index.js';
import { GradFlowMonitor } from '../diagnostics/training_monitor.js';
import { preparePyTorch, checkPyTorchRun, trainOnPyTorch, type PyTorchOptions, type PreparedPyTorch } from './pytorch_engine.js';
import type { Checkpoint } from '../io/index.js';

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
  tokens: 'char' | 'word'; vocabSize?: number;
  out: string; resume?: string; json?: boolean; backend: BackendChoice; threads?: number; logEvery: number; profile?: boolean; gradflowEvery: number;
  engine: 'rnnkit' | 'pytorch'; nproc: number; device: 'cpu' | 'cuda'; python: string; nnodes: number; nodeRank: number; masterAddr?: string; masterPort?: number;
}

const d = defaultTrainConfig;

/**
 * How a run reports and saves, as opposed to what it trains: stored in each checkpoint's state so that
 * a resumed run keeps them; one given again on the command line wins.
 */
interface RunOptions { keep: number; checkpointEvery: number; valEvery: number; gradflowEvery: number; logEvery: number; sampleLength: number; temperature: number }
const RUN_DEFAULTS: RunOptions = { keep: 3, checkpointEvery: 250, valEvery: 250, gradflowEvery: 0, logEvery: 50, sampleLength: 200, temperature: 0.8 };
const RUN_PARSERS: Record<keyof RunOptions, (v: string) => number> = {
  keep: int(0), checkpointEvery: int(1), valEvery: int(0), gradflowEvery: int(0), logEvery: int(1), sampleLength: int(0), temperature: num(0, 10, false),
};
/** The vocabulary of a word-level run without --vocab-size, `<unk>` included. */
const DEFAULT_WORD_VOCAB = 10000;
const vocabSizeOption = (v: string): number => {
  const n = int(2)(v);
  if (n > MAX_WORD_VOCAB) throw new InvalidArgumentError(`expected an integer from 2 to ${MAX_WORD_VOCAB}`);
  return n;
};

const flagOf = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The options that define the model, the data split or the optimisation: fixed for the life of a run. */
const FIXED: (keyof TrainConfig)[] = ['cell', 'nonlinearity', 'hidden', 'layers', 'dropout', 'seq', 'batch', 'optimizer', 'lr', 'weightDecay',
  'schedule', 'warmup', 'decayEvery', 'decay', 'clip', 'valFraction', 'valChars', 'carry', 'seed', 'tokens', 'vocabSize'];

export function addTrainCommand(program: Command): void {
  program.command('train')
    .description('train a character- or word-level language model on a text (default: Moby Dick) and save checkpoints')
    .option('--data <path>', `UTF-8 text file or folder of .txt files; ${DEFAULT_CORPUS} or ${SOTU_CORPUS} (State of the Union addresses) for a built-in text`, DEFAULT_CORPUS)
    .option('--tokens <kind>', 'what the model reads and writes: char (characters) or word (words, punctuation and newlines)', oneOf('char', 'word'), 'char')
    .option('--vocab-size <n>', `--tokens word: the n − 1 most frequent words plus <unk> (default ${DEFAULT_WORD_VOCAB})`, vocabSizeOption)
    .option('--cell <type>', 'recurrent cell: rnn, lstm or gru', oneOf('rnn', 'lstm', 'gru'), d.cell)
    .option('--nonlinearity <f>', 'for --cell rnn: tanh or relu', oneOf('tanh', 'relu'), d.nonlinearity)
    .option('--hidden <n>', 'hidden units per layer', int(1), d.hidden)
    .option('--layers <n>', 'recurrent layers', int(1), d.layers)
    .option('--seq <n>', 'characters (or words) per chunk (truncated BPTT length)', int(1), d.seq)
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
    .option('--val-every <steps>', 'validate and print a sample every N steps (0: only at the end)', int(0), RUN_DEFAULTS.valEvery)
    .option('--sample-length <n>', 'length of the samples shown while training', int(0), RUN_DEFAULTS.sampleLength)
    .option('--temperature <t>', 'temperature of the samples shown while training', num(0, 10, false), RUN_DEFAULTS.temperature)
    .option('--checkpoint-every <steps>', 'save a checkpoint every N steps', int(1), RUN_DEFAULTS.checkpointEvery)
    .option('--keep <n>', 'checkpoints to keep in the run folder (0: all)', int(0), RUN_DEFAULTS.keep)
    .option('--seed <n>', 'random seed (initialization, dropout)', int(0), d.seed)
    .option('--no-carry', 'reset the hidden state at every chunk instead of carrying it')
    .option('--out <dir>', 'run folder for checkpoints', 'runs')
    .option('--resume <checkpoint>', 'continue a run exactly where a checkpoint left it')
    .option('--backend <name>', `kernels: ${BACKEND_CHOICES.join(', ')}`, oneOf(...BACKEND_CHOICES), 'auto')
    .option('--threads <n>', 'threads for the wasm kernels (default: the cores, at most 2)', int(1))
    .option('--json', 'print one JSON object per event instead of a progress bar')
    .option('--profile', 'time every kernel and print where the training steps spent their time')
    .option('--log-every <steps>', 'without a terminal: print a step line every N steps', int(1), RUN_DEFAULTS.logEvery)
    .option('--gradflow-every <steps>', 'every N steps log each layer\'s gradient norm, the clip ratio and σ_max(W_hh) (0: off)', int(0), RUN_DEFAULTS.gradflowEvery)
    .option('--engine <name>', 'who trains: rnnkit, or pytorch (PyTorch DistributedDataParallel through torch.distributed.run)', oneOf('rnnkit', 'pytorch'), 'rnnkit')
    .option('--nproc <n>', '--engine pytorch: processes on this machine (the streams of --batch are split among them)', int(1), 1)
    .option('--device <kind>', '--engine pytorch: cpu (gloo) or cuda (nccl, one GPU per process)', oneOf('cpu', 'cuda'), 'cpu')
    .option('--python <path>', '--engine pytorch: the Python 3 with torch 1.13 or later to run', 'python3')
    .option('--nnodes <n>', '--engine pytorch: machines taking part (each runs this command with its --node-rank)', int(1), 1)
    .option('--node-rank <n>', '--engine pytorch: this machine\'s number, from 0', int(0), 0)
    .option('--master-addr <host>', '--engine pytorch: the address of the machine with --node-rank 0')
    .option('--master-port <port>', '--engine pytorch: the rendezvous port on that machine (default: a free one, on one machine)', int(1))
    .action(async (flags: TrainFlags, cmd: Command) => train(flags, cmd));
}

async function train(f: TrainFlags, cmd: Command): Promise<void> {
  const given = (key: string) => cmd.getOptionValueSource(key) === 'cli';
  if (given('nonlinearity') && f.nonlinearity !== 'tanh' && f.cell !== 'rnn') {
    throw new UsageError(`--nonlinearity ${f.nonlinearity} applies to --cell rnn only (the ${f.cell.toUpperCase()}'s gates have fixed activations): leave it out, or use --cell rnn`);
  }
  if (given('vocabSize') && f.tokens !== 'word' && !f.resume) throw new UsageError(`--vocab-size applies to word-level runs: add --tokens word, or leave --vocab-size out`);
  if (f.resume !== undefined && f.resume.trim() === '') throw new UsageError('--resume is empty: give a run folder, its latest, or a checkpoint folder');
  const notices: string[] = [];
  const engineFlags = engineOptions(f, given);

  // what to train: a new run's configuration, or a checkpoint's (read before anything is written)
  let ckpt: Awaited<ReturnType<typeof loadCheckpoint>> | null = null;
  let run: RunOptions = { ...RUN_DEFAULTS };
  let out = f.out;
  if (f.resume) {
    // another kind of checkpoint has no training state to resume: say what it is, not what it lacks
    if ((await loadCheckpoint(f.resume)).model.meta.format === CAPTION_CHECKPOINT_FORMAT) {
      throw new UsageError(`'${f.resume}' is an image-captioning checkpoint: rnnkit train --resume continues character-model runs, ` +
        'and rnnkit caption train cannot resume one; start a new run with rnnkit caption train');
    }
    ckpt = await loadCheckpoint(f.resume, true);
    const sm = (ckpt.state?.meta ?? {}) as Record<string, unknown>;
    const stored = (sm.config ?? {}) as Partial<TrainConfig>;
    if (ckpt.model.meta.format !== WORD_CHECKPOINT_FORMAT && (f.tokens === 'word' || given('vocabSize'))) {
      throw new UsageError(`'${f.resume}' is a character-level run, so ${f.tokens === 'word' ? '--tokens word' : '--vocab-size'} cannot apply: leave it out, or start a new word-level run with --out another-folder`);
    }
    const changed = FIXED.filter((k) => given(k) && stored[k] !== undefined && f[k as keyof TrainFlags] !== stored[k]);
    if (changed.length) {
      const flag = (k: string) => (k === 'carry' ? '--no-carry' : flagOf(k));
      const was = (k: keyof TrainConfig) => (k === 'carry' ? (stored.carry ? 'its state carried from chunk to chunk' : '--no-carry') : `${flagOf(k)} ${String(stored[k])}`);
      throw new UsageError(`${changed.map(flag).join(', ')} cannot change when resuming (the run was made with ${changed.map(was).join(', ')}): ` +
        `leave ${changed.length > 1 ? 'them' : 'it'} out, or start a new run with --out another-folder`);
    }
    run = storedRunOptions(sm.run, ckpt.dir);
    if (!given('out')) out = path.dirname(ckpt.dir);
  }
  const overrides: string[] = [];
  for (const key of Object.keys(RUN_DEFAULTS) as (keyof RunOptions)[]) {
    if (!given(key)) continue;
    if (ckpt && f[key] !== run[key]) overrides.push(`${flagOf(key)} ${f[key]} (was ${run[key]})`);
    run[key] = f[key];
  }
  if (overrides.length) notices.push(`resuming with ${overrides.join(', ')} from the command line instead of the checkpoint's`);
  const engine = engineFlags ? await preparePyTorch(engineFlags) : null;

  // the run folder: writable, ours alone (locked), holding no other run, cleaned of a dead writer's leftovers
  const created = await ensureWritableDir(out, 'run folder');
  const lock = lockRunDir(out);
  let saved = false;
  try {
    await trainIn(out, lock, ckpt, run, notices, f, given, () => { saved = true; }, engine);
  } catch (e) {
    // a run that stops before its first checkpoint leaves no trace: the lock goes, and the folders it made
    if (!saved) {
      lock.release();
      for (const dir of created.reverse()) await fsp.rmdir(dir).catch(() => {});
    }
    throw e;
  }
}

async function trainIn(out: string, lock: RunLock, ckpt: Awaited<ReturnType<typeof loadCheckpoint>> | null, run: RunOptions,
  notices: string[], f: TrainFlags, given: (key: string) => boolean, onSaved: () => void, engine: PreparedPyTorch | null): Promise<void> {
  if (lock.tookOver) notices.push(`took over the lock of ${out} from process ${lock.tookOver.pid || '(unknown)'}, which is no longer running`);
  const steps = await listCheckpoints(out);
  const hasLatest = await exists(path.join(out, LATEST));
  const sameRun = ckpt !== null && path.resolve(path.dirname(ckpt.dir)) === path.resolve(out);
  if (hasLatest && !(await isLink(path.join(out, LATEST)))) {
    throw new UsageError(`'${path.join(out, LATEST)}' is not a link to a checkpoint, so rnnkit will not replace it: move it away, or write to another folder (--out)`);
  }
  if ((steps.length || hasLatest) && !sameRun) {
    const last = steps.length ? checkpointName(steps[steps.length - 1]) : LATEST;
    throw new UsageError(`'${out}' already holds ${ckpt ? 'another' : 'a'} run (${last}): write ${ckpt ? 'the resumed run' : 'a new run'} to another folder (--out another-folder)` +
      `${ckpt ? '' : `, or continue that one (npx rnnkit train --resume ${path.join(out, hasLatest ? LATEST : last)})`}`);
  }
  const cleaned = await cleanRunDir(out);
  if (cleaned) notices.push(`removed ${cleaned} unfinished file${cleaned > 1 ? 's' : ''} an interrupted run left in ${out}`);

  const backend = await selectBackend(f.backend, f.threads);
  const threads = (kernels() as { threads?: number }).threads ?? 1;
  const profiler = f.profile ? profiled(kernels()) : null;
  let trainer: CharLMTrainer<CharVocab | WordLMVocab>;
  let dataName: string;
  if (ckpt) {
    const name = ckpt.state?.meta.corpusName;
    const stored = typeof name === 'string' ? name : DEFAULT_CORPUS;
    const corpus = await readCorpus(given('data') ? f.data : stored);
    dataName = corpus.name;
    const cfg = ckpt.state?.meta.config as TrainConfig | undefined;
    const vocab = ckpt.model.meta.vocab;
    if (cfg && Array.isArray(vocab)) checkMemory(cfg, vocab.length, true);
    const overrides = { steps: given('steps') ? f.steps : undefined };
    trainer = ckpt.model.meta.format === WORD_CHECKPOINT_FORMAT ? CharLMTrainer.resumeWords(corpus.text, ckpt, ckpt.dir, overrides)
      : CharLMTrainer.resume(corpus.text, ckpt, ckpt.dir, overrides);
    if (trainer.done) throw new UsageError(`${ckpt.dir} already finished its ${trainer.config.steps} steps: pass a larger --steps to train on`);
    // later checkpoints than the one `latest` names are a save that a kill cut short (the folder was
    // renamed into place, the link not yet moved): resuming from latest redoes them. From an older
    // checkpoint it would overwrite a run's later ones.
    const later = steps.filter((s) => s > trainer.step);
    const fromLatest = path.basename(await linkTarget(ckpt.dir)) === path.basename(await linkTarget(path.join(out, LATEST)));
    if (sameRun && later.length && !fromLatest) {
      throw new UsageError(`resuming from step ${trainer.step} would overwrite the later checkpoints of '${out}' (${later.map(checkpointName).join(', ')}): ` +
        `resume from ${path.join(out, LATEST)}, or write to another folder (--out another-folder)`);
    }
  } else {
    const corpus = await readCorpus(f.data);
    dataName = corpus.name;
    const config: TrainConfig = {
      cell: f.cell, nonlinearity: f.nonlinearity, hidden: f.hidden, layers: f.layers, dropout: f.dropout, seq: f.seq, batch: f.batch, optimizer: f.optimizer,
      lr: f.lr, weightDecay: f.weightDecay, schedule: f.schedule, warmup: f.warmup, decayEvery: f.decayEvery, decay: f.decay,
      clip: f.clip, steps: f.steps, valFraction: f.valFraction, valChars: f.valChars, carry: f.carry, seed: f.seed,
    };
    if (f.tokens === 'word') {
      Object.assign(config, { tokens: 'word', vocabSize: f.vocabSize ?? DEFAULT_WORD_VOCAB });
      checkMemory(config, config.vocabSize!, false);
      trainer = CharLMTrainer.createWords(corpus.text, config);
    } else {
      checkMemory(config, new Set(corpus.text).size, false);
      trainer = CharLMTrainer.create(corpus.text, config);
    }
  }
  if (engine) checkPyTorchRun(trainer.config, engine);

  const total = trainer.config.steps;
  const reporter: Reporter = f.json ? jsonReporter() : process.stdout.isTTY ? terminalReporter(total) : lineReporter(run.logEvery);
  let stopSignal: NodeJS.Signals | null = null;
  let stopEngine: (() => void) | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopSignal) { // a second Ctrl-C leaves at once (the handler stays until exit)
      reporter.close();
      process.exit(130);
    }
    stopSignal = sig;
    stopEngine?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let lastGood: string | null = ckpt ? await linkTarget(ckpt.dir) : null;
  const saveAt = async (step: number, c: Checkpoint) => {
    const dir = await saveCheckpoint(out, step, c, run.keep);
    onSaved();
    lastGood = dir;
    return dir;
  };
  const withRun = (c: Checkpoint) => {
    if (c.state) c.state.meta.run = run;
    return c;
  };
  const save = async () => {
    const dir = await saveAt(trainer.step, withRun(trainer.checkpoint(dataName)));
    reporter.emit({ event: 'checkpoint', step: trainer.step, path: dir });
    return dir;
  };
  const valAndSample = () => {
    const v = trainer.validate();
    if (v) reporter.emit({ event: 'val', step: trainer.step, ...v, ...(trainer.config.tokens === 'word' ? { unit: 'word' as const } : {}) });
    if (run.sampleLength > 0) reporter.emit({ event: 'sample', step: trainer.step, text: trainer.preview(run.sampleLength, run.temperature) });
  };

  reporter.emit({
    event: 'start', steps: total, fromStep: trainer.step, params: trainer.model.numParameters(), vocab: trainer.vocab.size,
    trainChars: trainer.streams.ids.length, valChars: trainer.valIds.length,
    backend: engine ? `PyTorch ${engine.torch} ${engine.device} (${engine.nproc * engine.nnodes} processes)` : backend, threads: engine ? 1 : threads, out, data: dataName, config: trainer.config,
    ...(trainer.config.tokens === 'word' ? { unit: 'word' as const } : {}),
  });
  for (const text of notices) reporter.emit({ event: 'notice', text });
  const t0 = performance.now();
  let lastSaved = '';
  let stepMs = 0, stepsTimed = 0;
  if (profiler) setBackend(profiler);
  const monitor = run.gradflowEvery > 0 ? new GradFlowMonitor(trainer.model, run.gradflowEvery, trainer.config.clip, trainer.config.hidden) : null;
  try {
    if (engine) {
      const r = await trainOnPyTorch(engine, {
        trainer: trainer as CharLMTrainer, // checkPyTorchRun refused word-level runs
        checkpoint: withRun(trainer.checkpoint(dataName)), run, reporter, save: saveAt, onStop: (stop) => { stopEngine = stop; if (stopSignal) stop(); }, lastGood: () => lastGood,
      });
      lastSaved = r.last || (lastGood ?? '');
      trainer.step = r.step; // where the engine's run ended (the trainer itself did not step)
    }
    while (!engine && !trainer.done && !stopSignal) {
      const s0 = performance.now();
      const { result: r, snapshot } = monitor ? monitor.watch(() => trainer.trainStep()) : { result: trainer.trainStep(), snapshot: null };
      const dt = (performance.now() - s0) / 1000;
      stepMs += dt * 1000;
      stepsTimed++;
      reporter.emit({ event: 'step', step: r.step, loss: r.loss, gradNorm: r.gradNorm, clipped: r.clipped, lr: r.lr, charsPerSec: r.chars / dt, epoch: r.epoch });
      if (snapshot) reporter.emit({ event: 'gradflow', ...snapshot });
      if (run.valEvery > 0 && r.step % run.valEvery === 0 && !trainer.done) withoutProfiler(profiler, valAndSample);
      // the last checkpoint waits for the final validation, so that its history holds it
      if (r.step % run.checkpointEvery === 0 && !trainer.done) lastSaved = await save();
      // let Ctrl-C (and the progress bar's timer) in between steps
      await new Promise((res) => setImmediate(res));
    }
    if (!engine) {
      if (!stopSignal) withoutProfiler(profiler, valAndSample);
      lastSaved = await save();
    }
  } catch (e) {
    reporter.close();
    if (e instanceof DivergedError) {
      throw new UsageError(`${e.message}. ${lastGood ? `The last good checkpoint (${lastGood}) is untouched. ` : 'No checkpoint was written. '}` +
        `Try a lower --lr (now ${trainer.config.lr}) or gradient clipping (--clip 5${trainer.config.clip ? `, now ${trainer.config.clip}` : ''}).`);
    }
    throw e;
  }
  if (profiler) {
    setBackend(profiler.inner);
    reporter.emit({ event: 'profile', steps: stepsTimed, stepMs, kernels: profiler.report() });
  }
  const interrupted = stopSignal !== null;
  reporter.emit({ event: 'done', step: trainer.step, seconds: (performance.now() - t0) / 1000, checkpoint: lastSaved, interrupted });
  reporter.close();
  lock.release();
  if (interrupted) process.exitCode = stopSignal === 'SIGTERM' ? 143 : 130;
}

const ENGINE_FLAGS = ['nproc', 'device', 'python', 'nnodes', 'nodeRank', 'masterAddr', 'masterPort'];
const RNNKIT_ONLY = ['backend', 'threads', 'profile', 'gradflowEvery'];

/** The PyTorch engine's options (null for rnnkit's own), checked before anything is read or written. */
function engineOptions(f: TrainFlags, given: (key: string) => boolean): PyTorchOptions | null {
  const list = (keys: string[]) => keys.map(flagOf).join(', ');
  if (f.engine !== 'pytorch') {
    const wrong = ENGINE_FLAGS.filter(given);
    if (wrong.length) throw new UsageError(`${list(wrong)} appl${wrong.length > 1 ? 'y' : 'ies'} to --engine pytorch only: add --engine pytorch, or leave ${wrong.length > 1 ? 'them' : 'it'} out`);
    return null;
  }
  const wrong = RNNKIT_ONLY.filter(given);
  if (wrong.length) throw new UsageError(`${list(wrong)} appl${wrong.length > 1 ? 'y' : 'ies'} to rnnkit's own engine, not to --engine pytorch: leave ${wrong.length > 1 ? 'them' : 'it'} out`);
  if (f.masterPort !== undefined && f.masterPort > 65535) throw new UsageError(`--master-port ${f.masterPort} is not a port: give one from 1 to 65535`);
  if (f.nodeRank >= f.nnodes) throw new UsageError(`--node-rank ${f.nodeRank} is not below --nnodes ${f.nnodes}: number the machines from 0 to ${f.nnodes - 1}`);
  if (f.nnodes > 1 && (f.masterAddr === undefined || f.masterPort === undefined)) {
    throw new UsageError(`--nnodes ${f.nnodes} needs --master-addr and --master-port (the machine with --node-rank 0, and a free port on it), the same on every machine`);
  }
  const o: PyTorchOptions = { python: f.python, nproc: f.nproc, device: f.device, nnodes: f.nnodes, nodeRank: f.nodeRank, masterAddr: f.masterAddr, masterPort: f.masterPort };
  if (!f.resume) checkPyTorchRun({ ...f, tokens: f.tokens === 'word' ? 'word' : undefined }, o); // a resumed run's configuration is checked once read
  return o;
}

/** The run options a checkpoint stored (untrusted: each is checked as the command line would). */
function storedRunOptions(raw: unknown, source: string): RunOptions {
  const run = { ...RUN_DEFAULTS };
  if (raw === undefined) return run; // written before run options were stored
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`${source}: the stored run options are not an object (damaged state file?): resume from another checkpoint`);
  for (const key of Object.keys(RUN_DEFAULTS) as (keyof RunOptions)[]) {
    const v = (raw as Record<string, unknown>)[key];
    if (v === undefined) continue;
    try {
      if (typeof v !== 'number') throw new Error();
      run[key] = RUN_PARSERS[key](String(v));
    } catch {
      throw new UsageError(`${source}: the stored ${flagOf(key)} (${JSON.stringify(v)}) is not valid (damaged state file?): give ${flagOf(key)} on the command line`);
    }
  }
  return run;
}

/** Refuses a run whose weights, optimizer state and activations would not fit in memory. */
function checkMemory(config: TrainConfig, vocab: number, resuming: boolean): void {
  const need = trainMemoryBytes(config, vocab);
  const have = memoryBudget();
  if (!(need > have)) return; // (a damaged configuration, NaN here, is refused where it is read)
  throw new UsageError(`this run needs about ${formatBytes(need)} of memory (weights, gradients, optimizer state and the activations of ` +
    `${config.batch} × ${config.seq} characters × ${config.layers} layer${config.layers > 1 ? 's' : ''}), more than the ${formatBytes(have)} a run may use here (the memory available, at most ${formatBytes(limitBytes())}; RNNKIT_MEMORY_LIMIT_MB sets another limit): ` +
    (resuming ? 'free some memory, or resume on a machine with more' : 'use a smaller --hidden, --layers, --batch or --seq'));
}

async function isLink(p: string): Promise<boolean> {
  try {
    return (await fsp.lstat(p)).isSymbolicLink();
  } catch {
    return false;
  }
}

/** `runs/latest` → `runs/step-000250`; any other path as it is. */
async function linkTarget(p: string): Promise<string> {
  try {
    return (await fsp.lstat(p)).isSymbolicLink() ? path.join(path.dirname(p), await fsp.readlink(p)) : p;
  } catch {
    return p;
  }
}
