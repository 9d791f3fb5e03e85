import type { CheckpointPart } from '../io/index.js';
import { ConfigError, FormatError } from '../errors.js';
import { CharLM, type CharLMConfig } from './char_lm.js';
import { WORD_CHECKPOINT_FORMAT, CHECKPOINT_FORMAT, checkLMConfig, checkLMTensors, openCheckpointPart, isRecord, own, show } from './checkpoint.js';
import { UNK_WORD, WordLMVocab } from './words.js';

/*
 * A word-level model's checkpoint: the same tensors as a character model's (one-hot input, recurrent
 * layers, linear head), with format "rnnkit.word-lm/1", `tokens: "word"` and a vocabulary of words.
 * Everything in it is untrusted and checked before anything is built.
 */

/** What a word-level model's model.safetensors' rnnkit metadata holds, once checked. */
export interface WordLMMeta {
  format: typeof WORD_CHECKPOINT_FORMAT;
  model: CharLMConfig;
  /** The kind of token the model reads and writes. */
  tokens: 'word';
  /** One word per id, vocabSize of them, all distinct: `<unk>` first. */
  vocab: string[];
}

/** The longest word a checkpoint's vocabulary may hold, in UTF-16 code units. */
export const MAX_WORD_LENGTH = 256;

/**
 * Checks a word-level model checkpoint's model part without building anything (as
 * checkCharLMCheckpoint does for a character model). Throws FormatError naming `source`.
 */
export function checkWordLMCheckpoint(part: CheckpointPart, source: string): WordLMMeta {
  const { meta, format, fail } = openCheckpointPart(part, source);
  if (format === CHECKPOINT_FORMAT) {
    throw new FormatError(source, `${source} is a character-model checkpoint, not a word-level one: load it with loadCharLM or charLMFromCheckpoint`);
  }
  if (format !== WORD_CHECKPOINT_FORMAT) {
    throw new FormatError(source, `${source} is not a word-model checkpoint (format ${show(format)}): a word model's format is "${WORD_CHECKPOINT_FORMAT}"`);
  }
  const tokens = own(meta, 'tokens');
  if (tokens !== 'word') fail(`tokens is ${show(tokens)}, expected "word"`);
  const model = checkLMConfig(meta, fail);
  const V = model.vocabSize;
  const vocab = own(meta, 'vocab');
  if (!Array.isArray(vocab)) return fail(`the vocabulary is ${show(vocab)}, expected an array of words`);
  // sizes before contents: the array's length against the configuration, then each entry's
  if (vocab.length !== V) fail(`the vocabulary has ${vocab.length} words but model.vocabSize is ${V}`);
  if (V < 2) fail(`model.vocabSize is ${V}, but a word vocabulary holds ${UNK_WORD} and at least one word`);
  if (vocab[0] !== UNK_WORD) fail(`vocabulary entry 0 is ${show(vocab[0])}, expected "${UNK_WORD}"`);
  const seen = new Set<string>();
  for (let i = 0; i < vocab.length; i++) {
    const w: unknown = vocab[i];
    if (typeof w !== 'string' || w.length === 0 || w.length > MAX_WORD_LENGTH) fail(`vocabulary entry ${i} is ${show(w)}, expected a word of 1 to ${MAX_WORD_LENGTH} characters`);
    if (w !== '\n' && /\s/.test(w as string)) fail(`vocabulary entry ${i} (${JSON.stringify(w)}) has white space in it, which no word token has`);
    if (seen.has(w as string)) fail(`vocabulary entry ${i} (${JSON.stringify(w)}) appears twice`);
    seen.add(w as string);
  }
  checkLMTensors(part.tensors, model, fail);
  return { format: WORD_CHECKPOINT_FORMAT, model, tokens: 'word', vocab: vocab as string[] };
}

/**
 * Builds a word-level model, its vocabulary and its checked metadata from a checkpoint's model part.
 * The model is a {@link CharLM} over word ids. A bad file is a FormatError naming `source`.
 */
export function wordLMFromCheckpoint(part: CheckpointPart, source: string): { model: CharLM; vocab: WordLMVocab; meta: WordLMMeta } {
  const meta = checkWordLMCheckpoint(part, source);
  const model = new CharLM(meta.model);
  model.loadStateDict(part.tensors);
  return { model, vocab: new WordLMVocab(meta.vocab), meta };
}

/** The model part of a word-level model's checkpoint, as rnnkit writes it (the inverse of wordLMFromCheckpoint). */
export function wordLMCheckpointPart(model: CharLM, vocab: WordLMVocab): CheckpointPart {
  if (vocab.size !== model.config.vocabSize) throw new ConfigError('vocab', `the vocabulary has ${vocab.size} words but the model's vocabSize is ${model.config.vocabSize}`);
  const meta: WordLMMeta = { format: WORD_CHECKPOINT_FORMAT, model: model.config, tokens: 'word', vocab: vocab.toJSON() };
  return { tensors: model.stateDict(), meta: { ...meta } };
}
