import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addEveryStep, sum, mul, Tensor } from '../../src/tensor/index.js';
import { gradCheck, randTensor, projection } from '../helpers/gradcheck.js';

test('addEveryStep adds v [B, D] to every step of x [T, B, D]', () => {
  const x = Tensor.from([[[1, 2], [3, 4]], [[5, 6], [7, 8]], [[9, 10], [11, 12]]]);
  const v = Tensor.from([[100, 200], [300, 400]]);
  assert.deepEqual(addEveryStep(x, v).toArray(), [101, 202, 303, 404, 105, 206, 307, 408, 109, 210, 311, 412]);
  assert.deepEqual(x.toArray().slice(0, 2), [1, 2], 'x is left as it was');
});

test('gradient of addEveryStep matches central differences (v gets the sum over steps)', () => {
  const x = randTensor([4, 3, 5], 1), v = randTensor([3, 5], 2);
  const P = projection([4, 3, 5], 3);
  const r = gradCheck(() => sum(mul(addEveryStep(x, v), P)), [x, v]);
  assert.ok(r.worst < 1e-2, r.where);
});

test('addEveryStep refuses shapes that do not fit, naming both', () => {
  assert.throws(() => addEveryStep(Tensor.zeros([2, 3, 4]), Tensor.zeros([3, 5])), /expected x \[T, B, D\] and v \[B, D\], got \[2, 3, 4\] and \[3, 5\]/);
  assert.throws(() => addEveryStep(Tensor.zeros([3, 4]), Tensor.zeros([3, 4])), /got \[3, 4\] and \[3, 4\]/);
});
