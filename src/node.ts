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
import { readFile, stat as fileStat } from 'node:fs/promises';
import { FormatError } from './errors.js';
import { importONNX, type ImportedONNX } from './io/onnx_import.js';
import type { DecodeOptions } from './caption/decode.js';
import { importOptional } from './cli/optional.js';
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

/**
 * Reads an ONNX recurrent language model from disk into a RecurrentLM (see importONNX, which takes
 * the bytes): a file over 1 GiB is refused before it is read. Needs the onnx-proto package.
 */
export async function loadONNX(file: string): Promise<ImportedONNX> {
  const { size } = await fileStat(file);
  if (size > 2 ** 30) throw new FormatError(file, `${file} is ${size} bytes, over the 1 GiB limit for a recurrent model`);
  return importONNX(new Uint8Array(await readFile(file)), file);
}

/**
 * Captions for images by a captioner's decoder step exported to ONNX (exportCaptionerStep), run under
 * ONNX Runtime with decodeCaptions' search: `step` is the model's bytes or path, `features` the images'
 * features [N·F] row-major. Needs the onnxruntime-node package.
 */
export async function decodeCaptionsONNX(step: Uint8Array | string, features: Float32Array, opts: DecodeOptions = {}): Promise<Int32Array[]> {
  const m = await importOptional('decodeCaptionsONNX', ['onnxruntime-node'], () => import('./cli/caption/onnx_decode.js'));
  return m.decodeCaptionsONNX(step, features, opts);
}
