import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { RNN, LSTM, GRU, type AnyRecurrent, type RecurrentOutput } from '../../src/nn/index.js';
import { Tensor, add, mul, sum, shapeStr } from '../../src/tensor/index.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { useBackend, kernels } from '../../src/kernels/index.js';
import { registerWasmBackend } from '../../src/kernels/wasm/index.js';
import { registerNativeBackend, nativeUnavailable } from '../../src/kernels/native/index.js';

/*
 * PyTorch parity for variable-length batches: every file in test/fixtures/packed/ (written by
 * test/fixtures/make_packed.py) holds weights, a padded batch, its lengths, and what
 * pack_padded_sequence(enforce_sorted=False) → module → pad_packed_sequence gave in torch, forward and
 * backward. We run forward(x, state, { lengths }) on the same weights and compare, on every backend.
 */

const FORWARD_TOL = 1e-5;
const GRAD_TOL = 1e-4;
const REGENERATE = 'regenerate them with /usr/bin/python3 test/fixtures/make_packed.py (the Debian python3 with python3-torch)';

interface Config {
  mode: 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  batchFirst: boolean;
  withState: boolean;
  seqLen: number;
  lengths: number[];
}

const dir = new URL('../fixtures/packed/', import.meta.url);
let files: string[] = [];
let listError = '';
try {
  files = readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort();
} catch (e) {
  listError = (e as Error).message;
}

test('packed-sequence fixtures are present and cover the cross product of options', () => {
  assert.equal(listError, '', `cannot read ${dir.pathname}: ${listError}; ${REGENERATE}`);
  const have = new Set(files);
  const missing: string[] = [];
  for (const mode of ['rnn_tanh', 'rnn_relu', 'lstm', 'gru']) {
    for (const name of [`${mode}_full`, `${mode}_short`]) if (!have.has(`${name}.safetensors`)) missing.push(name);
    for (const L of [1, 2, 3]) for (const bi of ['uni', 'bi']) for (const bf of ['tm', 'bf']) for (const st of ['state', 'nostate']) {
      const name = `${mode}_L${L}_${bi}_${bf}_${st}`;
      if (!have.has(`${name}.safetensors`)) missing.push(name);
    }
  }
  assert.deepEqual(missing, [], `missing fixtures; ${REGENERATE}`);
});

const fixtures = files.map((file) => {
  const { tensors, metadata } = decodeSafetensors(readFileSync(new URL(file, dir)), file);
  return { file, tensors, cfg: JSON.parse(metadata.config ?? 'null') as Config | null };
});

const backends: { name: string; skip: string | false; setup: () => Promise<unknown> }[] = [
  { name: 'js', skip: false, setup: () => useBackend('js') },
  { name: 'wasm', skip: false, setup: async () => { registerWasmBackend(); await useBackend('wasm'); } },
  (() => {
    const why = nativeUnavailable();
    return {
      name: 'native', skip: why ? `${why}; build it with node native/build.mjs` : false,
      setup: async () => { registerNativeBackend(); await useBackend('native'); },
    };
  })(),
];

for (const b of backends) {
  test(`PyTorch packed-sequence parity on the ${b.name} backend`, { skip: b.skip }, async (t) => {
    await b.setup();
    assert.equal(kernels().name, b.name);
    const worst = { forward: 0, grad: 0, where: '' };
    for (const { file, tensors, cfg } of fixtures) {
      assert.ok(cfg, `${file} has no 'config' metadata; ${REGENERATE}`);
      const e = checkFixture(file, tensors, cfg);
      if (e.forward > worst.forward) worst.forward = e.forward;
      if (e.grad > worst.grad) { worst.grad = e.grad; worst.where = file; }
    }
    t.diagnostic(`${fixtures.length} fixtures; forward max |ours - torch| ${worst.forward.toExponential(3)}; `
      + `gradient max |ours - torch| / max(1, |torch|) ${worst.grad.toExponential(3)} (${worst.where})`);
    assert.ok(fixtures.length > 0, `no fixtures; ${REGENERATE}`);
  });
}

