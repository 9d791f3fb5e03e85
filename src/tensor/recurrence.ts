import { kernels } from '../kernels/registry.js';
import type { SequenceArgs } from '../kernels/backend.js';
import { gateCount, type CellKind } from '../kernels/cells.js';
import { Tensor, record, gradSink, gradTarget, shapeStr } from './tensor.js';

/**
 * The fused recurrent op: one direction of one layer over a whole sequence, as ONE node on the tape.
 *
 * The input projection x_t W_ihᵀ + b_ih for all time steps is done beforehand by one big matrix
 * multiply (ops/linear.ts); only h_{t-1} W_hhᵀ stays inside the time loop. Backward walks the steps in
 * reverse, storing ∂L/∂gates for every step, so that the weight gradient ∂L/∂W_hh is one big multiply
 * after the loop — the way cuDNN does it — and ∂L/∂(x W_ihᵀ) flows back into that first multiply.
 *
 * The cell equations live next to the kernels that compute them: kernels/reference/{rnn,lstm,gru}.ts.
 */
/** Which recurrence a probe is watching: its name in errors, its layer and its direction. */
export interface RecurrenceSite {
  /** A name for messages, e.g. `LSTM_l1_reverse`. */
  tag: string;
  /** The layer, counted from 0 (a lone cell or a one-layer decoder is layer 0). */
  layer: number;
  reverse: boolean;
}

/** Sees every step of every recurrence while it is installed (the gradient-flow lab uses this). */
export interface RecurrenceProbe {
  /** After step t: gate activations (B × G·H), h_t, and c_t for the LSTM. */
  forward?(site: RecurrenceSite, t: number, gates: Float32Array, h: Float32Array, c: Float32Array | null): void;
  /** During backward at step t: dh = ∂L/∂h_t in full, and for the LSTM dc = ∂L/∂c_t arriving from step t+1. */
  backward?(site: RecurrenceSite, t: number, dh: Float32Array, dc: Float32Array | null): void;
}

let probe: RecurrenceProbe | null = null;

/** Runs fn with `p` watching every recurrence. */
export function withRecurrenceProbe<T>(p: RecurrenceProbe, fn: () => T): T {
  const prev = probe;
  probe = p;
  try {
    return fn();
  } finally {
    probe = prev;
  }
}

export interface RecurrenceResult {
  /** [T, B, H]: h_t for every step, in time order (also for the reverse direction); zero past each row's end. */
  output: Tensor;
  /** [B, H]: the last state reached (h_0 of the original order for the reverse direction), each row's own. */
  h: Tensor;
  /** [B, H]: the last cell state, LSTM only. */
  c: Tensor | null;
}

/** The options of one recurrence: its direction, its name and layer for probes and messages, and its live rows. */
export interface RecurrenceOptions {
  reverse?: boolean;
  tag?: string;
  layer?: number;
  /**
   * Variable-length batches: batchSizes[t] rows are live at step t, the batch sorted longest first
   * (kernels/backend.ts, SequenceArgs, states the contract). Absent: every row runs all T steps.
   */
  batchSizes?: Int32Array | null;
}

/**
 * Runs the recurrence over xw = x W_ihᵀ + b_ih, shape [T, B, G·H].
 * NOTE: xw's buffer is reused in place for the gate activations, so xw must be a fresh
 * intermediate that nothing else reads (the layers in nn/ guarantee that).
 */
