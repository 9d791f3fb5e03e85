/**
 * rnnkit on a padded batch, one measurement per process (bench/plan.ts plans three of them):
 *
 *   node --import tsx bench/padded.ts --lengths none|full|half [--backend wasm|native|js] [--threads N] --cell lstm --hidden 256 --steps N [--batch 32] [--seq 64]
 *
 * Each step is one forward and backward of a one-layer recurrent layer (input size = hidden) over a dense
 * [T, B, H] batch and a fixed projection loss, no optimizer: `none` runs it without lengths, `full` with
 * every length T, `half` with the lengths 1, 3, 5, … (shuffled), which sum to half of B·T.
 */
import { LSTM, GRU, RNN, Tensor, Generator, add, mul, sum, kernels, type RunOptions } from '../src/index.js';
import { selectBackend, type BackendChoice } from '../src/cli/backend.js';
import { cpuClock, emit, parseArgs, peakKiB, rssKiB, runMain } from './common.js';

/** The lengths of each variant, one per batch row; null: no lengths at all. */
function paddedLengths(variant: string, B: number, T: number): number[] | null {
  if (variant === 'none') return null;
  if (variant === 'full') return Array.from({ length: B }, () => T);
  if (variant !== 'half') throw new Error(`--lengths must be none, full or half, got '${variant}'`);
  // B lengths spread evenly over 1 … T whose sum is B·T/2 (for B = T/2: the odd numbers), in a fixed shuffled order
  const lens = Array.from({ length: B }, (_, b) => Math.max(1, Math.min(T, Math.round(((2 * b + 1) * T) / (2 * B)))));
  const g = new Generator(7);
  for (let i = B - 1; i > 0; i--) {
    const j = Math.floor(g.random() * (i + 1));
    [lens[i], lens[j]] = [lens[j], lens[i]];
  }
  return lens;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

runMain(async () => {
  const args = parseArgs(process.argv.slice(2));
  const name = args.get('backend') ?? 'wasm', threads = Number(args.get('threads') ?? '1');
  const backend = await selectBackend(name as BackendChoice, threads);
  if (backend !== name) throw new Error(`asked for the ${name} backend, got '${backend}'`);
  const num = (k: string, d: number) => Number(args.get(k) ?? d);
  const H = num('hidden', 256), B = num('batch', 32), T = num('seq', 64), steps = num('steps', 10);
  const cell = args.get('cell') ?? 'lstm';
  const variant = args.get('lengths') ?? 'none';
  const lengths = paddedLengths(variant, B, T);
  const g = new Generator(1);
  const opts = { inputSize: H, hiddenSize: H, generator: g };
  const m = cell === 'lstm' ? new LSTM(opts) : cell === 'gru' ? new GRU(opts) : new RNN(opts);
  const rand = (shape: number[]) => {
    const t = Tensor.zeros(shape);
    for (let i = 0; i < t.size; i++) t.data[i] = g.random() * 2 - 1;
    return t;
  };
  const x = rand([T, B, H]), P = rand([T, B, H]), Ph = rand([1, B, H]);
  const run: RunOptions = lengths ? { lengths } : {};
  const info = { backend, node: process.version, threads: (kernels() as { threads?: number }).threads ?? 1, lengths: variant,
    realSteps: lengths ? lengths.reduce((a, b) => a + b, 0) : B * T, charsPerStep: B * T };
  const base = rssKiB();
  const stepMs: number[] = [], losses: number[] = [];
  const clock = cpuClock();
  for (let s = 0; s < steps; s++) {
    const t0 = performance.now();
    for (const p of m.parameters()) p.grad = null;
    const r = m instanceof LSTM ? m.forward(x, null, run) : m.forward(x, null, run);
    const loss = add(sum(mul(r.output, P)), sum(mul(r.h, Ph)));
    loss.backward();
    await turn();
    stepMs.push(performance.now() - t0);
    losses.push(loss.item());
  }
  emit({ mode: 'train', stepMs, losses, ...clock(), vocabSize: 0, peakKiB: peakKiB(), baseKiB: base, info });
});
