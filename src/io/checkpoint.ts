import type { Tensor } from '../tensor/index.js';
import { encodeSafetensors, decodeSafetensors } from './safetensors.js';
import { parseStrictJson } from './json.js';
import { FormatError } from '../errors.js';

/*
 * A checkpoint is two safetensors files, written together into one folder:
 *   model.safetensors  the weights under PyTorch's names, loadable with safetensors.torch.load_file;
 *                      its metadata carries the model's configuration (and vocabulary) as JSON
 *   state.safetensors  what resuming needs besides the weights: optimizer buffers, carried hidden
 *                      states, and in its metadata the step, random state, data position and history
 * Keeping them apart means a PyTorch user loads model.safetensors straight into a module.
 */
/** The checkpoint file with the model's weights and description (loads straight into PyTorch). */
export const MODEL_FILE = 'model.safetensors';
/** The checkpoint file with what resuming training needs besides the weights. */
export const STATE_FILE = 'state.safetensors';

/** One checkpoint file: tensors by name and a JSON description. */
export interface CheckpointPart {
  tensors: Record<string, Tensor>;
  /** Any JSON-serialisable description; stored as one metadata string. */
  meta: Record<string, unknown>;
}

/** A checkpoint: the model part, and the training state where resuming is possible. */
export interface Checkpoint {
  model: CheckpointPart;
  state: CheckpointPart | null;
}

const META_KEY = 'rnnkit';

/** A checkpoint's files as bytes, by file name (MODEL_FILE, and STATE_FILE when there is a state). */
export function encodeCheckpoint(c: Checkpoint): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = { [MODEL_FILE]: encodePart(c.model) };
  if (c.state) files[STATE_FILE] = encodePart(c.state);
  return files;
}

function encodePart(p: CheckpointPart): Uint8Array {
  // "format": "pt" is what safetensors.torch writes; tools use it to pick the framework
  return encodeSafetensors(p.tensors, { format: 'pt', [META_KEY]: JSON.stringify(p.meta) });
}

/** Decodes one checkpoint file's bytes; `source` names it in errors (FormatError, naming the file). */
export function decodeCheckpointPart(bytes: Uint8Array, source: string): CheckpointPart {
  const f = decodeSafetensors(bytes, source);
  const raw = f.metadata[META_KEY];
  if (raw === undefined) throw new FormatError(source, `${source} is a safetensors file but not an rnnkit checkpoint (its metadata has no '${META_KEY}' entry)`);
  let meta: unknown;
  try {
    meta = parseStrictJson(raw);
  } catch (e) {
    throw new FormatError(source, `${source}: the checkpoint metadata is not valid JSON (${(e as Error).message}; corrupt file?)`);
  }
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) throw new FormatError(source, `${source}: the checkpoint metadata is not an object`);
  return { tensors: f.tensors, meta: meta as Record<string, unknown> };
}
