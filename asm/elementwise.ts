// Elementwise kernels and reductions. Where the reference does its arithmetic in double precision
// (everything but the transcendental functions), these do the same in f64x2 lanes and round once at the
// end, which makes them bit-identical to the reference at no cost that matters: they are memory-bound.
import { tanh4, sigmoid4, lo2, hi2, join2, loadPartial, storePartial } from './math';
import { copy } from './memory';
import { TANH, SIGMOID, RELU } from './codes';

// @ts-ignore: decorator
@inline
function act4(kind: i32, x: v128): v128 {
  if (kind == TANH) return tanh4(x);
  if (kind == SIGMOID) return sigmoid4(x);
  if (kind == RELU) return f32x4.pmax(f32x4.splat(0), x); // NaN → 0, as x > 0 ? x : 0
  return x;
}

/** out[i] = f(x[i]) for n floats; out may be x. */
export function activate(kind: i32, x: usize, out: usize, n: i32): void {
  if (kind > RELU) {
    if (x != out) copy(out, x, <usize>n * 4);
    return;
  }
  let i = 0;
  // Sixteen at a time for the transcendental ones: four exp chains side by side keep more of the CPU
  // busy than the latency of one (a quarter faster than one at a time).
  if (kind == TANH) {
    for (; i + 15 < n; i += 16) {
      const p = <usize>i * 4;
      const a = tanh4(v128.load(x + p)), b = tanh4(v128.load(x + p + 16));
      const c = tanh4(v128.load(x + p + 32)), d = tanh4(v128.load(x + p + 48));
      v128.store(out + p, a); v128.store(out + p + 16, b); v128.store(out + p + 32, c); v128.store(out + p + 48, d);
    }
  } else if (kind == SIGMOID) {
    for (; i + 15 < n; i += 16) {
      const p = <usize>i * 4;
      const a = sigmoid4(v128.load(x + p)), b = sigmoid4(v128.load(x + p + 16));
      const c = sigmoid4(v128.load(x + p + 32)), d = sigmoid4(v128.load(x + p + 48));
      v128.store(out + p, a); v128.store(out + p + 16, b); v128.store(out + p + 32, c); v128.store(out + p + 48, d);
    }
  }
  for (; i + 3 < n; i += 4) v128.store(out + <usize>i * 4, act4(kind, v128.load(x + <usize>i * 4)));
  if (i < n) storePartial(out + <usize>i * 4, act4(kind, loadPartial(x + <usize>i * 4, n - i)), n - i);
}

// dy · f'(y) for two lanes in double precision, in the reference's order of operations.
// @ts-ignore: decorator
@inline
function dAct2(kind: i32, y: v128, dy: v128): v128 {
  const one = f64x2.splat(1);
  if (kind == TANH) return f64x2.mul(dy, f64x2.sub(one, f64x2.mul(y, y)));
  return f64x2.mul(f64x2.mul(dy, y), f64x2.sub(one, y)); // SIGMOID
}

// @ts-ignore: decorator
@inline
function dAct4(kind: i32, y: v128, dy: v128, dx: v128, acc: bool): v128 {
  if (kind == RELU || kind > RELU) {
    // no arithmetic besides the sum, which rounds alike in float32 and double
    const d = kind == RELU ? v128.and(dy, f32x4.gt(y, f32x4.splat(0))) : dy;
    return acc ? f32x4.add(dx, d) : d;
  }
  let l = dAct2(kind, lo2(y), lo2(dy)), h = dAct2(kind, hi2(y), hi2(dy));
  if (acc) { l = f64x2.add(lo2(dx), l); h = f64x2.add(hi2(dx), h); }
  return join2(l, h);
}

/** dx[i] (+)= dy[i] · f'(y[i]), with f' written in terms of the output y. */
export function activateBackward(kind: i32, y: usize, dy: usize, dx: usize, n: i32, accumulate: i32): void {
  const acc = accumulate != 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const o = <usize>i * 4;
    const old = acc ? v128.load(dx + o) : f32x4.splat(0);
    v128.store(dx + o, dAct4(kind, v128.load(y + o), v128.load(dy + o), old, acc));
  }
  if (i < n) {
    const o = <usize>i * 4, r = n - i;
    const old = acc ? loadPartial(dx + o, r) : f32x4.splat(0);
    storePartial(dx + o, dAct4(kind, loadPartial(y + o, r), loadPartial(dy + o, r), old, acc), r);
  }
}

/** out = a + alpha·b; out may be a or b. */
export function addScaled(a: usize, b: usize, alpha: f64, out: usize, n: i32): void {
  const al = f64x2.splat(alpha);
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const o = <usize>i * 4;
    const va = v128.load(a + o), vb = v128.load(b + o);
    v128.store(out + o, join2(f64x2.add(lo2(va), f64x2.mul(al, lo2(vb))), f64x2.add(hi2(va), f64x2.mul(al, hi2(vb)))));
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    store<f32>(out + o, <f32>(<f64>load<f32>(a + o) + alpha * <f64>load<f32>(b + o)));
  }
}

