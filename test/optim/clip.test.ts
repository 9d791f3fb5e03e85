import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clipGradNorm, clipGradValue } from '../../src/optim/index.js';
import { Tensor } from '../../src/tensor/index.js';
import { fixture, worstRelative } from './fixture.js';

const RTOL = 1e-6;

function paramsWithGrads(grads: Record<string, number[] | null>): Tensor[] {
  return Object.entries(fixture.shapes).map(([name, shape]) => {
    const p = Tensor.zeros(shape, true);
    const g = grads[name];
    p.grad = g ? Tensor.from(g, shape) : null;
    return p;
  });
}

/** The norm computed directly in double precision, independently of the kernels. */
function directNorm(params: Tensor[], p: number): number {
  const all = params.flatMap((t) => (t.grad ? Array.from(t.grad.data) : []));
  if (p === Infinity) return Math.max(...all.map(Math.abs));
  return Math.pow(all.reduce((s, v) => s + Math.pow(Math.abs(v), p), 0), 1 / p);
}

for (const c of fixture.clip) {
  const label = c.kind === 'norm' ? `clipGradNorm max ${c.max_norm} p ${c.norm_type}` : `clipGradValue ${c.clip_value}`;
  test(`${label} matches PyTorch`, () => {
    const params = paramsWithGrads(c.before);
    if (c.kind === 'norm') {
      const p = c.norm_type === 'inf' ? Infinity : c.norm_type!;
      const total = clipGradNorm(params, c.max_norm!, p);
      assert.ok(Math.abs(total - c.total_norm!) <= RTOL * c.total_norm!, `norm ${total}, PyTorch ${c.total_norm}`);
    } else {
      clipGradValue(params, c.clip_value!);
    }
    Object.keys(fixture.shapes).forEach((name, i) => {
      const want = c.after[name];
      if (want === null) return assert.equal(params[i].grad, null);
      const err = worstRelative(params[i].grad!.data, want);
      assert.ok(err <= RTOL, `${name}: worst relative error ${err}`);
    });
  });
}

test('the fixture clips in some cases and not in others', () => {
  const norms = fixture.clip.filter((c) => c.kind === 'norm');
  assert.ok(norms.some((c) => c.max_norm! < c.total_norm!) && norms.some((c) => c.max_norm! > c.total_norm!));
});

for (const p of [2, 1, 3, Infinity]) {
  test(`clipGradNorm (p ${p}) returns the pre-clip norm and leaves a norm of maxNorm`, () => {
    const params = paramsWithGrads(fixture.clip[0].before);
    const before = directNorm(params, p);
    const maxNorm = before / 4;
    const total = clipGradNorm(params, maxNorm, p);
    assert.ok(Math.abs(total - before) <= 1e-6 * before, `returned ${total}, direct ${before}`);
    const after = directNorm(params, p);
    assert.ok(Math.abs(after - maxNorm) <= 1e-5 * maxNorm, `norm after clipping ${after}, wanted ${maxNorm}`);
  });
}

test('clipGradNorm leaves gradients bit-identical when the norm is within maxNorm', () => {
  const params = paramsWithGrads(fixture.clip[0].before);
  const copies = params.map((p) => p.grad && Float32Array.from(p.grad.data));
  const total = clipGradNorm(params, directNorm(params, 2) * 1.5);
  assert.ok(total > 0);
  params.forEach((p, i) => assert.deepEqual(p.grad?.data ?? null, copies[i]));
});

test('clipGradNorm returns a non-finite norm as it is and leaves the gradients alone', () => {
  for (const [bad, want] of [[NaN, NaN], [Infinity, Infinity]] as const) {
    const params = paramsWithGrads(fixture.clip[0].before);
    params[1].grad!.data[2] = bad;
    const copies = params.map((p) => p.grad && Float32Array.from(p.grad.data));
    assert.equal(clipGradNorm(params, 1), want);
    params.forEach((p, i) => assert.deepEqual(p.grad?.data ?? null, copies[i]));
  }
});

test('clipGradNorm accepts a single tensor and returns 0 when nothing has a gradient', () => {
  const t = Tensor.from([3, 4], [2], true);
  t.grad = Tensor.from([3, 4], [2]);
  assert.equal(clipGradNorm(t, 1), 5);
  // scaled to norm 1, i.e. [3/5, 4/5] up to the 1e-6 that PyTorch adds to the norm
  assert.ok(worstRelative(t.grad.data, [0.6, 0.8]) <= 1e-6, String(t.grad.data));
  assert.equal(clipGradNorm([Tensor.zeros([3], true)], 1), 0);
});

test('clipGradValue keeps NaN and leaves values inside the range untouched', () => {
  const t = Tensor.zeros([4], true);
  t.grad = Tensor.from([NaN, -3, 0.25, 7], [4]);
  clipGradValue([t], 0.5);
  assert.deepEqual(Array.from(t.grad.data), [NaN, -0.5, 0.25, 0.5]);
});

test('clipping rejects bad arguments', () => {
  const t = Tensor.zeros([2], true);
  assert.throws(() => clipGradNorm([t], -1), /clipGradNorm: maxNorm must be a finite number >= 0, got -1/);
  assert.throws(() => clipGradNorm([t], NaN), /maxNorm must be a finite number >= 0, got NaN/);
  assert.throws(() => clipGradNorm([t], 1, 0), /normType must be a positive number or Infinity, got 0/);
  assert.throws(() => clipGradNorm([t, 3 as unknown as Tensor], 1), /clipGradNorm: parameter 1 is 3, expected a Tensor/);
  assert.throws(() => clipGradNorm(5 as unknown as Tensor, 1), /params must be a Tensor or a list of Tensors/);
  assert.throws(() => clipGradValue([t], -0.1), /clipGradValue: clipValue must be a finite number >= 0/);
});
