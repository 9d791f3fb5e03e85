import { Tensor, noGrad, defaultGenerator, shapeStr, type Generator } from '../tensor/index.js';
import type { Captioner, CaptionState } from './model.js';
import { START_ID, END_ID, NULL_ID, UNK_ID } from './vocab.js';

/** How {@link decodeCaptions} writes a caption. */
export interface DecodeOptions {
  /** greedy: the most likely word at each step; sample: draw from the softmax at `temperature`; beam: beam search. */
  method?: 'greedy' | 'sample' | 'beam';
  /** Beam width k (beam search). */
  beam?: number;
  /**
   * Beam search ranks finished captions by log p / length^α (α = this; 0: raw log-probability, which
   * favours short captions; 1: the mean log-probability per word, <END> counted).
   */
  lengthPenalty?: number;
  temperature?: number;
  /** Words written at most, <END> not counted. */
  maxLength?: number;
  generator?: Generator;
  /** Images decoded together (bounds memory). */
  chunk?: number;
}

/** Ids that are never written: padding, <START> and <UNK> (a caption never says "unknown word"). */
const NEVER = [NULL_ID, START_ID, UNK_ID];

interface Hyp {
  tokens: number[];
  score: number;
  /** Row of this hypothesis' state in the current step's batch. */
  row: number;
}

/**
 * Captions for images: features [N, F] → N arrays of word ids, without <START> and <END>. The model is
 * run in eval mode without the tape; `onProgress` is called with the number of images done.
 */
