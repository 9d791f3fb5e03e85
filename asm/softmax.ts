// Row-wise softmax and the fused softmax + cross-entropy. exp is computed in float32 lanes from the exact
// difference x − max (its rounding error is carried into exp), sums and the normalisation run in double,
// as in the reference.
import { expErr4, lo2, hi2, join2 } from './math';

// The host's Math.log, the one the reference uses: the loss then differs from the reference only through
// the sum it is taken of. (It also keeps the module free of the log tables a compiled log would bring.)
// @ts-ignore: decorator
@external("env", "log")
declare function hostLog(x: f64): f64;

// max over a row, ignoring NaN as the reference's `if (x > max)` does
function rowMax(x: usize, c: i32): f32 {
  let m = f32x4.splat(-Infinity);
  let j = 0;
  for (; j + 3 < c; j += 4) m = f32x4.pmax(m, v128.load(x + <usize>j * 4));
  m = f32x4.pmax(m, v128.shuffle<f32>(m, m, 2, 3, 0, 1));
  m = f32x4.pmax(m, v128.shuffle<f32>(m, m, 1, 0, 3, 2));
  let r = f32x4.extract_lane(m, 0);
  for (; j < c; j++) {
    const v = load<f32>(x + <usize>j * 4);
    if (v > r) r = v;
  }
  return r;
}

// out[j] = e^(x[j] − max) for one row; returns Σ out[j] in double.
function expRow(x: usize, c: i32, max: f32, out: usize): f64 {
  const mv = f32x4.splat(max);
  let z0 = f64x2.splat(0), z1 = f64x2.splat(0);
  let j = 0;
  for (; j + 3 < c; j += 4) {
    const e = expDiff4(v128.load(x + <usize>j * 4), mv);
    v128.store(out + <usize>j * 4, e);
    z0 = f64x2.add(z0, lo2(e));
    z1 = f64x2.add(z1, hi2(e));
  }
  const zs = f64x2.add(z0, z1);
  let z = f64x2.extract_lane(zs, 0) + f64x2.extract_lane(zs, 1);
  for (; j < c; j++) {
    const e = f32x4.extract_lane(expDiff4(f32x4.splat(load<f32>(x + <usize>j * 4)), mv), 0);
    store<f32>(out + <usize>j * 4, e);
    z += <f64>e;
  }
  return z;
}

// e^(x − m) with the subtraction's rounding error recovered exactly (Knuth's two-sum) and passed to exp.
// @ts-ignore: decorator
@inline
function expDiff4(x: v128, m: v128): v128 {
  const nm = f32x4.neg(m);
  const s = f32x4.add(x, nm);
  const bb = f32x4.sub(s, x);
  const err = f32x4.add(f32x4.sub(x, f32x4.sub(s, bb)), f32x4.sub(nm, bb));
  // −∞ − (−∞) and the like: the error term would be NaN where s is already ±∞ or NaN
  const ok = f32x4.eq(err, err);
  return expErr4(s, v128.and(err, ok));
}

// out[j] *= inv in double, rounded once.
function scaleRow(out: usize, c: i32, inv: f64): void {
  const iv = f64x2.splat(inv);
  let j = 0;
  for (; j + 3 < c; j += 4) {
    const o = <usize>j * 4;
    const v = v128.load(out + o);
    v128.store(out + o, join2(f64x2.mul(lo2(v), iv), f64x2.mul(hi2(v), iv)));
  }
  for (; j < c; j++) {
    const o = <usize>j * 4;
    store<f32>(out + o, <f32>(<f64>load<f32>(out + o) * inv));
  }
}

/** Row-wise softmax of an n × c matrix; out may be x. */
export function softmax(x: usize, n: i32, c: i32, out: usize): void {
  const rb = <usize>c * 4;
  for (let r = 0; r < n; r++) {
    const xr = x + <usize>r * rb, or = out + <usize>r * rb;
    const max = rowMax(xr, c);
    const z = expRow(xr, c, max, or);
    scaleRow(or, c, 1 / z);
  }
}

/**
 * Softmax of each row into probs; returns Σ over rows whose target ≠ ignoreIndex of
 * log Σ e^(x − max) + max − x[target]. The caller counts those rows.
 */
export function softmaxCrossEntropy(logits: usize, n: i32, c: i32, targets: usize, ignoreIndex: i32, probs: usize): f64 {
  let loss: f64 = 0;
  for (let r = 0; r < n; r++) loss += crossEntropyRow(logits, r, c, targets, ignoreIndex, probs);
  return loss;
}

/**
 * softmaxCrossEntropy for a block of rows, each row's term written to losses (f64, 0 for an ignored
 * row) instead of summed: the caller adds the blocks' terms in row order, as one thread would.
 */
export function softmaxCrossEntropyRows(logits: usize, n: i32, c: i32, targets: usize, ignoreIndex: i32, probs: usize,
  losses: usize): void {
  for (let r = 0; r < n; r++) store<f64>(losses + <usize>r * 8, crossEntropyRow(logits, r, c, targets, ignoreIndex, probs));
}

// Row r: its softmax into probs, and its loss term (0 where the target is ignored).
// @ts-ignore: decorator
@inline
function crossEntropyRow(logits: usize, r: i32, c: i32, targets: usize, ignoreIndex: i32, probs: usize): f64 {
  const rb = <usize>c * 4;
  const xr = logits + <usize>r * rb, pr = probs + <usize>r * rb;
  const max = rowMax(xr, c);
  const z = expRow(xr, c, max, pr);
  scaleRow(pr, c, 1 / z);
  const y = load<i32>(targets + <usize>r * 4);
  if (y == ignoreIndex) return 0;
  return hostLog(z) + <f64>max - <f64>load<f32>(xr + <usize>y * 4);
}

/** dLogits[r, :] += scale · (probs[r, :] − onehot(targets[r])) for rows whose target is kept. */
export function softmaxCrossEntropyBackward(probs: usize, n: i32, c: i32, targets: usize, ignoreIndex: i32,
  scale: f64, dLogits: usize): void {
  const rb = <usize>c * 4;
  const sv = f64x2.splat(scale);
  for (let r = 0; r < n; r++) {
    const t = load<i32>(targets + <usize>r * 4);
    if (t == ignoreIndex) continue;
    const pr = probs + <usize>r * rb, dr = dLogits + <usize>r * rb;
    let j = 0;
    for (; j + 3 < c; j += 4) {
      const o = <usize>j * 4;
      const p = v128.load(pr + o), d = v128.load(dr + o);
      v128.store(dr + o, join2(f64x2.add(lo2(d), f64x2.mul(sv, lo2(p))), f64x2.add(hi2(d), f64x2.mul(sv, hi2(p)))));
    }
    for (; j < c; j++) {
      const o = <usize>j * 4;
      store<f32>(dr + o, <f32>(<f64>load<f32>(dr + o) + scale * <f64>load<f32>(pr + o)));
    }
    const o = <usize>t * 4;
    store<f32>(dr + o, <f32>(<f64>load<f32>(dr + o) - scale));
  }
}
