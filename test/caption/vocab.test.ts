import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenize, WordVocab, SPECIALS, UNK_ID, END_ID } from '../../src/caption/index.js';

test('tokenize lower-cases and drops punctuation-only tokens, keeping words with inner marks', () => {
  assert.deepEqual(tokenize('A black dog \'s T-shirt , in the snow .'), ['a', 'black', 'dog', '\'s', 't-shirt', 'in', 'the', 'snow']);
  assert.deepEqual(tokenize('  Two  dogs\tplay ! " # '), ['two', 'dogs', 'play']);
});

test('the vocabulary keeps words seen at least minCount times, most frequent first, after the special tokens', () => {
  const caps = [['a', 'dog'], ['a', 'cat'], ['a', 'dog', 'runs'], ['the', 'dog']];
  const v = WordVocab.build(caps, 2);
  assert.deepEqual(v.words, [...SPECIALS, 'a', 'dog']);
  assert.deepEqual([...v.encode(['a', 'cat', 'dog'])], [4, UNK_ID, 5]);
  assert.deepEqual(v.decode([4, 5, UNK_ID, END_ID, 4]), ['a', 'dog'], 'stops at <END> and leaves out special tokens');
  assert.deepEqual(WordVocab.build(caps, 1).words.slice(4), ['a', 'dog', 'cat', 'runs', 'the'], 'ties in alphabetical order');
  assert.throws(() => new WordVocab(['a', 'b']), /starts with <NULL>, <START>, <END>, <UNK>/);
});
