import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT, tempDir, makeCorpus } from '../helpers/cli.js';

// Without a C++ compiler the install still succeeds (the native build says in one line why it did not
// happen) and the command line runs on the WebAssembly backend, saying once how to get the native one.

/** A copy of native/ (sources and build script) in a fresh folder that sees the project's node_modules. */
function nativeCopy(): string {
  const dir = tempDir('rnnkit-native-build-');
  cpSync(path.join(ROOT, 'native', 'build.mjs'), path.join(dir, 'native', 'build.mjs'));
  cpSync(path.join(ROOT, 'native', 'src'), path.join(dir, 'native', 'src'), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

test('the install step exits 0 with one line where there is no compiler, or the compiler fails, and builds nothing', (t) => {
  const dir = nativeCopy();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const empty = path.join(dir, 'empty-bin');
  mkdirSync(empty);
  const env = { ...process.env };
  delete env.CXX;
  const cases: Array<[string, NodeJS.ProcessEnv, RegExp]> = [
    ['PATH without a compiler', { ...env, PATH: empty }, /no C\+\+ compiler found \(tried c\+\+, g\+\+, clang\+\+\)/],
    ['CXX=false', { ...env, CXX: 'false' }, /no C\+\+ compiler found \(tried false\)/],
    ['a compiler that builds nothing', { ...env, CXX: 'true' }, /true wrote no addon/],
    ['turned off', { ...env, RNNKIT_NATIVE: '0' }, /RNNKIT_NATIVE=0/],
  ];
  for (const [name, e, why] of cases) {
    const r = spawnSync(process.execPath, [path.join(dir, 'native', 'build.mjs')], { cwd: dir, env: e, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `${name}: ${r.stdout}${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1, `${name}: one line: ${r.stdout}`);
    assert.match(lines[0], /^rnnkit: native backend not built \(/, name);
    assert.match(lines[0], why, name);
    assert.match(lines[0], /the WebAssembly backend will be used\. To get it: install a C\+\+ compiler/, name);
    assert.equal(r.stderr, '', name);
    assert.ok(!existsSync(path.join(dir, 'native', 'build', 'rnnkit.node')), `${name}: no addon`);
  }
});

test('without the addon, auto trains on wasm and says once how to get the native backend; --backend native is a one-line error', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const corpus = makeCorpus(dir, 5_000);
  const cli = (out: string, args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), 'train', '--data', corpus,
    '--hidden', '8', '--seq', '8', '--batch', '2', '--steps', '2', '--val-every', '0', '--sample-length', '0', '--json', '--out', path.join(dir, out), ...args],
  { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, RNNKIT_NATIVE: '0', RNNKIT_DEBUG: '' } });
  const r = cli('runs', []);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const start = JSON.parse(r.stdout.split('\n')[0]);
  assert.equal(start.backend, 'wasm');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^rnnkit: the native backend \(--backend native\) is not available: it is turned off \(RNNKIT_NATIVE=0\)\. To get it, install a C\+\+ compiler/);

  const n = cli('runs-native', ['--backend', 'native']);
  assert.equal(n.status, 1, n.stdout + n.stderr);
  assert.equal(n.stderr.trim().split('\n').length, 1, n.stderr);
  assert.match(n.stderr, /the native backend is not available here: it is turned off \(RNNKIT_NATIVE=0\)\. To get it, install a C\+\+ compiler/);
  assert.doesNotMatch(n.stderr, /\n\s+at /);
});
