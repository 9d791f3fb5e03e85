/**
 * Corpus-level BLEU-1…4 (Papineni et al. 2002) as the COCO caption evaluation computes it
 * (pycocoevalcap's bleu_scorer, option "closest"): modified n-gram precisions clipped by the largest
 * count in any one reference, summed over the whole corpus before dividing; a brevity penalty
 * exp(1 − r/c) when the hypotheses are shorter in total than the references, where r adds up, for each
 * hypothesis, the length of the reference closest to its own (the shorter one on a tie). Captions are
 * lists of tokens (see `tokenize`); scores are fractions in [0, 1].
 */
export interface BleuResult {
  /** BLEU-1 … BLEU-n: the geometric mean of the first n precisions, times the brevity penalty. */
  bleu: number[];
  /** The clipped n-gram precisions p_1 … p_n. */
  precisions: number[];
  brevityPenalty: number;
  hypothesisLength: number;
  referenceLength: number;
}

// the COCO scorer's guards against log 0 and division by 0
const TINY = 1e-15, SMALL = 1e-9;

export function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const g = tokens.slice(i, i + n).join(' ');
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  return m;
}

/** Corpus BLEU-1 … BLEU-maxN of tokenized hypotheses against their reference sets (Papineni et al., with the brevity penalty over the corpus). */
export function corpusBleu(hypotheses: readonly (readonly string[])[], references: readonly (readonly (readonly string[])[])[], maxN = 4): BleuResult {
  if (hypotheses.length !== references.length) throw new Error(`BLEU: ${hypotheses.length} hypotheses but ${references.length} reference sets`);
  const correct = new Array<number>(maxN).fill(0), guess = new Array<number>(maxN).fill(0);
  let c = 0, r = 0;
  hypotheses.forEach((hyp, i) => {
    const refs = references[i];
    if (!refs.length) throw new Error(`BLEU: hypothesis ${i} has no reference`);
    c += hyp.length;
    let best = refs[0].length;
    for (const ref of refs) {
      const d = Math.abs(ref.length - hyp.length), bd = Math.abs(best - hyp.length);
      if (d < bd || (d === bd && ref.length < best)) best = ref.length;
    }
    r += best;
    for (let n = 1; n <= maxN; n++) {
      const maxRef = new Map<string, number>();
      for (const ref of refs) for (const [g, k] of ngramCounts(ref, n)) maxRef.set(g, Math.max(maxRef.get(g) ?? 0, k));
      for (const [g, k] of ngramCounts(hyp, n)) correct[n - 1] += Math.min(k, maxRef.get(g) ?? 0);
      guess[n - 1] += Math.max(0, hyp.length - n + 1);
    }
  });
  const ratio = (c + TINY) / (r + SMALL);
  const bp = ratio < 1 ? Math.exp(1 - 1 / ratio) : 1;
  const bleu: number[] = [];
  let prod = 1;
  for (let n = 1; n <= maxN; n++) {
    prod *= (correct[n - 1] + TINY) / (guess[n - 1] + SMALL);
    bleu.push(Math.pow(prod, 1 / n) * bp);
  }
  return { bleu, precisions: correct.map((k, i) => k / Math.max(1, guess[i])), brevityPenalty: bp, hypothesisLength: c, referenceLength: r };
}