export function recurrence(kind: CellKind, xw: Tensor, h0: Tensor | null, c0: Tensor | null,
  wHh: Tensor, bHh: Tensor | null, opts: RecurrenceOptions = {}): RecurrenceResult {
  const reverse = opts.reverse ?? false;
  const tag = opts.tag ?? kind;
  const site: RecurrenceSite = { tag, layer: opts.layer ?? 0, reverse };
  const G = gateCount(kind);
  const H = wHh.shape[1];
  if (wHh.ndim !== 2 || wHh.shape[0] !== G * H) throw new Error(`${tag}: W_hh must be [${G}·H, H], got ${shapeStr(wHh.shape)}`);
  if (xw.ndim !== 3 || xw.shape[2] !== G * H) throw new Error(`${tag}: projected input must be [T, B, ${G * H}], got ${shapeStr(xw.shape)}`);
  const [T, B] = xw.shape;
  const BH = B * H, BG = B * G * H;
  for (const [s, name] of [[h0, 'h0'], [c0, 'c0']] as const) {
    if (s && (s.ndim !== 2 || s.shape[0] !== B || s.shape[1] !== H)) throw new Error(`${tag}: ${name} must be [${B}, ${H}], got ${shapeStr(s.shape)}`);
  }
  if (bHh && (bHh.ndim !== 1 || bHh.shape[0] !== G * H)) throw new Error(`${tag}: b_hh must be [${G * H}], got ${shapeStr(bHh.shape)}`);
  if (T === 0) throw new Error(`${tag}: the sequence is empty (T = 0)`);
  const bs = opts.batchSizes ?? null;
  if (bs) checkBatchSizes(bs, T, B, tag);
  // the live rows at step t: all of them without batchSizes
  const live = (t: number) => (bs ? bs[t] : B);

  const K = kernels();
  const act = kind === 'rnn_relu' ? 'relu' : 'tanh';
  const gates = xw.data; // becomes the activations, saved for backward
  // written in full at every step (uninitialized: no zero-fill of megabytes per call)
  const hs = K.alloc(T * BH, true);
  const cs = kind === 'lstm' ? K.alloc(T * BH, true) : null;
  const ghs = kind === 'gru' ? K.alloc(T * BG, true) : null;
  const zeros = !h0 || (kind === 'lstm' && !c0) ? K.alloc(BH) : null;
  const hInit = h0 ? h0.data : zeros!;
  const cInit = c0 ? c0.data : zeros!;
  if (bHh && kind !== 'gru') K.addRowVector(gates, bHh.data, T * B);

  const at = (buf: Float32Array, t: number, w: number) => buf.subarray(t * w, (t + 1) * w);
  // the time step that came before t in processing order, or -1 for the initial state
  const before = (t: number) => (reverse ? (t === T - 1 ? -1 : t + 1) : t - 1);
  const hPrevAt = (t: number) => (before(t) < 0 ? hInit : at(hs, before(t), BH));
  const cPrevAt = (t: number) => (before(t) < 0 ? cInit : at(cs!, before(t), BH));

  // A backend with whole-sequence kernels runs the loop below in one call (and may split the batch over
  // threads); the step loop stays for the others. A probe sees every step afterwards and only reads,
  // so that watching a run never changes its numbers.
  const seq: SequenceArgs = { kind, T, B, H, reverse, gates, wHh: wHh.data, hInit, cInit: kind === 'lstm' ? cInit : null, hs, cs, ghs };
  if (bs) seq.batchSizes = bs;
  const whole = K.recurrenceForward?.(seq, bHh && kind === 'gru' ? bHh.data : null) === true;
  if (whole && probe?.forward) for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    probe.forward(site, t, at(gates, t, BG), at(hs, t, BH), cs ? at(cs, t, BH) : null);
  }
  if (!whole) for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const n = live(t), nH = n * H, nG = n * G * H;
    const g = at(gates, t, BG), hPrev = hPrevAt(t), h = at(hs, t, BH);
    // rows past the live ones carry their state through this step
    if (n < B) {
      h.set(hPrev.subarray(nH), nH);
      if (cs) at(cs, t, BH).set(cPrevAt(t).subarray(nH), nH);
    }
    if (n > 0) {
      const gl = g.subarray(0, nG), hp = hPrev.subarray(0, nH), hl = h.subarray(0, nH);
      if (kind === 'gru') {
        const gh = at(ghs!, t, BG).subarray(0, nG);
        fillRows(gh, bHh ? bHh.data : null, n);
        K.gemm(false, true, n, G * H, H, hp, wHh.data, gh, true);
        K.gruForward(n, H, gl, gh, hp, hl);
      } else {
        K.gemm(false, true, n, G * H, H, hp, wHh.data, gl, true);
        if (kind === 'lstm') K.lstmForward(n, H, gl, cPrevAt(t).subarray(0, nH), at(cs!, t, BH).subarray(0, nH), hl);
        else K.rnnForward(act, gl, hl);
      }
    }
    probe?.forward?.(site, t, g, h, cs ? at(cs, t, BH) : null);
  }

  const last = reverse ? 0 : T - 1;
  // with batchSizes the output is a masked copy (hs keeps the carried states that backward reads)
  const output = new Tensor(bs ? maskedCopy(hs, bs, T, B, H) : hs, [T, B, H]);
  const hT = Tensor.zeros([B, H]);
  hT.data.set(at(hs, last, BH));
  let cT: Tensor | null = null;
  if (cs) {
    cT = Tensor.zeros([B, H]);
    cT.data.set(at(cs, last, BH));
  }
  const saved = gates.byteLength + hs.byteLength + (cs?.byteLength ?? 0) + (ghs?.byteLength ?? 0);
  const outputs = cT ? [output, hT, cT] : [output, hT];

  record(kind, [xw, h0, c0, wHh, bHh], outputs, saved, ([gOut, ghT, gcT]) => {
    const K = kernels();
    const fresh = xw.grad === null;
    // a fresh gradient of xw is written in full below, so it needs no zero-fill
    if (fresh && xw.requiresGrad) xw.grad = Tensor.empty(xw.shape);
    const sinkXw = gradSink(xw);
    // ∂L/∂gates for every step; written straight into xw's gradient when nothing is there yet
    const dG = sinkXw && fresh ? sinkXw : K.alloc(T * BG, true);
    const dGh = kind === 'gru' ? K.alloc(T * BG, true) : dG;
    let dh = K.alloc(BH);
    let spare = kind === 'gru' ? K.alloc(BH) : null;
    if (ghT) dh.set(ghT);
    const dc = kind === 'lstm' ? K.alloc(BH) : null;
    if (dc && gcT) dc.set(gcT);

    // a carried state is detached: then ∂L/∂h_0 has no taker, and the last step's multiply by W_hh is spared
    const initGrad = !!(h0?.requiresGrad || c0?.requiresGrad);
    const whole = K.recurrenceBackward?.(seq, gOut ?? null, dG, kind === 'gru' ? dGh : null, dh, dc, initGrad) === true;
    const watcher = probe;
    if (whole && watcher?.backward) {
      replayBackward(kind, T, B, H, reverse, bs, gates, cs, wHh.data, dG, dGh, gOut ?? null, ghT ?? null, gcT ?? null,
        (t, dhT, dcT) => watcher.backward!(site, t, dhT, dcT));
    }
    if (!whole) for (let s = T - 1; s >= 0; s--) {
      const t = reverse ? T - 1 - s : s;
      const n = live(t), nH = n * H, nG = n * G * H;
      const dhl = dh.subarray(0, nH);
      if (gOut) K.addScaled(dhl, at(gOut, t, BH).subarray(0, nH), 1, dhl);
      probe?.backward?.(site, t, dh, dc);
      const g = at(gates, t, BG).subarray(0, nG), dg = at(dG, t, BG);
      // rows that are not live: no gate gradient, and ∂L/∂h (∂L/∂c) passes through unchanged
      if (n < B) dg.fill(0, nG);
      if (kind === 'gru') {
        const dgh = at(dGh, t, BG);
        if (n < B) {
          dgh.fill(0, nG);
          spare!.set(dh.subarray(nH), nH);
        }
        if (n > 0) {
          const sl = spare!.subarray(0, nH), dghl = dgh.subarray(0, nG);
          K.gruBackward(n, H, g, at(ghs!, t, BG).subarray(0, nG), hPrevAt(t).subarray(0, nH), dhl, dg.subarray(0, nG), dghl, sl);
          if (s > 0 || initGrad) K.gemm(false, false, n, H, G * H, dghl, wHh.data, sl, true);
        }
        [dh, spare] = [spare!, dh];
      } else if (n > 0) {
        const dgl = dg.subarray(0, nG);
        if (kind === 'lstm') K.lstmBackward(n, H, g, cPrevAt(t).subarray(0, nH), at(cs!, t, BH).subarray(0, nH), dhl, dc!.subarray(0, nH), dgl);
        else K.rnnBackward(act, at(hs, t, BH).subarray(0, nH), dhl, dgl);
        if (s > 0 || initGrad) K.gemm(false, false, n, H, G * H, dgl, wHh.data, dhl, false);
      }
    }

    if (sinkXw && dG !== sinkXw) K.addScaled(sinkXw, dG, 1, sinkXw);
    const gh0 = gradSink(h0), gc0 = gradSink(c0);
    if (gh0) K.addScaled(gh0, dh, 1, gh0);
    if (gc0 && dc) K.addScaled(gc0, dc, 1, gc0);
    const gW = gradTarget(wHh);
    if (gW) {
      // Σ_t dGh_tᵀ · h_{t-1}: the initial state's step alone, the other T−1 steps in one multiply
      const first = reverse ? T - 1 : 0;
      K.gemm(true, false, G * H, H, B, at(dGh, first, BG), hInit, gW.data, gW.accumulate);
      if (T > 1) {
        const dBlock = reverse ? dGh.subarray(0, (T - 1) * BG) : dGh.subarray(BG);
        const hBlock = reverse ? hs.subarray(BH) : hs.subarray(0, (T - 1) * BH);
        K.gemm(true, false, G * H, H, (T - 1) * B, dBlock, hBlock, gW.data, true);
      }
    }
    const gb = gradTarget(bHh);
    if (gb) K.sumRows(dGh, T * B, gb.data, gb.accumulate);
    // this pass's own buffers, back at once (dG may be xw's gradient, which the tape frees)
    for (const x of new Set([dh, dc, spare, dG === sinkXw ? null : dG, dGh === dG ? null : dGh])) if (x) K.free?.(x);
  }, [cs, ghs, zeros, bs ? hs : null].filter((x): x is Float32Array => x !== null));
  return { output, h: hT, c: cT };
}

