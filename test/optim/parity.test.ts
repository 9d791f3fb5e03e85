import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SGD, Adagrad, RMSprop, Adam, AdamW, type Optimizer } from '../../src/optim/index.js';
import type { Tensor } from '../../src/tensor/index.js';
import { fixture, camelOptions, freshParams, setGrads, worstRelative } from './fixture.js';

const RTOL = 1e-6;

const make: Record<string, (p: [string, Tensor][], o: Record<string, unknown>) => Optimizer> = {
  SGD: (p, o) => new SGD(p, o as never),
  Adagrad: (p, o) => new Adagrad(p, o),
  RMSprop: (p, o) => new RMSprop(p, o),
  Adam: (p, o) => new Adam(p, o),
  AdamW: (p, o) => new AdamW(p, o),
};

test('the fixture covers every optimizer', () => {
  assert.deepEqual([...new Set(fixture.optimizers.map((o) => o.name))].sort(), Object.keys(make).sort());
});

for (const { name, kwargs, after } of fixture.optimizers) {
  test(`${name} ${JSON.stringify(kwargs)} matches torch.optim.${name} over ${fixture.steps} steps`, () => {
    const params = freshParams();
    const opt = make[name](params, camelOptions(kwargs));
    let worst = 0, where = '';
    for (let step = 0; step < fixture.steps; step++) {
      setGrads(params, step);
      opt.step();
      for (const [pname, p] of params) {
        const err = worstRelative(p.data, after[step][pname]);
        if (err > worst) { worst = err; where = `step ${step + 1}, parameter ${pname}`; }
      }
    }
    console.log(`${name} ${JSON.stringify(kwargs)}: worst relative error ${worst.toExponential(2)} ${where}`);
    assert.ok(worst <= RTOL, `worst relative error ${worst} at ${where}`);
  });
}

test('a parameter without a gradient is neither changed nor version-bumped', () => {
  const params = freshParams();
  const opt = new Adam(params);
  const c = params.find(([n]) => n === 'c')![1];
  const before = Float32Array.from(c.data);
  const w = params.find(([n]) => n === 'w')![1];
  setGrads(params, 1); // the fixture gives "c" no gradient on step 1
  assert.equal(c.grad, null);
  opt.step();
  assert.deepEqual(c.data, before);
  assert.equal(c.version, 0);
  assert.equal(w.version, 1);
  assert.equal(opt.stepCount, 1);
  assert.equal(opt.stateDict().params[2].state, null);
});
