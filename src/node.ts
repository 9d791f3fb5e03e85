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
export { pretrainedModelPath, PRETRAINED_MODEL } from './io/pretrained.js';
