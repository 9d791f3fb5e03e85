/**
 * What `npm run bench` runs (bench/run.ts's header says how it is called): the command-line options, the
 * rows (rnnkit's backends and each peer's configurations), and one job per row, cell and mode with its
 * command, environment and steps, or the reason it is not run.
 */
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GATES } from './common.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BENCH = path.join(ROOT, 'bench');
export const TORCH_PYTHON = '/usr/bin/python3';
const PEERS = ['ours', 'torch', 'numpy', 'tfjs', 'brain'] as const;
export type Peer = (typeof PEERS)[number];
const DEFAULT_CELLS = ['lstm256', 'lstm512', 'gru256', 'rnn256'];
export const B = 32, T = 64, LR = 2e-3, CLIP = 5;
/**
 * Generation runs before the timed ones, in every implementation's process. The JavaScript peers reach
 * their steady speed only once the engine has optimised the sampling loop: rnnkit's 500-character runs
 * took 72, 24, 28, 16, 11, 12, 11, 13 ms and then 10 ms each, so three warm-up runs measured the compiler.
 */
export const GEN_WARMUP = 10;

// ---------------------------------------------------------------------------------------------- options

export interface Options {
  quick: boolean;
  only: Peer[];
  cells: { name: string; cell: 'lstm' | 'gru' | 'rnn'; hidden: number }[];
  out: string;
  backends: ('wasm' | 'native' | 'js')[];
  chars: number;
  /** Steps of a speed-only training run, and of a run that also measures the loss. */
  speedSteps: number;
  lossSteps: number;
  warmup: number;
  /** Steps for tfjs's pure-JS backend, whose LSTM 256 step takes a minute or more. */
  slowSteps: number;
  slowWarmup: number;
  genLength: number;
  genRuns: number;
  /** Times each compared row's speed is measured (see the header). */
  rounds: number;
  gemm: boolean;
}

export function parseOptions(argv: string[]): Options {
  const o: Options = {
    quick: false, only: [...PEERS], cells: [], out: BENCH, backends: ['wasm', 'js'], chars: 1_000_000,
    speedSteps: 23, lossSteps: 200, warmup: 3, slowSteps: 2, slowWarmup: 1, genLength: 500, genRuns: 9, rounds: 5, gemm: true,
  };
  let cells = DEFAULT_CELLS, steps: number | null = null;
  const int = (flag: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer ≥ ${min}, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--quick': o.quick = true; break;
      case '--only': o.only = val().split(',').map((s) => s.trim()).filter(Boolean) as Peer[]; break;
      case '--cells': cells = val().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--out': o.out = path.resolve(val()); break;
      case '--backends': o.backends = val().split(',').map((s) => s.trim()) as ('wasm' | 'native' | 'js')[]; break;
      case '--chars': o.chars = int(a, val(), 2 * B * T); break;
      case '--steps': steps = int(a, val(), 2); break;
      case '--gen-length': o.genLength = int(a, val(), 1); break;
      case '--gen-runs': o.genRuns = int(a, val(), 1); break;
      case '--rounds': o.rounds = int(a, val(), 1); break;
      case '--no-gemm': o.gemm = false; break;
      case '--help': case '-h':
        // the usage is the header of bench/run.ts, the file `npm run bench` starts
        process.stdout.write(`${readFileSync(path.join(BENCH, 'run.ts'), 'utf8').split('*/')[0]}*/\n`);
        process.exit(0);
        break;
      default: throw new Error(`unknown option '${a}' (see --help)`);
    }
  }
  for (const p of o.only) if (!PEERS.includes(p)) throw new Error(`--only takes ${PEERS.join(', ')}; got '${p}'`);
  for (const b of o.backends) if (b !== 'wasm' && b !== 'native' && b !== 'js') throw new Error(`--backends takes wasm, native, js; got '${b}'`);
  o.cells = cells.map((c) => {
    const m = /^(lstm|gru|rnn)(\d+)$/.exec(c);
    if (!m || Number(m[2]) < 1) throw new Error(`a cell is lstm|gru|rnn followed by the hidden size (lstm256), got '${c}'`);
    return { name: c, cell: m[1] as 'lstm' | 'gru' | 'rnn', hidden: Number(m[2]) };
  });
  if (o.quick) Object.assign(o, { speedSteps: 8, lossSteps: 8, slowSteps: 2, genLength: Math.min(o.genLength, 100), genRuns: Math.min(o.genRuns, 2), rounds: 1 });
  if (steps !== null) Object.assign(o, { speedSteps: steps, lossSteps: steps, slowSteps: Math.min(o.slowSteps, steps) });
  o.warmup = Math.min(3, o.speedSteps - 1);
  o.slowWarmup = Math.min(1, o.slowSteps - 1);
  return o;
}

