import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  tokenizeWords, detokenizeWords, WordJoiner, WordLMVocab, UNK_WORD, CharLM, CharVocab, generateWords, streamWords, sampleWords, generate,
  wordLMFromCheckpoint, checkWordLMCheckpoint, wordLMCheckpointPart, charLMFromCheckpoint, charLMCheckpointPart, CharLMTrainer, defaultTrainConfig,
  FormatError, ConfigError, Generator, type TrainConfig,
} from '../../src/index.js';

const TEXT = 'Fellow-Citizens of the Senate: I don\'t doubt it, nor (as you know) does he.\n' +
  'We spent $3.5 billion on 1,000 ships; "they were fine," he said. Was it 100%?\n\nThe end…';

test('tokenizeWords: words with inner apostrophes and hyphens, numbers, one token per punctuation mark, newlines kept', () => {
  assert.deepEqual(tokenizeWords(TEXT), [
    'Fellow-Citizens', 'of', 'the', 'Senate', ':', 'I', 'don\'t', 'doubt', 'it', ',', 'nor', '(', 'as', 'you', 'know', ')', 'does', 'he', '.', '\n',
    'We', 'spent', '$', '3.5', 'billion', 'on', '1,000', 'ships', ';', '"', 'they', 'were', 'fine', ',', '"', 'he', 'said', '.', 'Was', 'it', '100', '%', '?',
    '\n', '\n', 'The', 'end', '…',
  ]);
  assert.deepEqual(tokenizeWords('  a\tb \r\n c  '), ['a', 'b', '\n', 'c']);
  assert.deepEqual(tokenizeWords(''), []);
  assert.deepEqual(tokenizeWords('Café naïve 東京'), ['Café', 'naïve', '東京'], 'letters of any script, accents included');
});

test('detokenizeWords inverts tokenizeWords on text written with ordinary spacing, and tokens survive the round trip', () => {
  assert.equal(detokenizeWords(tokenizeWords(TEXT)), TEXT);
  const tokens = tokenizeWords(TEXT);
  assert.deepEqual(tokenizeWords(detokenizeWords(tokens)), tokens);
  // arbitrary sequences of tokens (as a model samples them) come back as the same tokens
  const pool = ['the', 'end', '.', ',', '(', ')', '"', '\n', '$', '3.5', '%', 'don\'t', '“', '”', ':', 'A'];
  const g = new Generator(5);
  for (let k = 0; k < 200; k++) {
    const seq = Array.from({ length: 1 + g.int(12) }, () => pool[g.int(pool.length)]);
    assert.deepEqual(tokenizeWords(detokenizeWords(seq)), seq, JSON.stringify(seq));
  }
});

test('WordJoiner: no space before closing punctuation, after opening punctuation, or around a newline', () => {
  assert.equal(detokenizeWords(['Hello', ',', 'world', '!', '\n', 'A', '(', 'b', ')', 'c', '.']), 'Hello, world!\nA (b) c.');
  assert.equal(detokenizeWords(['he', 'said', '"', 'no', '"', 'twice']), 'he said "no" twice');
  const j = new WordJoiner();
  assert.deepEqual(['First', 'word', '.'].map((t) => j.push(t)), ['First', ' word', '.']);
});

test('WordLMVocab.fromText: <unk> first, then the most frequent tokens, ties in code-unit order', () => {
  const v = WordLMVocab.fromText('b a c a b d\nb', 4);
  assert.deepEqual(v.words, [UNK_WORD, 'b', 'a', '\n'], 'b ×3, a ×2, then the ties of one ("\\n" < "c" < "d") cut at the size');
  assert.deepEqual([...v.encode('a b zebra c')], [2, 1, 0, 0], 'a word outside the vocabulary is <unk>');
  assert.deepEqual(v.unknown('a zebra c zebra'), ['zebra', 'c']);
  assert.equal(v.decode(v.encode('b a')), 'b a');
  // a size larger than the text's distinct tokens gives every token
  assert.equal(WordLMVocab.fromText('x y x', 100).size, 3);
  // the same text in another order of ties gives the same vocabulary
  assert.deepEqual(WordLMVocab.fromText('d c b a', 3).words, WordLMVocab.fromText('a b c d', 3).words);
  assert.throws(() => WordLMVocab.fromText('a b', 1), /at least 2/);
  assert.throws(() => WordLMVocab.fromText('  ', 5), /no words/);
  assert.throws(() => new WordLMVocab(['a', UNK_WORD]), /starts with <unk>/);
  assert.throws(() => new WordLMVocab([UNK_WORD, 'a', 'a']), /distinct/);
});

