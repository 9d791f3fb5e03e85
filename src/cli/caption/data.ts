import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { parseImageList, parseCaptions, parseSplit, joinDataset, joinEvalSet, type CaptionDataset, type EvalSet } from '../../caption/index.js';
import { UsageError } from '../errors.js';

/** The image list that goes with a feature file: images.txt beside it unless given. */
export function defaultImageList(features: string): string {
  return path.join(path.dirname(features), 'images.txt');
}

/** Text files of a data set are read whole: beyond this size one is refused rather than filling the memory. */
const MAX_TEXT_BYTES = 512 * 1024 * 1024;

async function readText(file: string, what: string): Promise<string> {
  try {
    const st = await fsp.stat(file);
    if (st.isDirectory()) throw new UsageError(`${what} '${file}' is a folder; give the file`);
    if (!st.isFile()) throw new UsageError(`${what} '${file}' is not a regular file; give the file`);
    if (st.size > MAX_TEXT_BYTES) throw new UsageError(`${what} '${file}' has ${st.size.toLocaleString('en-US')} bytes, more than the ${MAX_TEXT_BYTES / 2 ** 20} MB a text file of a data set may have`);
    return await fsp.readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${what} '${file}' ${code === 'ENOENT' ? 'does not exist' : code === 'EACCES' || code === 'EPERM' ? 'cannot be read: permission denied' : 'cannot be read'}`);
  }
}

/** The shape file `caption features` writes beside a feature matrix: features.f32 → features.f32.json. */
export function shapeFile(features: string): string {
  return `${features}.json`;
}

export const FEATURES_FORMAT = 'rnnkit.features/1';

/** The rows and width a feature matrix's shape file records, or null when it has none (features made elsewhere). */
async function readShape(file: string): Promise<{ rows: number; dim: number } | null> {
  const shape = shapeFile(file);
  let text: string;
  try {
    const st = await fsp.stat(shape);
    if (!st.isFile() || st.size > 65536) throw new UsageError(`${shape} is not the small shape file that rnnkit caption features writes; remove it or extract the features again`);
    text = await fsp.readFile(shape, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UsageError(`${shape} cannot be read; remove it or extract the features again`);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch {
    meta = null;
  }
  const m = meta as { format?: unknown; rows?: unknown; dim?: unknown } | null;
  const whole = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 2 ** 31;
  if (!m || typeof m !== 'object' || m.format !== FEATURES_FORMAT || !whole(m.rows) || !whole(m.dim)) {
    throw new UsageError(`${shape} is not a valid feature shape file (format "${FEATURES_FORMAT}" with whole rows and dim); remove it or extract the features again`);
  }
  return { rows: m.rows as number, dim: m.dim as number };
}

/**
 * A raw little-endian float32 matrix with one row per image of `listFile`. When the matrix has the
 * shape file that `caption features` writes, its size must be exactly the list's length × the recorded
 * width: a truncated file whose size still divides evenly by the list's length is refused.
 */
export async function readFeatures(file: string, listFile: string): Promise<{ features: Float32Array; names: string[]; dim: number }> {
  const listText = await readText(listFile, 'image list');
  const names = asUsage(() => parseImageList(listText, listFile));
  let size: number;
  try {
    const st = await fsp.stat(file);
    if (st.isDirectory()) throw new UsageError(`--features '${file}' is a folder; give the feature matrix file (features.f32)`);
    if (!st.isFile()) throw new UsageError(`--features '${file}' is not a regular file; give the feature matrix file (features.f32)`);
    size = st.size;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--features '${file}' ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read'}`);
  }
  const shape = await readShape(file);
  if (shape) {
    if (shape.rows !== names.length) {
      throw new UsageError(`--features '${file}' has ${shape.rows.toLocaleString('en-US')} rows (${shapeFile(file)}), but its image list ${listFile} names ` +
        `${names.length.toLocaleString('en-US')} images: give the list that was written with it`);
    }
    if (size !== shape.rows * shape.dim * 4) {
      throw new UsageError(`--features '${file}' has ${size.toLocaleString('en-US')} bytes, but ${shape.rows.toLocaleString('en-US')} rows × ${shape.dim} values need ` +
        `${(shape.rows * shape.dim * 4).toLocaleString('en-US')}: the file is truncated or damaged; extract the features again`);
    }
  }
  if (size === 0 || size % (4 * names.length) !== 0) {
    throw new UsageError(`--features '${file}' has ${size.toLocaleString('en-US')} bytes, which is not a whole number of float32 rows for the ` +
      `${names.length.toLocaleString('en-US')} images of ${listFile} (${(size / 4).toLocaleString('en-US')} values / ${names.length} images = ${(size / 4 / names.length).toFixed(2)} per image)`);
  }
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(file);
  } catch (e) {
    throw new UsageError(`--features '${file}' cannot be read`);
  }
  if (bytes.length !== size) throw new UsageError(`--features '${file}' changed while it was read; try again`);
  const features = new Float32Array(bytes.length / 4);
  new Uint8Array(features.buffer).set(bytes);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < features.length; i++) features[i] = v.getFloat32(4 * i, true);
  }
  return { features, names, dim: features.length / names.length };
}

/** Runs fn, turning its error into a UsageError (one line for the person at the terminal). */
export function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw e instanceof UsageError ? e : new UsageError((e as Error).message);
  }
}

export interface CaptionFiles {
  features: string;
  imageList: string;
  captions: string;
  split: string;
}

/** Reads and joins the feature matrix, its image list, the captions and the split. */
export async function readCaptionData(f: CaptionFiles): Promise<CaptionDataset> {
  const { features, names } = await readFeatures(f.features, f.imageList);
  const captionsText = await readText(f.captions, '--captions');
  const splitText = await readText(f.split, '--split');
  return asUsage(() => joinDataset(features, names, parseCaptions(captionsText, f.captions), parseSplit(splitText, f.split)));
}

/**
 * Reads the images to score: the feature matrix, its list and the captions, and with a split file
 * the images of its part `part` (none of its training images are needed); without one, every image
 * of the list that has captions.
 */
export async function readEvalData(f: Omit<CaptionFiles, 'split'> & { split: string | null }, part: string): Promise<EvalSet> {
  const { features, names } = await readFeatures(f.features, f.imageList);
  const captionsText = await readText(f.captions, '--captions');
  const splitText = f.split === null ? null : await readText(f.split, '--split');
  return asUsage(() => joinEvalSet(features, names, parseCaptions(captionsText, f.captions), splitText === null ? null : parseSplit(splitText, f.split!), part));
}
