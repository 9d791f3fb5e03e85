import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readlinkSync, existsSync, mkdirSync, truncateSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { rnnkit, rnnkitAsync, tempDir, makeCorpus, mobyCorpus } from '../helpers/cli.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';

const tiny = ['--hidden', '16', '--seq', '16', '--batch', '4', '--val-every', '0', '--sample-length', '20', '--backend', 'js'];

function weights(dir: string) {
  return decodeSafetensors(new Uint8Array(readFileSync(path.join(dir, 'model.safetensors')))).tensors;
}

test('train writes checkpoints with a latest link, and sample continues a prime', () => {
  const dir = tempDir();
  const data = makeCorpus(dir);
  const run = path.join(dir, 'run');
  const r = rnnkit(['train', '--data', data, ...tiny, '--steps', '30', '--checkpoint-every', '10', '--keep', '2', '--out', run]);
  assert.equal(r.status, 0, r.out);
  assert.match(r.stdout, /validation loss \d\.\d+ nats\/char \(\d\.\d+ bits\/char\)/);
  assert.match(r.stdout, /done: 30 steps/);
  assert.equal(readlinkSync(path.join(run, 'latest')), 'step-000030');
  assert.deepEqual(readdirSync(run).filter((n) => n.startsWith('step-')).sort(), ['step-000020', 'step-000030'], 'keeps the newest two');
  const w = weights(path.join(run, 'latest'));
  assert.deepEqual(w['rnn.weight_ih_l0'].shape, [64, new Set(readFileSync(data, 'utf8')).size]);
  const s = rnnkit(['sample', '--checkpoint', run, '--length', '50', '--prime', 'the whale', '--seed', '1', '--backend', 'js']);
  assert.equal(s.status, 0, s.out);
  assert.ok(s.stdout.startsWith('the whale') && s.stdout.trimEnd().length >= 50, s.stdout);
  const again = rnnkit(['sample', '--checkpoint', path.join(run, 'step-000030', 'model.safetensors'), '--length', '50', '--prime', 'the whale', '--seed', '1', '--backend', 'js']);
  assert.equal(again.stdout, s.stdout, 'the same seed gives the same sample');
  const greedy = rnnkit(['sample', '--checkpoint', path.join(run, 'latest'), '--length', '30', '--greedy', '--backend', 'js']);
  assert.equal(greedy.status, 0, greedy.out);
});

test('--json prints one JSON event per line', () => {
  const dir = tempDir();
  const r = rnnkit(['train', '--data', makeCorpus(dir), ...tiny, '--steps', '6', '--val-every', '3', '--out', path.join(dir, 'run'), '--json']);
  assert.equal(r.status, 0, r.out);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual([...new Set(events.map((e) => e.event))], ['start', 'step', 'val', 'sample', 'checkpoint', 'done']);
  assert.equal(events.filter((e) => e.event === 'step').length, 6);
  assert.ok(events.every((e) => e.event !== 'step' || (Number.isFinite(e.loss) && e.charsPerSec > 0)));
});

test('resume is exact: 20 steps straight and 10 + resume + 10 give bit-identical weights', () => {
  const dir = tempDir();
  const data = makeCorpus(dir);
  const opts = [...tiny, '--dropout', '0.2', '--layers', '2', '--checkpoint-every', '10'];
  const a = rnnkit(['train', '--data', data, ...opts, '--steps', '20', '--out', path.join(dir, 'a')]);
  assert.equal(a.status, 0, a.out);
  const b1 = rnnkit(['train', '--data', data, ...opts, '--steps', '20', '--out', path.join(dir, 'b')]);
  assert.equal(b1.status, 0);
  // rebuild b as if it had stopped at step 10: resume from that checkpoint into a fresh folder
  const b2 = rnnkit(['train', '--resume', path.join(dir, 'b', 'step-000010'), '--out', path.join(dir, 'c'), '--backend', 'js', '--val-every', '0']);
  assert.equal(b2.status, 0, b2.out);
  assert.match(b2.stdout, /resuming at step 10/);
  const wa = weights(path.join(dir, 'a', 'step-000020')), wc = weights(path.join(dir, 'c', 'step-000020'));
  for (const name of Object.keys(wa)) assert.deepEqual(wc[name].data, wa[name].data, name);
  const sa = decodeSafetensors(new Uint8Array(readFileSync(path.join(dir, 'a', 'step-000020', 'state.safetensors'))));
  const sc = decodeSafetensors(new Uint8Array(readFileSync(path.join(dir, 'c', 'step-000020', 'state.safetensors'))));
  for (const name of Object.keys(sa.tensors)) assert.deepEqual(sc.tensors[name].data, sa.tensors[name].data, name);
});

