import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import * as path from 'node:path';
import { CLI, ROOT, tempDir, makeCorpus, mobyCorpus } from '../helpers/cli.js';

/*
 * `rnnkit train --engine pytorch` on Debian's torch (/usr/bin/python3), against rnnkit's own engine.
 * Without torch there the tests skip, saying so (CI installs python3-torch). The bars of the engine run
 * at a small scale by default, since torch on two CPU cores with the reference BLAS takes hours for the
 * full length; RNNKIT_PYTORCH_BARS=full runs them as stated: the default recipe (LSTM 256, batch 32,
 * sequence 64, 1,500 steps) on Moby Dick.
 */

const PY = '/usr/bin/python3';
const probe = spawnSync(PY, ['-c', 'import torch, torch.distributed as d; print(torch.__version__, d.is_gloo_available(), torch.cuda.is_available())'], { encoding: 'utf8', timeout: 120_000 });
const [torchVersion, gloo, cuda] = probe.status === 0 ? probe.stdout.trim().split(' ') : [];
const noTorch = probe.status !== 0 || gloo !== 'True'
  ? `${PY} has no torch with torch.distributed (install Debian's python3-torch: apt-get install python3-torch) — the PyTorch engine's tests are skipped`
  : false;
if (noTorch) process.stderr.write(`# SKIP ${noTorch}\n`);

type Event = Record<string, any>;

/** Runs the built command line in `cwd`; its --json events, stderr and status. */
function rnnkit(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, timeout = 30 * 60_000) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout, env: { ...process.env, RNNKIT_DEBUG: '', ...env } });
  const events: Event[] = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  return { status: r.status, stderr: r.stderr, stdout: r.stdout, events };
}
const pytorch = (nproc: number) => ['--engine', 'pytorch', '--python', PY, '--nproc', String(nproc)];
const ok = (r: ReturnType<typeof rnnkit>, what: string) => assert.equal(r.status, 0, `${what} failed:\n${r.stderr}`);
const lastVal = (r: ReturnType<typeof rnnkit>) => r.events.filter((e) => e.event === 'val').pop()?.loss as number;
const stepLosses = (r: ReturnType<typeof rnnkit>) => r.events.filter((e) => e.event === 'step').map((e) => e.loss as number);

