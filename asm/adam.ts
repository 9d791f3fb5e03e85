// Adam / AdamW over one parameter, in double lanes in the reference's order of operations and with its
// roundings to float32 at the same places, so the update is bit-identical to the reference (sqrt and
// division are correctly rounded in both).
import { ldd, std } from './math';

// Math.fround on two doubles.
// @ts-ignore: decorator
@inline
function fround2(x: v128): v128 {
  return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(x));
}

/**
 * b1c = 1 − β1, b2c = 1 − β2, stepSize = lr / (1 − β1^t), bc2Sqrt = √(1 − β2^t); decay multiplies the
 * parameter (AdamW: decoupled = 1) and l2 adds λ·p to the gradient (Adam). The caller computes these as
 * the reference does.
 */
export function adamStep(param: usize, grad: usize, m: usize, v: usize, n: i32,
  beta1: f64, b1c: f64, beta2: f64, b2c: f64, stepSize: f64, bc2Sqrt: f64, eps: f64, decay: f64, l2: f64, decoupled: i32): void {
  const dec = decoupled != 0;
  let i = 0;
  for (; i + 1 < n; i += 2) adam2(param, grad, m, v, <usize>i * 4, beta1, b1c, beta2, b2c, stepSize, bc2Sqrt, eps, decay, l2, dec, true);
  if (i < n) adam2(param, grad, m, v, <usize>i * 4, beta1, b1c, beta2, b2c, stepSize, bc2Sqrt, eps, decay, l2, dec, false);
}

// @ts-ignore: decorator
@inline
function adam2(param: usize, grad: usize, m: usize, v: usize, o: usize, beta1: f64, b1c: f64, beta2: f64, b2c: f64,
  stepSize: f64, bc2Sqrt: f64, eps: f64, decay: f64, l2: f64, decoupled: bool, two: bool): void {
  const p0 = ldd(param + o, two);
  const g = fround2(f64x2.add(ldd(grad + o, two), f64x2.mul(f64x2.splat(l2), p0)));
  // the moments as stored: rounded to float32
  const mi = fround2(f64x2.add(f64x2.mul(f64x2.splat(beta1), ldd(m + o, two)), f64x2.mul(f64x2.splat(b1c), g)));
  const vi = fround2(f64x2.add(f64x2.mul(f64x2.splat(beta2), ldd(v + o, two)), f64x2.mul(f64x2.mul(f64x2.splat(b2c), g), g)));
  std(m + o, mi, two);
  std(v + o, vi, two);
  const p = decoupled ? fround2(f64x2.mul(p0, f64x2.splat(decay))) : p0;
  const den = f64x2.add(f64x2.div(f64x2.sqrt(vi), f64x2.splat(bc2Sqrt)), f64x2.splat(eps));
  std(param + o, f64x2.sub(p, f64x2.div(f64x2.mul(f64x2.splat(stepSize), mi), den)), two);
}
