// One GRU step (see src/kernels/reference/gru.ts; gate order r, z, n, reset gate applied to the
// recurrent term). Forward in float32 lanes, except that the arguments of σ and tanh are formed exactly
// (two-sum, or double precision for gi_n + r·gh_n) and their rounding error is passed on to exp, as the
// reference forms them in double. Backward in double lanes in the reference's order of operations,
// which makes it bit-identical to the reference.
import { sigmoidErr4, tanhErr4, loadPartial, storePartial, ldd, std, lo2, hi2, join2 } from './math';

// @ts-ignore: decorator
@inline
function forward4(ip: usize, hp: usize, h4: usize, pp: usize, op: usize, n: i32): void {
  const full = n == 4;
  const ir = full ? v128.load(ip) : loadPartial(ip, n);
  const iz = full ? v128.load(ip + h4) : loadPartial(ip + h4, n);
  const inn = full ? v128.load(ip + 2 * h4) : loadPartial(ip + 2 * h4, n);
  const hr = full ? v128.load(hp) : loadPartial(hp, n);
  const hz = full ? v128.load(hp + h4) : loadPartial(hp + h4, n);
  const hn = full ? v128.load(hp + 2 * h4) : loadPartial(hp + 2 * h4, n);
  const hPrev = full ? v128.load(pp) : loadPartial(pp, n);
  const r = sigmoidSum4(ir, hr);
  const z = sigmoidSum4(iz, hz);
  // gi_n + r·gh_n in double: the product is exact there
  const al = f64x2.add(lo2(inn), f64x2.mul(lo2(r), lo2(hn)));
  const ah = f64x2.add(hi2(inn), f64x2.mul(hi2(r), hi2(hn)));
  const a = join2(al, ah);
  const nn = tanhErr4(a, join2(f64x2.sub(al, lo2(a)), f64x2.sub(ah, hi2(a))));
  const ht = f32x4.add(f32x4.mul(f32x4.sub(f32x4.splat(1), z), nn), f32x4.mul(z, hPrev));
  if (full) {
    v128.store(ip, r); v128.store(ip + h4, z); v128.store(ip + 2 * h4, nn); v128.store(op, ht);
  } else {
    storePartial(ip, r, n); storePartial(ip + h4, z, n); storePartial(ip + 2 * h4, nn, n); storePartial(op, ht, n);
  }
}

// σ(a + b) with the sum's rounding error recovered exactly (Knuth's two-sum) and passed on.
// @ts-ignore: decorator
@inline
function sigmoidSum4(a: v128, b: v128): v128 {
  const s = f32x4.add(a, b);
  const bb = f32x4.sub(s, a);
  const err = f32x4.add(f32x4.sub(a, f32x4.sub(s, bb)), f32x4.sub(b, bb));
  return sigmoidErr4(s, v128.and(err, f32x4.eq(err, err))); // ±∞ sums leave a NaN error: drop it
}

/** gi ← [r z n] activations; hOut = (1 − z) ⊙ n + z ⊙ hPrev. gh is only read. */
export function gruForward(b: i32, h: i32, gi: usize, gh: usize, hPrev: usize, hOut: usize): void {
  const h4 = <usize>h * 4;
  for (let row = 0; row < b; row++) {
    const go = <usize>row * 3 * h4, so = <usize>row * h4;
    let j = 0;
    for (; j + 3 < h; j += 4) {
      const o = <usize>j * 4;
      forward4(gi + go + o, gh + go + o, h4, hPrev + so + o, hOut + so + o, 4);
    }
    if (j < h) {
      const o = <usize>j * 4;
      forward4(gi + go + o, gh + go + o, h4, hPrev + so + o, hOut + so + o, h - j);
    }
  }
}

// @ts-ignore: decorator
@inline
function backward2(ip: usize, hp: usize, h4: usize, pp: usize, dhp: usize, dip: usize, dhhp: usize, dpp: usize, two: bool): void {
  const one = f64x2.splat(1);
  const r = ldd(ip, two), z = ldd(ip + h4, two), n = ldd(ip + 2 * h4, two);
  const d = ldd(dhp, two);
  const dn = f64x2.mul(f64x2.mul(d, f64x2.sub(one, z)), f64x2.sub(one, f64x2.mul(n, n)));
  const dz = f64x2.mul(f64x2.mul(f64x2.mul(d, f64x2.sub(ldd(pp, two), n)), z), f64x2.sub(one, z));
  const dr = f64x2.mul(f64x2.mul(f64x2.mul(dn, ldd(hp + 2 * h4, two)), r), f64x2.sub(one, r));
  std(dip, dr, two); std(dip + h4, dz, two); std(dip + 2 * h4, dn, two);
  std(dhhp, dr, two); std(dhhp + h4, dz, two); std(dhhp + 2 * h4, f64x2.mul(dn, r), two);
  std(dpp, f64x2.mul(d, z), two);
}

/** dGi, dGh (w.r.t. the two pre-activation sums) and the direct part dhPrev = z ⊙ dh. */
export function gruBackward(b: i32, h: i32, gi: usize, gh: usize, hPrev: usize, dh: usize,
  dGi: usize, dGh: usize, dhPrev: usize): void {
  const h4 = <usize>h * 4;
  for (let row = 0; row < b; row++) {
    const go = <usize>row * 3 * h4, so = <usize>row * h4;
    let j = 0;
    for (; j + 1 < h; j += 2) {
      const o = <usize>j * 4;
      backward2(gi + go + o, gh + go + o, h4, hPrev + so + o, dh + so + o, dGi + go + o, dGh + go + o, dhPrev + so + o, true);
    }
    if (j < h) {
      const o = <usize>j * 4;
      backward2(gi + go + o, gh + go + o, h4, hPrev + so + o, dh + so + o, dGi + go + o, dGh + go + o, dhPrev + so + o, false);
    }
  }
}
