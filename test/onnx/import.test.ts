import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { Tensor, Adam, crossEntropy, reshape, importONNX, exportONNX } from '../../src/index.js';
import { ROOT } from '../helpers/cli.js';

/*
 * The graphs torch.onnx.export writes (test/fixtures/make_onnx.py, Debian's torch) read into rnnkit,
 * whose forward must give PyTorch's outputs for the same inputs.
 */

const DIR = path.join(ROOT, 'test/fixtures/onnx');
const names = readdirSync(DIR).filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -5)).sort();

interface Fixture {
  config: { cell: string; nonlinearity: string; layers: number; bidirectional: boolean; vocab: number; embed: number; hidden: number; seq: number; batch: number };
  input_ids: number[]; h0: number[]; c0?: number[]; logits: number[]; hn: number[]; cn?: number[];
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('the fixtures cover RNN (tanh, relu), LSTM and GRU × 1–2 layers × one and two directions', () => {
  assert.equal(names.length, 16);
});

for (const name of names) {
  test(`${name}: torch.onnx.export's graph imports and gives PyTorch's logits, hn and cn within 1e-5`, async () => {
    const fx = JSON.parse(readFileSync(path.join(DIR, `${name}.json`), 'utf8')) as Fixture;
    const { model, opset } = await importONNX(readFileSync(path.join(DIR, `${name}.onnx`)), name);
    assert.equal(opset, 14);
    const c = fx.config, D = c.bidirectional ? 2 : 1;
    assert.deepEqual(
      [model.config.cell, model.rnn.kind, model.config.numLayers, model.config.bidirectional, model.config.embedSize, model.config.hiddenSize, model.config.outputSize],
      [c.cell, c.cell === 'rnn' ? `rnn_${c.nonlinearity}` : c.cell, c.layers, c.bidirectional, c.embed, c.hidden, c.vocab]);
    const state = (v: number[]) => new Tensor(Float32Array.from(v), [c.layers * D, c.batch, c.hidden]);
    const r = model.forward(Int32Array.from(fx.input_ids), [c.seq, c.batch], fx.c0 ? { h: state(fx.h0), c: state(fx.c0) } : { h: state(fx.h0) });
    assert.ok(maxDiff(r.logits.data, fx.logits) < 1e-5, 'logits');
    assert.ok(maxDiff(r.state.h.data, fx.hn) < 1e-5, 'hn');
    if (fx.cn) assert.ok(maxDiff(r.state.c!.data, fx.cn) < 1e-5, 'cn');
  });
}

test('an imported model fine-tunes in rnnkit, and exports again to a graph onnxruntime runs to the same numbers', async () => {
  const fx = JSON.parse(readFileSync(path.join(DIR, 'lstm_L2_uni.json'), 'utf8')) as Fixture;
  const { model } = await importONNX(readFileSync(path.join(DIR, 'lstm_L2_uni.onnx')));
  const { seq: T, batch: B, vocab: V } = fx.config;
  const ids = Int32Array.from(fx.input_ids);
  const targets = Int32Array.from(ids, (v) => (v + 1) % V);
  const opt = new Adam(model.parameters(), { lr: 0.05 });
  const loss = () => crossEntropy(reshape(model.forward(ids, [T, B]).logits, [-1, V]), targets);
  const first = loss().data[0];
  for (let i = 0; i < 30; i++) {
    opt.zeroGrad();
    loss().backward();
    opt.step();
  }
  assert.ok(loss().data[0] < first * 0.5, `loss ${first} → ${loss().data[0]}`);
  const session = await ort.InferenceSession.create(await exportONNX(model));
  const zeros = new Float32Array(2 * B * fx.config.hidden);
  const got = await session.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [T, B]),
    h0: new ort.Tensor('float32', zeros, [2, B, fx.config.hidden]), c0: new ort.Tensor('float32', zeros, [2, B, fx.config.hidden]),
  });
  assert.ok(maxDiff(got.logits.data as Float32Array, model.forward(ids, [T, B]).logits.data) < 1e-5);
});
