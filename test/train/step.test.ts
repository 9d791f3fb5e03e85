import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, Generator, crossEntropy, reshape, add, mul, scale, sum } from '../../src/tensor/index.js';
import { LSTM, Linear, OneHot } from '../../src/nn/index.js';
import { Adam, SGD, StepLR, clipGradNorm, type Optimizer } from '../../src/optim/index.js';
import { trainStep, truncatedBPTT, DivergedError } from '../../src/train/index.js';
import { RnnkitError } from '../../src/errors.js';
import { createWasmBackend } from '../../src/kernels/wasm/index.js';
import { withBackend } from '../../src/kernels/registry.js';

/** A small LSTM with a read-out, its optimizer, and a loss on a fixed batch. */
function setup(seed = 1, make: (params: [string, Tensor][]) => Optimizer = (p) => new Adam(p, { lr: 0.01 })) {
  const g = new Generator(seed);
  const lstm = new LSTM({ inputSize: 5, hiddenSize: 6, generator: g }), head = new Linear(6, 5, { generator: g });
  const params = [...lstm.namedParameters('rnn.'), ...head.namedParameters('head.')];
  const opt = make(params);
  const T = 4, B = 3;
  const ids = Int32Array.from({ length: T * B }, (_, i) => (i * 7 + seed) % 5);
  const targets = Int32Array.from({ length: T * B }, (_, i) => (i * 3 + 1) % 5);
  // the loss reads the final state too (a small penalty on it), so the state is part of the graph the step releases
  const lossOf = () => {
    const r = lstm.forward(new OneHot(ids, [T, B], 5));
    const loss = add(crossEntropy(head.forward(reshape(r.output, [-1, 6])), targets), scale(sum(mul(r.c, r.c)), 1e-3));
    return { loss, state: { h: r.h, c: r.c } };
  };
  return { params: params.map(([, p]) => p), opt, lossOf };
}

const snapshot = (ps: readonly Tensor[]) => ps.map((p) => Float32Array.from(p.data));

test('trainStep is zero grad, backward, clip, rate, update: the same bits as the loop written out', () => {
  const a = setup(), b = setup();
  for (let s = 1; s <= 5; s++) {
    const r = trainStep(a.lossOf().loss, a.opt, { step: s, clip: 0.5, lr: 0.01 / s });

    const loss = b.lossOf().loss;
    b.opt.zeroGrad();
    loss.backward();
    const norm = clipGradNorm(b.params, 0.5);
    b.opt.lr = 0.01 / s;
    b.opt.step();

    assert.deepEqual(r, { loss: loss.item(), gradNorm: norm, clipped: norm > 0.5, lr: 0.01 / s });
  }
  assert.deepEqual(snapshot(a.params), snapshot(b.params));
});

test('with clipping off the norm is still measured and the gradient is left as it is', () => {
  const a = setup(2, (p) => new SGD(p, { lr: 0.1 })), b = setup(2, (p) => new SGD(p, { lr: 0.1 }));
  const r = trainStep(a.lossOf().loss, a.opt, { step: 1, clip: 0 });
  const loss = b.lossOf().loss;
  loss.backward();
  const grads = snapshot(b.params.map((p) => p.grad!));
  const norm = clipGradNorm(b.params, Number.MAX_VALUE);
  assert.equal(r.gradNorm, norm);
  assert.ok(norm > 0);
  assert.equal(r.clipped, false);
  assert.deepEqual(snapshot(a.params.map((p) => p.grad!)), grads);
  assert.equal(r.lr, 0.1, 'no lr given: the optimizer keeps its own');
});

test('a schedule is asked for the rate of step − 1, as schedules count from 0', () => {
  const { opt, lossOf } = setup();
  const schedule = new StepLR({ baseLr: 1, stepSize: 2, gamma: 0.5 });
  const rates = [1, 2, 3, 4, 5].map((step) => trainStep(lossOf().loss, opt, { step, clip: 1, lr: schedule }).lr);
  assert.deepEqual(rates, [1, 1, 0.5, 0.5, 0.25]);
  assert.equal(opt.lr, 0.25);
});

