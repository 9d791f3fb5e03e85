// Transcendental functions on four float32 lanes, accurate to a few ulp (relative error below 3e-7 in
// float32), so that the kernels stay within 1e-6 of the double-precision reference per element.
// Polynomials and range reduction follow Cephes (expf, tanhf).

// Constants are read from this table with load-and-splat (one instruction each): V8 builds a v128.const
// from general registers in three instructions, every time it is used in a loop, which made these
// functions three times slower.
const K = memory.data<f32>([
  1.44269504088896341, // 0  log2(e)
  12582912.0, // 1  1.5·2^23: adding it rounds to an integer, which then sits in the low mantissa bits
  0.693359375, // 2  ln 2, high part: n·this is exact for the |n| ≤ 150 that can occur
  -2.12194440e-4, // 3  ln 2, low part
  1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1, // 4..9 exp polynomial
  1.0, // 10
  -104.0, // 11  below this argument exp's result is 0
  1.8446744073709552e19, // 12  2^64, whose bits are those of the scale 2^n·2^64 with n = 0 (see expCore4)
  -5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1, // 13..17 tanh polynomial
  0.625, // 18  below this |x|, the tanh polynomial
  -2.0, // 19
  -0.0, // 20  the sign bit
  5.421010862427522e-20, // 21  2^−64
]);

// @ts-ignore: decorator
@inline
function k(i: i32): v128 {
  return v128.load32_splat(K + <usize>i * 4);
}

/**
 * e^(x + err) per lane for x ≤ 0, down into the subnormal range (0 below −103.97, NaN stays NaN), where
 * err is a tiny correction to x (the rounding error of the subtraction that produced x), folded in after
 * range reduction so that the result is accurate to the exact argument. Every caller has x ≤ 0 (e^−|x|,
 * x − max), which is what lets the scaling below take one shift.
 */
// @ts-ignore: decorator
@inline
export function expErr4(x: v128, err: v128): v128 {
  // pmax with x first lets NaN through
  const xc = f32x4.pmax(x, k(11));
  err = v128.and(err, f32x4.eq(xc, x)); // a clamped argument has no use for the correction
  return expCore4(xc, err, true);
}

/** e^x per lane for x ≤ 0, as expErr4 with no correction (a few instructions fewer). */
// @ts-ignore: decorator
@inline
export function exp4(x: v128): v128 {
  return expCore4(f32x4.pmax(x, k(11)), x, false);
}

// e^(x + err) for x in [−104, 0]; err is ignored unless withErr.
// @ts-ignore: decorator
@inline
function expCore4(x: v128, err: v128, withErr: bool): v128 {
  const magic = k(1);
  const t = f32x4.add(f32x4.mul(x, k(0)), magic);
  const n = f32x4.sub(t, magic);
  let r = f32x4.sub(x, f32x4.mul(n, k(2)));
  r = f32x4.sub(r, f32x4.mul(n, k(3)));
  if (withErr) r = f32x4.add(r, err);
  let p = f32x4.add(f32x4.mul(k(4), r), k(5));
  p = f32x4.add(f32x4.mul(p, r), k(6));
  p = f32x4.add(f32x4.mul(p, r), k(7));
  p = f32x4.add(f32x4.mul(p, r), k(8));
  p = f32x4.add(f32x4.mul(p, r), k(9));
  const y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), k(10));
  // 2^n applied as 2^(n+64) · 2^−64: for n in [−150, 0] the first factor is a normal float and the product
  // y·2^(n+64) exact, so the one rounding is that of the last product, subnormal results included. t holds n
  // in its low mantissa bits, so t << 23 is n << 23, and adding the bits of 2^64 makes 2^(n+64).
  const s = i32x4.add(i32x4.shl(t, 23), k(12));
  return f32x4.mul(f32x4.mul(y, s), k(21));
}

/** The logistic function 1 / (1 + e^−x), in the overflow-free form of the reference. */
// @ts-ignore: decorator
@inline
export function sigmoid4(x: v128): v128 {
  const one = k(10);
  const e = exp4(v128.or(x, k(20))); // e^−|x|
  // x ≥ 0: 1/(1+e); x < 0: e/(1+e). One division, no extra rounding.
  return f32x4.div(v128.bitselect(one, e, f32x4.ge(x, f32x4.splat(0))), f32x4.add(one, e));
}

/** σ(x + err) for a tiny correction err to x (see expErr4). */
// @ts-ignore: decorator
@inline
export function sigmoidErr4(x: v128, err: v128): v128 {
  const sign = k(20);
  // e^−|x + err|: the correction enters with the sign that −|·| gives it
  const e = expErr4(v128.or(x, sign), v128.xor(err, v128.andnot(sign, x)));
  const one = k(10);
  const num = v128.bitselect(one, e, f32x4.ge(x, f32x4.splat(0)));
  return f32x4.div(num, f32x4.add(one, e));
}

