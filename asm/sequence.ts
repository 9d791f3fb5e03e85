// The time loop of one recurrent layer (one direction) in a single call, over a block of batch rows
// [b0, b0 + nb). The rows of a batch never mix inside a recurrence, so two threads can each run the whole
// sequence on their own block with no synchronisation per step; and one call per sequence instead of
// three per step removes the JavaScript ↔ WebAssembly traffic from the loop.
//
// Layouts are those of src/tensor/recurrence.ts: time-major, gates [T, B, G·H] (pre-activations in,
// activations out), hs and cs [T, B, H], ghs (GRU: the recurrent half h_{t−1} W_hhᵀ + b_hh) [T, B, 3H].
// The step math is that of the step kernels (rnn.ts, lstm.ts, gru.ts), which these loops call.
//
// Variable-length batches (batchSizes ≠ 0: [T] i32, non-increasing, as SequenceArgs.batchSizes in
// src/kernels/backend.ts): rows 0 … batchSizes[t]−1 are live at step t, so this block's live rows are its
// first live(t) ones and each step's product and cell run over those alone; the others carry their state.
import { gemm } from './gemm';
import { lstmForward, lstmBackward } from './lstm';
import { gruForward, gruBackward } from './gru';
import { rnnForward, rnnBackward } from './rnn';
import { addScaled } from './elementwise';
import { copy, zero } from './memory';
import { LSTM, GRU, gateCount } from './codes';

// Rows of the block [b0, b0+nb) live at step t: all without batchSizes, else clamp(batchSizes[t] − b0, 0, nb).
// @ts-ignore: decorator
@inline
function liveRows(batchSizes: usize, t: i32, b0: i32, nb: i32): i32 {
  if (!batchSizes) return nb;
  return min(nb, max(0, load<i32>(batchSizes + <usize>t * 4) - b0));
}

// Byte address of rows [b0, …) of time step t in a [T, B, w] buffer.
// @ts-ignore: decorator
@inline
function at(buf: usize, t: i32, B: i32, b0: i32, w: i32): usize {
  return buf + (<usize>t * <usize>B + <usize>b0) * <usize>w * 4;
}

/**
 * Forward over all T steps for batch rows [b0, b0+nb). reverse: process t = T−1 … 0. bHh: the GRU's
 * recurrent bias (0 = none; the other cells have it added to the gates beforehand). hInit, cInit: [B, H].
 * work: gemmWorkspaceBytes() of scratch for this thread alone. batchSizes: [T] live rows per step, or 0.
 */
export function recurrenceForward(kind: i32, T: i32, B: i32, H: i32, b0: i32, nb: i32, reverse: i32,
  gates: usize, wHh: usize, bHh: usize, hInit: usize, cInit: usize, hs: usize, cs: usize, ghs: usize, work: usize,
  batchSizes: usize): void {
  const G = gateCount(kind), GH = G * H;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const tp = reverse ? t + 1 : t - 1;
    const first = s == 0;
    const live = liveRows(batchSizes, t, b0, nb);
    const g = at(gates, t, B, b0, GH), h = at(hs, t, B, b0, H);
    const hPrev = first ? hInit + <usize>b0 * <usize>H * 4 : at(hs, tp, B, b0, H);
    const cPrev = kind == LSTM ? (first ? cInit + <usize>b0 * <usize>H * 4 : at(cs, tp, B, b0, H)) : 0;
    if (live > 0) {
      if (kind == GRU) {
        const gh = at(ghs, t, B, b0, GH);
        for (let r = 0; r < live; r++) {
          const row = gh + <usize>r * <usize>GH * 4;
          if (bHh) copy(row, bHh, <usize>GH * 4);
          else zero(row, <usize>GH * 4);
        }
        gemm(0, 1, live, GH, H, hPrev, H, wHh, H, gh, GH, 1, work);
        gruForward(live, H, g, gh, hPrev, h);
      } else {
        gemm(0, 1, live, GH, H, hPrev, H, wHh, H, g, GH, 1, work);
        if (kind == LSTM) lstmForward(live, H, g, cPrev, at(cs, t, B, b0, H), h);
        else rnnForward(kind, g, h, live * H);
      }
    }
    if (live < nb) {
      // rows past their end (or, in reverse, before their start) carry their state through this step
      const skip = <usize>live * <usize>H * 4, bytes = <usize>(nb - live) * <usize>H * 4;
      copy(h + skip, hPrev + skip, bytes);
      if (kind == LSTM) copy(at(cs, t, B, b0, H) + skip, cPrev + skip, bytes);
    }
  }
}

