// One GRU step (backward and notes: src/kernels/reference/gru.ts), gate order r, z, n, the reset gate
// applied to the recurrent term after its bias:
//
//   gi = W_ih x_t + b_ih,   gh = W_hh h_{t-1} + b_hh          (the caller's matrix multiplies)
//   r = σ(gi_r + gh_r),  z = σ(gi_z + gh_z)
//   n = tanh(gi_n + r ⊙ gh_n)
//   h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}
//
// Forward in float32 lanes, except that the arguments of σ and tanh are formed exactly (two-sum, or
// double precision for gi_n + r·gh_n) and their rounding error is passed on to exp, as the reference
// forms them in double. Backward in double lanes in the reference's order of operations, which makes it
// bit-identical to the reference. pr, pz, pn point at the three gate blocks of gi (and dGi), hr, hz, hn
// at those of gh (and dGh).
import { sigmoidErr4, tanhErr4, loadPartial, storePartial, ldd, std, lo2, hi2, join2 } from './math';

// @ts-ignore: decorator
@inline
function forward4(pr: usize, hr: usize, h4: usize, pp: usize, op: usize, n: i32): void {
  const full = n == 4;
  const pz = pr + h4, pn = pr + 2 * h4, hz = hr + h4, hn = hr + 2 * h4;
  const giR = full ? v128.load(pr) : loadPartial(pr, n);
  const giZ = full ? v128.load(pz) : loadPartial(pz, n);
  const giN = full ? v128.load(pn) : loadPartial(pn, n);
  const ghR = full ? v128.load(hr) : loadPartial(hr, n);
  const ghZ = full ? v128.load(hz) : loadPartial(hz, n);
  const ghN = full ? v128.load(hn) : loadPartial(hn, n);
  const hPrev = full ? v128.load(pp) : loadPartial(pp, n);
  const r = sigmoidSum4(giR, ghR);
  const z = sigmoidSum4(giZ, ghZ);
  // gi_n + r·gh_n in double: the product is exact there
  const al = f64x2.add(lo2(giN), f64x2.mul(lo2(r), lo2(ghN)));
  const ah = f64x2.add(hi2(giN), f64x2.mul(hi2(r), hi2(ghN)));
  const a = join2(al, ah);
  const nt = tanhErr4(a, join2(f64x2.sub(al, lo2(a)), f64x2.sub(ah, hi2(a))));
  const ht = f32x4.add(f32x4.mul(f32x4.sub(f32x4.splat(1), z), nt), f32x4.mul(z, hPrev));
  if (full) {
    v128.store(pr, r); v128.store(pz, z); v128.store(pn, nt); v128.store(op, ht);
  } else {
    storePartial(pr, r, n); storePartial(pz, z, n); storePartial(pn, nt, n); storePartial(op, ht, n);
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
function backward2(pr: usize, hr: usize, h4: usize, pp: usize, dhp: usize, dpr: usize, dhr: usize, dpp: usize, two: bool): void {
  const one = f64x2.splat(1);
  const r = ldd(pr, two), z = ldd(pr + h4, two), n = ldd(pr + 2 * h4, two);
  const d = ldd(dhp, two);
  const dn = f64x2.mul(f64x2.mul(d, f64x2.sub(one, z)), f64x2.sub(one, f64x2.mul(n, n)));
  const dz = f64x2.mul(f64x2.mul(f64x2.mul(d, f64x2.sub(ldd(pp, two), n)), z), f64x2.sub(one, z));
  const dr = f64x2.mul(f64x2.mul(f64x2.mul(dn, ldd(hr + 2 * h4, two)), r), f64x2.sub(one, r));
  std(dpr, dr, two); std(dpr + h4, dz, two); std(dpr + 2 * h4, dn, two);
  std(dhr, dr, two); std(dhr + h4, dz, two); std(dhr + 2 * h4, f64x2.mul(dn, r), two);
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