function tinyWordModel() {
  const vocab = WordLMVocab.fromText(TEXT, 30);
  const model = new CharLM({ cell: 'gru', vocabSize: vocab.size, hiddenSize: 6, numLayers: 2, dropout: 0 }, new Generator(3));
  return { vocab, model };
}

test('a word checkpoint part round-trips; each loader refuses the other kind by name', () => {
  const { vocab, model } = tinyWordModel();
  const part = wordLMCheckpointPart(model, vocab);
  assert.equal(part.meta.format, 'rnnkit.word-lm/1');
  assert.equal(part.meta.tokens, 'word');
  const back = wordLMFromCheckpoint(part, 'w.safetensors');
  assert.deepEqual(back.vocab.words, vocab.words);
  const opts = { length: 12, seed: 4, prime: 'the Senate' };
  assert.equal(generateWords(back.model, back.vocab, opts), generateWords(model, vocab, opts));
  assert.throws(() => charLMFromCheckpoint(part, 'w.safetensors'), (e) => e instanceof FormatError && /is a word-level model checkpoint .* load it with loadWordLM/.test(e.message));
  const cv = CharVocab.fromText(TEXT);
  const charPart = charLMCheckpointPart(new CharLM({ cell: 'gru', vocabSize: cv.size, hiddenSize: 6, numLayers: 1, dropout: 0 }), cv);
  assert.throws(() => checkWordLMCheckpoint(charPart, 'c.safetensors'), /is a character-model checkpoint, not a word-level one/);
});

test('checkWordLMCheckpoint refuses a tampered vocabulary in one clear message', () => {
  const { vocab, model } = tinyWordModel();
  const cases: [(v: unknown[]) => unknown, RegExp][] = [
    [(v) => { v[2] = v[1]; return v; }, /vocabulary entry 2 .* appears twice/],
    [(v) => { v[4] = ''; return v; }, /vocabulary entry 4 is "", expected a word/],
    [(v) => { v[0] = 'the'; return v; }, /vocabulary entry 0 is "the", expected "<unk>"/],
    [(v) => v.slice(1), /the vocabulary has 29 words but model\.vocabSize is 30/],
    [(v) => { v[5] = null; return v; }, /vocabulary entry 5 is null/],
    [(v) => { v[5] = 'a b'; return v; }, /has white space in it/],
    [() => 'the a', /the vocabulary is "the a", expected an array of words/],
  ];
  for (const [edit, message] of cases) {
    const part = wordLMCheckpointPart(model, vocab);
    const meta = { ...part.meta, vocab: edit([...vocab.words]) };
    assert.throws(() => wordLMFromCheckpoint({ tensors: part.tensors, meta }, 'w.safetensors'), (e) => e instanceof FormatError && message.test(e.message), String(message));
  }
  const part = wordLMCheckpointPart(model, vocab);
  assert.throws(() => checkWordLMCheckpoint({ tensors: part.tensors, meta: { ...part.meta, tokens: undefined } }, 'w'), /tokens is missing, expected "word"/);
});