export function decodeCaptions(model: Captioner, features: Tensor, opts: DecodeOptions = {}, onProgress?: (done: number) => void): Int32Array[] {
  const o = searchOptions(opts);
  if (features.ndim !== 2) throw new Error(`decodeCaptions: features must be [N, F], got ${shapeStr(features.shape)}`);
  const [N, F] = features.shape;
  const out: Int32Array[] = [];
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      for (let i0 = 0; i0 < N; i0 += o.chunk) {
        const n = Math.min(o.chunk, N - i0);
        const feats = new Tensor(features.data.subarray(i0 * F, (i0 + n) * F), [n, F]);
        out.push(...decodeChunk(model, feats, o));
        onProgress?.(i0 + n);
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return out;
}

/** DecodeOptions checked, with their defaults filled in. */
export function searchOptions(opts: DecodeOptions): SearchOptions & { chunk: number } {
  const method = opts.method ?? (opts.beam && opts.beam > 1 ? 'beam' : 'greedy');
  const k = method === 'beam' ? opts.beam ?? 3 : 1;
  const maxLength = opts.maxLength ?? 20;
  const alpha = opts.lengthPenalty ?? 0;
  const temperature = opts.temperature ?? 1;
  if (!Number.isInteger(k) || k < 1) throw new Error(`beam width must be a positive integer, got ${k}`);
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new Error(`maximum caption length must be a positive integer, got ${maxLength}`);
  if (!(temperature > 0)) throw new Error(`temperature must be > 0, got ${temperature}`);
  if (!(alpha >= 0)) throw new Error(`length penalty must be ≥ 0, got ${alpha}`);
  return { method, k, maxLength, alpha, temperature, rng: opts.generator ?? defaultGenerator, chunk: opts.chunk ?? 250 };
}

function decodeChunk(model: Captioner, feats: Tensor, o: SearchOptions): Int32Array[] {
  const image = model.imageTerm(feats);
  const every = model.config.inject === 'every';
  const search = new CaptionSearch(feats.shape[0], model.config.vocabSize, o);
  let imageRows = image;
  let state: CaptionState | null = null;
  let r: { output: Tensor; state: CaptionState } | null = null;
  while (!search.finished) {
    if (r && search.rows) {
      state = { h: pickRows(r.state.h, search.rows), c: r.state.c ? pickRows(r.state.c, search.rows) : null };
      if (every) imageRows = pickRows(imageRows, search.rows);
    }
    r = model.run(search.ids, [1, search.ids.length], imageRows, state);
    search.advance(model.logits(r.output).data);
  }
  return search.captions();
}

/** How {@link CaptionSearch} chooses words (DecodeOptions with the defaults filled in). */
export interface SearchOptions {
  method: string;
  k: number;
  maxLength: number;
  alpha: number;
  temperature: number;
  rng: Generator;
}

/**
 * The search over captions for n images, one step at a time, apart from the model that scores the
 * words: `ids` are the words to feed next, each continuing row `rows[j]` of the previous step's batch
 * (null at the first step, where row i is image i); `advance` takes the logits [ids.length, V] that
 * the model gave for them. Greedy, sampling and beam search; decodeCaptions drives it with rnnkit's
 * captioner, and a driver of an exported decoder step can drive it the same way.
 */
export class CaptionSearch {
  ids: Int32Array;
  rows: Int32Array | null = null;
  finished = false;
  private t = 0;
  private readonly live: Hyp[][];
  private readonly done: { tokens: number[]; norm: number }[][];
  private readonly closed: Uint8Array;

  constructor(private readonly n: number, private readonly V: number, private readonly o: SearchOptions) {
    this.live = Array.from({ length: n }, (_, i) => [{ tokens: [], score: 0, row: i }]);
    this.done = Array.from({ length: n }, () => []);
    this.closed = new Uint8Array(n);
    this.ids = new Int32Array(n).fill(START_ID);
  }

  /** Takes the logits [ids.length, V] of the words fed and sets the next ids and rows (or finished). */
  advance(logits: Float32Array): void {
    const { o, V, live, done, t } = this;
    const norm = (score: number, len: number) => score / Math.pow(len, o.alpha);
    // a caption has at least one word: no <END> first
    const logp = logSoftmax(logits, this.ids.length, V, o.temperature, t === 0);
    const rows: number[] = [];
    const next: number[] = [];
    for (let i = 0; i < this.n; i++) {
      if (this.closed[i]) continue;
      // at the length limit every live hypothesis ends, with <END>'s probability
      const cands = t === o.maxLength ? live[i].map((h, beam) => ({ beam, word: END_ID, score: h.score + logp[h.row * V + END_ID] }))
        : o.method === 'beam' ? topCandidates(live[i], logp, V, 2 * o.k) : pickOne(live[i][0], logp, V, o.method === 'sample', o.rng);
      const kept: Hyp[] = [];
      // the beam is the best candidates up to the k-th that goes on; those among them that end are finished
      for (const c of cands) {
        if (kept.length === o.k) break;
        const tokens = [...live[i][c.beam].tokens];
        if (c.word === END_ID) {
          done[i].push({ tokens, norm: norm(c.score, tokens.length + 1) });
        } else {
          tokens.push(c.word);
          kept.push({ tokens, score: c.score, row: -1 });
          rows.push(live[i][c.beam].row);
          next.push(c.word);
        }
      }
      // finished when no live hypothesis can still beat the best finished one: log-probabilities only fall
      // as words are added, and a caption is at most maxLength + 1 tokens long
      const bestDone = done[i].reduce((m, h) => Math.max(m, h.norm), -Infinity);
      const bound = kept.reduce((m, h) => Math.max(m, h.score / Math.pow(o.alpha > 0 ? o.maxLength + 1 : 1, o.alpha)), -Infinity);
      if (kept.length === 0 || bestDone >= bound) {
        this.closed[i] = 1;
        // the rows already queued for this image are dropped
        rows.length -= kept.length;
        next.length -= kept.length;
        continue;
      }
      const base = rows.length - kept.length;
      kept.forEach((h, j) => { h.row = base + j; });
      live[i] = kept;
    }
    this.t++;
    if (rows.length === 0 || this.t > o.maxLength) {
      this.finished = true;
      return;
    }
    this.rows = Int32Array.from(rows);
    this.ids = Int32Array.from(next);
  }

  /** The best finished caption of every image, as word ids without <START> and <END>. */
  captions(): Int32Array[] {
    return this.done.map((d) => {
      let best = d[0];
      for (const h of d) if (h.norm > best.norm) best = h;
      return Int32Array.from(best.tokens);
    });
  }
}

/** Row-wise log-softmax of logits / temperature, in double precision, with the never-written ids (and <END> when noEnd) at −∞. */
function logSoftmax(logits: Float32Array, rows: number, V: number, temperature: number, noEnd: boolean): Float64Array {
  const never = noEnd ? [...NEVER, END_ID] : NEVER;
  const out = new Float64Array(rows * V);
  for (let r = 0; r < rows; r++) {
    const o = r * V;
    let max = -Infinity;
    for (let j = 0; j < V; j++) max = Math.max(max, logits[o + j] / temperature);
    let z = 0;
    for (const j of never) if (j < V) out[o + j] = -Infinity;
    for (let j = 0; j < V; j++) if (out[o + j] !== -Infinity) z += Math.exp(logits[o + j] / temperature - max);
    const lz = max + Math.log(z);
    for (let j = 0; j < V; j++) if (out[o + j] !== -Infinity) out[o + j] = logits[o + j] / temperature - lz;
  }
  return out;
}

interface Cand {
  beam: number;
  word: number;
  score: number;
}

/** The best `m` one-word extensions of the live beams, best first. */
function topCandidates(beams: Hyp[], logp: Float64Array, V: number, m: number): Cand[] {
  const top: Cand[] = [];
  beams.forEach((b, bi) => {
    const o = b.row * V;
    for (let w = 0; w < V; w++) {
      const s = b.score + logp[o + w];
      if (s === -Infinity || (top.length === m && s <= top[m - 1].score)) continue;
      let j = Math.min(top.length, m - 1);
      top[j] = { beam: bi, word: w, score: s };
      while (j > 0 && top[j - 1].score < top[j].score) {
        [top[j - 1], top[j]] = [top[j], top[j - 1]];
        j--;
      }
    }
  });
  return top;
}

/** The next word of a single hypothesis: the most likely, or a draw from the distribution. */
function pickOne(h: Hyp, logp: Float64Array, V: number, sample: boolean, rng: Generator): Cand[] {
  const o = h.row * V;
  let word = -1;
  if (sample) {
    let u = rng.random();
    for (let w = 0; w < V && word < 0; w++) {
      u -= Math.exp(logp[o + w]);
      if (u < 0) word = w;
    }
  }
  if (word < 0) {
    // greedy, or a rounding sliver left after sampling: the most likely word
    word = 0;
    for (let w = 1; w < V; w++) if (logp[o + w] > logp[o + word]) word = w;
  }
  return [{ beam: 0, word, score: h.score + logp[o + word] }];
}

/** The rows `sel` of a [N, D] tensor, as a new tensor (no gradient: decoding only). */
function pickRows(t: Tensor, sel: Int32Array): Tensor {
  const D = t.shape[1];
  const out = Tensor.zeros([sel.length, D]);
  for (let i = 0; i < sel.length; i++) out.data.set(t.data.subarray(sel[i] * D, (sel[i] + 1) * D), i * D);
  return out;
}
