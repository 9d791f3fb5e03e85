import { Tensor } from '../tensor/index.js';
import type { Captioner } from './model.js';
import type { WordVocab } from './vocab.js';
import { decodeCaptions, type DecodeOptions } from './decode.js';
import { corpusBleu } from './bleu.js';
import { ciderD } from './cider.js';

/** The scores of a set of captions against their references. */
export interface CaptionScores {
  /** BLEU-1 … BLEU-4, as fractions. */
  bleu: number[];
  ciderD: number;
  /** How many different captions, and different words, the model wrote for the images. */
  distinctCaptions: number;
  distinctWords: number;
  /** Mean caption length in words. */
  meanLength: number;
  images: number;
}

/** BLEU-1…4, CIDEr-D and the variety of a set of written captions (token lists) against reference sets. */
export function scoreCaptions(hypotheses: string[][], references: string[][][]): CaptionScores {
  const words = new Set<string>();
  for (const h of hypotheses) for (const w of h) words.add(w);
  return {
    bleu: corpusBleu(hypotheses, references).bleu,
    ciderD: ciderD(hypotheses, references).score,
    distinctCaptions: new Set(hypotheses.map((h) => h.join(' '))).size,
    distinctWords: words.size,
    meanLength: hypotheses.reduce((s, h) => s + h.length, 0) / Math.max(1, hypotheses.length),
    images: hypotheses.length,
  };
}

/** Feature rows `rows` of a rows × dim matrix as an [n, dim] tensor. */
export function featureRows(features: Float32Array, dim: number, rows: readonly number[]): Tensor {
  const t = Tensor.zeros([rows.length, dim]);
  rows.forEach((r, i) => t.data.set(features.subarray(r * dim, (r + 1) * dim), i * dim));
  return t;
}

/** Writes a caption for each image of `images` and scores them against its references. */
export function evaluateCaptioner(model: Captioner, vocab: WordVocab, features: Float32Array, dim: number,
  images: readonly { row: number; captions: string[][] }[], opts: DecodeOptions, onProgress?: (done: number) => void): { scores: CaptionScores; captions: string[][] } {
  const ids = decodeCaptions(model, featureRows(features, dim, images.map((v) => v.row)), opts, onProgress);
  const captions = ids.map((c) => vocab.decode(c));
  return { scores: scoreCaptions(captions, images.map((v) => v.captions)), captions };
}
