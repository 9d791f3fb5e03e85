import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell, type Module } from '../../src/nn/index.js';
import { Tensor, add, mul, sum, shapeStr } from '../../src/tensor/index.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { kernels } from '../../src/kernels/index.js';

/*
 * PyTorch parity: every file in test/fixtures/parity/ (written by test/fixtures/make_parity.py with
 * torch) holds weights, inputs, torch's outputs and torch's gradients of a fixed scalar loss. We load
 * the same weights, run the same forward and backward, and compare. The suite runs once per backend:
 * parity.test.ts on the TypeScript reference, parity_wasm.test.ts on WebAssembly.
 */

const FORWARD_TOL = 1e-5;
const GRAD_TOL = 1e-4;
const REGENERATE = 'regenerate them with /usr/bin/python3 test/fixtures/make_parity.py (the Debian python3 with python3-torch)';

type Mode = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';

interface Config {
  kind: 'module' | 'cell';
  mode: Mode;
  inputSize: number;
  hiddenSize: number;
  numLayers?: number;
  bidirectional?: boolean;
  batchFirst?: boolean;
  withState: boolean;
  bias: boolean;
}

const dir = new URL('../fixtures/parity/', import.meta.url);
let files: string[] = [];
let listError = '';
try {
  files = readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort();
} catch (e) {
  listError = (e as Error).message;
}

// The worst errors over all configurations, for the summary at the end.
const worst = {
  forward: { err: 0, where: 'nothing compared' },
  grad: { err: 0, where: 'nothing compared' },
  gradAbs: { err: 0, where: 'nothing compared' },
};
const checked = new Set<string>();
const configs: Config[] = [];

function describe(c: Config): string {
  const state = c.withState ? (c.mode === 'lstm' ? 'with h0/c0' : 'with h0') : 'no initial state';
  const bias = c.bias ? 'bias' : 'no bias';
  if (c.kind === 'cell') return `${c.mode} cell, ${state}, ${bias}`;
  return `${c.mode}, ${c.numLayers} layer${c.numLayers === 1 ? '' : 's'}, ${c.bidirectional ? 'bidirectional' : 'unidirectional'}, `
    + `${c.batchFirst ? 'batch-first' : 'time-major'}, ${state}, ${bias}`;
}

test('parity fixtures are present', () => {
  assert.equal(listError, '', `cannot read ${dir.pathname}: ${listError}; ${REGENERATE}`);
  assert.ok(files.length > 0, `${dir.pathname} has no .safetensors fixtures; ${REGENERATE}`);
});

for (const file of files) {
  const { tensors, metadata } = decodeSafetensors(readFileSync(new URL(file, dir)), file);
  const cfg = JSON.parse(metadata.config ?? 'null') as Config | null;
  const name = cfg ? `${describe(cfg)} (${file})` : file;

  test(`${name} [${kernels().name} backend]`, () => {
    assert.ok(cfg, `${file} has no 'config' metadata; ${REGENERATE}`);
    configs.push(cfg);
    // Every stored tensor must be consumed, so fixture and test cannot silently drift apart.
    const unused = new Set(Object.keys(tensors));
    const need = (key: string): Tensor => {
      const t = tensors[key];
      assert.ok(t, `${file} lacks tensor '${key}'`);
      unused.delete(key);
      return t;
    };

    const { module, step } = build(cfg);
    const sd: Record<string, Tensor> = {};
    for (const key of Object.keys(tensors)) if (key.startsWith('param.')) sd[key.slice('param.'.length)] = need(key);
    module.loadStateDict(sd);

    const x = need('x');
    x.requiresGrad = true;
    const h0 = cfg.withState ? need('h0') : null;
    const c0 = cfg.withState && cfg.mode === 'lstm' ? need('c0') : null;
    for (const s of [h0, c0]) if (s) s.requiresGrad = true;

    const r = step(x, h0, c0);
    const outs: [string, string, Tensor][] = [];
    if (r.output) outs.push(['output', 'P_out', r.output]);
    outs.push(['h_n', 'P_h', r.h]);
    if (r.c) outs.push(['c_n', 'P_c', r.c]);

    let loss: Tensor | null = null;
    for (const [key, proj, ours] of outs) {
      compareForward(file, key, ours, need(key));
      const term = sum(mul(ours, need(proj)));
      loss = loss ? add(loss, term) : term;
    }
    loss!.backward();

    compareGrad(file, 'x', x.grad, need('grad.x'));
    if (h0) compareGrad(file, 'h0', h0.grad, need('grad.h0'));
    if (c0) compareGrad(file, 'c0', c0.grad, need('grad.c0'));
    for (const [pname, p] of module.namedParameters()) compareGrad(file, `param.${pname}`, p.grad, need(`grad.param.${pname}`));

    assert.deepEqual([...unused], [], `${file} has tensors the test does not check`);
    checked.add(file);
  });
}

test('the fixtures cover the full cross product of options', () => {
  const have = new Set(configs.map(key));
  const missing: string[] = [];
  for (const mode of ['rnn_tanh', 'rnn_relu', 'lstm', 'gru'] as const) {
    for (const withState of [false, true]) {
      for (const bias of [false, true]) {
        const cell: Config = { kind: 'cell', mode, inputSize: 0, hiddenSize: 0, withState, bias };
        if (!have.has(key(cell))) missing.push(describe(cell));
        for (const numLayers of [1, 2, 3]) {
          for (const bidirectional of [false, true]) {
            for (const batchFirst of [false, true]) {
              const c: Config = { kind: 'module', mode, inputSize: 0, hiddenSize: 0, numLayers, bidirectional, batchFirst, withState, bias };
              if (!have.has(key(c))) missing.push(describe(c));
            }
          }
        }
      }
    }
  }
  assert.deepEqual(missing, [], `configurations without a passing fixture; ${REGENERATE}`);
});

