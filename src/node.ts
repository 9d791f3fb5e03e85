/**
 * The Node-only part of rnnkit: files on disk. Import from 'rnnkit/node'; everything else comes from
 * 'rnnkit' and also runs in a browser.
 *
 * @packageDocumentation
 * @module rnnkit/node
 */
import { loadCheckpoint } from './io/checkpoint_files.js';
import { charLMFromCheckpoint, type CharLMMeta } from './text/checkpoint.js';
import type { CharLM } from './text/char_lm.js';
import type { CharVocab } from './text/streams.js';
import { wordLMFromCheckpoint, type WordLMMeta } from './text/word_checkpoint.js';
import type { WordLMVocab } from './text/words.js';
export { saveCheckpoint, loadCheckpoint, resolveCheckpoint, checkpointName, epochCheckpointName, LATEST } from './io/checkpoint_files.js';

/**
 * Loads a character model that `rnnkit train` (or the playground) saved: `path` is a run folder, its
 * latest, a checkpoint folder or a model file. Every part of the file is checked first; a bad one
 * is a FormatError naming the file.
 */
export async function loadCharLM(path: string): Promise<{ model: CharLM; vocab: CharVocab; meta: CharLMMeta }> {
  const ckpt = await loadCheckpoint(path);
  return charLMFromCheckpoint(ckpt.model, ckpt.dir);
}

/**
 * Loads a word-level model that `rnnkit train --tokens word` saved (as {@link loadCharLM} does a
 * character model). The model is a CharLM over word ids; generate text with generateWords.
 */
export async function loadWordLM(path: string): Promise<{ model: CharLM; vocab: WordLMVocab; meta: WordLMMeta }> {
  const ckpt = await loadCheckpoint(path);
  return wordLMFromCheckpoint(ckpt.model, ckpt.dir);
}
export { pretrainedModelPath, PRETRAINED_MODEL } from './io/pretrained.js';
