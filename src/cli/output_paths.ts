import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { UsageError } from './errors.js';

/*
 * Output locations are checked before the work starts, so minutes of computing never end in "cannot
 * write", and every file-system failure reaches the user as one sentence that names the path and
 * what to do.
 */

/** Kernel file systems: writing there is never what the user meant (mkdir under /proc never ends). */
const SYSTEM = ['/proc', '/sys', '/dev'];

function underSystem(p: string): boolean {
  return SYSTEM.some((s) => p === s || p.startsWith(`${s}/`));
}

/** One sentence for a file-system error on `p`, naming the path and what to do. */
export function fileErrorMessage(e: unknown, p: string, what: string): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'EACCES': case 'EPERM': return `${what} '${p}' cannot be written: permission denied (or the file is immutable); choose a folder you can write to`;
    case 'EROFS': return `${what} '${p}' is on a read-only file system; choose a writable folder`;
    case 'ENOSPC': case 'EDQUOT': return `${what} '${p}': the disk is full (or over quota); free some space or choose another disk`;
    case 'EFBIG': return `${what} '${p}': the file is larger than this file system allows; choose another disk`;
    case 'ENOTDIR': return `${what} '${p}': part of the path is a file, not a folder; choose another path`;
    case 'EISDIR': return `${what} '${p}' is a folder; give a file name`;
    case 'ENAMETOOLONG': return `${what} '${p}': the path is too long; choose a shorter one`;
    case 'ENOENT': return `${what} '${p}': a folder on the path does not exist; create it or choose another path`;
    case 'EEXIST': return `${what} '${p}' already exists; choose another path`;
    default: return `${what} '${p}' cannot be written; choose another path`;
  }
}

/** Runs fn, turning a file-system error into a one-line UsageError about `p`. */
export async function writingTo<T>(p: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof UsageError || !(e as NodeJS.ErrnoException)?.code) throw e;
    throw new UsageError(fileErrorMessage(e, p, what));
  }
}

async function statOrNull(p: string) {
  try {
    return await fsp.stat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR') return 'notdir' as const;
    throw e;
  }
}

/** Proves that `dir` (which exists) takes new files: writes and removes a small file in it. */
async function probeWrite(dir: string, shown: string, what: string): Promise<void> {
  const probe = path.join(dir, `.rnnkit-write-check-${process.pid}`);
  await writingTo(shown, what, async () => {
    await fsp.writeFile(probe, '');
    await fsp.rm(probe, { force: true });
  });
}

/**
 * Checks that `dir` can be the output folder: not a file, not under /proc, /sys or /dev, and writable —
 * or, when it does not exist yet, that the nearest folder above it that exists takes new files (the
 * command creates it when it writes, so a command that fails leaves nothing behind).
 */
export async function prepareOutputDir(dir: string, what: string): Promise<void> {
  if (dir.trim() === '') throw new UsageError(`${what} is empty; give a folder`);
  const abs = path.resolve(dir);
  const system = () => new UsageError(`${what} '${dir}' is under a system folder (${SYSTEM.join(', ')}); choose a folder of your own`);
  if (underSystem(abs)) throw system();
  const st = await writingTo(dir, what, () => statOrNull(abs));
  if (st === 'notdir') throw new UsageError(`${what} '${dir}': part of the path is a file, not a folder; choose another path`);
  if (st && !st.isDirectory()) throw new UsageError(`${what} '${dir}' is a file, not a folder; choose a folder`);
  let existing = abs;
  if (!st) {
    existing = path.dirname(abs);
    for (;;) {
      const up = await writingTo(dir, what, () => statOrNull(existing));
      if (up === 'notdir' || (up && !up.isDirectory())) throw new UsageError(`${what} '${dir}': part of the path is a file, not a folder; choose another path`);
      if (up || existing === path.dirname(existing)) break;
      existing = path.dirname(existing);
    }
  }
  // a link on the way could lead into a system folder
  if (underSystem(await writingTo(dir, what, () => fsp.realpath(existing)))) throw system();
  await probeWrite(existing, dir, what);
}

/**
 * Checks that `file` can be written as an output file before the work that makes it: its folder is
 * prepared as above, it is not a folder, and an existing file is refused unless `overwrite`.
 */
export async function prepareOutputFile(file: string, what: string, opts: { overwrite?: boolean; hint?: string } = {}): Promise<void> {
  if (file.trim() === '') throw new UsageError(`${what} is empty; give a file name`);
  const abs = path.resolve(file);
  await prepareOutputDir(path.dirname(file), `the folder of ${what}`);
  const st = await writingTo(file, what, () => statOrNull(abs));
  if (st && st !== 'notdir' && st.isDirectory()) throw new UsageError(`${what} '${file}' is a folder; give a file name`);
  if (st && !opts.overwrite) throw new UsageError(`${what} '${file}' already exists; ${opts.hint ?? 'choose another name or remove it first'}`);
}
