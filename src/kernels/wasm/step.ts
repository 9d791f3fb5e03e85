import type { StepLayer, StepLayerWeights } from '../backend.js';
import { gateCount } from '../cells.js';
import { cellCode } from './codes.js';
import type { WasmHeap } from './memory.js';
import { need } from './staging.js';
import { Parts, F, MATVEC_SPLIT, blocks, type Part } from './split.js';

/**
 * The wasm backend's step layer (Backend.stepLayer): a recurrent layer's weights laid out for batch-1
 * steps (asm/step.ts), rows regrouped by blocks of hidden units, one block per thread, then packed in
 * panels of PANEL rows stored k-major (plain array code, run once per set of weights), and the step
 * that runs on them.
 */

/** Rows per panel of the packed layout (asm/step.ts computes six vectors of four at a time). */
export const PANEL = 24;

export interface StepPart {
  /** First hidden unit and unit count of the block. */
  u0: number;
  nu: number;
  /** The block's first packed row (a multiple of PANEL) and its row count (G·nu, padded to PANEL). */
  row0: number;
  rows: number;
}

export interface StepLayout {
  parts: StepPart[];
  /** Packed rows in all. */
  rows: number;
  /** For each packed row, the row of the original [G·H, ·] matrix it holds, or −1 for padding. */
  source: Int32Array;
}

/**
 * Splits H units into the given blocks ([u0, nu] pairs) and lists, block by block, gate by gate, the
 * original rows g·H + u of each block's units, padded with −1 to a multiple of PANEL.
 */
export function stepLayout(gates: number, H: number, blocks: ReadonlyArray<readonly [number, number]>): StepLayout {
  const parts: StepPart[] = [];
  const source: number[] = [];
  for (const [u0, nu] of blocks) {
    const row0 = source.length;
    for (let g = 0; g < gates; g++) for (let u = u0; u < u0 + nu; u++) source.push(g * H + u);
    while (source.length % PANEL) source.push(-1);
    parts.push({ u0, nu, row0, rows: source.length - row0 });
  }
  return { parts, rows: source.length, source: Int32Array.from(source) };
}

/**
 * dst (rows·k floats) ← columns [col0, col0 + k) of the rows `source` lists of src (rows `ld` floats long,
 * by default k and 0: whole rows), in panels of PANEL rows each stored [k][PANEL].
 */
export function packPanels(src: Float32Array, k: number, source: Int32Array, dst: Float32Array, ld = k, col0 = 0): void {
  for (let r = 0; r < source.length; r++) {
    const s = source[r], base = (r - (r % PANEL)) * k + (r % PANEL);
    if (s < 0) for (let j = 0; j < k; j++) dst[base + j * PANEL] = 0;
    else for (let j = 0, o = s * ld + col0; j < k; j++) dst[base + j * PANEL] = src[o + j];
  }
}

/** dst[r] ← v[source[r]] (0 for padding, or where there is no v): a vector in the packed row order. */
export function permuteRows(v: Float32Array | null, source: Int32Array, dst: Float32Array, dstOffset = 0): void {
  for (let r = 0; r < source.length; r++) dst[dstOffset + r] = v && source[r] >= 0 ? v[source[r]] : 0;
}

// asm/step.ts's stepPart arguments, in order: one name per slot
const STEP_ARGS = ['kind', 'H', 'I', 'u0', 'nu', 'rows', 'inRow', 'x', 'wIh', 'wHh', 'bHh', 'hPrev', 'cPrev', 'gates', 'gh',
  'h', 'c', 'head', 'headPanels', 'partial'] as const;
/** Each stepPart argument's slot, by name. */
const AT = Object.fromEntries(STEP_ARGS.map((name, i) => [name, i])) as Readonly<Record<(typeof STEP_ARGS)[number], number>>;
const stepArgs = (a: Record<(typeof STEP_ARGS)[number], number>): number[] => STEP_ARGS.map((name) => a[name]);

/**
 * Backend.stepLayer of the wasm backend: a copy of the layer's weights in the heap, laid out as above, and
 * a step that runs asm/step.ts's stepPart on each block of units (one block per thread where it pays).
 */
