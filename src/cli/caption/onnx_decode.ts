import * as ort from 'onnxruntime-node';
import { CaptionSearch, searchOptions, type DecodeOptions } from '../../caption/index.js';

/*
 * Captions written by a captioner's exported decoder step (exportCaptionerStep) run under ONNX Runtime:
 * the same search as decodeCaptions (CaptionSearch), fed by the graph's logits instead of rnnkit's.
 */

/** The sizes an exported step declares: state size H, and whether it has c (LSTM) and start (inject = init). */
function stepShape(session: ort.InferenceSession): { H: number; F: number; V: number; lstm: boolean; init: boolean } {
  const meta = new Map([...session.inputMetadata, ...session.outputMetadata].map((m) => [m.name, m]));
  const dim = (name: string, i: number) => {
    const m = meta.get(name);
    const d = m && m.isTensor ? m.shape[i] : undefined;
    if (typeof d !== 'number') throw new Error(`the ONNX model is not a captioner step exported by rnnkit: its '${name}' has no fixed size`);
    return d;
  };
  for (const n of ['word', 'feature', 'h', 'logits', 'h_out']) if (!meta.has(n)) throw new Error(`the ONNX model is not a captioner step exported by rnnkit: it has no input '${n}'`);
  return { H: dim('h', 1), F: dim('feature', 1), V: dim('logits', 1), lstm: meta.has('c'), init: meta.has('start') };
}

/** Rows `sel` of a row-major [rows, D] array. */
function pick(a: Float32Array, D: number, sel: Int32Array): Float32Array {
  const out = new Float32Array(sel.length * D);
  sel.forEach((r, i) => out.set(a.subarray(r * D, (r + 1) * D), i * D));
  return out;
}

/**
 * Captions for N images (features [N·F], row-major) by the exported decoder step `step` (its bytes or
 * file path), with decodeCaptions' options: the word ids of each caption, without <START> and <END>.
 */
export async function decodeCaptionsONNX(step: Uint8Array | string, features: Float32Array, opts: DecodeOptions = {}): Promise<Int32Array[]> {
  const session = typeof step === 'string' ? await ort.InferenceSession.create(step) : await ort.InferenceSession.create(step);
  try {
    const { H, F, V, lstm, init } = stepShape(session);
    if (features.length % F) throw new Error(`features hold ${features.length} values, not a whole number of ${F}-value rows`);
    const N = features.length / F;
    const o = searchOptions(opts);
    const out: Int32Array[] = [];
    for (let i0 = 0; i0 < N; i0 += o.chunk) {
      const n = Math.min(o.chunk, N - i0);
      let feats: Float32Array = features.subarray(i0 * F, (i0 + n) * F);
      let h: Float32Array = new Float32Array(n * H), c: Float32Array = new Float32Array(n * H);
      const search = new CaptionSearch(n, V, o);
      let first = true;
      while (!search.finished) {
        if (!first && search.rows) {
          h = pick(h, H, search.rows);
          c = pick(c, H, search.rows);
          feats = pick(feats, F, search.rows);
        }
        const rows = search.ids.length;
        const feeds: Record<string, ort.Tensor> = {
          word: new ort.Tensor('int64', BigInt64Array.from(search.ids, (w) => BigInt(w)), [rows]),
          feature: new ort.Tensor('float32', Float32Array.from(feats), [rows, F]),
          h: new ort.Tensor('float32', Float32Array.from(h), [rows, H]),
        };
        if (lstm) feeds.c = new ort.Tensor('float32', Float32Array.from(c), [rows, H]);
        if (init) feeds.start = new ort.Tensor('bool', new Uint8Array(rows).fill(first ? 1 : 0), [rows]);
        const r = await session.run(feeds);
        h = r.h_out.data as Float32Array;
        if (lstm) c = r.c_out.data as Float32Array;
        search.advance(r.logits.data as Float32Array);
        first = false;
      }
      out.push(...search.captions());
    }
    return out;
  } finally {
    await session.release();
  }
}