test('bad input gets one clear line and a non-zero exit, never a stack trace', () => {
  const dir = tempDir();
  const empty = path.join(dir, 'empty.txt');
  writeFileSync(empty, '  \n');
  const binary = path.join(dir, 'data.bin');
  writeFileSync(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1, 2]));
  const latin1 = path.join(dir, 'latin1.txt');
  writeFileSync(latin1, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6e, 0x6f, 0x69, 0x72]));
  const short = path.join(dir, 'short.txt');
  writeFileSync(short, 'just a few words');
  mkdirSync(path.join(dir, 'notxt'));
  const data = makeCorpus(dir);
  const cases: [string[], RegExp][] = [
    [['train', '--data', path.join(dir, 'missing.txt')], /--data '.*missing\.txt' does not exist/],
    [['train', '--data', empty], /is empty/],
    [['train', '--data', binary], /looks binary/],
    [['train', '--data', latin1], /not valid UTF-8/],
    [['train', '--data', path.join(dir, 'notxt')], /has no \.txt files/],
    [['train', '--data', short, ...tiny], /has \d+ characters, fewer than one batch needs/],
    [['train', '--data', data, '--hidden', '-3'], /option '--hidden <n>' argument '-3' is invalid/],
    [['train', '--data', data, '--lr', 'fast'], /option '--lr <rate>' argument 'fast' is invalid/],
    [['train', '--data', data, '--cell', 'transformer'], /expected one of rnn, lstm, gru/],
    [['train', '--data', data, '--warmup', '50', '--steps', '10'], /--warmup must be an integer from 0 to steps − 1/],
    [['sample', '--checkpoint', path.join(dir, 'nope')], /checkpoint '.*nope' not found: pass a run folder/],
    [['sample', '--checkpoint', dir], /holds no checkpoint/],
    [['train', '--resume', path.join(dir, 'nope')], /not found/],
  ];
  for (const [args, msg] of cases) {
    // in a folder of its own: a run the user made in the repository (npm start's runs/) must not change the answers
    const r = rnnkit(args, { cwd: dir });
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, msg, args.join(' '));
    assert.ok(!/\n\s+at /.test(r.stderr), `stack trace for ${args.join(' ')}:\n${r.stderr}`);
  }
});

test('a checkpoint that is truncated, corrupt or of another kind is refused by name', () => {
  const dir = tempDir();
  const data = makeCorpus(dir);
  const run = path.join(dir, 'run');
  assert.equal(rnnkit(['train', '--data', data, ...tiny, '--steps', '4', '--out', run]).status, 0);
  const model = path.join(run, 'step-000004', 'model.safetensors');
  const bytes = readFileSync(model);
  truncateSync(model, bytes.length - 100);
  let r = rnnkit(['sample', '--checkpoint', run]);
  assert.match(r.stderr, /model\.safetensors is not a valid safetensors file: .*truncated/);
  writeFileSync(model, Buffer.from('garbage that is not a checkpoint'));
  r = rnnkit(['sample', '--checkpoint', run]);
  assert.match(r.stderr, /model\.safetensors is not a valid safetensors file/);
  writeFileSync(model, bytes);
  r = rnnkit(['sample', '--checkpoint', run, '--prime', 'Ωthe✓']);
  assert.match(r.stderr, /--prime has characters the model never saw: "Ω", "✓"/);
  r = rnnkit(['train', '--resume', run, '--data', makeCorpus(dir, 20_000, 'other.txt').replace('other', 'other'), '--steps', '8']);
  assert.equal(r.status, 0, 'the same text under another name resumes');
  writeFileSync(path.join(dir, 'different.txt'), readFileSync(data, 'utf8').toUpperCase());
  r = rnnkit(['train', '--resume', run, '--data', path.join(dir, 'different.txt'), '--steps', '12']);
  assert.match(r.stderr, /was trained on a different text/);
  r = rnnkit(['train', '--resume', run]);
  assert.match(r.stderr, /already finished its 8 steps: pass a larger --steps/);
});

