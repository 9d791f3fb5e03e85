import { ngramCounts } from './bleu.js';

/**
 * CIDEr-D (Vedantam, Zitnick and Parikh, "CIDEr: Consensus-based Image Description Evaluation", 2015)
 * as the COCO caption evaluation computes it, with its defaults: n-grams of 1 to 4 words weighted by
 * TF-IDF, the document frequencies taken from the reference sets of the images being evaluated (df(g)
 * = the number of images whose references contain g, idf = log(#images) − log(max(1, df))); for each n
 * the similarity to each reference is Σ_g min(w_hyp(g), w_ref(g))·w_ref(g) / (‖w_hyp‖‖w_ref‖) (the
 * clipping that makes it "-D"), times a Gaussian length penalty exp(−δ²/2σ²) with σ = 6, averaged
 * over the references, then over n = 1…4, times 10. Like the reference code, the term frequencies are
 * raw counts and δ is the difference in the number of bigrams (the caption lengths' difference for
 * captions of two words or more). Returns the corpus score (the mean) and each image's.
 */
export function ciderD(hypotheses: readonly (readonly string[])[], references: readonly (readonly (readonly string[])[])[],
  opts: { n?: number; sigma?: number } = {}): { score: number; scores: number[] } {
  const N = opts.n ?? 4, sigma = opts.sigma ?? 6;
  if (hypotheses.length !== references.length) throw new Error(`CIDEr-D: ${hypotheses.length} hypotheses but ${references.length} reference sets`);
  if (!hypotheses.length) throw new Error('CIDEr-D: no captions to score');
  const counts = (tokens: readonly string[]) => Array.from({ length: N }, (_, k) => ngramCounts(tokens, k + 1));
  const refCounts = references.map((refs) => refs.map(counts));
  const df = new Map<string, number>();
  for (const refs of refCounts) {
    const seen = new Set<string>();
    for (const ref of refs) for (const m of ref) for (const g of m.keys()) seen.add(g);
    for (const g of seen) df.set(g, (df.get(g) ?? 0) + 1);
  }
  const logImages = Math.log(references.length);
  const vec = (c: Map<string, number>[]) => {
    const w = c.map((m) => new Map([...m].map(([g, tf]) => [g, tf * (logImages - Math.log(Math.max(1, df.get(g) ?? 0)))])));
    const norm = w.map((m) => Math.sqrt([...m.values()].reduce((s, x) => s + x * x, 0)));
    const bigrams = [...(c[1]?.values() ?? [])].reduce((s, x) => s + x, 0);
    return { w, norm, bigrams };
  };
  const scores = hypotheses.map((hyp, i) => {
    const refs = refCounts[i];
    if (!refs.length) throw new Error(`CIDEr-D: hypothesis ${i} has no reference`);
    const h = vec(counts(hyp));
    let total = 0;
    for (const rc of refs) {
      const r = vec(rc);
      const delta = h.bigrams - r.bigrams;
      const penalty = Math.exp(-(delta * delta) / (2 * sigma * sigma));
      for (let n = 0; n < N; n++) {
        let v = 0;
        for (const [g, wh] of h.w[n]) {
          const wr = r.w[n].get(g) ?? 0;
          v += Math.min(wh, wr) * wr;
        }
        if (h.norm[n] !== 0 && r.norm[n] !== 0) v /= h.norm[n] * r.norm[n];
        total += v * penalty;
      }
    }
    return (total / N / refs.length) * 10;
  });
  return { score: scores.reduce((s, x) => s + x, 0) / scores.length, scores };
}
