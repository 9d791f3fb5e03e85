import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StepLR, CosineAnnealingLR, LinearWarmup, applySchedule, SGD, type LrSchedule } from '../../src/optim/index.js';
import { fixture, freshParams, setGrads } from './fixture.js';

function scheduleFor(s: (typeof fixture.schedules)[number]): LrSchedule {
  switch (s.kind) {
    case 'StepLR': return new StepLR({ baseLr: s.base_lr, stepSize: s.step_size!, gamma: s.gamma });
    case 'CosineAnnealingLR': return new CosineAnnealingLR({ baseLr: s.base_lr, tMax: s.t_max!, etaMin: s.eta_min });
    case 'Warmup': return new LinearWarmup({ warmupSteps: s.warmup_steps!, baseLr: s.base_lr });
    case 'WarmupCosine': return new LinearWarmup({
      warmupSteps: s.warmup_steps!, then: new CosineAnnealingLR({ baseLr: s.base_lr, tMax: s.t_max!, etaMin: s.eta_min }),
    });
  }
}

for (const s of fixture.schedules) {
  test(`${s.kind} ${JSON.stringify({ ...s, lrs: undefined })} gives PyTorch's learning rates`, () => {
    const sched = scheduleFor(s);
    s.lrs.forEach((want, step) => {
      const got = sched.lrAt(step);
      // relative, except near 0 where PyTorch's recursive cosine leaves ~1e-18 instead of 0
      assert.ok(Math.abs(got - want) <= 1e-6 * Math.abs(want) + 1e-12, `step ${step}: ${got}, PyTorch ${want}`);
    });
  });
}

test('applySchedule follows the optimizer step count, so a resumed run gets the same rates', () => {
  const sched = new LinearWarmup({ warmupSteps: 2, then: new StepLR({ baseLr: 0.1, stepSize: 2, gamma: 0.5 }) });
  const run = () => {
    const params = freshParams();
    return { params, opt: new SGD(params, { lr: 0.1, momentum: 0.9 }) };
  };
  const { params: pa, opt: a } = run();
  const lrsA: number[] = [];
  let saved = a.stateDict();
  for (let s = 0; s < fixture.steps; s++) {
    if (s === 3) saved = a.stateDict();
    lrsA.push(applySchedule(a, sched));
    assert.equal(a.lr, lrsA[s]);
    setGrads(pa, s);
    a.step();
  }
  assert.deepEqual(lrsA, [0, 1, 2, 3, 4].map((k) => sched.lrAt(k)));
  // the rates after step 3 differ from those at 0 and 1, so a resumed run starting from 0 would show
  assert.notEqual(sched.lrAt(3), sched.lrAt(0));
  const { opt: b } = run();
  b.loadStateDict(saved);
  const lrsB: number[] = [];
  for (let s = 3; s < fixture.steps; s++) {
    lrsB.push(applySchedule(b, sched));
    b.step();
  }
  assert.deepEqual(lrsB, lrsA.slice(3));
});

test('schedules reject bad options and step numbers', () => {
  assert.throws(() => new StepLR({ baseLr: 0.1, stepSize: 0 }), /StepLR: stepSize must be an integer >= 1, got 0/);
  assert.throws(() => new StepLR({ baseLr: -0.1, stepSize: 2 }), /StepLR: baseLr must be a finite number >= 0, got -0.1/);
  assert.throws(() => new CosineAnnealingLR({ baseLr: 0.1, tMax: 2.5 }), /CosineAnnealingLR: tMax must be an integer >= 1, got 2.5/);
  assert.throws(() => new CosineAnnealingLR({ baseLr: 0.1, tMax: 5, eta_min: 0 } as never), /unknown option 'eta_min'/);
  assert.throws(() => new LinearWarmup({ warmupSteps: 3 }), /give exactly one of baseLr .* and then/);
  assert.throws(() => new LinearWarmup({ warmupSteps: 3, baseLr: 0.1, then: new StepLR({ baseLr: 0.1, stepSize: 1 }) }), /exactly one/);
  assert.throws(() => new LinearWarmup({ warmupSteps: 3, then: {} as LrSchedule }), /then must be a schedule/);
  const s = new StepLR({ baseLr: 0.1, stepSize: 2 });
  assert.throws(() => s.lrAt(-1), /StepLR: step must be an integer >= 0, got -1/);
  assert.throws(() => s.lrAt(1.5), /step must be an integer >= 0, got 1.5/);
});