// -------------------------------------------------------------------------------------------- the rows

export interface Row {
  key: string;
  peer: Peer;
  label: string;
}

/** A run of one process: one row, one cell, training or generation. */
export interface Job {
  row: Row;
  cell: Options['cells'][number];
  mode: 'train' | 'generate';
  /** null: planned; otherwise why it is not run (shown in the table, never left out silently). */
  skip: string | null;
  steps: number;
  warmup: number;
  /** Whether this run's loss is the one reported (it ran the loss steps). */
  lossRun: boolean;
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}


export const rowsFor = (o: Options): Row[] => {
  const rows: Row[] = [];
  if (o.only.includes('ours')) {
    for (const b of o.backends) {
      // the wasm backend at its default of two threads (the reference row), and on one thread
      if (b === 'wasm') {
        rows.push({ key: 'ours-wasm', peer: 'ours', label: 'rnnkit, wasm backend, 2 threads' });
        rows.push({ key: 'ours-wasm1t', peer: 'ours', label: 'rnnkit, wasm backend, 1 thread' });
      } else if (b === 'native') rows.push({ key: 'ours-native', peer: 'ours', label: 'rnnkit, native backend, 1 thread' });
      else rows.push({ key: `ours-${b}`, peer: 'ours', label: `rnnkit, ${b} backend` });
    }
  }
  if (o.only.includes('torch')) {
    for (const env of ['set', 'unset']) for (const th of [1, 2]) {
      rows.push({ key: `torch-${th}-${env}`, peer: 'torch', label: `PyTorch CPU, ${th} thread${th > 1 ? 's' : ''}, ${env === 'set' ? 'env as set' : 'OPENBLAS_* unset'}` });
    }
  }
  if (o.only.includes('numpy')) {
    rows.push({ key: 'numpy-set', peer: 'numpy', label: 'numpy, 1 thread, env as set' });
    rows.push({ key: 'numpy-unset', peer: 'numpy', label: 'numpy, 1 thread, OPENBLAS_* unset' });
  }
  if (o.only.includes('tfjs')) {
    rows.push({ key: 'tfjs-wasm', peer: 'tfjs', label: 'TensorFlow.js, wasm backend' });
    rows.push({ key: 'tfjs-cpu', peer: 'tfjs', label: 'TensorFlow.js, cpu (pure JS) backend' });
  }
  if (o.only.includes('brain')) rows.push({ key: 'brain', peer: 'brain', label: 'brain.js LSTM (batch 1)' });
  return rows;
};

/** The cost of one step relative to an LSTM 256: what decides which slow rows fit the time budget. */
const cost = (c: Options['cells'][number]) => (GATES[c.cell] * c.hidden * c.hidden) / (4 * 256 * 256);

function withoutOpenblasVars(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const e = { ...env };
  delete e.OPENBLAS_CORETYPE;
  delete e.OPENBLAS_L2_SIZE;
  return e;
}