/** out = a ⊙ b; a float32 product is the double product rounded, so no widening is needed. */
export function mul(a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const o = <usize>i * 4;
    v128.store(out + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    store<f32>(out + o, load<f32>(a + o) * load<f32>(b + o));
  }
}

/** x ← alpha·x, with alpha kept in double precision as in the reference. */
export function scale(x: usize, alpha: f64, n: i32): void {
  const al = f64x2.splat(alpha);
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const o = <usize>i * 4;
    const v = v128.load(x + o);
    v128.store(x + o, join2(f64x2.mul(lo2(v), al), f64x2.mul(hi2(v), al)));
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    store<f32>(x + o, <f32>(<f64>load<f32>(x + o) * alpha));
  }
}

/** Σ x[i]² in double precision (each square is exact in double). */
export function sumSquares(x: usize, n: i32): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const v = v128.load(x + <usize>i * 4);
    const l = lo2(v), h = hi2(v);
    s0 = f64x2.add(s0, f64x2.mul(l, l));
    s1 = f64x2.add(s1, f64x2.mul(h, h));
  }
  const s = f64x2.add(s0, s1);
  let r = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + <usize>i * 4);
    r += v * v;
  }
  return r;
}

/** Σ x[i] in double precision. */
export function sum(x: usize, n: i32): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const v = v128.load(x + <usize>i * 4);
    s0 = f64x2.add(s0, lo2(v));
    s1 = f64x2.add(s1, hi2(v));
  }
  const s = f64x2.add(s0, s1);
  let r = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) r += <f64>load<f32>(x + <usize>i * 4);
  return r;
}

/** x[r, :] += v for every row of the rows × w matrix x. */
export function addRowVector(x: usize, v: usize, w: i32, rows: i32): void {
  for (let r = 0; r < rows; r++) addInto(x + <usize>(r * w) * 4, v, w);
}

// dst[j] += src[j] for j < n.
// @ts-ignore: decorator
@inline
function addInto(dst: usize, src: usize, n: i32): void {
  let j = 0;
  for (; j + 3 < n; j += 4) {
    const o = <usize>j * 4;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; j < n; j++) {
    const o = <usize>j * 4;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

/**
 * out (+)= Σ_r x[r, :] for a rows × w matrix whose rows are ldx floats apart (ldx = w when dense; a block
 * of columns of a wider matrix otherwise). Sixteen columns at a time are summed in registers down all
 * rows, in row order, which rounds exactly like the reference's running sums.
 */
export function sumRows(x: usize, rows: i32, w: i32, ldx: i32, out: usize, accumulate: i32): void {
  const acc = accumulate != 0;
  const rs = <usize>ldx * 4;
  let j = 0;
  for (; j + 15 < w; j += 16) {
    const o = <usize>j * 4;
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    if (acc) { s0 = v128.load(out + o); s1 = v128.load(out + o, 16); s2 = v128.load(out + o, 32); s3 = v128.load(out + o, 48); }
    let p = x + o;
    for (let r = 0; r < rows; r++) {
      s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32)); s3 = f32x4.add(s3, v128.load(p, 48));
      p += rs;
    }
    v128.store(out + o, s0); v128.store(out + o, s1, 16); v128.store(out + o, s2, 32); v128.store(out + o, s3, 48);
  }
  for (; j + 3 < w; j += 4) {
    const o = <usize>j * 4;
    let s = acc ? v128.load(out + o) : f32x4.splat(0);
    let p = x + o;
    for (let r = 0; r < rows; r++) { s = f32x4.add(s, v128.load(p)); p += rs; }
    v128.store(out + o, s);
  }
  for (; j < w; j++) {
    const o = <usize>j * 4;
    let s: f32 = acc ? load<f32>(out + o) : 0;
    let p = x + o;
    for (let r = 0; r < rows; r++) { s += load<f32>(p); p += rs; }
    store<f32>(out + o, s);
  }
}

/** out[r, :] = table[ids[r], :] for nIds int32 ids. */
export function gatherRows(table: usize, width: i32, ids: usize, nIds: i32, out: usize): void {
  const rb = <usize>width * 4;
  for (let r = 0; r < nIds; r++) {
    copy(out + <usize>r * rb, table + <usize>load<i32>(ids + <usize>r * 4) * rb, rb);
  }
}

/** table[ids[r], :] += src[r, :], rows in order (repeated ids add up in that order). */
export function scatterAddRows(table: usize, width: i32, ids: usize, nIds: i32, src: usize): void {
  const rb = <usize>width * 4;
  for (let r = 0; r < nIds; r++) {
    addInto(table + <usize>load<i32>(ids + <usize>r * 4) * rb, src + <usize>r * rb, width);
  }
}
