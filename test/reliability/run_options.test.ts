import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { rnnkit, tempDir, makeCorpus, mobyCorpus, CLI } from '../helpers/cli.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';

const tiny = ['--hidden', '16', '--seq', '16', '--batch', '4', '--sample-length', '0'];
const stateMeta = (dir: string) => JSON.parse(decodeSafetensors(new Uint8Array(readFileSync(path.join(dir, 'state.safetensors')))).metadata.rnnkit);

test('--resume keeps the run options; one given again wins and is reported', () => {
  const dir = tempDir();
  const data = makeCorpus(dir);
  const run = path.join(dir, 'p');
  const a = rnnkit(['train', '--data', data, ...tiny, '--backend', 'js', '--val-every', '0', '--steps', '12', '--checkpoint-every', '3', '--keep', '0', '--out', run]);
  assert.equal(a.status, 0, a.out);
  const b = rnnkit(['train', '--resume', path.join(run, 'latest'), '--steps', '15', '--backend', 'js']);
  assert.equal(b.status, 0, b.out);
  assert.deepEqual(readdirSync(run).filter((n) => n.startsWith('step-')).sort(),
    ['step-000003', 'step-000006', 'step-000009', 'step-000012', 'step-000015'], '--keep 0 and --checkpoint-every 3 still hold');
  assert.doesNotMatch(b.stdout, /validation loss .*\n.*validation loss/s, '--val-every 0 still holds: one validation, at the end');
  assert.deepEqual(stateMeta(path.join(run, 'latest')).run, { keep: 0, checkpointEvery: 3, valEvery: 0, gradflowEvery: 0, logEvery: 50, sampleLength: 0, temperature: 0.8 });
  const c = rnnkit(['train', '--resume', path.join(run, 'latest'), '--steps', '18', '--keep', '2', '--backend', 'js']);
  assert.equal(c.status, 0, c.out);
  assert.match(c.stdout, /^resuming with --keep 2 \(was 0\) from the command line instead of the checkpoint's$/m);
  assert.deepEqual(readdirSync(run).filter((n) => n.startsWith('step-')).sort(), ['step-000015', 'step-000018']);
});

test('the last checkpoint holds the final validation in its history', () => {
  const dir = tempDir();
  const run = path.join(dir, 'r');
  const r = rnnkit(['train', '--data', makeCorpus(dir), ...tiny, '--backend', 'js', '--val-every', '4', '--steps', '10', '--checkpoint-every', '5', '--out', run]);
  assert.equal(r.status, 0, r.out);
  const val = stateMeta(path.join(run, 'latest')).history.val as [number, number][];
  assert.deepEqual(val.map(([s]) => s), [4, 8, 10]);
  const printed = Number(/step 10: validation loss (\d\.\d+)/.exec(r.stdout)![1]);
  assert.equal(val[2][1].toFixed(4), printed.toFixed(4));
  assert.ok(r.stdout.indexOf('step 10: validation loss') < r.stdout.indexOf('checkpoint saved: ') + r.stdout.slice(r.stdout.indexOf('checkpoint saved: ')).indexOf('step-000010'));
  assert.match(r.stdout, /Try: npx rnnkit sample --checkpoint /);
});

test('--gradflow-every does not change the numbers: monitored and unmonitored runs save the same checkpoint', () => {
  const dir = tempDir();
  const data = makeCorpus(dir);
  for (const cell of ['lstm', 'gru', 'rnn']) {
    const args = ['train', '--data', data, ...tiny, '--cell', cell, '--layers', '2', '--dropout', '0.1', '--backend', 'wasm', '--threads', '2', '--val-every', '0', '--steps', '8'];
    const plain = rnnkit([...args, '--out', path.join(dir, `${cell}-plain`)]);
    const watched = rnnkit([...args, '--out', path.join(dir, `${cell}-watched`), '--gradflow-every', '2']);
    assert.equal(plain.status, 0, plain.out);
    assert.equal(watched.status, 0, watched.out);
    assert.match(watched.stdout, /gradient flow at step 8: .*\n\s+rnn\.l0: .*‖∂L\/∂h‖ last step/);
    const a = path.join(dir, `${cell}-plain`, 'latest'), b = path.join(dir, `${cell}-watched`, 'latest');
    assert.ok(readFileSync(path.join(a, 'model.safetensors')).equals(readFileSync(path.join(b, 'model.safetensors'))), `${cell}: byte-identical weights`);
    const sa = decodeSafetensors(new Uint8Array(readFileSync(path.join(a, 'state.safetensors'))));
    const sb = decodeSafetensors(new Uint8Array(readFileSync(path.join(b, 'state.safetensors'))));
    for (const name of Object.keys(sa.tensors)) assert.ok(Buffer.from(sa.tensors[name].data.buffer).equals(Buffer.from(sb.tensors[name].data.buffer)), `${cell}: ${name}`);
    // the state's metadata differs only in the stored --gradflow-every
    const ma = JSON.parse(sa.metadata.rnnkit), mb = JSON.parse(sb.metadata.rnnkit);
    assert.equal(mb.run.gradflowEvery, 2);
    mb.run.gradflowEvery = 0;
    assert.deepEqual(mb, ma);
  }
});

test('in a terminal the final validation, checkpoint and done lines reach the screen', (t) => {
  const script = spawnSync('script', ['--version'], { encoding: 'utf8' });
  if (script.status !== 0) {
    t.skip('util-linux `script` (a pseudo-terminal) is not installed');
    return;
  }
  const dir = tempDir();
  const cmd = [process.execPath, CLI, 'train', '--data', makeCorpus(dir), ...tiny, '--backend', 'js', '--steps', '12', '--val-every', '0', '--out', path.join(dir, 'X')]
    .map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const screen = r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  assert.match(screen, /step 12: validation loss \d\.\d+ nats\/char/);
  assert.match(screen, /checkpoint saved: .*step-000012/);
  assert.match(screen, /done: 12 steps in .*Try: npx rnnkit sample --checkpoint /);
});

test('a resumed run that diverges names the checkpoint it resumed from, which is untouched', () => {
  const dir = tempDir();
  const data = mobyCorpus(dir);
  const run = path.join(dir, 'run');
  // an unbounded (relu) recurrence under a huge step size overflows within a few steps (not the first)
  const args = ['--data', data, ...tiny, '--backend', 'js', '--val-every', '0', '--cell', 'rnn', '--nonlinearity', 'relu', '--optimizer', 'sgd', '--lr', '9.99',
    '--clip', '0', '--schedule', 'constant', '--checkpoint-every', '1000'];
  const a = rnnkit(['train', ...args, '--steps', '1', '--out', run]);
  assert.equal(a.status, 0, a.out);
  const b = rnnkit(['train', '--resume', path.join(run, 'latest'), '--steps', '200', '--backend', 'js', '--data', data]);
  assert.equal(b.status, 1, b.out);
  assert.match(b.stderr, new RegExp(`training diverged at step \\d+: .*\\. The last good checkpoint \\(${path.join(run, 'step-000001')}\\) is untouched\\.`));
  assert.doesNotMatch(b.stderr, /No checkpoint was written/);
});
