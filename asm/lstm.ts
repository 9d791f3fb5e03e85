// One LSTM step (backward and notes: src/kernels/reference/lstm.ts), gate order i, f, g, o:
//
//   [i f g o] = [σ σ tanh σ](W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)     (the caller's matrix multiplies)
//   c_t = f ⊙ c_{t-1} + i ⊙ g
//   h_t = o ⊙ tanh(c_t)
//
// in float32 lanes, four hidden units at a time. pi, pf, pg, po point at the four gate blocks of a row.
import { tanh4, oneMinusSq4, loadPartial, storePartial } from './math';
import { activate } from './elementwise';
import { SIGMOID, TANH } from './codes';

/** gates (b × 4h pre-activations) ← activations; c = f ⊙ cPrev + i ⊙ g; hOut = o ⊙ tanh(c). */
export function lstmForward(b: i32, h: i32, gates: usize, cPrev: usize, c: usize, hOut: usize): void {
  const h4 = <usize>h * 4;
  for (let r = 0; r < b; r++) {
    const pi = gates + <usize>r * 4 * h4, pf = pi + h4, pg = pi + 2 * h4, po = pi + 3 * h4;
    const so = <usize>r * h4;
    const cp = cPrev + so, co = c + so, ho = hOut + so;
    // Each function in a loop of its own, over a row: short loop bodies, whose iterations the CPU
    // overlaps, where one body with all five functions ran at the latency of two exp chains in a row.
    activate(SIGMOID, pi, pi, 2 * h); // i, f
    activate(TANH, pg, pg, h);
    activate(SIGMOID, po, po, h);
    let j = 0;
    for (; j + 3 < h; j += 4) {
      const u = <usize>j * 4;
      const ct = f32x4.add(f32x4.mul(v128.load(pf + u), v128.load(cp + u)), f32x4.mul(v128.load(pi + u), v128.load(pg + u)));
      v128.store(co + u, ct);
    }
    for (; j < h; j++) {
      const u = <usize>j * 4;
      store<f32>(co + u, load<f32>(pf + u) * load<f32>(cp + u) + load<f32>(pi + u) * load<f32>(pg + u));
    }
    activate(TANH, co, ho, h); // tanh(c), then ⊙ o
    j = 0;
    for (; j + 3 < h; j += 4) {
      const u = <usize>j * 4;
      v128.store(ho + u, f32x4.mul(v128.load(po + u), v128.load(ho + u)));
    }
    for (; j < h; j++) {
      const u = <usize>j * 4;
      store<f32>(ho + u, load<f32>(po + u) * load<f32>(ho + u));
    }
  }
}

// Four units at a time in float32. 1 − y² is taken as (1 − y)(1 + y), which keeps its relative accuracy
// near |y| = 1; each output then carries a few float32 roundings (the reference rounds once, from double).
// @ts-ignore: decorator
@inline
function backward4(pi: usize, h4: usize, cpp: usize, cp: usize, dhp: usize, dcp: usize, dpi: usize, n: i32): void {
  const full = n == 4;
  const one = f32x4.splat(1);
  const pf = pi + h4, pg = pi + 2 * h4, po = pi + 3 * h4;
  const i = full ? v128.load(pi) : loadPartial(pi, n);
  const f = full ? v128.load(pf) : loadPartial(pf, n);
  const g = full ? v128.load(pg) : loadPartial(pg, n);
  const o = full ? v128.load(po) : loadPartial(po, n);
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
  // ∂L/∂ of each gate's pre-activation, into the same blocks of dGates
  const dpf = dpi + h4, dpg = dpi + 2 * h4, dpo = dpi + 3 * h4;
  if (full) {
    v128.store(dpi, di); v128.store(dpf, df); v128.store(dpg, dg); v128.store(dpo, dO);
    v128.store(dcp, dcOut);
  } else {
    storePartial(dpi, di, n); storePartial(dpf, df, n); storePartial(dpg, dg, n); storePartial(dpo, dO, n);
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
      const u = <usize>j * 4;
      backward4(gates + go + u, h4, cPrev + so + u, c + so + u, dh + so + u, dc + so + u, dGates + go + u, 4);
    }
    if (j < h) {
      const u = <usize>j * 4;
      backward4(gates + go + u, h4, cPrev + so + u, c + so + u, dh + so + u, dc + so + u, dGates + go + u, h - j);
    }
  }
}
