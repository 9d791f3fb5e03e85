import { noGrad, withRecurrenceProbe, type RecurrenceProbe } from '../tensor/index.js';
import type { CharLM } from './char_lm.js';
import type { CharVocab } from './streams.js';
import { CELL_GATES } from '../kernels/index.js';

/** What one recurrent layer did at every step of a text; arrays are time-major, row t holds step t. */
export interface LayerTrace {
  /** h_t, [T, H]. */
  h: Float32Array;
  /** LSTM: the cell state c_t, [T, H]; null otherwise. */
  c: Float32Array | null;
  /** LSTM and GRU: the gate activations after their nonlinearity, [T, G·H] in the blocks of CELL_GATES. */
  gates: Float32Array | null;
}

/** A character model's activations over a text, step by step: what traceCharLM records. */
export interface CharTrace {
  /** The characters fed, one per step. */
  chars: string[];
  hiddenSize: number;
  gateNames: readonly string[];
  layers: LayerTrace[];
  /** p(next character | text up to and including step t), [T, V], in the vocabulary's order. */
  probs: Float32Array;
}

/**
 * Runs a character model over `text` once, from a zero state, and keeps every layer's hidden state,
 * cell state and gate activations at every step, with the predicted distribution of the next character:
 * what "Visualizing and Understanding Recurrent Networks" (Karpathy et al. 2015) colours text by.
 * It watches the fused recurrence through its probe, so the numbers are those of the model's own forward
 * pass (dropout off), not of a re-implementation.
 */
export function traceCharLM(model: CharLM, vocab: CharVocab, text: string): CharTrace {
  const chars = [...text];
  if (chars.length === 0) throw new Error('traceCharLM: the text is empty');
  const unknown = vocab.unknown(text);
  if (unknown.length) throw new Error(`traceCharLM: the text has characters the model never saw: ${unknown.map((c) => JSON.stringify(c)).join(', ')}`);
  const { hiddenSize: H, numLayers: L, cell, vocabSize: V } = model.config;
  if (V !== vocab.size) throw new Error(`traceCharLM: the model has ${V} output classes but the vocabulary ${vocab.size} characters`);
  const T = chars.length;
  const gateNames = CELL_GATES[cell];
  const G = gateNames.length;
  const layers: LayerTrace[] = Array.from({ length: L }, () => ({
    h: new Float32Array(T * H),
    c: cell === 'lstm' ? new Float32Array(T * H) : null,
    gates: G ? new Float32Array(T * G * H) : null,
  }));
  // copies each step out of the recurrence's buffers (which the kernels reuse, and may be WebAssembly memory)
  const probe: RecurrenceProbe = {
    forward(where, t, gates, h, c) {
      if (where.reverse || where.layer >= L) return;
      const lt = layers[where.layer];
      lt.h.set(h.subarray(0, H), t * H);
      if (lt.c && c) lt.c.set(c.subarray(0, H), t * H);
      if (lt.gates) lt.gates.set(gates.subarray(0, G * H), t * G * H);
    },
  };
  const wasTraining = model.training;
  model.eval();
  try {
    const logits = noGrad(() => withRecurrenceProbe(probe, () => model.forward(vocab.encode(text), [T, 1], null).logits));
    return { chars, hiddenSize: H, gateNames, layers, probs: softmaxRows(logits.data, T, V) };
  } finally {
    model.train(wasTraining);
  }
}

/** Row-wise softmax in double precision, into a fresh array. */
function softmaxRows(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, x[o + j]);
    let z = 0;
    for (let j = 0; j < cols; j++) z += Math.exp(x[o + j] - max);
    for (let j = 0; j < cols; j++) out[o + j] = Math.exp(x[o + j] - max) / z;
  }
  return out;
}

/** The k most likely entries of a probability row, most likely first. */
export function topPredictions(p: ArrayLike<number>, k: number): { index: number; p: number }[] {
  const best: { index: number; p: number }[] = [];
  for (let j = 0; j < p.length; j++) {
    if (best.length < k || p[j] > best[best.length - 1].p) {
      best.push({ index: j, p: p[j] });
      best.sort((a, b) => b.p - a.p);
      if (best.length > k) best.pop();
    }
  }
  return best;
}
