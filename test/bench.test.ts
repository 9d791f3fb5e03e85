import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT, tempDir } from './helpers/cli.js';
import { CharLMTrainer, defaultTrainConfig, kernels, setBackend } from '../src/index.js';
import { referenceBackend } from '../src/kernels/reference/index.js';
import { pairedRatio, stepFlops } from '../bench/common.js';

// The benchmark itself is never part of the tests; this only checks that its smallest run writes its
// report: rnnkit alone on the js backend, a tiny model on a slice of the text, a few steps, no peers.
/** Runs the bench with rnnkit alone on a tiny model (lstm8, 5,000 characters, no gemm run) into a fresh folder, which it returns. */
function tinyBench(t: TestContext, backends: string, steps: number, timeout: number): string {
  const out = tempDir('rnnkit-bench-test-');
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'run.ts'),
    '--only', 'ours', '--backends', backends, '--cells', 'lstm8', '--chars', '5000', '--steps', String(steps),
    '--gen-length', '10', '--gen-runs', '2', '--no-gemm', '--out', out], { cwd: ROOT, encoding: 'utf8', timeout });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  return out;
}

test('npm run bench in its tiniest mode writes RESULTS.md with a table and results.json', (t) => {
  const out = tinyBench(t, 'js', 4, 300_000);

  const md = readFileSync(path.join(out, 'RESULTS.md'), 'utf8');
  assert.match(md, /^# rnnkit benchmark/m);
  assert.match(md, /--only ours --backends js --cells lstm8/, 'the exact command');
  assert.match(md, /^- CPU: /m, 'the machine');
  const lines = md.split('\n');
  const header = lines.find((l) => l.startsWith('| implementation |'));
  const row = lines.find((l) => l.startsWith('| rnnkit, js backend |'));
  assert.ok(header && row, md);
  const split = (l: string) => l.split('|').map((c) => c.trim());
  const value = (column: string) => Number(split(row)[split(header).indexOf(column)].replace(/,/g, ''));
  assert.ok(value('train chars/s') > 0, `training chars/s in ${row}`);
  assert.ok(value('gen chars/s') > 0, `generation chars/s in ${row}`);

  const json = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
  assert.equal(json.runs.length, 2);
  for (const run of json.runs) assert.equal(run.status, 'ok', run.error);
  const train = json.runs.find((x: { mode: string }) => x.mode === 'train');
  assert.equal(train.measurement.stepMs.length, 4);
  assert.ok(train.derived.loss > 0 && train.derived.loss < 10, `loss ${train.derived.loss}`);
  assert.ok(train.derived.peakMiB > 0);
});

test('the bench runs rnnkit on the wasm backend on one and two threads, and writes the kernel profile', (t) => {
  const out = tinyBench(t, 'wasm', 5, 600_000);
  const md = readFileSync(path.join(out, 'RESULTS.md'), 'utf8');
  assert.match(md, /^\| rnnkit, wasm backend, 2 threads \|/m);
  assert.match(md, /^\| rnnkit, wasm backend, 1 thread \|/m);
  assert.match(md, /^## Where the time goes \(rnnkit, wasm backend, 2 threads, lstm8\)/m);
  assert.match(md, /^\| recurrenceForward \| 1\.0 \|/m, 'one whole-sequence forward call per step');
  const json = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
  const threads = json.runs.filter((x: { row: string; mode: string }) => x.mode === 'train' && x.row.startsWith('ours-wasm'))
    .map((x: { row: string; measurement: { info: { threads: number } } }) => [x.row, x.measurement.info.threads]);
  assert.deepEqual(Object.fromEntries(threads), { 'ours-wasm': 2, 'ours-wasm1t': 1, 'ours-wasm-profile': 2 });
  // the compared rows ran in five rounds (the default), and their speed is the median of the five
  const main = json.runs.find((x: { row: string; mode: string }) => x.row === 'ours-wasm' && x.mode === 'train').derived;
  assert.equal(main.rounds.length, 5);
  assert.equal(main.trainCharsPerSec, [...main.rounds].sort((a: number, b: number) => a - b)[2]);
  assert.match(md, /^\| rnnkit, wasm backend, 2 threads \| [\d,]+ \| 1\.00× \| [\d.]+ \(5 rounds\) \|/m);
});

test('the multiply floor counts the flops a training step really multiplies', () => {
  // On the reference backend every product goes through gemm (it has no whole-sequence kernels), so a
  // wrapper that adds up 2·m·n·k over one step sees all of them.
  const before = kernels();
  const text = 'the quick brown fox jumps over the lazy dog. '.repeat(40);
  try {
    for (const cell of ['lstm', 'gru', 'rnn'] as const) {
      setBackend(referenceBackend);
      const [hidden, batch, seq] = [6, 3, 5];
      const t = CharLMTrainer.create(text, {
        ...defaultTrainConfig, cell, nonlinearity: 'tanh', hidden, layers: 1, dropout: 0, seq, batch, optimizer: 'adam',
        schedule: 'constant', warmup: 0, steps: 3, valFraction: 0, carry: true, seed: 1,
      });
      t.trainStep(); // the second step starts from a carried, detached state, as every W1 step after the first
      let flops = 0;
      setBackend({ ...referenceBackend, gemm(ta, tb, m, n, k, a, b, c, acc) { flops += 2 * m * n * k; referenceBackend.gemm(ta, tb, m, n, k, a, b, c, acc); } });
      t.trainStep();
      assert.equal(flops, stepFlops(cell, hidden, t.vocab.size, batch, seq), cell);
    }
  } finally {
    setBackend(before);
  }
});

test('per-round ratios pair each round of one row with the same round of the other', () => {
  // a slow spell in rounds 2 and 4 of one row and round 5 of the other: the medians of the rows give
  // 30/40 = 0.75, the rounds compared one by one say the first row is 1.1× as fast whenever both ran alike
  const a = [44, 30, 44, 30, 30], b = [40, 40, 40, 28, 27];
  assert.equal(pairedRatio(a, b), 1.1);
  assert.equal(pairedRatio([2, 4], [1, 1]), 3); // an even count: the mean of the middle two
  assert.equal(pairedRatio([1], [1]), undefined);
  assert.equal(pairedRatio([1, 2], [1, 2, 3]), undefined);
  assert.equal(pairedRatio(undefined, [1, 2]), undefined);
  // a failed round (NaN) drops its pair and no other: the rounds after it still pair with their own
  assert.equal(pairedRatio([44, NaN, 44, 33], [40, 40, 40, 30]), 1.1);
  assert.equal(pairedRatio([44, NaN], [40, 40]), undefined);
});
