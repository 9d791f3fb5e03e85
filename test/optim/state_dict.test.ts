import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SGD, Adagrad, RMSprop, Adam, AdamW, type Optimizer, type OptimizerStateDict } from '../../src/optim/index.js';
import { Tensor } from '../../src/tensor/index.js';
import { fixture, camelOptions, freshParams, setGrads } from './fixture.js';

const make: Record<string, (p: [string, Tensor][], o: Record<string, unknown>) => Optimizer> = {
  SGD: (p, o) => new SGD(p, o as never),
  Adagrad: (p, o) => new Adagrad(p, o),
  RMSprop: (p, o) => new RMSprop(p, o),
  Adam: (p, o) => new Adam(p, o),
  AdamW: (p, o) => new AdamW(p, o),
};

function snapshot(params: [string, Tensor][]): [string, Tensor][] {
  return params.map(([n, p]) => [n, Tensor.from(Float32Array.from(p.data), p.shape, true)]);
}

for (const saveAt of [0, 2]) {
  for (const { name, kwargs } of fixture.optimizers) {
    test(`${name} ${JSON.stringify(kwargs)}: state dict saved after ${saveAt} steps continues bit-identically`, () => {
      const a = freshParams();
      const optA = make[name](a, camelOptions(kwargs));
      for (let s = 0; s < saveAt; s++) { setGrads(a, s); optA.step(); }
      const sd = optA.stateDict();
      const savedParams = snapshot(a);
      // the uninterrupted run goes on; a state dict that shared its buffers would change with it
      for (let s = saveAt; s < fixture.steps; s++) { setGrads(a, s); optA.step(); }

      // the structured-clone pass goes first: the direct pass spoils sd afterwards
      for (const viaClone of [true, false]) {
        const b = snapshot(savedParams);
        // a different lr on purpose: loading must restore the saved one
        const optB = make[name](b, { ...camelOptions(kwargs), lr: 0.5 });
        optB.loadStateDict(viaClone ? structuredClone(sd) : sd);
        assert.equal(optB.lr, optA.lr);
        assert.equal(optB.stepCount, saveAt);
        // loading must copy: spoiling the dict afterwards must not reach the optimizer
        if (!viaClone) for (const e of sd.params) for (const buf of Object.values(e.state?.buffers ?? {})) buf.fill(NaN);
        for (let s = saveAt; s < fixture.steps; s++) { setGrads(b, s); optB.step(); }
        for (let i = 0; i < a.length; i++) assert.deepEqual(b[i][1].data, a[i][1].data, `${a[i][0]} (viaClone ${viaClone})`);
        assert.deepEqual(optB.stateDict(), optA.stateDict());
      }
    });
  }
}

function trained(kind: 'Adam' | 'SGD' = 'Adam'): { params: [string, Tensor][]; opt: Optimizer; sd: OptimizerStateDict } {
  const params = freshParams();
  const opt = kind === 'Adam' ? new Adam(params, { lr: 0.01 }) : new SGD(params, { lr: 0.1, momentum: 0.9 });
  for (let s = 0; s < 3; s++) { setGrads(params, s); opt.step(); }
  return { params, opt, sd: opt.stateDict() };
}

function rejects(opt: Optimizer, sd: unknown, pattern: RegExp): void {
  const before = opt.stateDict();
  assert.throws(() => opt.loadStateDict(sd as OptimizerStateDict), pattern);
  // a refused state dict changes nothing
  assert.deepEqual(opt.stateDict(), before);
}

test('loading into another kind of optimizer is refused', () => {
  const { sd } = trained();
  rejects(new AdamW(freshParams()), sd, /saved from "Adam", this is AdamW/);
});

test('a state dict for a different number of parameters is refused', () => {
  const { sd } = trained();
  rejects(new Adam(freshParams().slice(0, 2)), sd, /state for 3 parameters, this optimizer has 2/);
});

test('a state dict for parameters of other sizes or names is refused, naming each', () => {
  const { sd } = trained();
  const other: [string, Tensor][] = [['w', Tensor.zeros([4, 4], true)], ['b', Tensor.zeros([5], true)], ['d', Tensor.zeros([2], true)]];
  const opt = new Adam(other);
  assert.throws(() => opt.loadStateDict(sd), (e: Error) =>
    /parameter 'w' \(shape \[4, 4\]\) has 16 elements, the saved one 12/.test(e.message)
    && /buffer 'exp_avg' has 12 values, expected 16/.test(e.message)
    && /parameter 'd' \(shape \[2\]\): saved under the name "c"/.test(e.message));
});

test('missing, unexpected and non-Float32Array buffers are refused', () => {
  const { opt, sd } = trained();
  const missing = structuredClone(sd);
  delete (missing.params[0].state!.buffers as Record<string, Float32Array>).exp_avg_sq;
  rejects(opt, missing, /parameter 'w' \(shape \[3, 4\]\): buffer 'exp_avg_sq' is missing/);
  const extra = structuredClone(sd);
  extra.params[1].state!.buffers.momentum_buffer = new Float32Array(5);
  rejects(opt, extra, /parameter 'b' \(shape \[5\]\): unexpected buffer 'momentum_buffer'/);
  // what a careless JSON round trip produces
  rejects(opt, JSON.parse(JSON.stringify(sd)), /buffer 'exp_avg' is Object, expected a Float32Array/);
});

test('bad hyper-parameters or step counts in a state dict are refused', () => {
  const { opt, sd } = trained();
  rejects(opt, { ...sd, hyper: { ...sd.hyper, lr: -1 } }, /Adam: lr must be a finite number >= 0, got -1/);
  const { eps: _eps, ...noEps } = sd.hyper;
  rejects(opt, { ...sd, hyper: noEps }, /hyper-parameters eps are missing/);
  rejects(opt, { ...sd, hyper: { ...sd.hyper, momentum: 0.9 } }, /unknown option 'momentum'/);
  rejects(opt, { ...sd, stepCount: 1.5 }, /stepCount must be a non-negative integer, got 1.5/);
  const badStep = structuredClone(sd);
  badStep.params[0].state!.step = 0;
  rejects(opt, badStep, /state.step must be a positive integer, got 0/);
  rejects(opt, null, /expected an object, got null/);
});

test('SGD buffers must agree with the saved momentum', () => {
  const { opt, sd } = trained('SGD');
  rejects(opt, { ...sd, hyper: { ...sd.hyper, momentum: 0 } }, /unexpected buffer 'momentum_buffer'/);
});