/** tanh per lane: an odd polynomial below |x| = 0.625 (no cancellation near 0), (1 − e)/(1 + e) with e = e^−2|x| above. */
// @ts-ignore: decorator
@inline
export function tanh4(x: v128): v128 {
  const sign = k(20);
  const one = k(10);
  const ax = v128.andnot(x, sign);
  const small = tanhPoly4(x);
  const e = exp4(f32x4.mul(ax, k(19))); // e^−2|x|
  const big = f32x4.div(f32x4.sub(one, e), f32x4.add(one, e));
  return v128.bitselect(small, v128.or(big, v128.and(x, sign)), f32x4.lt(ax, k(18)));
}

/** tanh(x + err) for a tiny correction err to x (see expErr4). */
// @ts-ignore: decorator
@inline
export function tanhErr4(x: v128, err: v128): v128 {
  const sign = k(20);
  const one = k(10);
  const ax = v128.andnot(x, sign);
  let small = tanhPoly4(x);
  // first-order correction: tanh' = 1 − tanh²
  small = f32x4.add(small, f32x4.mul(err, f32x4.sub(one, f32x4.mul(small, small))));
  const m2 = k(19);
  const e = expErr4(f32x4.mul(ax, m2), f32x4.mul(v128.xor(err, v128.and(x, sign)), m2)); // e^−2|x + err|
  const big = f32x4.div(f32x4.sub(one, e), f32x4.add(one, e));
  // the sign of x onto the large-|x| branch
  const signed = v128.or(big, v128.and(x, sign));
  return v128.bitselect(small, signed, f32x4.lt(ax, k(18)));
}

// tanh's odd polynomial, accurate below |x| = 0.625
// @ts-ignore: decorator
@inline
function tanhPoly4(x: v128): v128 {
  const z = f32x4.mul(x, x);
  let p = f32x4.add(f32x4.mul(k(13), z), k(14));
  p = f32x4.add(f32x4.mul(p, z), k(15));
  p = f32x4.add(f32x4.mul(p, z), k(16));
  p = f32x4.add(f32x4.mul(p, z), k(17));
  return f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
}

/** 1 − y², written (1 − y)(1 + y) so that it keeps its relative accuracy when |y| is close to 1. */
// @ts-ignore: decorator
@inline
export function oneMinusSq4(y: v128): v128 {
  return f32x4.mul(f32x4.sub(f32x4.splat(1), y), f32x4.add(f32x4.splat(1), y));
}

/** Lanes 0, 1 and 2, 3 of four floats as two pairs of doubles. */
// @ts-ignore: decorator
@inline
export function lo2(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

// @ts-ignore: decorator
@inline
export function hi2(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

/** Two pairs of doubles rounded back to four floats. */
// @ts-ignore: decorator
@inline
export function join2(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/** Four floats from n < 4 scattered ones: the tail of a loop reuses the vector code on a partial vector. */
// @ts-ignore: decorator
@inline
export function loadPartial(p: usize, n: i32): v128 {
  let v = f32x4.splat(0);
  if (n > 0) v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

// @ts-ignore: decorator
@inline
export function storePartial(p: usize, v: v128, n: i32): void {
  if (n > 0) store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** Two floats (one when !two) at p widened to doubles; the tails of loops reuse the vector code this way. */
// @ts-ignore: decorator
@inline
export function ldd(p: usize, two: bool): v128 {
  return f64x2.promote_low_f32x4(two ? v128.load64_zero(p) : v128.load32_zero(p));
}

/** Doubles rounded to float32 and stored as two floats (one when !two) at p. */
// @ts-ignore: decorator
@inline
export function std(p: usize, v: v128, two: bool): void {
  const f = f32x4.demote_f64x2_zero(v);
  if (two) v128.store64_lane(p, f, 0);
  else v128.store32_lane(p, f, 0);
}

// Four rows of four floats at src (row stride rs bytes) stored transposed: column q goes to dst + q·ds.
// @ts-ignore: decorator
@inline
export function transpose4(src: usize, rs: usize, dst: usize, ds: usize): void {
  const r0 = v128.load(src), r1 = v128.load(src + rs), r2 = v128.load(src + 2 * rs), r3 = v128.load(src + 3 * rs);
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5); // a0 b0 a1 b1
  const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5); // c0 d0 c1 d1
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7); // a2 b2 a3 b3
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7); // c2 d2 c3 d3
  v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(dst + ds, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * ds, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * ds, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}
