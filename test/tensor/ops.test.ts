import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Tensor, add, sub, mul, scale, tanh, sigmoid, relu, sum, mean, matmul, linear, linearOneHot, reshape, transpose01,
  concatLast, stack, select, embedding, crossEntropy, dropout, Generator, noGrad,
} from '../../src/tensor/index.js';
import { gradCheck, randTensor, projection } from '../helpers/gradcheck.js';

/** Σ f(...) ⊙ P for a fixed P, so every output element gets its own weight in the check. */
function weighted(f: () => Tensor, seed = 99): () => Tensor {
  let P: Tensor | null = null;
  return () => {
    const y = f();
    P ??= projection(y.shape, seed);
    return sum(mul(y, P));
  };
}

const cases: [string, (a: Tensor, b: Tensor) => Tensor][] = [
  ['add', add], ['sub', sub], ['mul', mul], ['scale', (a) => scale(a, -1.7)],
  ['tanh', (a) => tanh(a)], ['sigmoid', (a) => sigmoid(a)], ['relu', (a) => relu(a)],
  ['mean', (a) => mean(a)], ['reshape', (a) => reshape(a, [3, -1])], ['transpose01', (a) => transpose01(reshape(a, [2, 3, 2]))],
  ['concatLast', (a, b) => concatLast([a, b, a])], ['stack', (a, b) => stack([a, b])], ['select', (a) => select(a, 2)],
];

for (const [name, f] of cases) {
  test(`gradient of ${name} matches central differences`, () => {
    const a = randTensor([4, 3], 1), b = randTensor([4, 3], 2);
    const r = gradCheck(weighted(() => f(a, b)), [a, b]);
    assert.ok(r.worst < 1e-2, r.where);
  });
}

test('gradients of matmul and linear (with and without bias) match central differences', () => {
  const a = randTensor([3, 4], 3), b = randTensor([4, 5], 4);
  assert.ok(gradCheck(weighted(() => matmul(a, b)), [a, b]).worst < 1e-2);
  const x = randTensor([2, 3, 4], 5), w = randTensor([6, 4], 6), bias = randTensor([6], 7);
  assert.ok(gradCheck(weighted(() => linear(x, w, bias)), [x, w, bias]).worst < 1e-2);
  assert.ok(gradCheck(weighted(() => linear(x, w)), [x, w]).worst < 1e-2);
});

test('linearOneHot equals linear on the explicit one-hot matrix, values and gradients', () => {
  const ids = Int32Array.from([2, 0, 4, 4, 1, 3]);
  const w = randTensor([5, 5], 8), b = randTensor([5], 9);
  const hot = Tensor.zeros([3, 2, 5]);
  ids.forEach((id, r) => { hot.data[r * 5 + id] = 1; });
  const P = projection([3, 2, 5], 10);
  const l1 = sum(mul(linearOneHot(ids, [3, 2], w, b), P));
  l1.backward();
  const gw1 = Float32Array.from(w.grad!.data), gb1 = Float32Array.from(b.grad!.data);
  w.grad = null; b.grad = null;
  const l2 = sum(mul(linear(hot, w, b), P));
  l2.backward();
  assert.ok(Math.abs(l1.item() - l2.item()) < 1e-5);
  gw1.forEach((v, i) => assert.ok(Math.abs(v - w.grad!.data[i]) < 1e-5));
  gb1.forEach((v, i) => assert.ok(Math.abs(v - b.grad!.data[i]) < 1e-5));
});

test('gradient of embedding accumulates repeated ids', () => {
  const w = randTensor([5, 3], 11);
  const r = gradCheck(weighted(() => embedding(w, [1, 3, 1, 0], [2, 2])), [w]);
  assert.ok(r.worst < 1e-2, r.where);
});

test('crossEntropy: value, gradient, ignoreIndex and sum reduction', () => {
  const logits = randTensor([4, 6], 12, 3);
  const y = [1, 5, -100, 0];
  const r = gradCheck(() => crossEntropy(logits, y), [logits]);
  assert.ok(r.worst < 1e-2, r.where);
  // the value by hand for the rows kept
  let expect = 0;
  for (const row of [0, 1, 3]) {
    const x = Array.from(logits.data.subarray(row * 6, row * 6 + 6));
    const lse = Math.log(x.reduce((s, v) => s + Math.exp(v), 0));
    expect += lse - x[y[row]];
  }
  assert.ok(Math.abs(crossEntropy(logits, y).item() - expect / 3) < 1e-5);
  assert.ok(Math.abs(crossEntropy(logits, y, { reduction: 'sum' }).item() - expect) < 1e-4);
  assert.equal(crossEntropy(logits, [-100, -100, -100, -100]).item(), 0);
});

