import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LSTM, GRU, RNN } from '../../src/nn/index.js';
import { Tensor, mul, sum, add, manualSeed } from '../../src/tensor/index.js';
import { gradCheck, randTensor, projection } from '../helpers/gradcheck.js';

for (const [name, make] of [['lstm', () => new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true })],
  ['gru', () => new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true })],
  ['rnn', () => new RNN({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true })]] as const) {
  test(name, () => {
    manualSeed(1);
    const m = make();
    const x = randTensor([5, 2, 3], 7);
    const h0 = randTensor([4, 2, 4], 9, 0.5);
    const c0 = randTensor([4, 2, 4], 11, 0.5);
    const P = projection([5, 2, 8], 3), Ph = projection([4, 2, 4], 5), Pc = projection([4,2,4], 13);
    const loss = () => {
      const r = name === 'lstm' ? (m as LSTM).forward(x, { h: h0, c: c0 }) : (m as GRU).forward(x, h0);
      let l = add(sum(mul(r.output, P)), sum(mul(r.h, Ph)));
      if (r.c) l = add(l, sum(mul(r.c, Pc)));
      return l;
    };
    const res = gradCheck(loss, [x, h0, ...(name === 'lstm' ? [c0] : []), ...m.parameters()], { eps: 1e-2 });
    assert.ok(res.worst < 2e-2, res.where);
  });
}