/**
 * Backward over all T steps for batch rows [b0, b0+nb), in reverse processing order. On entry dh (and
 * dc for the LSTM), [B, H], hold ∂L/∂h_T (∂L/∂c_T) from after the sequence; on return ∂L/∂h_0 (∂L/∂c_0).
 * gOut: ∂L/∂output [T, B, H] or 0. dG: ∂L/∂gates [T, B, G·H] written; dGh (GRU): ∂L/∂(recurrent half)
 * [T, B, 3H] written. spare: [B, H] scratch (GRU). wT: W_hhᵀ, [H, G·H]: with it the per-step product
 * dG_t·W_hh takes the unpacked dot-product path of gemm, instead of packing all of W_hh at every step.
 * initGrad = 0: nobody needs ∂L/∂h_0 (a detached carried state), so the last step's product is skipped
 * and dh holds no meaningful value on return (dc still does). batchSizes: [T] live rows per step, or 0;
 * rows that are not live get zeros in dG (and dGh), and their ∂L/∂h (∂L/∂c) passes through unchanged.
 */
export function recurrenceBackward(kind: i32, T: i32, B: i32, H: i32, b0: i32, nb: i32, reverse: i32,
  gates: usize, wT: usize, hInit: usize, cInit: usize, hs: usize, cs: usize, ghs: usize, gOut: usize,
  dG: usize, dGh: usize, dh: usize, dc: usize, spare: usize, initGrad: i32, work: usize, batchSizes: usize): void {
  const G = gateCount(kind), GH = G * H;
  const off = <usize>b0 * <usize>H * 4;
  let d = dh + off, other = spare + off;
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const tp = reverse ? t + 1 : t - 1;
    const first = s == 0;
    const live = liveRows(batchSizes, t, b0, nb), n = live * H;
    const g = at(gates, t, B, b0, GH), dg = at(dG, t, B, b0, GH);
    if (live < nb) {
      const skip = <usize>live * <usize>GH * 4, bytes = <usize>(nb - live) * <usize>GH * 4;
      zero(dg + skip, bytes);
      if (kind == GRU) zero(at(dGh, t, B, b0, GH) + skip, bytes);
    }
    if (live == 0) continue;
    if (gOut) addScaled(d, at(gOut, t, B, b0, H), 1, d, n);
    const hPrev = first ? hInit + off : at(hs, tp, B, b0, H);
    if (kind == GRU) {
      const dgh = at(dGh, t, B, b0, GH);
      gruBackward(live, H, g, at(ghs, t, B, b0, GH), hPrev, d, dg, dgh, other);
      if (!first || initGrad) gemm(0, 1, live, H, GH, dgh, GH, wT, GH, other, H, 1, work);
      // rows that are not live keep their ∂L/∂h across the swap
      if (live < nb) copy(other + <usize>n * 4, d + <usize>n * 4, <usize>(nb - live) * <usize>H * 4);
      const x = d; d = other; other = x;
    } else {
      if (kind == LSTM) {
        const cPrev = first ? cInit + off : at(cs, tp, B, b0, H);
        lstmBackward(live, H, g, cPrev, at(cs, t, B, b0, H), d, dc + off, dg);
      } else {
        rnnBackward(kind, at(hs, t, B, b0, H), d, dg, n);
      }
      if (!first || initGrad) gemm(0, 1, live, H, GH, dg, GH, wT, GH, d, H, 0, work);
    }
  }
  if (d != dh + off) copy(dh + off, d, <usize>nb * <usize>H * 4);
}
