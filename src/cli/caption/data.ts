import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { parseImageList, parseCaptions, parseSplit, joinDataset, type CaptionDataset } from '../../caption/index.js';
import { UsageError } from '../errors.js';

/** The image list that goes with a feature file: images.txt beside it unless given. */
export function defaultImageList(features: string): string {
  return path.join(path.dirname(features), 'images.txt');
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${what} '${file}' ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}`);
  }
}

/** A raw little-endian float32 matrix with one row per image of `listFile`. */
export async function readFeatures(file: string, listFile: string): Promise<{ features: Float32Array; names: string[]; dim: number }> {
  const listText = await readText(listFile, 'image list');
  const names = asUsage(() => parseImageList(listText, listFile));
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(file);
  } catch (e) {
    throw new UsageError(`--features '${file}' ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read'}`);
  }
  if (bytes.length === 0 || bytes.length % (4 * names.length) !== 0) {
    throw new UsageError(`--features '${file}' has ${bytes.length.toLocaleString('en-US')} bytes, which is not a whole number of float32 rows for the ` +
      `${names.length.toLocaleString('en-US')} images of ${listFile} (${(bytes.length / 4).toLocaleString('en-US')} values / ${names.length} images = ${(bytes.length / 4 / names.length).toFixed(2)} per image)`);
  }
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
