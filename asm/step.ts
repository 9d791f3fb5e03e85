// One recurrent step at batch 1 (sampling, one character at a time) on weights packed for it.
//
// A batch of one turns the per-step product into a matrix–vector product, where the gemm's dot-product
// path spends instructions on addressing four rows and on horizontal sums. Here the rows of W are packed
// in panels of 24, each stored k-major ([k][24]): one broadcast of x_k, six loads and six multiply-adds
// cover 24 rows, and the sums end in lanes, never reduced across a vector. Six sums keep both adders
// busy through the add latency; with eight V8 spilled them to the stack (16 against 30 GFLOP/s here,
// where panels of 16 with four sums reached 28).
//
// The rows are also regrouped by units, so that a block of hidden units [u0, u0 + nu) owns all of its
// gate rows — [i f g o] of those units for the LSTM, [r z n] for the GRU — in the order the cell kernels
// expect for a layer of nu units. A thread then runs the whole step for its units: input row, products,
// cell math, and for the last layer its units' share of the logits; the units never meet inside a step.
// src/kernels/wasm/step.ts lays the weights out.
import { lstmForward } from './lstm';
import { gruForward } from './gru';
import { rnnForward } from './rnn';
import { copy } from './memory';
import { LSTM, GRU } from './codes';

// rows per panel: six vectors of four (src/kernels/wasm/step.ts's PANEL, which lays them out)
const PANEL: i32 = 24;

/** out[0 … 24·nPanels) (+)= W x for W packed in panels of 24 rows, each [k][24]. */
export function matvecPanels(k: i32, x: usize, panels: usize, nPanels: i32, out: usize, accumulate: i32): void {
  for (let q = 0; q < nPanels; q++) {
    let p = panels + <usize>q * <usize>k * <usize>PANEL * 4;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0), a4 = f32x4.splat(0), a5 = f32x4.splat(0);
    for (let j = 0; j < k; j++) {
      const s = v128.load32_splat(x + <usize>j * 4);
      a0 = f32x4.add(a0, f32x4.mul(s, v128.load(p))); a1 = f32x4.add(a1, f32x4.mul(s, v128.load(p, 16)));
      a2 = f32x4.add(a2, f32x4.mul(s, v128.load(p, 32))); a3 = f32x4.add(a3, f32x4.mul(s, v128.load(p, 48)));
      a4 = f32x4.add(a4, f32x4.mul(s, v128.load(p, 64))); a5 = f32x4.add(a5, f32x4.mul(s, v128.load(p, 80)));
      p += <usize>PANEL * 4;
    }
    const o = out + <usize>q * <usize>PANEL * 4;
    if (accumulate) {
      a0 = f32x4.add(v128.load(o), a0); a1 = f32x4.add(v128.load(o, 16), a1); a2 = f32x4.add(v128.load(o, 32), a2);
      a3 = f32x4.add(v128.load(o, 48), a3); a4 = f32x4.add(v128.load(o, 64), a4); a5 = f32x4.add(v128.load(o, 80), a5);
    }
    v128.store(o, a0); v128.store(o, a1, 16); v128.store(o, a2, 32); v128.store(o, a3, 48); v128.store(o, a4, 64); v128.store(o, a5, 80);
  }
}

/**
 * Units [u0, u0 + nu) of one step. This part's gate rows, G·nu padded to `rows` (a multiple of 24), are
 * `gates` (its own scratch): gates = inRow, the part's slice of a one-hot table row or of the input bias;
 * with wIh (panels, k = I), gates += W_ih x; the GRU's recurrent half gh = bHh slice + W_hh h_{t−1}, the
 * other cells' gates += W_hh h_{t−1}. Then the cell on a layer of nu units writes h[u0 …] (and c[u0 …]).
 * hPrev, cPrev, h, c are whole [H] vectors.
 *
 * With an output layer after this one (head ≠ 0: columns u0 … u0 + nu of W_hy in headPanels panels,
 * k = nu), this part's share of the logits, W_hy[:, u0 …] h[u0 …], goes to `partial`: the caller adds the
 * parts' shares to the bias, so the output layer needs no pass of its own after the threads meet.
 */
export function stepPart(kind: i32, H: i32, I: i32, u0: i32, nu: i32, rows: i32,
  inRow: usize, x: usize, wIh: usize, wHh: usize, bHh: usize, hPrev: usize, cPrev: usize,
  gates: usize, gh: usize, h: usize, c: usize, head: usize, headPanels: i32, partial: usize): void {
  const panels = rows / PANEL;
  copy(gates, inRow, <usize>rows * 4);
  if (wIh) matvecPanels(I, x, wIh, panels, gates, 1);
  const off = <usize>u0 * 4;
  if (kind == GRU) {
    copy(gh, bHh, <usize>rows * 4);
    matvecPanels(H, hPrev, wHh, panels, gh, 1);
    gruForward(1, nu, gates, gh, hPrev + off, h + off);
  } else {
    matvecPanels(H, hPrev, wHh, panels, gates, 1);
    if (kind == LSTM) lstmForward(1, nu, gates, cPrev + off, c + off, h + off);
    else rnnForward(kind, gates, h + off, nu);
  }
  if (head) matvecPanels(nu, h + off, head, headPanels, partial, 0);
}
