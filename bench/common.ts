/**
 * What every JavaScript benchmark process shares: its arguments, the workload's text and vocabulary,
 * the peak-memory reading, and the one line through which it hands its measurements to bench/run.ts.
 */
import { readFileSync } from 'node:fs';

export type Cell = 'lstm' | 'gru' | 'rnn';

/** Gate blocks per cell. */
export const GATES: Record<Cell, number> = { rnn: 1, gru: 3, lstm: 4 };

/** The W1 workload as one benchmark process receives it. */
export interface Workload {
  mode: 'train' | 'generate';
  cell: Cell;
  hidden: number;
  batch: number;
  seq: number;
  lr: number;
  clip: number;
  /** Training steps in all, warm-up included. */
  steps: number;
  /** Characters per generation run, and how many runs. */
  genLength: number;
  genRuns: number;
  seed: number;
  /** The UTF-8 file holding exactly the text to train on. */
  textFile: string;
}

/** The raw measurements a process reports; bench/run.ts derives medians and means from them. */
export interface Measurement {
  mode: 'train' | 'generate';
  /** Wall time of every training step, warm-up steps included, in ms. */
  stepMs?: number[];
  /** The loss of every training step. */
  losses?: number[];
  /** Wall time of each generation run, and the characters each produced. */
  genMs?: number[];
  genChars?: number[];
  vocabSize: number;
  /** CPU seconds this process used and wall seconds that passed during the measured loop: CPU÷wall
   * well below the thread count means other processes took the cores. */
  cpuS?: number;
  wallS?: number;
  /** VmHWM of this process at the end, in KiB. */
  peakKiB: number | null;
  /** VmRSS once the runtime and libraries were loaded, before the workload, in KiB. */
  baseKiB: number | null;
  /** Versions, backend, thread counts: what the table should say about this run. */
  info: Record<string, unknown>;
  /** rnnkit with --profile: the kernel times over the steps after the warm-up. */
  profile?: { steps: number; stepMs: number; kernels: { kernel: string; calls: number; ms: number }[] };
}

/**
 * Flops in the matrix multiplies of one W1 training step (one layer, one-hot input, carried state
 * detached): the per-step h·W_hhᵀ products (T of them), ∂h through time (T − 1: nothing needs ∂L/∂h_0),
 * the W_hh gradient (T steps' worth), and the output layer's forward, ∂h and ∂W. The one-hot input
 * projection is a gather, not a multiply.
 */
export function stepFlops(cell: Cell, hidden: number, vocab: number, batch: number, seq: number): number {
  const G = GATES[cell], H = hidden;
  return 2 * batch * G * H * H * (3 * seq - 1) + 6 * seq * batch * H * vocab;
}

/** The median of the finite values of xs (NaN when there are none). */
export function median(xs: readonly number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * The median over rounds of a[r] ÷ b[r]: two rows' speeds compared round by round, each pair measured
 * within a minute of each other. A round that failed on either side (NaN) is left out. Undefined unless
 * both ran the same rounds and two or more pairs are left.
 */
export function pairedRatio(a: readonly number[] | undefined, b: readonly number[] | undefined): number | undefined {
  if (!a || !b || a.length !== b.length) return undefined;
  const r = a.map((x, i) => x / b[i]).filter(Number.isFinite);
  return r.length < 2 ? undefined : median(r);
}

export function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}'`);
    const eq = a.indexOf('=');
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out.set(a.slice(2), argv[++i]);
    else out.set(a.slice(2), 'true');
  }
  return out;
}

export function workloadFromArgs(args: Map<string, string>): Workload {
  const num = (k: string, d: number) => {
    const v = args.get(k);
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${k} must be a number, got '${v}'`);
    return n;
  };
  const mode = args.get('mode') ?? 'train';
  if (mode !== 'train' && mode !== 'generate') throw new Error(`--mode must be train or generate, got '${mode}'`);
  const cell = args.get('cell') ?? 'lstm';
  if (cell !== 'lstm' && cell !== 'gru' && cell !== 'rnn') throw new Error(`--cell must be lstm, gru or rnn, got '${cell}'`);
  const textFile = args.get('text');
  if (!textFile) throw new Error('--text FILE is required (bench/run.ts writes the workload text to a file)');
  return {
    mode, cell, textFile,
    hidden: num('hidden', 256), batch: num('batch', 32), seq: num('seq', 64), lr: num('lr', 2e-3), clip: num('clip', 5),
    steps: num('steps', 200), genLength: num('gen-length', 500), genRuns: num('gen-runs', 5), seed: num('seed', 1),
  };
}

export function readText(file: string): string {
  return readFileSync(file, 'utf8');
}

/** The sorted distinct characters (code points) of the text, and the text as their ids. */
export function vocabulary(text: string): { chars: string[]; ids: Int32Array } {
  const chars = [...new Set(text)].sort();
  const index = new Map(chars.map((c, i) => [c, i]));
  const cps = [...text];
  const ids = new Int32Array(cps.length);
  for (let i = 0; i < cps.length; i++) ids[i] = index.get(cps[i])!;
  return { chars, ids };
}

function statusKiB(field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null; // not Linux: no /proc
  }
}

export const peakKiB = () => statusKiB('VmHWM');

/** Starts a clock over CPU and wall time; the returned function reads both, in seconds. */
export function cpuClock(): () => { cpuS: number; wallS: number } {
  const c0 = process.cpuUsage(), t0 = performance.now();
  return () => {
    const c = process.cpuUsage(c0);
    return { cpuS: (c.user + c.system) / 1e6, wallS: (performance.now() - t0) / 1000 };
  };
}
export const rssKiB = () => statusKiB('VmRSS');

/** Hands the measurements to the runner: the last line of stdout that starts with RESULT. */
export function emit(m: Measurement): void {
  process.stdout.write(`RESULT ${JSON.stringify(m)}\n`);
}

/** Samples an index from unnormalised logits (softmax at temperature 1) with a uniform draw u ∈ [0, 1). */
export function sampleLogits(logits: ArrayLike<number>, u: number): number {
  let max = -Infinity;
  for (let j = 0; j < logits.length; j++) max = Math.max(max, logits[j]);
  let z = 0;
  const p = new Float64Array(logits.length);
  for (let j = 0; j < logits.length; j++) z += p[j] = Math.exp(logits[j] - max);
  u *= z;
  for (let j = 0; j < p.length; j++) {
    u -= p[j];
    if (u < 0) return j;
  }
  return p.length - 1;
}

/** Runs main and turns any failure into one line on stderr and a non-zero exit, for the runner to report. */
export function runMain(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
