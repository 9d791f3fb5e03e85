import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, readlinkSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { hostname } from 'node:os';
import { rnnkit, rnnkitAsync, tempDir, makeCorpus } from '../helpers/cli.js';

const opts = ['--hidden', '16', '--seq', '16', '--batch', '4', '--val-every', '0', '--sample-length', '0', '--backend', 'js', '--checkpoint-every', '5', '--keep', '0'];

test('a second writer on a run folder gets one line naming the folder and the other pid, and changes nothing', async () => {
  const dir = tempDir();
  const data = makeCorpus(dir);
  const run = path.join(dir, 'run');
  const a = rnnkitAsync(['train', '--data', data, ...opts, '--steps', '100000', '--out', run, '--json']);
  let out = '';
  await new Promise<void>((res) => a.stdout.on('data', (d) => { out += d; if (out.includes('"event":"checkpoint"')) res(); }));
  const before = readdirSync(run).filter((n) => n.startsWith('step-'));
  for (const args of [['--out', run], ['--resume', path.join(run, 'latest'), '--steps', '200000']]) {
    const b = rnnkit(['train', '--data', data, ...opts, '--steps', '100000', ...args], { timeout: 60_000 });
    assert.equal(b.status, 1, b.out);
    assert.equal(b.stderr.trim().split('\n').length, 1, b.stderr);
    assert.match(b.stderr, new RegExp(`the run folder '${run}' is in use by another training \\(pid ${a.pid}, started .*\\): wait for it to finish, or write to another folder`));
    assert.equal(b.stdout, '', 'the second writer trained nothing');
  }
  a.kill('SIGINT');
  assert.equal(await new Promise((res) => a.on('close', res)), 130);
  const after = readdirSync(run).filter((n) => n.startsWith('step-'));
  for (const name of before) assert.ok(after.includes(name), `${name} is still there`);
  assert.ok(!existsSync(path.join(run, '.lock')), 'the first writer released its lock');
});

test('a stale lock (its process is gone) is taken over with a notice; leftovers of a killed writer are cleaned', () => {
  const dir = tempDir();
  const data = makeCorpus(dir);
  const run = path.join(dir, 'run');
  mkdirSync(run);
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const dead = Number(gone.stdout);
  writeFileSync(path.join(run, '.lock'), JSON.stringify({ pid: dead, host: hostname(), started: '2020-01-01T00:00:00.000Z' }));
  const leftovers = [`.step-000003.tmp-${dead}-abc`, `.latest.tmp-${dead}-abc`, `.trash-step-000001-${dead}-abc`];
  mkdirSync(path.join(run, leftovers[0]));
  writeFileSync(path.join(run, leftovers[0], 'model.safetensors'), 'half');
  writeFileSync(path.join(run, leftovers[1]), '');
  mkdirSync(path.join(run, leftovers[2]));
  const r = rnnkit(['train', '--data', data, ...opts, '--steps', '5', '--out', run]);
  assert.equal(r.status, 0, r.out);
  assert.match(r.stdout, new RegExp(`took over the lock of ${run} from process ${dead}, which is no longer running`));
  assert.match(r.stdout, /removed 3 unfinished files an interrupted run left/);
  for (const name of leftovers) assert.ok(!existsSync(path.join(run, name)), `${name} is gone`);
  assert.equal(readlinkSync(path.join(run, 'latest')), 'step-000005');
  assert.ok(!existsSync(path.join(run, '.lock')));
  assert.ok(readFileSync(path.join(run, 'latest', 'model.safetensors')).length > 0);
});