/** The W1 workload as every benchmark process takes it (bench/common.ts's workloadFromArgs reads it). */
function workloadArgs(mode: Job['mode'], cell: Job['cell'], textFile: string, steps: number): string[] {
  return ['--mode', mode, '--cell', cell.cell, '--hidden', String(cell.hidden), '--text', textFile, '--steps', String(steps),
    '--batch', String(B), '--seq', String(T), '--lr', String(LR), '--clip', String(CLIP)];
}

export function plan(o: Options, textFile: string): Job[] {
  const jobs: Job[] = [];
  const tsx = (script: string) => ({ cmd: process.execPath, pre: ['--import', 'tsx', path.join(BENCH, script)] });
  for (const cell of o.cells) {
    for (const row of rowsFor(o)) {
      for (const mode of ['train', 'generate'] as const) {
        let skip: string | null = null, steps = o.speedSteps, warmup = o.warmup, lossRun = false;
        let cmd: string, pre: string[], env: NodeJS.ProcessEnv = { ...process.env }, extra: string[] = [];
        // The run must fit about 20 minutes on a 2-core machine, so the slow rows train only some cells
        // (each says so in its row): the headline cell LSTM 256 and the cheap ones always run.
        const headline = cell.name === 'lstm256' || cost(cell) <= 0.25;
        switch (row.peer) {
          case 'ours': {
            ({ cmd, pre } = tsx('ours.ts'));
            extra = row.key === 'ours-js' ? ['--backend', 'js'] : row.key === 'ours-native' ? ['--backend', 'native', '--threads', '1']
              : ['--backend', 'wasm', '--threads', row.key === 'ours-wasm' ? '2' : '1'];
            // the first backend listed (wasm unless told otherwise) is the reference: it runs the loss steps
            if (row.key === `ours-${o.backends[0]}`) {
              if (cost(cell) <= 1) { steps = o.lossSteps; lossRun = true; }
            } else if (row.key === 'ours-js' && mode === 'train' && cost(cell) > 0.25) {
              // a js step of more than an RNN 256's cost takes several seconds
              skip = 'not run: the js backend trains only cells up to the cost of rnn256 (time budget; its speed shows there and in generation)';
            }
            break;
          }
          case 'torch': {
            cmd = TORCH_PYTHON; pre = [path.join(BENCH, 'peers', 'torch_w1.py')];
            const th = Number(row.key.split('-')[1]);
            extra = ['--threads', String(th)];
            env.OMP_WAIT_POLICY = 'PASSIVE';
            env.OMP_NUM_THREADS = String(th);
            if (row.key.endsWith('-unset')) env = withoutOpenblasVars(env);
            // the loss steps run once per cell, in the two-thread as-set configuration
            if (row.key === 'torch-2-set' && headline) { steps = o.lossSteps; lossRun = true; }
            if (row.key.endsWith('-unset') && mode === 'train' && !headline) {
              skip = 'not run: time budget; the unset rows of lstm256 and rnn256 show what the variables change';
            }
            break;
          }
          case 'numpy': {
            cmd = 'python3'; pre = [path.join(BENCH, 'peers', 'numpy_rnn.py')];
            env.OPENBLAS_NUM_THREADS = '1';
            env.OMP_WAIT_POLICY = 'PASSIVE';
            if (row.key === 'numpy-unset') env = withoutOpenblasVars(env);
            else { steps = o.lossSteps; lossRun = true; }
            if (cell.cell !== 'rnn') skip = 'n/a: the numpy peer is the vanilla RNN only';
            break;
          }
          case 'tfjs': {
            ({ cmd, pre } = tsx(path.join('peers', 'tfjs_w1.ts')));
            extra = ['--backend', row.key.slice(5)];
            if (row.key === 'tfjs-cpu') {
              if (mode === 'train') { steps = o.slowSteps; warmup = o.slowWarmup; }
              if (mode === 'train' && cell.name !== 'lstm256') skip = 'not run: the pure-JS backend takes a minute or more per LSTM 256 step; it trains LSTM 256 only (time budget)';
            } else if (cost(cell) > 1 && mode === 'train') {
              skip = 'not run: time budget (an LSTM 256 step takes seconds on this backend)';
            }
            break;
          }
          case 'brain': {
            ({ cmd, pre } = tsx(path.join('peers', 'brain_w1.ts')));
            if (cell.cell !== 'lstm') skip = 'n/a: brain.js is benchmarked with its LSTM';
            else if (cell.hidden > 256) skip = 'not run: time budget (brain.js trains one sequence at a time)';
            break;
          }
        }
        const args = [...pre!, ...extra, ...workloadArgs(mode, cell, textFile, steps),
          '--gen-length', String(o.genLength), '--gen-runs', String(GEN_WARMUP + (row.peer === 'brain' ? o.genRuns * 2 : o.genRuns))];
        if (mode === 'generate') { lossRun = false; steps = 0; }
        jobs.push({ row, cell, mode, skip, steps, warmup, lossRun, cmd: cmd!, args, env, timeoutMs: 30 * 60_000 });
      }
    }
  }
  // one more rnnkit run on the headline cell with every kernel call timed: where the time goes
  const head = o.cells.find((c) => c.name === 'lstm256') ?? o.cells[0];
  if (o.only.includes('ours') && o.backends.includes('wasm') && head) {
    const row: Row = { key: 'ours-wasm-profile', peer: 'ours', label: 'rnnkit, wasm backend, 2 threads, profiled' };
    jobs.push({
      row, cell: head, mode: 'train', skip: null, steps: o.speedSteps, warmup: o.warmup, lossRun: false, cmd: process.execPath,
      args: ['--import', 'tsx', path.join(BENCH, 'ours.ts'), '--backend', 'wasm', '--threads', '2', '--profile', String(o.warmup),
        ...workloadArgs('train', head, textFile, o.speedSteps)],
      env: { ...process.env }, timeoutMs: 30 * 60_000,
    });
  }
  // variable-length batches on the headline cell, wasm at two threads: without lengths, with every length T,
  // and with lengths summing to half of B·T (bench/padded.ts)
  if (o.only.includes('ours') && o.backends.includes('wasm') && head) {
    for (const [variant, what] of PADDED) {
      const row: Row = { key: `lengths-${variant}`, peer: 'ours', label: `rnnkit, wasm backend, 2 threads, padded batch, ${what}` };
      jobs.push({
        row, cell: head, mode: 'train', skip: null, steps: o.speedSteps, warmup: o.warmup, lossRun: false, cmd: process.execPath,
        args: ['--import', 'tsx', path.join(BENCH, 'padded.ts'), '--backend', 'wasm', '--threads', '2', '--lengths', variant,
          '--cell', head.cell, '--hidden', String(head.hidden), '--batch', String(B), '--seq', String(T), '--steps', String(o.speedSteps)],
        env: { ...process.env }, timeoutMs: 30 * 60_000,
      });
    }
  }
  return jobs;
}

/** The padded-batch rows: bench/padded.ts's --lengths, and what each is. */
export const PADDED = [['none', 'no lengths'], ['full', 'every length T'], ['half', 'lengths summing to half of B·T']] as const;

/** The rows the bars compare, which run in rounds (see bench/run.ts's header). */
export const inRounds = (row: Row) => row.key === 'ours-wasm' || row.key === 'ours-wasm1t' || row.peer === 'torch' || row.peer === 'numpy' || row.peer === 'brain';

/** The same job measuring speed alone: the speed steps, no loss run. */
export function speedOnly(job: Job, o: Options): Job {
  if (job.mode === 'generate' || !job.lossRun) return job;
  const args = [...job.args];
  args[args.indexOf('--steps') + 1] = String(o.speedSteps);
  return { ...job, args, steps: o.speedSteps, lossRun: false };
}