export function makeStepLayer(wt: StepLayerWeights, heap: WasmHeap, par: Parts): StepLayer | null {
  const o = (x: Float32Array) => heap.ptrOf(x);
  const G = gateCount(wt.kind), H = wt.hidden, GH = G * H;
  need(wt.wHh, GH * H, 'W_hh', 'stepLayer');
  if (wt.bHh) need(wt.bHh, GH, 'b_hh', 'stepLayer');
  if (!wt.table === !wt.wIh || (wt.wIh && !wt.bIn)) throw new Error('stepLayer: give either a one-hot table or W_ih with its bias');
  if (wt.bIn) need(wt.bIn, GH, 'input bias', 'stepLayer');
  // one block of units per thread where the product is worth splitting, like a matrix–vector product;
  // at least two such blocks even on one thread, so that the output layer's sum over the blocks' shares
  // (below) is the same, bit for bit, whatever the thread count
  const split = GH * H >= MATVEC_SPLIT ? Math.max(2, par.threads) : 1;
  const lay = stepLayout(G, H, blocks(H, split, 4, 4));
  const R = lay.rows;
  const I = wt.wIh ? wt.wIh.length / GH : 0;
  const V = wt.table ? wt.table.length / GH : 0;
  if (!Number.isInteger(I) || !Number.isInteger(V)) throw new Error(`stepLayer: W_ih or the table is not a whole number of rows of ${GH}`);
  // weights copied into the heap in the packed order; the views keep the blocks alive as long as the layer
  const wHh = heap.alloc(R * H, true);
  packPanels(wt.wHh, H, lay.source, wHh);
  const wIh = wt.wIh ? heap.alloc(R * I, true) : null;
  if (wIh) packPanels(wt.wIh!, I, lay.source, wIh);
  const bIn = wt.bIn ? heap.alloc(R, true) : null;
  if (bIn) permuteRows(wt.bIn!, lay.source, bIn);
  const table = wt.table ? heap.alloc(V * R, true) : null;
  if (table) for (let v = 0; v < V; v++) permuteRows(wt.table!.subarray(v * GH, (v + 1) * GH), lay.source, table, v * R);
  const bHh = wt.kind === 'gru' ? heap.alloc(R, true) : null;
  if (bHh) permuteRows(wt.bHh, lay.source, bHh);
  const gates = heap.alloc(R, true), gh = wt.kind === 'gru' ? heap.alloc(R, true) : null;
  // the output layer: each block's columns of W_hy, so that each thread adds its units' share of the logits
  const head = wt.head ?? null;
  const out = head ? head.weight.length / H : 0;
  if (!Number.isInteger(out)) throw new Error(`stepLayer: the output weight is not a whole number of rows of ${H}`);
  if (head?.bias) need(head.bias, out, 'output bias', 'stepLayer');
  const headPanels = Math.ceil(out / PANEL), share = headPanels * PANEL;
  const headW = head ? heap.alloc(share * H, true) : null;
  const partials = head ? heap.alloc(share * lay.parts.length, true) : null;
  if (head) {
    // rows 0 … out − 1 of W_hy, then padding; each block's own columns [u0, u0 + nu), with k = nu
    const rows = Int32Array.from({ length: share }, (_, r) => (r < out ? r : -1));
    for (const p of lay.parts) packPanels(head.weight, p.nu, rows, headW!.subarray(share * p.u0, share * (p.u0 + p.nu)), H, p.u0);
  }
  const headBias = head?.bias ? Float32Array.from(head.bias) : new Float32Array(out);
  for (const x of [wHh, wIh, bIn, table, bHh, gates, gh, headW, partials]) if (x && o(x) < 0) return null; // the heap is full
  const kind = cellCode(wt.kind);
  // asm stepPart's arguments, one array per part; inRow, x and the state vectors change from step to step
  const parts = lay.parts.map((p, i): Part => [F.stepPart, stepArgs({
    kind, H, I, u0: p.u0, nu: p.nu, rows: p.rows, inRow: 0, x: 0, wIh: wIh ? o(wIh) + 4 * p.row0 * I : 0,
    wHh: o(wHh) + 4 * p.row0 * H, bHh: bHh ? o(bHh) + 4 * p.row0 : 0, hPrev: 0, cPrev: 0, gates: o(gates) + 4 * p.row0,
    gh: gh ? o(gh) + 4 * p.row0 : 0, h: 0, c: 0, head: headW ? o(headW) + 4 * share * p.u0 : 0, headPanels,
    partial: partials ? o(partials) + 4 * share * i : 0,
  })]);
  const lstm = wt.kind === 'lstm';
  return {
    step(input, hPrev, cPrev, h, c, logits) {
      let inRow: number, x = 0;
      if (typeof input === 'number') {
        if (!table) throw new Error('stepLayer: this layer takes a dense input, not a table row');
        if (!(Number.isInteger(input) && input >= 0 && input < V)) throw new RangeError(`stepLayer: input ${input} out of range for ${V} rows`);
        inRow = o(table) + 4 * input * R;
      } else {
        if (!bIn) throw new Error('stepLayer: this layer takes a table row, not a dense input');
        need(input, I, 'x', 'stepLayer');
        inRow = o(bIn); x = o(input);
      }
      need(hPrev, H, 'hPrev', 'stepLayer'); need(h, H, 'h', 'stepLayer');
      if (lstm) { need(cPrev!, H, 'cPrev', 'stepLayer'); need(c!, H, 'c', 'stepLayer'); }
      const ph = o(hPrev), pc = lstm ? o(cPrev!) : 0, oh = o(h), oc = lstm ? o(c!) : 0;
      if (x < 0 || ph < 0 || oh < 0 || pc < 0 || oc < 0) throw new Error('stepLayer: the state vectors must come from this backend\'s alloc');
      if (head && !(logits && logits.length >= out)) throw new RangeError(`stepLayer: this layer computes the logits: give a [${out}] vector for them`);
      // the per-step arguments of each part: its slice of the input row, x, the state vectors
      for (let i = 0; i < parts.length; i++) {
        const a = parts[i][1];
        a[AT.inRow] = inRow + 4 * lay.parts[i].row0; a[AT.x] = x; a[AT.hPrev] = ph; a[AT.cPrev] = pc; a[AT.h] = oh; a[AT.c] = oc;
      }
      par.run(parts);
      if (head) {
        // logits = b + Σ over the blocks, in block order, of each block's share (float32 sums)
        for (let j = 0; j < out; j++) {
          let s = headBias[j];
          for (let i = 0; i < parts.length; i++) s = Math.fround(s + partials![share * i + j]);
          logits![j] = s;
        }
      }
    },
  };
}
