import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LSTM, GRU, RNN, OneHot, type AnyRecurrent } from '../../src/nn/index.js';
import { Tensor, mul, sum, add, manualSeed, indexSelect, noGrad } from '../../src/tensor/index.js';
import { DataError } from '../../src/errors.js';
import { gradCheck, randTensor, projection } from '../helpers/gradcheck.js';

/*
 * Variable-length batches (RunOptions.lengths): every row of a padded batch must compute what that
 * sequence computes alone, cut to its length; the output is zero past each end; gradients match central
 * differences; bad lengths get one typed error. PyTorch parity is test/nn/packed_parity.test.ts.
 */

type Kind = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';
const KINDS: Kind[] = ['rnn_tanh', 'rnn_relu', 'lstm', 'gru'];

function layer(kind: Kind, o: { layers: number; bi: boolean; bf?: boolean }): AnyRecurrent {
  const opts = { inputSize: 3, hiddenSize: 4, numLayers: o.layers, bidirectional: o.bi, batchFirst: o.bf ?? false };
  return kind === 'lstm' ? new LSTM(opts) : kind === 'gru' ? new GRU(opts) : new RNN({ ...opts, nonlinearity: kind === 'rnn_relu' ? 'relu' : 'tanh' });
}

function run(m: AnyRecurrent, x: Tensor, h0: Tensor | null, c0: Tensor | null, lengths?: number[]) {
  const opts = lengths ? { lengths } : undefined;
  if (m instanceof LSTM) return m.forward(x, h0 && c0 ? { h: h0, c: c0 } : null, opts);
  return m.forward(x, h0, opts);
}

/** The rows of a [T, B, F] tensor: row b cut to its first `len` steps, as [len, 1, F]. */
function row(x: Tensor, b: number, len: number): Tensor {
  const [, B, F] = x.shape;
  const out = Tensor.zeros([len, 1, F]);
  for (let t = 0; t < len; t++) out.data.set(x.data.subarray((t * B + b) * F, (t * B + b + 1) * F), t * F);
  return out;
}

function close(a: Float32Array, b: Float32Array, what: string, tol = 1e-6): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

for (const kind of KINDS) {
  test(`${kind}, 2 layers, bidirectional: each row of a batch with lengths computes what its sequence computes alone`, () => {
    manualSeed(11);
    const m = layer(kind, { layers: 2, bi: true });
    const T = 5, B = 4, H = 4, S = 4, lengths = [2, 5, 1, 5];
    const x = randTensor([T, B, 3], 1, 1, false);
    const h0 = randTensor([S, B, H], 2, 0.5, false), c0 = randTensor([S, B, H], 3, 0.5, false);
    const r = noGrad(() => run(m, x, h0, kind === 'lstm' ? c0 : null, lengths));
    assert.deepEqual(r.output.shape, [T, B, 2 * H]);
    for (let b = 0; b < B; b++) {
      const len = lengths[b];
      const alone = noGrad(() => run(m, row(x, b, len), reshapeState(h0, b), kind === 'lstm' ? reshapeState(c0, b) : null));
      close(row(r.output, b, len).data, alone.output.data, `row ${b} output`);
      const past = r.output.data.filter((_, i) => Math.floor(i / (B * 2 * H)) >= len && Math.floor(i / (2 * H)) % B === b);
      assert.ok(past.every((v) => v === 0), `row ${b}: output past its end is zero`);
      close(reshapeState(r.h, b).data, alone.h.data, `row ${b} h`);
      if (r.c) close(reshapeState(r.c, b).data, alone.c!.data, `row ${b} c`);
    }
  });
}

/** Row b of a state [S, B, H], as [S, 1, H]. */
function reshapeState(s: Tensor, b: number): Tensor {
  const [S, B, H] = s.shape;
  const out = Tensor.zeros([S, 1, H]);
  for (let k = 0; k < S; k++) out.data.set(s.data.subarray((k * B + b) * H, (k * B + b + 1) * H), k * H);
  return out;
}

test('lengths all T give the same numbers as no lengths, bit for bit', () => {
  manualSeed(12);
  const m = layer('lstm', { layers: 2, bi: true, bf: true });
  const x = randTensor([3, 6, 3], 4, 1, false);
  const a = noGrad(() => run(m, x, null, null));
  const b = noGrad(() => run(m, x, null, null, [6, 6, 6]));
  assert.deepEqual([...b.output.data], [...a.output.data]);
  assert.deepEqual([...b.h.data], [...a.h.data]);
  assert.deepEqual([...b.c!.data], [...a.c!.data]);
});

test('one-hot input with unsorted lengths matches the same ids as dense one-hot vectors', () => {
  manualSeed(13);
  const m = new GRU({ inputSize: 5, hiddenSize: 4, bidirectional: true, batchFirst: true });
  const ids = [0, 3, 1, 4, 2, 2, 1, 0, 4, 3, 3, 0];
  const dense = Tensor.zeros([3, 4, 5]);
  ids.forEach((v, i) => { dense.data[i * 5 + v] = 1; });
  const a = noGrad(() => m.forward(new OneHot(ids, [3, 4], 5), null, { lengths: [2, 4, 1] }));
  const b = noGrad(() => m.forward(dense, null, { lengths: [2, 4, 1] }));
  close(a.output.data, b.output.data, 'output', 1e-6);
  close(a.h.data, b.h.data, 'h', 1e-6);
});