test('a loss or gradient norm that is not finite throws DivergedError before the weights change', () => {
  const { params, opt } = setup();
  const before = snapshot(params);
  const nan = Tensor.from([NaN], []);
  assert.throws(() => trainStep(nan, opt, { step: 7, clip: 1 }), (e: unknown) => {
    assert.ok(e instanceof DivergedError && e instanceof RnnkitError);
    assert.deepEqual([e.step, e.what, e.value, e.message], [7, 'loss', NaN, 'training diverged at step 7: the loss is NaN']);
    return true;
  });
  // a loss that is finite but whose gradient overflows: d(u·v)/dw = v · 3e38 with u = 3e38 · w
  const w = Tensor.from([1e-30], [1], true), wOpt = new SGD([w], { lr: 0.1 });
  const big = mul(scale(w, 3e38), Tensor.from([1e30], [1]));
  assert.ok(Number.isFinite(big.item()));
  assert.throws(() => trainStep(sum(big), wOpt, { step: 8, clip: 1 }), (e: unknown) => {
    assert.ok(e instanceof DivergedError);
    assert.deepEqual([e.what, e.value, e.message], ['gradient norm', Infinity, 'training diverged at step 8: the gradient norm is Infinity']);
    return true;
  });
  assert.deepEqual(w.data, Float32Array.from([1e-30]), 'no update after a diverged gradient');
  assert.equal(wOpt.stepCount, 0);
  assert.deepEqual(snapshot(params), before);
  assert.equal(opt.stepCount, 0);
});

test('on the wasm backend the step gives its graph back but keeps the carried state and the weights', async () => {
  const W = await createWasmBackend({ threads: 1 });
  withBackend(W, () => {
    const { params, opt, lossOf } = setup(3);
    // the first step makes the gradients and the optimizer's buffers, which live on
    trainStep(lossOf().loss, opt, { step: 1, clip: 1 });
    const { loss, state } = lossOf();
    const hCopy = Float32Array.from(state.h.data), cCopy = Float32Array.from(state.c.data);
    const live = W.memoryStats().live;
    trainStep(loss, opt, { step: 2, clip: 1, keep: state });
    assert.ok(W.memoryStats().live < live, 'the activations went back to the heap');
    const weights = snapshot(params);
    // reuse the freed memory, then check that what the step kept was not part of it
    for (let i = 0; W.memoryStats().free > 0 && i < 1e5; i++) W.alloc(16).fill(-9);
    assert.equal(W.memoryStats().free, 0);
    assert.deepEqual(Float32Array.from(state.h.data), hCopy);
    assert.deepEqual(Float32Array.from(state.c.data), cCopy);
    assert.deepEqual(snapshot(params), weights);
  });
});

test('truncatedBPTT with trainStep as its update, keeping the carried state: the same bits as the loop written out, on wasm', async () => {
  const W = await createWasmBackend({ threads: 1 });
  const T = 12, B = 2, k = 4;
  const ids = Int32Array.from({ length: T * B }, (_, i) => (i * 5 + 2) % 5), targets = Int32Array.from({ length: T * B }, (_, i) => (i * 3) % 5);
  const run = (manual: boolean) => withBackend(W, () => {
    const g = new Generator(4);
    const lstm = new LSTM({ inputSize: 5, hiddenSize: 6, generator: g }), head = new Linear(6, 5, { generator: g });
    const opt = new SGD([...lstm.namedParameters('rnn.'), ...head.namedParameters('head.')], { lr: 0.5 });
    let step = 0;
    const r = truncatedBPTT<{ h: Tensor; c: Tensor }>({
      length: T, chunk: k,
      forward: (c, state) => {
        const out = lstm.forward(new OneHot(ids.subarray(c.start * B, c.end * B), [c.end - c.start, B], 5), state);
        const ce = crossEntropy(head.forward(reshape(out.output, [-1, 6])), targets.subarray(c.start * B, c.end * B));
        return { loss: add(ce, scale(sum(mul(out.h, out.h)), 1e-3)), state: { h: out.h, c: out.c } };
      },
      update: (loss, _c, state) => {
        if (!manual) return void trainStep(loss, opt, { step: ++step, clip: 1, keep: state });
        opt.zeroGrad();
        loss.backward();
        clipGradNorm(opt.params, 1);
        opt.step();
      },
    });
    return { losses: r.losses, weights: snapshot(opt.params), h: Float32Array.from(r.state!.h.data) };
  });
  assert.deepEqual(run(false), run(true));
});
