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
// The jobs come from bench/plan.ts, the two files from bench/report.ts, the machine's description from
// bench/machine.ts; this file runs the jobs, in rounds, and writes what they measured.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mobyDick } from '../src/cli/corpus_files.js';
import { median, type Measurement } from './common.js';
import { ensurePeerPackages, machine, peerVersions } from './machine.js';
import { B, BENCH, GEN_WARMUP, ROOT, T, inRounds, parseOptions, plan, speedOnly, type Job, type Options } from './plan.js';
import { f, markdown, resultsJson, type Gemm, type Outcome, type Report } from './report.js';

// ----------------------------------------------------------------------------------------- running

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

/** Every job once, in the planned order: the first round, and the one run of every row not compared in rounds. */
async function firstRound(jobs: Job[], install: { log: string; error: string | null }): Promise<Outcome[]> {
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
  return outcomes;
}

/** The compared rows again, round after round, each round cell by cell; each speed becomes the median over the rounds. */
async function moreRounds(outcomes: Outcome[], o: Options): Promise<void> {
  const again = outcomes.filter((r) => r.status === 'ok' && !r.job.skip && inRounds(r.job.row));
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
    const outcomes = await firstRound(plan(o, textFile), install);
    await moreRounds(outcomes, o);
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
    writeFileSync(path.join(o.out, 'results.json'), resultsJson(rep));
    process.stdout.write(`wrote ${path.join(o.out, 'RESULTS.md')} and results.json (${f(rep.seconds / 60, 1)} min)\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