for (const kind of KINDS) {
  test(`gradients of ${kind}, 2 layers, bidirectional, with unsorted lengths match central differences`, () => {
    manualSeed(14);
    const m = layer(kind, { layers: 2, bi: true });
    const T = 4, B = 3, lengths = [2, 4, 1];
    const x = randTensor([T, B, 3], 5);
    const h0 = randTensor([4, B, 4], 6, 0.5), c0 = randTensor([4, B, 4], 7, 0.5);
    const P = projection([T, B, 8], 8), Ph = projection([4, B, 4], 9), Pc = projection([4, B, 4], 10);
    const loss = () => {
      const r = run(m, x, h0, kind === 'lstm' ? c0 : null, lengths);
      let l = add(sum(mul(r.output, P)), sum(mul(r.h, Ph)));
      if (r.c) l = add(l, sum(mul(r.c, Pc)));
      return l;
    };
    const wrt = [x, h0, ...(kind === 'lstm' ? [c0] : []), ...m.parameters()];
    const r = gradCheck(loss, wrt, { eps: 1e-2, skipKinks: kind === 'rnn_relu' });
    assert.ok(r.worst < 1e-2, r.where);
    assert.ok(r.skipped <= r.checked / 10, `${r.skipped} points skipped as kinks, ${r.checked} checked`);
    // x past each sequence's end reaches nothing
    const gx = x.grad!.data;
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) {
      if (t >= lengths[b]) for (let j = 0; j < 3; j++) assert.equal(gx[(t * B + b) * 3 + j], 0, `grad of x[${t}, ${b}] past the end`);
    }
  });
}

test('indexSelect picks slices along a dimension and adds the gradient back, repeats included', () => {
  const a = Tensor.from([[1, 2], [3, 4], [5, 6]], undefined, true);
  const out = indexSelect(a, 0, [2, 0, 2]);
  assert.deepEqual([...out.data], [5, 6, 1, 2, 5, 6]);
  sum(mul(out, Tensor.from([[1, 1], [2, 2], [3, 3]]))).backward();
  assert.deepEqual([...a.grad!.data], [2, 2, 0, 0, 4, 4]);
  const b = Tensor.from([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual([...indexSelect(b, 1, [2, 1]).data], [3, 2, 6, 5]);
  assert.throws(() => indexSelect(b, 1, [3]), /index 3 is out of range/);
  assert.throws(() => indexSelect(b, 2, [0]), /dimension 2 is out of range/);
});

test('bad lengths get one typed error naming the argument, what was expected and what was found', () => {
  const m = new LSTM({ inputSize: 3, hiddenSize: 4 });
  const x = randTensor([5, 3, 3], 1, 1, false);
  const cases: [unknown, RegExp][] = [
    [[0, 2, 3], /LSTM lengths\[0\] must be an integer in 1 … 5 \(the sequence length T\), got 0$/],
    [[2, 6, 3], /lengths\[1\] must be an integer in 1 … 5 .*got 6$/],
    [[2, 2.5, 3], /lengths\[1\] .*got 2\.5$/],
    [[2, NaN, 3], /lengths\[1\] .*got NaN$/],
    [[2, '3', 3], /lengths\[1\] .*got the string "3"$/],
    [[2, 3], /one length per batch row \(3\), got 2$/],
    [new Float32Array([1, 2, 3]), /must be an array or Int32Array of 3 integers .*got Float32Array$/],
    [5, /got 5$/],
  ];
  for (const [lengths, msg] of cases) {
    assert.throws(() => m.forward(x, null, { lengths: lengths as number[] }), (e: Error) => e instanceof DataError && msg.test(e.message) && !e.message.includes('\n'),
      `lengths ${String(lengths)}`);
  }
  assert.throws(() => m.forward(x, null, { lengths: [2, 3, 1], enforceSorted: true }),
    (e: Error) => e instanceof DataError && /sorted longest first with enforceSorted, got 2 then 3 at rows 0 and 1/.test(e.message));
  assert.doesNotThrow(() => m.forward(x, null, { lengths: new Int32Array([5, 3, 3]), enforceSorted: true }));
});

test('a term added at every step follows its row through the sort', () => {
  manualSeed(15);
  const m = new LSTM({ inputSize: 3, hiddenSize: 4 });
  const T = 4, B = 3, lengths = [1, 4, 2];
  const x = randTensor([T, B, 3], 1, 1, false), e = randTensor([B, 16], 2, 1, false);
  const r = noGrad(() => m.forward(x, null, { lengths, everyStep: e }));
  for (let b = 0; b < B; b++) {
    const eb = Tensor.from(e.data.slice(b * 16, (b + 1) * 16), [1, 16]);
    const alone = noGrad(() => m.forward(row(x, b, lengths[b]), null, { everyStep: eb }));
    close(reshapeState(r.h, b).data, alone.h.data, `row ${b} h`);
    close(reshapeState(r.c, b).data, alone.c.data, `row ${b} c`);
  }
});

test('with dropout between layers, the output is still zero past each end and h is each row\'s own', () => {
  manualSeed(16);
  const m = new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, dropout: 0.5, bidirectional: true });
  const T = 5, B = 3, lengths = [5, 2, 3];
  const x = randTensor([T, B, 3], 3);
  const r = m.forward(x, null, { lengths });
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) {
    const at = r.output.data.subarray((t * B + b) * 8, (t * B + b + 1) * 8);
    if (t >= lengths[b]) assert.ok(at.every((v) => v === 0), `output[${t}, ${b}] past the end`);
  }
  sum(r.output).backward();
  assert.ok(x.grad!.data.some((v) => v !== 0));
  m.eval();
  const a = noGrad(() => m.forward(x, null, { lengths }));
  const alone = noGrad(() => m.forward(row(x, 1, 2)));
  close(reshapeState(a.h, 1).data, alone.h.data, 'row 1 h in eval mode');
});
