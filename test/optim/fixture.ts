import { readFileSync } from 'node:fs';
import { Tensor } from '../../src/tensor/index.js';

/** The data test/fixtures/make_optim.py writes (PyTorch's results); see that script for what each part is. */
export interface OptimFixture {
  torch_version: string;
  steps: number;
  shapes: Record<string, number[]>;
  params0: Record<string, number[]>;
  grads: Record<string, number[] | null>[];
  optimizers: { name: string; kwargs: Record<string, number | boolean | number[]>; after: Record<string, number[]>[] }[];
  clip: {
    kind: 'norm' | 'value';
    before: Record<string, number[] | null>;
    after: Record<string, number[] | null>;
    max_norm?: number;
    norm_type?: number | 'inf';
    total_norm?: number;
    clip_value?: number;
  }[];
  schedules: {
    kind: 'StepLR' | 'CosineAnnealingLR' | 'Warmup' | 'WarmupCosine';
    base_lr: number;
    lrs: number[];
    step_size?: number;
    gamma?: number;
    t_max?: number;
    eta_min?: number;
    warmup_steps?: number;
  }[];
}

export const fixture: OptimFixture = JSON.parse(readFileSync(new URL('../fixtures/optim.json', import.meta.url), 'utf8'));

/** PyTorch keyword names to rnnkit option names: weight_decay → weightDecay. */
export function camelOptions(kwargs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]));
}

/** Fresh parameter tensors with the fixture's starting values, as [name, tensor] pairs. */
export function freshParams(): [string, Tensor][] {
  return Object.entries(fixture.shapes).map(([name, shape]) => [name, Tensor.from(fixture.params0[name], shape, true)]);
}

/** Sets each parameter's .grad to the fixture's gradient for `step` (null where PyTorch had None). */
export function setGrads(params: [string, Tensor][], step: number): void {
  for (const [name, p] of params) {
    const g = fixture.grads[step][name];
    p.grad = g ? Tensor.from(g, p.shape) : null;
  }
}

/**
 * Largest relative difference between actual and expected; elements whose expected magnitude is
 * below `floor` are compared against the floor instead, so values crossing zero do not dominate.
 */
export function worstRelative(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-6): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs expected ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), floor);
    if (!(err <= worst)) worst = err;
  }
  return worst;
}
