import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Generator, withRecurrenceProbe, noGrad, type RecurrenceSite } from '../../src/tensor/index.js';
import { LSTM, OneHot } from '../../src/nn/index.js';
import { probeBatch, UnknownCharsError } from '../../src/diagnostics/index.js';
import { CharVocab } from '../../src/text/index.js';
import { DataError } from '../../src/errors.js';
import { ROOT } from '../helpers/cli.js';

test('a probe is told the layer and direction of each recurrence it sees, not a tag to parse', () => {
  const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, generator: new Generator(1) });
  const seen = new Map<string, RecurrenceSite>();
  const steps = new Map<string, number[]>();
  noGrad(() => withRecurrenceProbe({
    forward(site, t) {
      seen.set(site.tag, site);
      steps.set(site.tag, [...(steps.get(site.tag) ?? []), t]);
    },
  }, () => lstm.forward(new OneHot(Int32Array.from([0, 1, 2, 1, 0, 2]), [3, 2], 3))));
  const sites = [...seen.values()].map((s) => `${s.layer}${s.reverse ? 'r' : 'f'}`).sort();
  assert.deepEqual(sites, ['0f', '0r', '1f', '1r']);
  for (const s of seen.values()) {
    // a reverse direction walks the sequence from its end
    assert.deepEqual(steps.get(s.tag), s.reverse ? [2, 1, 0] : [0, 1, 2], s.tag);
  }
});

test('the text floor does not import the diagnostics floor', () => {
  const dir = path.join(ROOT, 'src', 'text');
  for (const f of readdirSync(dir)) {
    assert.doesNotMatch(readFileSync(path.join(dir, f), 'utf8'), /from '\.\.\/diagnostics\//, f);
  }
});

test('probeBatch: windows from the end of the text, time-major, each target the next character', () => {
  const text = 'abcdefghij'.repeat(30);
  const vocab = CharVocab.fromText(text);
  const { inputs, targets, seq, batch } = probeBatch(text, vocab, 5, 3);
  assert.equal(seq, 5);
  assert.equal(batch, 3);
  assert.equal(inputs.length, 15);
  for (let t = 0; t < 5; t++) {
    for (let b = 0; b < 3; b++) {
      const c = vocab.chars[inputs[t * 3 + b]], n = vocab.chars[targets[t * 3 + b]];
      assert.equal(text.indexOf(c + n) >= 0, true, `${c}${n} follow each other in the text`);
      if (t < 4) assert.equal(inputs[(t + 1) * 3 + b], targets[t * 3 + b], 'the next input is this target');
    }
  }
  assert.throws(() => probeBatch('abc', vocab, 5, 3), (e: unknown) => e instanceof DataError && /fewer than 3 sequences of 5 \+ 1/.test((e as Error).message));
  const other = 'xyz'.repeat(100);
  assert.throws(() => probeBatch(other, vocab, 5, 3, 'the text other'), (e: unknown) => e instanceof UnknownCharsError && (e as UnknownCharsError).chars.join('') === 'xyz');
});
