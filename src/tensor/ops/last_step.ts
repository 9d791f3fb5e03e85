import { ConfigError, DataError } from '../../errors.js';
import { Tensor, record, gradSink, shapeStr } from '../tensor.js';

/** Options of {@link gatherLast} and {@link maskedMean}. */
export interface LengthsOptions {
  /** The input is [B, T, F] rather than the time-major [T, B, F] (default false). */
  batchFirst?: boolean;
}

/** The layout of a padded batch [T, B, F] or [B, T, F] with its lengths checked to be integers in [1, T]. */
interface Padded { T: number; B: number; F: number; len: Int32Array; at: (t: number, b: number) => number }

function padded(x: Tensor, lengths: Int32Array | readonly number[], opts: LengthsOptions, op: string): Padded {
  const bf = opts.batchFirst ?? false;
  if (typeof bf !== 'boolean') throw new ConfigError('batchFirst', `${op}: batchFirst must be true or false, got ${String(bf)}`);
  const layout = bf ? '[B, T, F]' : '[T, B, F]';
  if (!(x instanceof Tensor) || x.ndim !== 3) {
    throw new DataError('input', `${op}: input must be a Tensor ${layout}, got ${x instanceof Tensor ? shapeStr(x.shape) : typeof x}`);
  }
  const [T, B] = bf ? [x.shape[1], x.shape[0]] : [x.shape[0], x.shape[1]];
  const F = x.shape[2];
  if (!(lengths instanceof Int32Array) && !Array.isArray(lengths)) {
    throw new DataError('lengths', `${op}: lengths must be an Int32Array or an array of ${B} integers, got ${lengths === null ? 'null' : typeof lengths}`);
  }
  if (lengths.length !== B) throw new DataError('lengths', `${op}: ${lengths.length} lengths for a batch of ${B} (input ${shapeStr(x.shape)} is ${layout}), expected ${B}`);
  const len = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const L = lengths[b];
    if (!Number.isInteger(L) || L < 1 || L > T) {
      throw new DataError('lengths', `${op}: lengths[${b}] is ${L}, expected an integer in [1, ${T}] (the padded length T of ${shapeStr(x.shape)})`);
    }
    len[b] = L;
  }
  const at = bf ? (t: number, b: number) => (b * T + t) * F : (t: number, b: number) => (t * B + b) * F;
  return { T, B, F, len, at };
}

/**
 * Each sequence's last real step: out[b, :] = x[lengths[b] − 1, b, :] from a padded batch x [T, B, F]
 * ([B, T, F] with batchFirst) → [B, F]. What a classifier reads off a unidirectional layer's output.
 * Backward: the gradient of out[b] goes to that one step; every other step gets none.
 */
export function gatherLast(x: Tensor, lengths: Int32Array | readonly number[], opts: LengthsOptions = {}): Tensor {
  const { B, F, len, at } = padded(x, lengths, opts, 'gatherLast');
  const out = Tensor.zeros([B, F]);
  for (let b = 0; b < B; b++) {
    const s = at(len[b] - 1, b);
    out.data.set(x.data.subarray(s, s + F), b * F);
  }
  record('gatherLast', [x], [out], len.byteLength, ([g]) => {
    const gx = gradSink(x);
    if (!gx) return;
    for (let b = 0; b < B; b++) {
      const s = at(len[b] - 1, b);
      for (let f = 0; f < F; f++) gx[s + f] += g![b * F + f];
    }
  });
  return out;
}

/**
 * The mean over each sequence's real steps: out[b, :] = (1/L_b)·Σ_{t < L_b} x[t, b, :] with L_b = lengths[b],
 * from x [T, B, F] ([B, T, F] with batchFirst) → [B, F]; padding is never read.
 * Backward: ∂out[b, f]/∂x[t, b, f] = 1/L_b for t < L_b, 0 past the end.
 */
export function maskedMean(x: Tensor, lengths: Int32Array | readonly number[], opts: LengthsOptions = {}): Tensor {
  const { B, F, len, at } = padded(x, lengths, opts, 'maskedMean');
  const out = Tensor.zeros([B, F]);
  const acc = new Float64Array(F);
  for (let b = 0; b < B; b++) {
    acc.fill(0);
    for (let t = 0; t < len[b]; t++) {
      const s = at(t, b);
      for (let f = 0; f < F; f++) acc[f] += x.data[s + f];
    }
    for (let f = 0; f < F; f++) out.data[b * F + f] = acc[f] / len[b];
  }
  record('maskedMean', [x], [out], len.byteLength, ([g]) => {
    const gx = gradSink(x);
    if (!gx) return;
    for (let b = 0; b < B; b++) {
      const inv = 1 / len[b];
      for (let t = 0; t < len[b]; t++) {
        const s = at(t, b);
        for (let f = 0; f < F; f++) gx[s + f] += g![b * F + f] * inv;
      }
    }
  });
  return out;
}
