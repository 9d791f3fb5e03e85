import { defaultGenerator, Generator } from '../tensor/index.js';
import { ConfigError } from '../errors.js';
import type { CharLM } from './char_lm.js';
import { pick, checkSampleOptions, sampleIds, CharLMStepper, type SampleOptions } from './sample.js';
import { resolveGenerateOptions, nextTurn, type GenerateOptions, type Resolved } from './generate.js';
import { WordJoiner, WordLMVocab, tokenizeWords } from './words.js';

/** Options of {@link sampleWords}: those of sampleText, counted in words, with a callback per word. */
export interface WordSampleOptions extends Omit<SampleOptions, 'onChar'> {
  /** Called with the text of each word as it is generated, spaced to follow what came before (for streaming). */
  onWord?: (text: string) => void;
}

// the logits with <unk> taken out, reused: generation copies them once per word
let masked = new Float32Array(0);

/** The next word's id, never <unk> (id 0). */
function pickWord(logits: Float32Array, o: Pick<WordSampleOptions, 'temperature' | 'topK' | 'topP' | 'greedy'>, rng: Generator): number {
  if (masked.length !== logits.length) masked = new Float32Array(logits.length);
  masked.set(logits);
  masked[0] = -Infinity;
  return pick(masked, o, rng);
}

/**
 * Generates words from a word-level model and returns them as text (without the prime). The prime is
 * tokenized as the training text was; a word outside the vocabulary is read as `<unk>`. Samples never
 * write `<unk>` (it stands for no one word), so its probability goes to the others.
 */
export function sampleWords(model: CharLM, vocab: WordLMVocab, o: WordSampleOptions): string {
  const rng = o.generator ?? defaultGenerator;
  checkSampleOptions(o);
  if (vocab.size !== model.config.vocabSize) {
    throw new ConfigError('vocab', `the vocabulary has ${vocab.size} words but the model was made for ${model.config.vocabSize}: use the vocabulary saved with the model`);
  }
  const primeTokens = tokenizeWords(o.prime ?? '');
  const joiner = new WordJoiner();
  for (const t of primeTokens) joiner.push(t);
  // with no prime, start from a newline (the start of a paragraph) or else a random word
  const start = primeTokens.length ? vocab.encodeTokens(primeTokens)
    : Int32Array.of(vocab.has('\n') ? vocab.encodeTokens(['\n'])[0] : 1 + rng.int(vocab.size - 1));
  return sampleIds(model, start, o.length, (logits) => pickWord(logits, o, rng), (id) => {
    const text = joiner.push(vocab.words[id]);
    o.onWord?.(text);
    return text;
  });
}

/**
 * Generates `length` words from a word-level model (as {@link generate} does characters) and returns
 * them as text, without the prime. Words of the prime outside the vocabulary are read as `<unk>`;
 * `vocab.unknown(prime)` lists them.
 *
 * ```ts
 * const { model, vocab } = await loadWordLM('runs/latest');
 * const text = generateWords(model, vocab, { prime: 'The state of the Union', length: 50, seed: 1 });
 * ```
 *
 * @throws {@link ConfigError} naming the field when an option is out of range or the vocabulary does not fit the model.
 */
export function generateWords(model: CharLM, vocab: WordLMVocab, options: GenerateOptions): string {
  const o = resolveGenerateOptions(options);
  return sampleWords(model, vocab, {
    length: o.length, prime: o.prime, temperature: o.temperature, topK: o.topK, topP: o.topP, greedy: o.greedy,
    generator: new Generator(o.seed),
  });
}

/**
 * Generates words one at a time as an async iterator, each as the text to write (spaced to follow what came
 * before), as {@link stream} does characters: `for await (const piece of streamWords(model, vocab, opts))`.
 * With the same seed it writes the same text as {@link generateWords}. Do not train the model during a stream.
 *
 * @throws {@link ConfigError} as {@link generateWords} does, at the call.
 */
export function streamWords(model: CharLM, vocab: WordLMVocab, options: GenerateOptions): AsyncGenerator<string, void, undefined> {
  const o = resolveGenerateOptions(options);
  if (vocab.size !== model.config.vocabSize) {
    throw new ConfigError('vocab', `the vocabulary has ${vocab.size} words but the model was made for ${model.config.vocabSize}: use the vocabulary saved with the model`);
  }
  return words(model, vocab, o);
}

// the steps of sampleWords, resumable, on a stepper of its own (as generate.ts's stream does)
async function* words(model: CharLM, vocab: WordLMVocab, o: Resolved): AsyncGenerator<string, void, undefined> {
  const rng = new Generator(o.seed);
  const primeTokens = tokenizeWords(o.prime);
  const joiner = new WordJoiner();
  for (const t of primeTokens) joiner.push(t);
  const start = primeTokens.length ? vocab.encodeTokens(primeTokens)
    : Int32Array.of(vocab.has('\n') ? vocab.encodeTokens(['\n'])[0] : 1 + rng.int(vocab.size - 1));
  const stepper = new CharLMStepper(model);
  stepper.setState(null);
  let logits!: Float32Array;
  for (const id of start) logits = stepper.step(id);
  for (let i = 0; i < o.length; i++) {
    const next = pickWord(logits, o, rng);
    yield joiner.push(vocab.words[next]);
    if (i === o.length - 1) break;
    await nextTurn();
    logits = stepper.step(next);
  }
}