test('crossEntropy with label smoothing: PyTorch\'s definition, its gradient, and ε = 0 is the plain loss', () => {
  const logits = randTensor([4, 6], 14, 3);
  const y = [2, -100, 5, 0], eps = 0.2;
  const r = gradCheck(() => crossEntropy(logits, y, { labelSmoothing: eps }), [logits]);
  assert.ok(r.worst < 1e-2, r.where);
  let expect = 0;
  for (const row of [0, 2, 3]) {
    const x = Array.from(logits.data.subarray(row * 6, row * 6 + 6));
    const lse = Math.log(x.reduce((s, v) => s + Math.exp(v), 0));
    // target (1 − ε)·onehot + ε/C: −Σ_j target_j · log p_j
    expect += x.reduce((s, v, j) => s + ((j === y[row] ? 1 - eps : 0) + eps / 6) * (lse - v), 0);
  }
  assert.ok(Math.abs(crossEntropy(logits, y, { labelSmoothing: eps }).item() - expect / 3) < 1e-5);
  assert.ok(Math.abs(crossEntropy(logits, y, { labelSmoothing: eps, reduction: 'sum' }).item() - expect) < 1e-4);
  assert.equal(crossEntropy(logits, y, { labelSmoothing: 0 }).item(), crossEntropy(logits, y).item());
  assert.throws(() => crossEntropy(logits, y, { labelSmoothing: 1 }), /labelSmoothing must be in \[0, 1\), got 1/);
});

test('dropout: drops about p, scales survivors, is the identity in eval mode, and repeats with the seed', () => {
  const x = Tensor.ones([10000]);
  const y = dropout(x, 0.3, true, new Generator(5));
  const zeros = y.data.filter((v) => v === 0).length;
  assert.ok(Math.abs(zeros / 10000 - 0.3) < 0.02, `dropped ${zeros}`);
  assert.ok(y.data.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6));
  assert.equal(dropout(x, 0.3, false), x);
  assert.deepEqual(dropout(x, 0.3, true, new Generator(5)).data, y.data);
  const a = randTensor([20], 13);
  const r = gradCheck(() => { const g = new Generator(3); return sum(mul(dropout(a, 0.5, true, g), projection([20], 2))); }, [a]);
  assert.ok(r.worst < 1e-2, r.where);
});

test('shape errors name both shapes and never broadcast', () => {
  const a = Tensor.zeros([2, 3]), b = Tensor.zeros([3, 2]);
  assert.throws(() => add(a, b), /add: shapes \[2, 3\] and \[3, 2\] differ/);
  assert.throws(() => matmul(a, a), /cannot multiply \[2, 3\] by \[2, 3\]/);
  assert.throws(() => linear(a, Tensor.zeros([4, 2])), /does not end in 2 features/);
  assert.throws(() => reshape(a, [4, 2]), /cannot view \[2, 3\]/);
  assert.throws(() => crossEntropy(a, [0, 3]), /id 3 at position 1 is out of range \[0, 3\)/);
  assert.throws(() => crossEntropy(a, [0]), /1 targets for 2 rows/);
  assert.throws(() => embedding(a, [0, 2]), /id 2 at position 1/);
});

test('wrong dtypes are refused with the type named', () => {
  assert.throws(() => new Tensor(new Float64Array(3) as unknown as Float32Array, [3]), /must be a Float32Array, got Float64Array/);
  assert.throws(() => Tensor.from(new Int32Array(2) as unknown as number[]), /expects a Float32Array or an array of numbers, got Int32Array/);
  assert.throws(() => Tensor.from([1, 'a' as unknown as number]), /element 1 is string/);
  assert.throws(() => Tensor.from([1, 2, 3], [2, 2]), /needs 4 values, got 3/);
});

test('backward: needs a scalar or a gradient, accumulates into leaves, and noGrad records nothing', () => {
  const a = randTensor([3], 14);
  assert.throws(() => tanh(a).backward(), /needs a scalar/);
  sum(a).backward();
  sum(a).backward();
  assert.deepEqual(Array.from(a.grad!.data), [2, 2, 2]);
  const y = noGrad(() => tanh(a));
  assert.equal(y.requiresGrad, false);
  assert.throws(() => sum(y).backward(), /does not require grad/);
});