test('sampleWords: never writes <unk>, reads unknown prime words as <unk>, and is repeatable with a seed', () => {
  const { vocab, model } = tinyWordModel();
  // a head that favours <unk> above all: it must still never be written
  const bias = model.head.bias!.data;
  bias[0] = 50;
  const text = sampleWords(model, vocab, { length: 40, generator: new Generator(1), temperature: 1 });
  assert.ok(!text.includes(UNK_WORD), text);
  assert.equal(tokenizeWords(text).length, 40);
  const words: string[] = [];
  const again = sampleWords(model, vocab, { length: 40, generator: new Generator(1), temperature: 1, onWord: (w) => words.push(w) });
  assert.equal(again, text);
  assert.equal(words.join(''), text, 'the streamed pieces make the text');
  const greedy = generateWords(model, vocab, { length: 5, prime: 'zebra unicorn', greedy: true });
  assert.equal(greedy, generateWords(model, vocab, { length: 5, prime: 'quagga', greedy: true }), 'any unknown prime word is the same <unk>');
  assert.throws(() => generateWords(model, vocab, { length: 0 }), ConfigError);
  assert.throws(() => generateWords(model, WordLMVocab.fromText(TEXT, 5), { length: 3 }), /the vocabulary has 5 words but the model was made for 30/);
  // generate for characters is unchanged by the split of its option checks
  const cv = CharVocab.fromText(TEXT);
  assert.throws(() => generate(new CharLM({ cell: 'rnn', vocabSize: cv.size, hiddenSize: 4, numLayers: 1, dropout: 0 }), cv, { length: 3, prime: 'Ω' }), /prime has characters the model never saw: "Ω"/);
});

test('a word-level trainer trains, checkpoints and resumes bit for bit; its configuration is checked', () => {
  const text = TEXT.repeat(30);
  const config: TrainConfig = { ...defaultTrainConfig, hidden: 8, seq: 6, batch: 3, steps: 6, valChars: 50, tokens: 'word', vocabSize: 20 };
  const a = CharLMTrainer.createWords(text, config);
  assert.equal(a.vocab.size, 20);
  for (let i = 0; i < 3; i++) a.trainStep();
  const ckpt = a.checkpoint('toy');
  assert.equal(ckpt.model.meta.format, 'rnnkit.word-lm/1');
  const b = CharLMTrainer.resumeWords(text, ckpt, 'toy');
  while (!a.done) a.trainStep();
  while (!b.done) b.trainStep();
  assert.deepEqual(b.history.train, a.history.train);
  assert.deepEqual([...b.model.head.weight.data], [...a.model.head.weight.data]);
  assert.ok(a.validate()!.loss > 0);
  assert.ok(!a.preview(10).includes(UNK_WORD));
  assert.throws(() => CharLMTrainer.resume(text, ckpt, 'toy'), /is a word-level model checkpoint/);
  assert.throws(() => CharLMTrainer.create(text, config), /word-level run: use CharLMTrainer\.createWords/);
  assert.throws(() => CharLMTrainer.createWords(text, { ...config, vocabSize: 1 }), /--vocab-size must be an integer from 2/);
  assert.throws(() => CharLMTrainer.createWords(text, { ...config, vocabSize: 1e7 }), /--vocab-size must be an integer from 2 to 200000/);
  assert.throws(() => CharLMTrainer.createWords(text, { ...config, tokens: undefined }), /--vocab-size applies to --tokens word only/);
  assert.throws(() => CharLMTrainer.createWords(text, { ...config, tokens: undefined, vocabSize: undefined }), /tokens: 'word'/);
});

test('a word-level model learns a repeated text by heart and writes it back as text', () => {
  const t = CharLMTrainer.createWords(TEXT.repeat(40), {
    ...defaultTrainConfig, hidden: 32, seq: 8, batch: 4, steps: 400, valFraction: 0.1, valChars: 100, tokens: 'word', vocabSize: 100, lr: 0.01,
  });
  const before = t.validate()!.loss;
  while (!t.done) t.trainStep();
  const after = t.validate()!.loss;
  assert.ok(before > 3 && after < 0.5, `validation loss ${before} → ${after}`);
  const text = generateWords(t.model, t.vocab, { prime: 'We spent', length: 16, greedy: true });
  assert.equal(text, ' $3.5 billion on 1,000 ships; "they were fine," he said.');
});

test('streamWords yields the text of generateWords piece by piece', async () => {
  const { vocab, model } = tinyWordModel();
  const opts = { length: 15, seed: 9, prime: 'the Senate', temperature: 0.9 };
  let streamed = '';
  for await (const piece of streamWords(model, vocab, opts)) streamed += piece;
  assert.equal(streamed, generateWords(model, vocab, opts));
  assert.throws(() => streamWords(model, vocab, { length: -1 }), ConfigError);
});