describe('rnnkit train --engine pytorch', () => {
  test('the package ships the engine\'s script', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    assert.ok(files.includes('python/rnnkit_train.py'), files.join('\n'));
  });

  test('--nproc 2 on CPU takes the same steps as rnnkit, and its checkpoints are sampled and resumed by rnnkit', { skip: noTorch }, () => {
    const dir = tempDir('rnnkit-pytorch-');
    makeCorpus(dir);
    const tiny = ['--data', 'corpus.txt', '--hidden', '16', '--layers', '2', '--cell', 'gru', '--seq', '16', '--batch', '4', '--steps', '6',
      '--checkpoint-every', '3', '--val-every', '3', '--sample-length', '20', '--json'];
    const a = rnnkit(['train', ...tiny, '--out', 'a'], dir);
    ok(a, 'rnnkit train');
    const b = rnnkit(['train', ...tiny, '--out', 'b', ...pytorch(2)], dir);
    ok(b, 'rnnkit train --engine pytorch --nproc 2');
    // the same initial weights, data order and recipe: the losses differ by float rounding only
    const la = stepLosses(a), lb = stepLosses(b);
    assert.equal(lb.length, 6);
    lb.forEach((l, i) => assert.ok(Math.abs(l - la[i]) < 1e-4, `step ${i + 1}: ${l} on PyTorch, ${la[i]} on rnnkit`));
    assert.ok(Math.abs(lastVal(b) - lastVal(a)) < 1e-4, `validation ${lastVal(b)} vs ${lastVal(a)}`);
    assert.deepEqual(b.events.filter((e) => e.event === 'checkpoint').map((e) => e.step), [3, 6]);
    assert.equal(b.events.filter((e) => e.event === 'sample').length, 2);
    assert.equal(readlinkSync(path.join(dir, 'b', 'latest')), 'step-000006');
    assert.deepEqual(readdirSync(path.join(dir, 'b')).sort(), ['latest', 'step-000003', 'step-000006']);

    const s = spawnSync(process.execPath, [CLI, 'sample', '--checkpoint', 'b/latest', '--length', '40'], { cwd: dir, encoding: 'utf8' });
    assert.equal(s.status, 0, s.stderr);
    assert.ok(s.stdout.length >= 40);
    // on from PyTorch's checkpoint in rnnkit, and from rnnkit's in PyTorch: the same steps again
    const c = rnnkit(['train', '--resume', 'b/latest', '--steps', '8', '--json'], dir);
    ok(c, 'rnnkit train --resume (a PyTorch checkpoint)');
    const d = rnnkit(['train', '--resume', 'a/latest', '--steps', '8', '--json', ...pytorch(1)], dir);
    ok(d, 'rnnkit train --resume --engine pytorch (an rnnkit checkpoint)');
    stepLosses(d).forEach((l, i) => assert.ok(Math.abs(l - stepLosses(c)[i]) < 1e-4, `resumed step ${i + 7}: ${l} vs ${stepLosses(c)[i]}`));
  });

  test('a rank that dies stops the run with one line, and the last good checkpoint stays', { skip: noTorch }, () => {
    const dir = tempDir('rnnkit-pytorch-');
    makeCorpus(dir);
    const r = rnnkit(['train', '--data', 'corpus.txt', '--hidden', '8', '--seq', '8', '--batch', '2', '--steps', '8', '--checkpoint-every', '2',
      '--val-every', '0', '--sample-length', '0', '--out', 'run', ...pytorch(2)], dir, { RNNKIT_PYTORCH_FAULT: '1@5' });
    assert.equal(r.status, 1, r.stdout);
    const lines = r.stderr.split('\n').filter((l) => l.trim());
    assert.equal(lines.length, 1, r.stderr);
    // torch.distributed.run names the first failure it observed: the rank made to exit, or rank 0, which then loses its peer
    assert.match(lines[0], /^rnnkit: PyTorch process rank [01] died \((exit code \d+|killed by signal \d+)\), so the run stopped: the last good checkpoint \(run\/step-000004\) is untouched/);
    assert.equal(readlinkSync(path.join(dir, 'run', 'latest')), 'step-000004');
    assert.deepEqual(readdirSync(path.join(dir, 'run')).filter((n) => !/^(latest|step-00000[24])$/.test(n)), []);
  });

  test('--device cuda without CUDA is one line', { skip: noTorch || (cuda === 'True' ? 'this torch has CUDA' : false) }, () => {
    const dir = tempDir('rnnkit-pytorch-');
    const r = rnnkit(['train', '--device', 'cuda', '--out', 'run', ...pytorch(1)], dir);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`^rnnkit: --device cuda: the torch ${torchVersion!.replace(/[.+]/g, '\\$&')} of '${PY}' has no CUDA device it can use .*: use --device cpu, or give --python PATH of a CUDA build of torch\n$`));
    assert.ok(!existsSync(path.join(dir, 'run')));
  });

  const full = process.env.RNNKIT_PYTORCH_BARS === 'full';
  test(`the bars (${full ? 'full length' : 'small scale; RNNKIT_PYTORCH_BARS=full for the full length'})`, { skip: noTorch, timeout: 6 * 3600_000 }, (t) => {
    const dir = tempDir('rnnkit-pytorch-bars-');
    const steps = full ? 1500 : 240, third = steps / 3;
    // small: a model that learns fast enough to be past the unigram statistics within a few minutes
    const recipe = full ? [] : ['--data', path.basename(mobyCorpus(dir, 200_000)), '--hidden', '64', '--batch', '8', '--seq', '32', '--lr', '0.01', '--val-chars', '4096'];
    const common = [...recipe, '--steps', String(steps), '--json', '--val-every', '0', '--sample-length', '0', '--keep', '0', '--checkpoint-every', String(third)];
    const time = (what: string, fn: () => ReturnType<typeof rnnkit>) => {
      const t0 = performance.now();
      const r = fn();
      ok(r, what);
      t.diagnostic(`${what}: validation loss ${lastVal(r).toFixed(4)} nats/char after ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      return lastVal(r);
    };
    const straight = time(`rnnkit train, ${steps} steps`, () => rnnkit(['train', ...common, '--out', 'straight'], dir));
    const two = time(`--engine pytorch --nproc 2, ${steps} steps`, () => rnnkit(['train', ...common, '--out', 'two', ...pytorch(2)], dir));
    const one = time(`--engine pytorch --nproc 1, ${steps} steps`, () => rnnkit(['train', ...common, '--out', 'one', ...pytorch(1)], dir));
    // the first third on rnnkit, the second on PyTorch, the last on rnnkit again, each resumed with the
    // --steps it stops at: a resumed --steps is the run's new length, which moves a cosine schedule's
    // end, so this run and its straight twin keep a constant rate
    const constant = [...common, '--schedule', 'constant'];
    const straightConstant = time(`rnnkit train --schedule constant, ${steps} steps`, () => rnnkit(['train', ...constant, '--out', 'flat'], dir));
    time(`rnnkit train --schedule constant to step ${third}`, () => rnnkit(['train', ...constant, '--steps', String(third), '--out', 'moved'], dir));
    time(`--resume --engine pytorch to step ${2 * third}`, () => rnnkit(['train', '--resume', 'moved/latest', '--steps', String(2 * third), '--json', ...pytorch(2)], dir));
    const moved = time(`--resume (rnnkit) to step ${steps}`, () => rnnkit(['train', '--resume', 'moved/latest', '--steps', String(steps), '--json'], dir));
    assert.ok(Math.abs(two - straight) <= 0.03, `PyTorch ${two} vs rnnkit ${straight}`);
    assert.ok(Math.abs(moved - straightConstant) <= 0.03, `rnnkit → PyTorch → rnnkit ${moved} vs straight ${straightConstant}`);
    assert.ok(Math.abs(two - one) <= 0.02, `2 processes ${two} vs 1 process ${one}`);
  });
});