test('summary: worst errors against PyTorch over all configurations', (t) => {
  t.diagnostic(`configurations checked: ${checked.size} of ${files.length}`);
  t.diagnostic(`forward max |ours - torch|: ${worst.forward.err.toExponential(3)} at ${worst.forward.where}`);
  t.diagnostic(`gradient max |ours - torch| / max(1, |torch|): ${worst.grad.err.toExponential(3)} at ${worst.grad.where}`);
  t.diagnostic(`gradient max |ours - torch|: ${worst.gradAbs.err.toExponential(3)} at ${worst.gradAbs.where}`);
  assert.equal(checked.size, files.length, 'some fixtures failed; see the tests above');
  assert.ok(worst.forward.err <= FORWARD_TOL);
  assert.ok(worst.grad.err <= GRAD_TOL);
});

/** The identity of a configuration, apart from sizes. */
function key(c: Config): string {
  const base = `${c.kind} ${c.mode} state=${c.withState} bias=${c.bias}`;
  return c.kind === 'cell' ? base : `${base} L=${c.numLayers} bi=${c.bidirectional} bf=${c.batchFirst}`;
}

interface StepResult {
  output?: Tensor;
  h: Tensor;
  c?: Tensor;
}

/** Our module for a configuration, and a uniform way to run it on (x, h0, c0). */
function build(c: Config): { module: Module; step: (x: Tensor, h0: Tensor | null, c0: Tensor | null) => StepResult } {
  const { inputSize, hiddenSize, bias } = c;
  if (c.kind === 'cell') {
    switch (c.mode) {
      case 'lstm': {
        const m = new LSTMCell(inputSize, hiddenSize, { bias });
        return { module: m, step: (x, h0, c0) => m.forward(x, h0 && c0 ? { h: h0, c: c0 } : null) };
      }
      case 'gru': {
        const m = new GRUCell(inputSize, hiddenSize, { bias });
        return { module: m, step: (x, h0) => ({ h: m.forward(x, h0) }) };
      }
      default: {
        const m = new RNNCell(inputSize, hiddenSize, { bias, nonlinearity: c.mode === 'rnn_relu' ? 'relu' : 'tanh' });
        return { module: m, step: (x, h0) => ({ h: m.forward(x, h0) }) };
      }
    }
  }
  const opts = { inputSize, hiddenSize, bias, numLayers: c.numLayers, bidirectional: c.bidirectional, batchFirst: c.batchFirst };
  switch (c.mode) {
    case 'lstm': {
      const m = new LSTM(opts);
      return { module: m, step: (x, h0, c0) => m.forward(x, h0 && c0 ? { h: h0, c: c0 } : null) };
    }
    case 'gru': {
      const m = new GRU(opts);
      return { module: m, step: (x, h0) => m.forward(x, h0) };
    }
    default: {
      const m = new RNN({ ...opts, nonlinearity: c.mode === 'rnn_relu' ? 'relu' : 'tanh' });
      return { module: m, step: (x, h0) => m.forward(x, h0) };
    }
  }
}

function compareForward(file: string, what: string, ours: Tensor, theirs: Tensor): void {
  assert.equal(shapeStr(ours.shape), shapeStr(theirs.shape), `${file}: ${what} shape`);
  let err = 0, at = 0;
  for (let i = 0; i < theirs.size; i++) {
    const e = Math.abs(ours.data[i] - theirs.data[i]);
    // NaN compares false with everything, so test for it explicitly
    if (!(e <= err)) { err = Number.isNaN(e) ? Infinity : e; at = i; }
  }
  if (err > worst.forward.err) worst.forward = { err, where: `${file} ${what}[${at}]` };
  assert.ok(err <= FORWARD_TOL,
    `${file}: ${what}[${at}] ours ${ours.data[at]}, torch ${theirs.data[at]} (|diff| ${err.toExponential(2)} > ${FORWARD_TOL})`);
}

function compareGrad(file: string, what: string, ours: Tensor | null, theirs: Tensor): void {
  // no gradient reached the tensor: that is a zero gradient, which torch must agree with
  const g = ours ?? Tensor.zeros(theirs.shape);
  assert.equal(shapeStr(g.shape), shapeStr(theirs.shape), `${file}: grad of ${what} shape`);
  let err = 0, at = 0, abs = 0, absAt = 0;
  for (let i = 0; i < theirs.size; i++) {
    const d = Math.abs(g.data[i] - theirs.data[i]);
    const e = d / Math.max(1, Math.abs(theirs.data[i]));
    if (!(e <= err)) { err = Number.isNaN(e) ? Infinity : e; at = i; }
    if (!(d <= abs)) { abs = Number.isNaN(d) ? Infinity : d; absAt = i; }
  }
  if (err > worst.grad.err) worst.grad = { err, where: `${file} grad.${what}[${at}]` };
  if (abs > worst.gradAbs.err) worst.gradAbs = { err: abs, where: `${file} grad.${what}[${absAt}]` };
  assert.ok(err <= GRAD_TOL,
    `${file}: grad of ${what}[${at}] ours ${g.data[at]}, torch ${theirs.data[at]} (error ${err.toExponential(2)} > ${GRAD_TOL}·max(1, |torch|))`);
}
