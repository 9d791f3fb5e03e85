import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT, tempDir } from '../helpers/cli.js';

// The API reference as `npm run docs` builds it (typedoc.json: validation on, warnings are errors), into a
// folder of its own so the check never touches docs/api.
const out = tempDir('rnnkit-api-');
const typedoc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--out', path.join(out, 'html'), '--json', path.join(out, 'api.json')],
  { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });

interface Reflection { name: string; children?: Reflection[] }
const modules = (): Map<string, Set<string>> => {
  const project = JSON.parse(readFileSync(path.join(out, 'api.json'), 'utf8')) as Reflection;
  return new Map((project.children ?? []).map((m) => [m.name, new Set((m.children ?? []).map((c) => c.name))]));
};

test('the API reference builds with every public export documented and no broken link', () => {
  // typedoc prints warnings such as "does not have any documentation" or "Failed to resolve link", and
  // fails on them; show them all when it does
  assert.equal(typedoc.status, 0, typedoc.stdout + typedoc.stderr);
  assert.doesNotMatch(typedoc.stdout + typedoc.stderr, /\[(warning|error)\]/);
  assert.ok(existsSync(path.join(out, 'html', 'index.html')));
});

test('the reference covers both entry points: the library and rnnkit/node', () => {
  const m = modules();
  assert.deepEqual([...m.keys()].sort(), ['rnnkit', 'rnnkit/node']);
  const lib = m.get('rnnkit')!, node = m.get('rnnkit/node')!;
  for (const name of ['generate', 'stream', 'GenerateOptions', 'CharLM', 'CharVocab', 'LSTM', 'Adam', 'Tensor', 'ConfigError', 'useBackend']) {
    assert.ok(lib.has(name), `rnnkit exports ${name}`);
  }
  for (const name of ['loadCheckpoint', 'saveCheckpoint']) assert.ok(node.has(name), `rnnkit/node exports ${name}`);
});

test('internals stay out of the public surface', () => {
  const lib = modules().get('rnnkit')!;
  const internal = ['gradSink', 'passGrad', 'gradTarget', 'record', 'pick', 'checkSampleOptions', 'suffix', 'CharLMStepper', 'showChars',
    'referenceBackend', 'createWasmBackend', 'defaultThreads', 'recurrence', 'assertTensor', 'shapeStr', 'pack', 'unpack', 'checkConfig'];
  assert.deepEqual(internal.filter((n) => lib.has(n)), []);
});
