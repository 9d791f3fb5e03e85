import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SGD, Adagrad, RMSprop, Adam, AdamW } from '../../src/optim/index.js';
import { Tensor } from '../../src/tensor/index.js';
import { freshParams, setGrads } from './fixture.js';

test('defaults are PyTorch 1.13\'s', () => {
  const p = [Tensor.zeros([2], true)];
  assert.deepEqual(new SGD(p, { lr: 0.1 }).options, { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 });
  assert.deepEqual(new Adagrad(p).options, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 });
  assert.deepEqual(new RMSprop(p).options, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false });
  assert.deepEqual(new Adam(p).options, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
  assert.deepEqual(new AdamW(p).options, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2 });
});

test('bad hyper-parameters are refused with the option and value named', () => {
  const p = [Tensor.zeros([2], true)];
  assert.throws(() => new SGD(p, { lr: -0.1 }), /^Error: SGD: lr must be a finite number >= 0, got -0.1$/);
  assert.throws(() => new SGD(p, {} as never), /SGD: lr is required/);
  assert.throws(() => new SGD(p, { lr: 0.1, nesterov: true }), /SGD: nesterov needs momentum > 0 and dampening 0/);
  assert.throws(() => new SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), /dampening 0.1/);
  assert.throws(() => new SGD(p, { lr: 0.1, weight_decay: 0.1 } as never), /SGD: unknown option 'weight_decay'; known options are lr, momentum/);
  assert.throws(() => new Adam(p, { lr: NaN }), /Adam: lr must be a finite number >= 0, got NaN/);
  assert.throws(() => new Adam(p, { betas: [0.9, 1] }), /Adam: betas\[1\] must be a finite number >= 0 and < 1, got 1/);
  assert.throws(() => new AdamW(p, { betas: [0.9] as never }), /AdamW: betas must be a pair/);
  assert.throws(() => new AdamW(p, { weightDecay: -1 }), /AdamW: weightDecay must be a finite number >= 0, got -1/);
  assert.throws(() => new Adagrad(p, { eps: -1e-10 }), /Adagrad: eps must be/);
  assert.throws(() => new RMSprop(p, { centered: 1 as never }), /RMSprop: centered must be true or false, got 1/);
  const opt = new Adam(p);
  assert.throws(() => { opt.lr = -1; }, /Adam: lr must be a finite number >= 0, got -1/);
  assert.equal(opt.lr, 1e-3);
  opt.lr = 0.5;
  assert.equal(opt.lr, 0.5);
  assert.equal(opt.stateDict().hyper.lr, 0.5);
});

test('bad parameter lists are refused', () => {
  const t = Tensor.zeros([2], true);
  assert.throws(() => new Adam([]), /Adam: got an empty parameter list/);
  assert.throws(() => new Adam([t, t]), /parameter 1 is the same tensor as parameter 0/);
  assert.throws(() => new Adam([['a', t], ['a', Tensor.zeros([1], true)]]), /parameters 0 and 1 are both named 'a'/);
  assert.throws(() => new Adam([t, new Float32Array(2) as never]), /Adam: parameter 1 is Float32Array, expected a Tensor/);
  assert.throws(() => new Adam([['a', t, 1] as never]), /parameter 0 is an array but not a \[name, Tensor\] pair/);
  assert.throws(() => new Adam(t as never), /params must be a list of Tensors/);
});

test('a gradient of the wrong size is refused before any parameter changes', () => {
  const params = freshParams();
  const opt = new SGD(params, { lr: 0.1 });
  setGrads(params, 0);
  params[1][1].grad = Tensor.zeros([4]);
  const before = params.map(([, p]) => Float32Array.from(p.data));
  assert.throws(() => opt.step(), /SGD.step: the gradient of parameter 'b' \(shape \[5\]\) has shape \[4\], expected \[5\]/);
  params.forEach(([, p], i) => assert.deepEqual(p.data, before[i]));
  assert.equal(opt.stepCount, 0);
});

test('zeroGrad clears to null by default, or to zeros', () => {
  const params = freshParams();
  const opt = new SGD(params, { lr: 0.1 });
  setGrads(params, 0);
  opt.zeroGrad(false);
  for (const [name, p] of params) assert.ok(p.grad && p.grad.data.every((v) => v === 0), name);
  opt.zeroGrad();
  for (const [, p] of params) assert.equal(p.grad, null);
});

test('unnamed parameters get null names and are labelled by position', () => {
  const opt = new SGD([Tensor.zeros([2], true), Tensor.zeros([3], true)], { lr: 0.1 });
  assert.deepEqual(opt.stateDict().params.map((e) => e.name), [null, null]);
  const sd = opt.stateDict();
  sd.params[1].size = 4;
  assert.throws(() => opt.loadStateDict(sd), /parameter 1 \(shape \[3\]\) has 3 elements, the saved one 4/);
});
