/**
 * Layout of a recurrent layer's weights for batch-1 steps (asm/step.ts): rows regrouped by blocks of
 * hidden units, one block per thread, then packed in panels of PANEL rows stored k-major. Plain array code,
 * run once per set of weights.
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