/** batchSizes as the SequenceArgs contract has them: T counts, the first B, none growing, none negative. */
function checkBatchSizes(bs: Int32Array, T: number, B: number, tag: string): void {
  if (!(bs instanceof Int32Array) || bs.length !== T) throw new Error(`${tag}: batchSizes must be an Int32Array of ${T} counts, got ${bs?.length} values`);
  if (bs[0] !== B) throw new Error(`${tag}: batchSizes[0] must be the batch size ${B}, got ${bs[0]}`);
  for (let t = 1; t < T; t++) {
    if (!(bs[t] >= 0 && bs[t] <= bs[t - 1])) throw new Error(`${tag}: batchSizes must not grow and not go below 0, got ${bs[t - 1]} then ${bs[t]} at step ${t}`);
  }
}

/** A copy of hs [T, B, H] with the rows that are not live at each step set to zero. */
function maskedCopy(hs: Float32Array, bs: Int32Array, T: number, B: number, H: number): Float32Array {
  const out = new Float32Array(T * B * H);
  for (let t = 0; t < T; t++) out.set(hs.subarray(t * B * H, (t * B + bs[t]) * H), t * B * H);
  return out;
}

/** Every row of the rows × v.length matrix m set to v, or to zero without v. */
function fillRows(m: Float32Array, v: Float32Array | null, rows: number): void {
  if (!v) {
    m.fill(0);
    return;
  }
  for (let r = 0; r < rows; r++) m.set(v, r * v.length);
}

