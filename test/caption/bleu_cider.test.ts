import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { corpusBleu, ciderD } from '../../src/caption/index.js';
import { ROOT } from '../helpers/cli.js';

const w = (s: string) => s.split(' ');

test('BLEU agrees with NLTK corpus_bleu to two decimals on the committed fixture (test/fixtures/make_bleu.py)', () => {
  const fx = JSON.parse(readFileSync(path.join(ROOT, 'test', 'fixtures', 'bleu.json'), 'utf8')) as {
    cases: { name: string; hypotheses: string[][]; references: string[][][]; bleu: number[] }[];
  };
  assert.ok(fx.cases.length >= 3);
  for (const c of fx.cases) {
    const ours = corpusBleu(c.hypotheses, c.references).bleu;
    ours.forEach((b, n) => assert.equal((100 * b).toFixed(2), (100 * c.bleu[n]).toFixed(2), `${c.name}: BLEU-${n + 1} ${b} vs NLTK ${c.bleu[n]}`));
  }
});

test('BLEU: a caption equal to a reference scores 1; clipping and the brevity penalty by hand', () => {
  assert.deepEqual(corpusBleu([w('a dog runs on the grass')], [[w('a dog runs on the grass'), w('two dogs')]]).bleu.map((b) => +b.toFixed(9)), [1, 1, 1, 1]);
  // "the the the the": unigram matches are clipped to the 2 "the" of the reference
  const clip = corpusBleu([w('the the the the')], [[w('the cat the mat')]]);
  assert.ok(Math.abs(clip.precisions[0] - 0.5) < 1e-12);
  // 3 words against a closest reference of 6 words: BP = exp(1 − 6/3)
  const short = corpusBleu([w('a dog runs')], [[w('a dog runs on the grass'), w('a dog runs in a big field')]]);
  assert.equal(short.referenceLength, 6);
  assert.ok(Math.abs(short.brevityPenalty - Math.exp(-1)) < 1e-9);
  assert.ok(Math.abs(short.bleu[0] - Math.exp(-1)) < 1e-9);
});

test('CIDEr-D: hand-checked tiny cases', () => {
  const refs = [[w('a b c d e')], [w('x y z')]];
  // identical to its only reference, every n-gram unique to its image: cosine 1 for n = 1…4, no length penalty → 10
  assert.ok(Math.abs(ciderD([w('a b c d e'), w('x y z')], refs).scores[0] - 10) < 1e-9);
  // three words have no 4-grams: (1 + 1 + 1 + 0) / 4 · 10
  assert.ok(Math.abs(ciderD([w('a b c d e'), w('x y z')], refs).scores[1] - 7.5) < 1e-9);
  // nothing in common → 0
  assert.equal(ciderD([w('p q r'), w('x y z')], refs).scores[0], 0);
  // "a b a b" against "a b": clipped unigram cosine 2/4, bigram 1/√5, no 3- or 4-gram match;
  // 3 bigrams against 1: penalty exp(−2²/(2·6²))
  const r = ciderD([w('a b a b'), w('x y')], [[w('a b')], [w('x y')]]);
  const expect = 10 * Math.exp(-4 / 72) * (0.5 + 1 / Math.sqrt(5)) / 4;
  assert.ok(Math.abs(r.scores[0] - expect) < 1e-9, `${r.scores[0]} vs ${expect}`);
  // n-grams every image's references share carry no weight (idf 0)
  const shared = ciderD([w('the dog'), w('the cat')], [[w('the dog')], [w('the cat')]]);
  assert.ok(Math.abs(shared.scores[0] - 10 * (1 / 4 + 1 / 4)) < 1e-9, `${shared.scores[0]}`);
  assert.ok(Math.abs(shared.score - (shared.scores[0] + shared.scores[1]) / 2) < 1e-12);
});
