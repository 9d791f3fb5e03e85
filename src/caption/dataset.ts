import { tokenize } from './vocab.js';

/*
 * The text files of a captioning data set, parsed (reading them from disk is the caller's part):
 *   image list  one image file name per line; line i names row i of the feature matrix
 *   captions    image<TAB>index<TAB>caption per line (also Flickr8k.token.txt's image#index<TAB>caption)
 *   split       image<TAB>train|val|… per line
 * A malformed line is an error that names the file and the line.
 */

function lines(text: string): { line: string; no: number }[] {
  return text.replace(/^\uFEFF/, '').split(/\r?\n/).map((line, i) => ({ line, no: i + 1 })).filter((l) => l.line.trim() !== '');
}

export function parseImageList(text: string, source: string): string[] {
  const names = lines(text).map((l) => l.line.trim());
  if (!names.length) throw new Error(`${source} lists no images`);
  return names;
}

/** Captions by image name, in file order. */
export function parseCaptions(text: string, source: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { line, no } of lines(text)) {
    const f = line.split('\t');
    let name: string, caption: string;
    if (f.length === 3 && /^\d+$/.test(f[1])) [name, , caption] = f;
    else if (f.length === 2 && /#\d+$/.test(f[0])) [name, caption] = [f[0].replace(/#\d+$/, ''), f[1]];
    else throw new Error(`${source} line ${no} is malformed: expected "image<TAB>index<TAB>caption", got ${JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line)}`);
    if (!name.trim()) throw new Error(`${source} line ${no} has no image name`);
    if (!tokenize(caption).length) throw new Error(`${source} line ${no} has an empty caption`);
    const list = out.get(name) ?? [];
    list.push(caption);
    out.set(name, list);
  }
  if (!out.size) throw new Error(`${source} has no captions`);
  return out;
}

/** The split of each image ('train', 'val', or any other word, which training ignores). */
export function parseSplit(text: string, source: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const { line, no } of lines(text)) {
    const f = line.split('\t');
    if (f.length !== 2 || !f[0].trim() || !/^[A-Za-z]+$/.test(f[1].trim())) {
      throw new Error(`${source} line ${no} is malformed: expected "image<TAB>train|val", got ${JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line)}`);
    }
    out.set(f[0], f[1].trim());
  }
  return out;
}

/** Image features and captions, joined and split for training. */
export interface CaptionDataset {
  /** Rows × dim float32 features; row i belongs to names[i]. */
  features: Float32Array;
  dim: number;
  names: readonly string[];
  /** Training images: the feature row and the tokenized captions. */
  train: { row: number; captions: string[][] }[];
  /** Validation images: the feature row and the tokenized reference captions. */
  val: { row: number; name: string; captions: string[][] }[];
}

/** Joins the parsed files; every train and val image must have a feature row and at least one caption. */
export function joinDataset(features: Float32Array, names: readonly string[], captions: Map<string, string[]>, split: Map<string, string>): CaptionDataset {
  if (!names.length || features.length % names.length !== 0) {
    throw new Error(`the feature matrix has ${features.length} values, which is not a whole number of rows for ${names.length} images`);
  }
  const dim = features.length / names.length;
  const rowOf = new Map(names.map((n, i) => [n, i]));
  const train: CaptionDataset['train'] = [], val: CaptionDataset['val'] = [];
  const missing: string[] = [];
  for (const [name, part] of split) {
    if (part !== 'train' && part !== 'val') continue;
    const row = rowOf.get(name);
    const caps = captions.get(name);
    if (row === undefined || !caps) {
      missing.push(`${name} (${row === undefined ? 'no feature row' : 'no caption'})`);
      continue;
    }
    const toks = caps.map(tokenize);
    if (part === 'train') train.push({ row, captions: toks });
    else val.push({ row, name, captions: toks });
  }
  if (missing.length) throw new Error(`${missing.length} images of the split cannot be used: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}`);
  if (!train.length) throw new Error('the split has no train images');
  if (!val.length) throw new Error('the split has no val images');
  return { features, dim, names, train, val };
}

/** Images to caption and score: each with its feature row, its name and its tokenized reference captions. */
export interface EvalSet {
  features: Float32Array;
  dim: number;
  names: readonly string[];
  val: { row: number; name: string; captions: string[][] }[];
}

/**
 * The images to score, without any training images: with a split, those of the split's part `part`
 * (e.g. 'val' or 'test'); without one, every image of the list that has captions. Each chosen image
 * must have a feature row and a caption.
 */
export function joinEvalSet(features: Float32Array, names: readonly string[], captions: Map<string, string[]>,
  split: Map<string, string> | null, part = 'val'): EvalSet {
  if (!names.length || features.length % names.length !== 0) {
    throw new Error(`the feature matrix has ${features.length} values, which is not a whole number of rows for ${names.length} images`);
  }
  const dim = features.length / names.length;
  const rowOf = new Map(names.map((n, i) => [n, i]));
  const val: EvalSet['val'] = [];
  const missing: string[] = [];
  const chosen = split ? [...split].filter(([, p]) => p === part).map(([n]) => n) : names.filter((n) => captions.has(n));
  for (const name of chosen) {
    const row = rowOf.get(name);
    const caps = captions.get(name);
    if (row === undefined || !caps) {
      missing.push(`${name} (${row === undefined ? 'no feature row' : 'no caption'})`);
      continue;
    }
    val.push({ row, name, captions: caps.map(tokenize) });
  }
  if (missing.length) throw new Error(`${missing.length} images to score cannot be used: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}`);
  if (!val.length) {
    throw new Error(split ? `the split has no '${part}' images${[...new Set(split.values())].length ? ` (its parts: ${[...new Set(split.values())].join(', ')})` : ''}`
      : 'no image of the list has a caption');
  }
  return { features, dim, names, val };
}
