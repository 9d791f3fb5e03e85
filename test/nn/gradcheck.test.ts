import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LSTM, GRU, RNN, LSTMCell, GRUCell, RNNCell, OneHot } from '../../src/nn/index.js';
import { Tensor, mul, sum, add, manualSeed } from '../../src/tensor/index.js';
import { gradCheck, randTensor, projection } from '../helpers/gradcheck.js';

type Kind = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';

function layer(kind: Kind, o: { layers: number; bi: boolean; bf: boolean; bias: boolean }) {
  const opts = { inputSize: 3, hiddenSize: 4, numLayers: o.layers, bidirectional: o.bi, batchFirst: o.bf, bias: o.bias };
  return kind === 'lstm' ? new LSTM(opts) : kind === 'gru' ? new GRU(opts) : new RNN({ ...opts, nonlinearity: kind === 'rnn_relu' ? 'relu' : 'tanh' });
}

for (const kind of ['rnn_tanh', 'rnn_relu', 'lstm', 'gru'] as Kind[]) {
  for (const [layers, bi, bf, bias, state] of [[1, false, false, true, false], [2, true, false, true, true], [2, false, true, false, true], [3, true, true, true, false]] as const) {
    const name = `${kind}, ${layers} layer(s), ${bi ? 'bidirectional' : 'one direction'}, ${bf ? 'batch-first' : 'time-major'}, ${bias ? 'bias' : 'no bias'}, ${state ? 'with' : 'without'} initial state`;
    test(`gradients of ${name} match central differences`, () => {
      manualSeed(7);
      const m = layer(kind, { layers, bi, bf, bias });
      const D = bi ? 2 : 1;
      const x = randTensor(bf ? [2, 5, 3] : [5, 2, 3], 1);
      const h0 = randTensor([layers * D, 2, 4], 2, 0.5), c0 = randTensor([layers * D, 2, 4], 3, 0.5);
      const P = projection(bf ? [2, 5, 4 * D] : [5, 2, 4 * D], 4), Ph = projection([layers * D, 2, 4], 5), Pc = projection([layers * D, 2, 4], 6);
      const loss = () => {
        const r = m instanceof LSTM ? m.forward(x, state ? { h: h0, c: c0 } : null) : (m as GRU).forward(x, state ? h0 : null);
        let l = add(sum(mul(r.output, P)), sum(mul(r.h, Ph)));
        if (r.c) l = add(l, sum(mul(r.c, Pc)));
        return l;
      };
      const wrt = [x, ...(state ? [h0, ...(kind === 'lstm' ? [c0] : [])] : []), ...m.parameters()];
      const r = gradCheck(loss, wrt, { eps: 1e-2, skipKinks: kind === 'rnn_relu' });
      assert.ok(r.worst < 1e-2, r.where);
      assert.ok(r.skipped <= r.checked / 10, `${r.skipped} points skipped as kinks, ${r.checked} checked`);
    });
  }
}

test('gradients of the one-step cells match central differences', () => {
  manualSeed(8);
  for (const cell of [new RNNCell(3, 4), new RNNCell(3, 4, { nonlinearity: 'relu' }), new LSTMCell(3, 4), new GRUCell(3, 4, { bias: false })]) {
    const x = randTensor([2, 3], 9), h = randTensor([2, 4], 10, 0.5), c = randTensor([2, 4], 11, 0.5);
    const P = projection([2, 4], 12);
    const loss = () => {
      if (cell instanceof LSTMCell) { const s = cell.forward(x, { h, c }); return add(sum(mul(s.h, P)), sum(mul(s.c, P))); }
      return sum(mul((cell as GRUCell).forward(x, h), P));
    };
    const r = gradCheck(loss, [x, h, ...(cell instanceof LSTMCell ? [c] : []), ...cell.parameters()], { skipKinks: cell.kind === 'rnn_relu' });
    assert.ok(r.worst < 1e-2, `${cell.constructor.name}: ${r.where}`);
  }
});

test('gradients through one-hot input match central differences', () => {
  manualSeed(9);
  const m = new LSTM({ inputSize: 5, hiddenSize: 4, numLayers: 2 });
  const x = new OneHot([0, 4, 2, 2, 1, 3], [3, 2], 5);
  const P = projection([3, 2, 4], 13);
  const r = gradCheck(() => sum(mul(m.forward(x).output, P)), m.parameters());
  assert.ok(r.worst < 1e-2, r.where);
  void Tensor;
});