/**
 * Rebuilds, for a probe, the ∂L/∂h_t (and the LSTM's ∂L/∂c_t arriving from step t+1) that a
 * whole-sequence backward kernel does not keep, from the gate gradients it wrote; everything lands in
 * scratch buffers, so the gradients of the op stay exactly as the kernel computed them.
 */
function replayBackward(kind: CellKind, T: number, B: number, H: number, reverse: boolean, bs: Int32Array | null, gates: Float32Array,
  cs: Float32Array | null, wHh: Float32Array, dG: Float32Array, dGh: Float32Array, gOut: Float32Array | null,
  ghT: Float32Array | null, gcT: Float32Array | null, see: (t: number, dh: Float32Array, dc: Float32Array | null) => void): void {
  const K = kernels();
  const G = gateCount(kind), BH = B * H, BG = B * G * H;
  const at = (buf: Float32Array, t: number, w: number) => buf.subarray(t * w, (t + 1) * w);
  const carry = new Float32Array(BH);
  if (ghT) carry.set(ghT);
  const dc = kind === 'lstm' ? new Float32Array(BH) : null;
  if (dc && gcT) dc.set(gcT);
  const dh = new Float32Array(BH);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    // rows past the live ones get no gOut and pass dh (and dc) through unchanged
    const n = bs ? bs[t] : B, nH = n * H;
    for (let i = 0; i < BH; i++) dh[i] = carry[i] + (gOut && i < nH ? gOut[t * BH + i] : 0);
    see(t, dh, dc);
    if (n === 0) continue;
    const g = at(gates, t, BG);
    if (kind === 'gru') {
      // ∂L/∂h_{t-1} = dh ⊙ z + dgh W_hh
      for (let b = 0; b < n; b++) for (let j = 0; j < H; j++) carry[b * H + j] = dh[b * H + j] * g[b * G * H + H + j];
      K.gemm(false, false, n, H, G * H, at(dGh, t, BG).subarray(0, n * G * H), wHh, carry.subarray(0, nH), true);
    } else {
      K.gemm(false, false, n, H, G * H, at(dG, t, BG).subarray(0, n * G * H), wHh, carry.subarray(0, nH), false);
      if (dc) {
        const c = at(cs!, t, BH);
        for (let b = 0; b < n; b++) for (let j = 0; j < H; j++) {
          const k = b * H + j, o = g[b * G * H + 3 * H + j], f = g[b * G * H + H + j], tc = Math.tanh(c[k]);
          dc[k] = (dc[k] + dh[k] * o * (1 - tc * tc)) * f;
        }
      }
    }
  }
}
