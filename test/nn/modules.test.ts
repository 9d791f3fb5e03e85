import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RNN, LSTM, GRU, LSTMCell, GRUCell, RNNCell, Linear, Embedding, Sequential, OneHot, Module } from '../../src/nn/index.js';
import { Tensor, manualSeed, tanh, sum, mul, select, reshape } from '../../src/tensor/index.js';
import { randTensor, projection } from '../helpers/gradcheck.js';

test('parameter names and shapes are PyTorch\'s', () => {
  const lstm = new LSTM({ inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true });
  const shapes = Object.fromEntries(lstm.namedParameters().map(([n, p]) => [n, p.shape.join('x')]));
  assert.deepEqual(shapes, {
    weight_ih_l0: '20x3', weight_hh_l0: '20x5', bias_ih_l0: '20', bias_hh_l0: '20',
    weight_ih_l0_reverse: '20x3', weight_hh_l0_reverse: '20x5', bias_ih_l0_reverse: '20', bias_hh_l0_reverse: '20',
    weight_ih_l1: '20x10', weight_hh_l1: '20x5', bias_ih_l1: '20', bias_hh_l1: '20',
    weight_ih_l1_reverse: '20x10', weight_hh_l1_reverse: '20x5', bias_ih_l1_reverse: '20', bias_hh_l1_reverse: '20',
  });
  const gru = new GRU({ inputSize: 2, hiddenSize: 3, bias: false });
  assert.deepEqual(Object.keys(gru.stateDict()), ['weight_ih_l0', 'weight_hh_l0']);
  assert.deepEqual(gru.stateDict().weight_ih_l0.shape, [9, 2]);
  assert.deepEqual(new RNNCell(2, 3).stateDict().weight_hh.shape, [3, 3]);
});

test('initialization is U(±1/√H) and repeats with the seed', () => {
  manualSeed(42);
  const a = new LSTM({ inputSize: 3, hiddenSize: 16 });
  manualSeed(42);
  const b = new LSTM({ inputSize: 3, hiddenSize: 16 });
  for (const [n, p] of a.namedParameters()) assert.deepEqual(p.data, b.stateDict()[n].data);
  const all = a.parameters().flatMap((p) => Array.from(p.data));
  assert.ok(all.every((v) => Math.abs(v) <= 0.25));
  assert.ok(Math.max(...all) > 0.24 && Math.min(...all) < -0.24);
});

test('output shapes are PyTorch\'s, batch-first included', () => {
  const x = randTensor([7, 2, 3], 1, 1, false);
  const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 3, bidirectional: true });
  const r = lstm.forward(x);
  assert.deepEqual([r.output.shape, r.h.shape, r.c.shape], [[7, 2, 8], [6, 2, 4], [6, 2, 4]]);
  const bf = new GRU({ inputSize: 3, hiddenSize: 4, batchFirst: true });
  const g = bf.forward(randTensor([2, 7, 3], 2, 1, false));
  assert.deepEqual([g.output.shape, g.h.shape], [[2, 7, 4], [1, 2, 4]]);
});

test('batch-first gives the same numbers as time-major', () => {
  manualSeed(3);
  const tm = new LSTM({ inputSize: 3, hiddenSize: 4 });
  const bf = new LSTM({ inputSize: 3, hiddenSize: 4, batchFirst: true });
  bf.loadStateDict(tm.stateDict());
  const x = randTensor([5, 2, 3], 4, 1, false);
  const xb = Tensor.zeros([2, 5, 3]);
  for (let t = 0; t < 5; t++) for (let b = 0; b < 2; b++) xb.data.set(x.data.subarray((t * 2 + b) * 3, (t * 2 + b) * 3 + 3), (b * 5 + t) * 3);
  const a = tm.forward(x), c = bf.forward(xb);
  assert.deepEqual(a.h.data, c.h.data);
  for (let t = 0; t < 5; t++) for (let b = 0; b < 2; b++) {
    for (let j = 0; j < 4; j++) assert.equal(a.output.data[(t * 2 + b) * 4 + j], c.output.data[(b * 5 + t) * 4 + j]);
  }
});

test('a cell stepped T times equals the layer over T steps', () => {
  for (const kind of ['rnn', 'lstm', 'gru'] as const) {
    manualSeed(5);
    const layer = kind === 'lstm' ? new LSTM({ inputSize: 3, hiddenSize: 4 }) : kind === 'gru' ? new GRU({ inputSize: 3, hiddenSize: 4 }) : new RNN({ inputSize: 3, hiddenSize: 4 });
    const cell = kind === 'lstm' ? new LSTMCell(3, 4) : kind === 'gru' ? new GRUCell(3, 4) : new RNNCell(3, 4);
    cell.loadStateDict(Object.fromEntries(Object.entries(layer.stateDict()).map(([n, p]) => [n.replace('_l0', ''), p])));
    const x = randTensor([6, 2, 3], 6, 1, false);
    const full = layer.forward(x);
    let h: Tensor | null = null, c: Tensor | null = null;
    for (let t = 0; t < 6; t++) {
      const xt = select(x, t);
      if (cell instanceof LSTMCell) { const s = cell.forward(xt, h && c ? { h, c } : null); h = s.h; c = s.c; }
      else h = (cell as GRUCell).forward(xt, h);
    }
    assert.deepEqual(h!.data, select(full.h, 0).data, kind);
  }
});