test('a loss that becomes NaN stops training, names the step and keeps the last good checkpoint', () => {
  const dir = tempDir();
  const run = path.join(dir, 'run');
  // an unbounded (relu) recurrence under a huge step size overflows within a few steps
  const r = rnnkit(['train', '--data', mobyCorpus(dir), ...tiny, '--cell', 'rnn', '--nonlinearity', 'relu', '--optimizer', 'sgd', '--lr', '9.99', '--clip', '0',
    '--schedule', 'constant', '--steps', '200', '--checkpoint-every', '1', '--out', run]);
  assert.equal(r.status, 1, r.out);
  const m = /training diverged at step (\d+): the (loss|gradient norm) is (NaN|Infinity)\. The last good checkpoint \((.*)\) is untouched\. Try a lower --lr/.exec(r.stderr);
  assert.ok(m, r.stderr);
  const lastGood = Number(m[1]) - 1;
  assert.equal(readlinkSync(path.join(run, 'latest')), `step-${String(lastGood).padStart(6, '0')}`);
  const w = weights(path.join(run, 'latest'));
  assert.ok(Object.values(w).every((t) => t.data.every(Number.isFinite)), 'the kept checkpoint has finite weights');
});

test('Ctrl-C saves a checkpoint and exits cleanly; the run resumes from it', async () => {
  const dir = tempDir();
  const data = makeCorpus(dir);
  const run = path.join(dir, 'run');
  const child = rnnkitAsync(['train', '--data', data, ...tiny, '--steps', '100000', '--checkpoint-every', '100000', '--out', run, '--json']);
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    if (!child.killed && out.split('\n').filter((l) => l.includes('"event":"step"')).length >= 5) child.kill('SIGINT');
  });
  const code = await new Promise<number | null>((res) => child.on('close', res));
  assert.equal(code, 130, out);
  const done = JSON.parse(out.trim().split('\n').pop()!);
  assert.equal(done.event, 'done');
  assert.equal(done.interrupted, true);
  assert.ok(existsSync(path.join(done.checkpoint, 'model.safetensors')));
  const r = rnnkit(['train', '--resume', path.join(run, 'latest'), '--steps', String(done.step + 2), '--backend', 'js']);
  assert.equal(r.status, 0, r.out);
});

test('a kill at any moment never corrupts the previous checkpoint', async () => {
  const dir = tempDir();
  const data = makeCorpus(dir);
  const run = path.join(dir, 'run');
  // kill at different moments after a run has begun writing checkpoints (one per step)
  for (const delay of [0, 15, 40, 90]) {
    const resume = existsSync(path.join(run, 'latest')) ? ['--resume', path.join(run, 'latest')] : [];
    const child = rnnkitAsync(['train', '--data', data, ...tiny, '--steps', '100000', '--checkpoint-every', '1', '--keep', '2', '--out', run, ...resume, '--json']);
    await new Promise<void>((res) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('"event":"checkpoint"')) setTimeout(res, delay);
      });
      child.on('close', () => res());
    });
    child.kill('SIGKILL');
    await new Promise((res) => child.on('close', res));
    const s = rnnkit(['sample', '--checkpoint', run, '--length', '10', '--backend', 'js']);
    assert.equal(s.status, 0, `after a kill ${delay} ms past a checkpoint: ${s.out}`);
  }
});

test('a model file under any name samples; resuming from it asks for the state it lacks', () => {
  const dir = tempDir();
  const run = path.join(dir, 'run');
  assert.equal(rnnkit(['train', '--data', makeCorpus(dir), ...tiny, '--steps', '3', '--out', run]).status, 0);
  const copy = path.join(dir, 'my-model.safetensors');
  writeFileSync(copy, readFileSync(path.join(run, 'latest', 'model.safetensors')));
  const s = rnnkit(['sample', '--checkpoint', copy, '--length', '10', '--backend', 'js']);
  assert.equal(s.status, 0, s.out);
  const r = rnnkit(['train', '--resume', copy, '--steps', '6', '--backend', 'js']);
  assert.match(r.stderr, /has no state\.safetensors: the checkpoint is incomplete or holds weights only/);
});
