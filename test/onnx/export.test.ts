import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { Tensor, Generator, RecurrentLM, CharLM, exportONNX, importONNX, type CellName } from '../../src/index.js';

const T = 5, B = 3, V = 11, H = 6;

/** The largest absolute difference between two arrays of the same length. */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function randomState(shape: number[], rng: Generator): Tensor {
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.random() * 2 - 1;
  return t;
}

async function runOnnx(bytes: Uint8Array, ids: Int32Array, h0: Tensor, c0: Tensor | null) {
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [T, B]),
    h0: new ort.Tensor('float32', Float32Array.from(h0.data), [...h0.shape]),
  };
  if (c0) feeds.c0 = new ort.Tensor('float32', Float32Array.from(c0.data), [...c0.shape]);
  return session.run(feeds);
}

const CELLS: [CellName, 'tanh' | 'relu'][] = [['rnn', 'tanh'], ['rnn', 'relu'], ['lstm', 'tanh'], ['gru', 'tanh']];

for (const [cell, nonlinearity] of CELLS) {
  for (const numLayers of [1, 2]) {
    for (const bidirectional of [false, true]) {
      const name = `${cell}${cell === 'rnn' ? `_${nonlinearity}` : ''} ×${numLayers} ${bidirectional ? 'bi' : 'uni'}`;
      test(`${name}: onnxruntime runs the exported graph to rnnkit's logits, hn and cn within 1e-5`, async () => {
        const rng = new Generator(numLayers * 7 + (bidirectional ? 3 : 0) + cell.length);
        // one-hot input for the unidirectional models, an embedding for the bidirectional ones
        const model = new RecurrentLM({ cell, nonlinearity, vocabSize: V, embedSize: bidirectional ? 4 : 0, hiddenSize: H, numLayers, bidirectional, outputSize: V }, rng);
        const S = numLayers * (bidirectional ? 2 : 1);
        const ids = Int32Array.from({ length: T * B }, () => Math.floor(rng.random() * V));
        const h0 = randomState([S, B, H], rng), c0 = cell === 'lstm' ? randomState([S, B, H], rng) : null;
        const want = model.forward(ids, [T, B], c0 ? { h: h0, c: c0 } : { h: h0 });
        const got = await runOnnx(await exportONNX(model), ids, h0, c0);
        assert.deepEqual(got.logits.dims, [T, B, V]);
        assert.ok(maxDiff(got.logits.data as Float32Array, want.logits.data) < 1e-5, 'logits');
        assert.ok(maxDiff(got.hn.data as Float32Array, want.state.h.data) < 1e-5, 'hn');
        if (c0) assert.ok(maxDiff(got.cn.data as Float32Array, want.state.c!.data) < 1e-5, 'cn');
      });
    }
  }
}

test("a char-LM exports with one-hot input, and a batch of another size runs through the same graph", async () => {
  const model = new CharLM({ cell: 'lstm', vocabSize: V, hiddenSize: H, numLayers: 2, dropout: 0 }, new Generator(5));
  const bytes = await exportONNX(model);
  const session = await ort.InferenceSession.create(bytes);
  assert.deepEqual(session.inputNames, ['input_ids', 'h0', 'c0']);
  assert.deepEqual(session.outputNames, ['logits', 'hn', 'cn']);
  for (const [t, b] of [[1, 1], [7, 2]]) {
    const ids = Int32Array.from({ length: t * b }, (_, i) => (i * 5) % V);
    const zeros = new Float32Array(2 * b * H);
    const got = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [t, b]),
      h0: new ort.Tensor('float32', zeros, [2, b, H]), c0: new ort.Tensor('float32', zeros, [2, b, H]),
    });
    const want = model.forward(ids, [t, b]);
    assert.ok(maxDiff(got.logits.data as Float32Array, want.logits.data) < 1e-5);
    assert.ok(maxDiff(got.cn.data as Float32Array, want.state.c!.data) < 1e-5);
  }
});

test('a model that is not ids → recurrent → Linear is refused, naming the layer', async () => {
  const model = new RecurrentLM({ cell: 'gru', vocabSize: V, embedSize: 0, hiddenSize: H, numLayers: 1, bidirectional: false, outputSize: V });
  await assert.rejects(exportONNX({ rnn: model.head, head: model.head } as never), /layer 'rnn' \(Linear\) is not an RNN, LSTM or GRU/);
  await assert.rejects(exportONNX({ rnn: model.rnn, head: model.rnn } as never), /layer 'head' \(GRU\) is not a Linear/);
});

test('exportONNX then importONNX gives back the same model: the same parameters under the same names, one-hot or embedded, with or without biases', async () => {
  for (const [cell, embedSize, bias, bidirectional] of [['lstm', 0, true, false], ['gru', 5, false, true], ['rnn', 3, true, true]] as const) {
    const model = new RecurrentLM({ cell, nonlinearity: 'relu', vocabSize: V, embedSize, hiddenSize: H, numLayers: 2, bidirectional, outputSize: 4, bias }, new Generator(9));
    const { model: back } = await importONNX(await exportONNX(model));
    assert.deepEqual(back.config, { ...model.config, nonlinearity: cell === 'rnn' ? 'relu' : 'tanh' });
    const sd = model.stateDict(), got = back.stateDict();
    assert.deepEqual(Object.keys(got).sort(), Object.keys(sd).sort());
    for (const k of Object.keys(sd)) assert.deepEqual(Array.from(got[k].data), Array.from(sd[k].data), k);
  }
});
