import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { rnnkit, tempDir, CLI, ROOT } from '../helpers/cli.js';
import { charRun } from '../reliability/fixtures_models.js';

const js = ['--backend', 'js'];

test('--version prints the version of package.json', () => {
  const r = rnnkit(['--version']);
  assert.equal(r.status, 0, r.out);
  assert.equal(r.stdout.trim(), JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
});

test('sample | head: a reader that goes away ends the command at once and quietly', async () => {
  const run = charRun(tempDir());
  // a length that would take minutes to write in full; the reader takes 100 bytes and leaves
  const child = spawn('sh', ['-c', `"${process.execPath}" "${CLI}" sample --checkpoint "${run}" --length 100000000 --backend js | head -c 100`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(null); }, 60_000);
    child.on('exit', (c) => { clearTimeout(timer); resolve(c); });
  });
  assert.notEqual(code, null, 'it ended by itself, without computing the whole length');
  assert.equal(code, 0);
  assert.equal(Buffer.byteLength(out), 100);
  assert.equal(err, '', 'no stack trace, nothing on stderr');
});

test('sample: the prime is checked before anything is printed; --temperature 0 is greedy', () => {
  const run = charRun(tempDir());
  const bad = rnnkit(['sample', '--checkpoint', run, '--prime', 'the Ωhale', ...js]);
  assert.equal(bad.status, 1);
  assert.equal(bad.stdout, '', 'nothing printed');
  assert.match(bad.stderr, /^rnnkit: --prime has characters the model never saw: "Ω"/);
  const greedy = rnnkit(['sample', '--checkpoint', run, '--prime', 'the ', '--length', '40', '--greedy', ...js]);
  const zero = rnnkit(['sample', '--checkpoint', run, '--prime', 'the ', '--length', '40', '--temperature', '0', '--seed', '5', ...js]);
  assert.equal(greedy.status, 0, greedy.out);
  assert.equal(zero.status, 0, zero.out);
  assert.equal(zero.stdout, greedy.stdout);
  assert.ok(greedy.stdout.startsWith('the ') && greedy.stdout.length === 45, JSON.stringify(greedy.stdout));
  const clash = rnnkit(['sample', '--checkpoint', run, '--greedy', '--temperature', '0.7', ...js]);
  assert.equal(clash.status, 1);
  assert.match(clash.stderr, /--greedy always takes the most likely character, so --temperature would have no effect/);
});
