import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { writeFileSync, rmSync } from 'node:fs';
import { ROOT, tempDir } from '../helpers/cli.js';

/*
 * The entry point chooses no backend when it is imported (it has no top-level await): a program that
 * chooses none gets the WebAssembly backend at its first operation, with the numbers it would have had
 * after `await useBackend('wasm')`; one that chooses keeps its choice.
 */

function script(prelude: string): string {
  return `import { LSTM, Linear, Adam, OneHot, crossEntropy, reshape, manualSeed, kernels, useBackend } from ${JSON.stringify(path.join(ROOT, 'src', 'index.ts'))};
${prelude}
manualSeed(0);
const text = 'the whale, the sea, the ship. '.repeat(6), chars = [...new Set(text)], V = chars.length, H = 24;
const ids = Int32Array.from(text, (c) => chars.indexOf(c));
const x = new OneHot(ids.subarray(0, -1), [ids.length - 1, 1], V);
const lstm = new LSTM({ inputSize: V, hiddenSize: H }), head = new Linear(H, V);
const opt = new Adam([...lstm.namedParameters(), ...head.namedParameters()], { lr: 1e-2 });
const losses = [];
for (let step = 1; step <= 5; step++) {
  const loss = crossEntropy(head.forward(reshape(lstm.forward(x).output, [-1, H])), ids.subarray(1));
  opt.zeroGrad(); loss.backward(); opt.step();
  losses.push(loss.item());
}
console.log(JSON.stringify({ backend: kernels().name, threads: kernels().threads ?? 1, losses }));
`;
}

function runScript(prelude: string): { backend: string; threads: number; losses: number[] } {
  const dir = tempDir('rnnkit-entry-');
  try {
    const file = path.join(dir, 'run.mts');
    writeFileSync(file, script(prelude));
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a program that chooses no backend gets the wasm backend at its first operation, with the numbers of useBackend("wasm")', () => {
  const lazy = runScript('');
  const chosen = runScript("await useBackend('wasm');");
  assert.equal(lazy.backend, 'wasm');
  assert.equal(lazy.threads, chosen.threads);
  assert.deepEqual(lazy.losses, chosen.losses);
});

test('a backend chosen before the first operation stays', () => {
  const js = runScript("await useBackend('js');");
  assert.equal(js.backend, 'js');
  assert.equal(js.losses.length, 5);
});
