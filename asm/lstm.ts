// One LSTM step (see src/kernels/reference/lstm.ts for the equations; gate order i, f, g, o), in
// float32 lanes, four hidden units at a time.
import { tanh4, oneMinusSq4, loadPartial, storePartial } from './math';
import { activate } from './elementwise';
import { SIGMOID, TANH } from './codes';

/** gates (b × 4h pre-activations) ← activations; c = f ⊙ cPrev + i ⊙ g; hOut = o ⊙ tanh(c). */
export function lstmForward(b: i32, h: i32, gates: usize, cPrev: usize, c: usize, hOut: usize): void {
  const h4 = <usize>h * 4;
  for (let r = 0; r < b; r++) {
    const go = gates + <usize>r * 4 * h4, so = <usize>r * h4;
    const cp = cPrev + so, co = c + so, ho = hOut + so;
    // Each function in a loop of its own, over a row: short loop bodies, whose iterations the CPU
    // overlaps, where one body with all five functions ran at the latency of two exp chains in a row.
    activate(SIGMOID, go, go, 2 * h); // i, f
    activate(TANH, go + 2 * h4, go + 2 * h4, h); // g
    activate(SIGMOID, go + 3 * h4, go + 3 * h4, h); // o
    let j = 0;
    for (; j + 3 < h; j += 4) {
      const o = <usize>j * 4;
      const ct = f32x4.add(f32x4.mul(v128.load(go + h4 + o), v128.load(cp + o)), f32x4.mul(v128.load(go + o), v128.load(go + 2 * h4 + o)));
      v128.store(co + o, ct);
    }
    for (; j < h; j++) {
      const o = <usize>j * 4;
      store<f32>(co + o, load<f32>(go + h4 + o) * load<f32>(cp + o) + load<f32>(go + o) * load<f32>(go + 2 * h4 + o));
    }
    activate(TANH, co, ho, h); // tanh(c), then ⊙ o
    j = 0;
    for (; j + 3 < h; j += 4) {
      const o = <usize>j * 4;
      v128.store(ho + o, f32x4.mul(v128.load(go + 3 * h4 + o), v128.load(ho + o)));
    }
    for (; j < h; j++) {
      const o = <usize>j * 4;
      store<f32>(ho + o, load<f32>(go + 3 * h4 + o) * load<f32>(ho + o));
    }
  }
}

// Four units at a time in float32. 1 − y² is taken as (1 − y)(1 + y), which keeps its relative accuracy
// near |y| = 1; each output then carries a few float32 roundings (the reference rounds once, from double).
// @ts-ignore: decorator
@inline
function backward4(gp: usize, h4: usize, cpp: usize, cp: usize, dhp: usize, dcp: usize, dgp: usize, n: i32): void {
  const full = n == 4;
  const one = f32x4.splat(1);
  const i = full ? v128.load(gp) : loadPartial(gp, n);
  const f = full ? v128.load(gp + h4) : loadPartial(gp + h4, n);
  const g = full ? v128.load(gp + 2 * h4) : loadPartial(gp + 2 * h4, n);
  const o = full ? v128.load(gp + 3 * h4) : loadPartial(gp + 3 * h4, n);
  const cPrev = full ? v128.load(cpp) : loadPartial(cpp, n);
  const tc = tanh4(full ? v128.load(cp) : loadPartial(cp, n));
  const dh = full ? v128.load(dhp) : loadPartial(dhp, n);
  const dc = full ? v128.load(dcp) : loadPartial(dcp, n);
  const dct = f32x4.add(dc, f32x4.mul(f32x4.mul(dh, o), oneMinusSq4(tc)));
  const di = f32x4.mul(f32x4.mul(f32x4.mul(dct, g), i), f32x4.sub(one, i));
  const df = f32x4.mul(f32x4.mul(f32x4.mul(dct, cPrev), f), f32x4.sub(one, f));
  const dg = f32x4.mul(f32x4.mul(dct, i), oneMinusSq4(g));
  const dO = f32x4.mul(f32x4.mul(f32x4.mul(dh, tc), o), f32x4.sub(one, o));
  const dcOut = f32x4.mul(dct, f);
  if (full) {
    v128.store(dgp, di); v128.store(dgp + h4, df); v128.store(dgp + 2 * h4, dg); v128.store(dgp + 3 * h4, dO);
    v128.store(dcp, dcOut);
  } else {
    storePartial(dgp, di, n); storePartial(dgp + h4, df, n); storePartial(dgp + 2 * h4, dg, n); storePartial(dgp + 3 * h4, dO, n);
    storePartial(dcp, dcOut, n);
  }
}

/** dGates from the activations and dh, dc; dc ← ∂L/∂c_{t−1}. */
export function lstmBackward(b: i32, h: i32, gates: usize, cPrev: usize, c: usize, dh: usize, dc: usize, dGates: usize): void {
  const h4 = <usize>h * 4;
  for (let r = 0; r < b; r++) {
    const go = <usize>r * 4 * h4, so = <usize>r * h4;
    let j = 0;
    for (; j + 3 < h; j += 4) {
      const o = <usize>j * 4;
      backward4(gates + go + o, h4, cPrev + so + o, c + so + o, dh + so + o, dc + so + o, dGates + go + o, 4);
    }
    if (j < h) {
      const o = <usize>j * 4;
      backward4(gates + go + o, h4, cPrev + so + o, c + so + o, dh + so + o, dc + so + o, dGates + go + o, h - j);
    }
  }
}