test('one-hot ids give the same output and gradients as a dense one-hot input', () => {
  manualSeed(6);
  const lstm = new LSTM({ inputSize: 5, hiddenSize: 4, batchFirst: true });
  const ids = [0, 4, 2, 2, 1, 3];
  const dense = Tensor.zeros([2, 3, 5]);
  ids.forEach((id, r) => { dense.data[r * 5 + id] = 1; });
  const P = projection([2, 3, 4], 7);
  sum(mul(lstm.forward(new OneHot(ids, [2, 3], 5)).output, P)).backward();
  const g1 = lstm.parameters().map((p) => Float32Array.from(p.grad!.data));
  lstm.zeroGrad();
  sum(mul(lstm.forward(dense).output, P)).backward();
  lstm.parameters().forEach((p, k) => p.grad!.data.forEach((v, i) => assert.ok(Math.abs(v - g1[k][i]) < 1e-6)));
});

test('loadStateDict names every missing, extra and mis-shaped tensor and changes nothing', () => {
  const m = new GRU({ inputSize: 2, hiddenSize: 3 });
  const before = m.parameters().map((p) => Float32Array.from(p.data));
  const sd = { ...m.stateDict() };
  delete (sd as Record<string, Tensor>).bias_hh_l0;
  sd.weight_ih_l0 = Tensor.zeros([9, 4]);
  (sd as Record<string, Tensor>).weight_ih_l1 = Tensor.zeros([1]);
  assert.throws(() => m.loadStateDict(sd), (e: Error) => {
    assert.match(e.message, /missing 'bias_hh_l0' \(expected shape \[9\]\)/);
    assert.match(e.message, /'weight_ih_l0' has shape \[9, 4\], expected \[9, 2\]/);
    assert.match(e.message, /unexpected 'weight_ih_l1'/);
    return true;
  });
  m.parameters().forEach((p, i) => assert.deepEqual(p.data, before[i]));
});

test('bad input to recurrent layers gets a message naming the tensor, the expected and the found', () => {
  const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2 });
  assert.throws(() => lstm.forward(Tensor.zeros([5, 3])), /LSTM input must be \[T, B, I\] with I = 3 \(time-major; pass batchFirst: true for \[B, T, I\]\), got \[5, 3\]/);
  assert.throws(() => lstm.forward(Tensor.zeros([5, 2, 4])), /got \[5, 2, 4\]/);
  const nan = Tensor.zeros([5, 2, 3]);
  nan.data[7] = NaN;
  assert.throws(() => lstm.forward(nan), /LSTM input contains NaN at flat index 7/);
  assert.throws(() => lstm.forward(Tensor.zeros([5, 2, 3]), { h: Tensor.zeros([1, 2, 4]), c: Tensor.zeros([2, 2, 4]) }), /LSTM h0 must be \[2, 2, 4\] \(layers·directions, batch, hidden\), got \[1, 2, 4\]/);
  assert.throws(() => lstm.forward(Tensor.zeros([5, 2, 3]), Tensor.zeros([2, 2, 4]) as never), /needs both h and c/);
  assert.throws(() => new GRU({ inputSize: 3, hiddenSize: 4 }).forward([1, 2, 3] as never), /GRU input must be a Tensor, got Array/);
  assert.throws(() => new RNN({ inputSize: 0, hiddenSize: 4 }), /inputSize must be a positive integer, got 0/);
  assert.throws(() => new RNN({ inputSize: 2, hiddenSize: 4, nonlinearity: 'sigmoid' as never }), /nonlinearity must be 'tanh' or 'relu'/);
  assert.throws(() => new LSTMCell(3, 4).forward(Tensor.zeros([2, 5])), /LSTMCell input must be \[B, 3\], got \[2, 5\]/);
});

test('modules compose: Sequential and subclasses get dotted names; eval() reaches children', () => {
  class Net extends Module {
    rnn = this.registerModule('rnn', new RNN({ inputSize: 2, hiddenSize: 3, dropout: 0.5, numLayers: 2 }));
    head = this.registerModule('head', new Sequential(new Linear(3, 4), new Linear(4, 2)));
    forward(x: Tensor): Tensor { return this.head.forward(this.rnn.forward(x).output); }
  }
  const net = new Net();
  assert.deepEqual(net.namedParameters().map(([n]) => n).slice(-4), ['head.0.weight', 'head.0.bias', 'head.1.weight', 'head.1.bias']);
  assert.ok(net.namedParameters().some(([n]) => n === 'rnn.weight_hh_l1'));
  net.eval();
  assert.equal(net.rnn.training, false);
  const x = randTensor([4, 1, 2], 9, 1, false);
  assert.deepEqual(net.forward(x).data, net.forward(x).data); // no dropout in eval mode
  assert.deepEqual(net.forward(x).shape, [4, 1, 2]);
  const emb = new Embedding(10, 3);
  assert.deepEqual(emb.forward([1, 2, 3, 4], [2, 2]).shape, [2, 2, 3]);
  void tanh; void reshape;
});