/** Runs one fixture forward and backward and compares everything; returns the worst errors. */
function checkFixture(file: string, tensors: Record<string, Tensor>, cfg: Config): { forward: number; grad: number } {
  const unused = new Set(Object.keys(tensors));
  const need = (key: string): Tensor => {
    const t = tensors[key];
    assert.ok(t, `${file} lacks tensor '${key}'`);
    unused.delete(key);
    // a fresh copy, so one backend's gradients never reach the next backend's run
    return Tensor.from(Float32Array.from(t.data), [...t.shape]);
  };
  const opts = { inputSize: cfg.inputSize, hiddenSize: cfg.hiddenSize, numLayers: cfg.numLayers, bidirectional: cfg.bidirectional, batchFirst: cfg.batchFirst };
  const m: AnyRecurrent = cfg.mode === 'lstm' ? new LSTM(opts) : cfg.mode === 'gru' ? new GRU(opts)
    : new RNN({ ...opts, nonlinearity: cfg.mode === 'rnn_relu' ? 'relu' : 'tanh' });
  const sd: Record<string, Tensor> = {};
  for (const key of Object.keys(tensors)) if (key.startsWith('param.')) sd[key.slice('param.'.length)] = need(key);
  m.loadStateDict(sd);

  const x = need('x');
  x.requiresGrad = true;
  const h0 = cfg.withState ? need('h0') : null;
  const c0 = cfg.withState && cfg.mode === 'lstm' ? need('c0') : null;
  for (const s of [h0, c0]) if (s) s.requiresGrad = true;
  const run = { lengths: cfg.lengths };
  const r: RecurrentOutput = m instanceof LSTM ? m.forward(x, h0 && c0 ? { h: h0, c: c0 } : null, run) : m.forward(x, h0, run);

  let forward = 0, grad = 0;
  let loss: Tensor | null = null;
  for (const [key, proj, ours] of [['output', 'P_out', r.output], ['h_n', 'P_h', r.h], ['c_n', 'P_c', r.c]] as const) {
    if (!ours) continue;
    forward = Math.max(forward, compare(file, key, ours, need(key), false));
    const term = sum(mul(ours, need(proj)));
    loss = loss ? add(loss, term) : term;
  }
  loss!.backward();
  grad = Math.max(grad, compare(file, 'grad.x', x.grad, need('grad.x'), true));
  if (h0) grad = Math.max(grad, compare(file, 'grad.h0', h0.grad, need('grad.h0'), true));
  if (c0) grad = Math.max(grad, compare(file, 'grad.c0', c0.grad, need('grad.c0'), true));
  for (const [pname, p] of m.namedParameters()) grad = Math.max(grad, compare(file, `grad.param.${pname}`, p.grad, need(`grad.param.${pname}`), true));
  assert.deepEqual([...unused], [], `${file} has tensors the test does not check`);
  return { forward, grad };
}

/** The worst error of ours against torch's, asserted within the tolerance: absolute forward, relative to max(1, |torch|) for gradients. */
function compare(file: string, what: string, ours: Tensor | null, theirs: Tensor, relative: boolean): number {
  const g = ours ?? Tensor.zeros(theirs.shape);
  assert.equal(shapeStr(g.shape), shapeStr(theirs.shape), `${file}: ${what} shape`);
  let err = 0, at = 0;
  for (let i = 0; i < theirs.size; i++) {
    const e = Math.abs(g.data[i] - theirs.data[i]) / (relative ? Math.max(1, Math.abs(theirs.data[i])) : 1);
    // NaN compares false with everything, so test for it explicitly
    if (!(e <= err)) { err = Number.isNaN(e) ? Infinity : e; at = i; }
  }
  const tol = relative ? GRAD_TOL : FORWARD_TOL;
  assert.ok(err <= tol, `${file} [${kernels().name}]: ${what}[${at}] ours ${g.data[at]}, torch ${theirs.data[at]} (error ${err.toExponential(2)} > ${tol})`);
  return err;
}
