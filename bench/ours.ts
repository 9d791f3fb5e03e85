/**
 * rnnkit on workload W1, one measurement per process (bench/run.ts starts one per row and cell, so that
 * VmHWM is the peak of that workload alone):
 *
 *   node --import tsx bench/ours.ts --backend wasm|native|js [--threads N] [--profile WARMUP] --mode train|generate --cell lstm --hidden 256 --text FILE
 *
 * Training goes through CharLMTrainer, the same path as `rnnkit train` (char-rnn streams, carried state,
 * Adam, global-norm clipping), with a constant learning rate and no validation split; generation through
 * sampleText, the path of `rnnkit sample`.
 */
import {
  CharLM, CharLMTrainer, CharVocab, Generator, defaultTrainConfig, sampleText, availableBackends, kernels, profiled, setBackend,
  type ProfiledBackend,
} from '../src/index.js';
import { selectBackend, type BackendChoice } from '../src/cli/backend.js';
import { cpuClock, emit, parseArgs, peakKiB, rssKiB, readText, runMain, workloadFromArgs } from './common.js';

/** Makes the WebAssembly backend available when the library has not registered it by itself. */
async function ensureWasmRegistered(): Promise<void> {
  if (availableBackends().includes('wasm')) return;
  // a computed specifier: this file must type-check and run (with --backend js) whatever that module's state
  const spec = '../src/kernels/wasm/index.js';
  const mod = (await import(spec)) as { registerWasmBackend?: () => void };
  if (typeof mod.registerWasmBackend !== 'function') throw new Error(`${spec} exports no registerWasmBackend()`);
  mod.registerWasmBackend();
}

async function useRequestedBackend(name: string, threads: number): Promise<string> {
  if (name !== 'js' && name !== 'wasm' && name !== 'native') throw new Error(`--backend must be wasm, native or js, got '${name}'`);
  if (!(Number.isInteger(threads) && threads >= 1)) throw new Error(`--threads must be a whole number ≥ 1, got '${threads}'`);
  if (name === 'wasm') await ensureWasmRegistered();
  const got = await selectBackend(name as BackendChoice, threads);
  if (got !== name) throw new Error(`asked for the ${name} backend, got '${got}'`);
  return got;
}

// One event-loop turn after each step and each generation run, as `rnnkit train` takes: the wasm backend
// gets its heap blocks back through finalizers, which run only between tasks. It is inside the timing,
// so the cost of freeing counts.
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

runMain(async () => {
  const args = parseArgs(process.argv.slice(2));
  const backend = await useRequestedBackend(args.get('backend') ?? 'wasm', Number(args.get('threads') ?? '1'));
  const info: Record<string, unknown> = { backend, node: process.version, threads: (kernels() as { threads?: number }).threads ?? 1 };

  const w = workloadFromArgs(args);
  const text = readText(w.textFile);
  const base = rssKiB();
  if (w.mode === 'train') {
    const t = CharLMTrainer.create(text, {
      ...defaultTrainConfig, cell: w.cell, nonlinearity: 'tanh', hidden: w.hidden, layers: 1, dropout: 0, seq: w.seq, batch: w.batch,
      optimizer: 'adam', lr: w.lr, schedule: 'constant', warmup: 0, clip: w.clip, steps: w.steps, valFraction: 0, carry: true, seed: w.seed,
    });
    const stepMs: number[] = [], losses: number[] = [];
    // --profile N: time every kernel call over the steps after the first N (the warm-up), as `rnnkit train --profile`
    const profileAfter = args.has('profile') ? Number(args.get('profile')) : -1;
    const plain = kernels();
    let profiler: ProfiledBackend | null = null;
    const clock = cpuClock();
    while (!t.done) {
      if (stepMs.length === profileAfter) setBackend((profiler = profiled(plain)));
      const t0 = performance.now();
      const r = t.trainStep();
      await turn();
      stepMs.push(performance.now() - t0);
      losses.push(r.loss);
    }
    setBackend(plain);
    const profile = profiler
      ? { steps: stepMs.length - profileAfter, stepMs: stepMs.slice(profileAfter).reduce((a, b) => a + b, 0), kernels: profiler.report() }
      : undefined;
    emit({ mode: 'train', stepMs, losses, ...clock(), vocabSize: t.vocab.size, peakKiB: peakKiB(), baseKiB: base, info, profile });
  } else {
    const vocab = CharVocab.fromText(text);
    const model = new CharLM({ cell: w.cell, nonlinearity: 'tanh', vocabSize: vocab.size, hiddenSize: w.hidden, numLayers: 1, dropout: 0 }, new Generator(w.seed));
    const genMs: number[] = [], genChars: number[] = [];
    const clock = cpuClock();
    for (let r = 0; r < w.genRuns; r++) {
      const g = new Generator(w.seed + r);
      const t0 = performance.now();
      const out = sampleText(model, vocab, { length: w.genLength, temperature: 1, generator: g });
      await turn();
      genMs.push(performance.now() - t0);
      genChars.push([...out].length);
    }
    emit({ mode: 'generate', genMs, genChars, ...clock(), vocabSize: vocab.size, peakKiB: peakKiB(), baseKiB: base, info });
  }
});
