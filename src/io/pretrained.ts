import { fileURLToPath } from 'node:url';

/** The file name of the pretrained model in the package's models/ folder (see models/README.md). */
export const PRETRAINED_MODEL = 'moby-dick-lstm256.safetensors';

/**
 * Where the pretrained character model that ships with rnnkit lies: an LSTM with 256 units trained on
 * Moby Dick by `rnnkit train` with its defaults (a model file, no optimizer state). Load it with
 * `loadCheckpoint(pretrainedModelPath())`.
 */
export function pretrainedModelPath(): string {
  // this module is src/io or dist/io: models/ is two folders up in both
  return fileURLToPath(new URL(`../../models/${PRETRAINED_MODEL}`, import.meta.url));
}
