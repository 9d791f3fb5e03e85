import { promises as fsp, constants } from 'node:fs';
import * as path from 'node:path';

/*
 * Writing files so that a crash or a kill at any moment never leaves a half-written file where a
 * good one stood: write a temporary file beside the target, flush it to disk, then rename it over
 * the target (rename is atomic on POSIX file systems), then flush the directory entry.
 */

async function writeSynced(file: string, data: Uint8Array | string): Promise<void> {
  const fh = await fsp.open(file, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await fsp.open(dir, constants.O_RDONLY);
    try { await fh.sync(); } finally { await fh.close(); }
  } catch {
    // some file systems refuse fsync on a directory; the rename is still atomic there
  }
}

function tempName(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${Date.now().toString(36)}`);
}

/** Replaces `file` with `data` atomically. */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempName(file);
  try {
    await writeSynced(tmp, data);
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await syncDir(path.dirname(file));
}

/**
 * Creates directory `dir` holding `files` (name → contents) atomically: the files are written into a
 * temporary directory that is renamed to `dir` only once all of them are on disk. An existing `dir`
 * is replaced.
 */
export async function writeDirAtomic(dir: string, files: Record<string, Uint8Array | string>): Promise<void> {
  const parent = path.dirname(dir);
  await fsp.mkdir(parent, { recursive: true });
  const tmp = tempName(dir);
  await fsp.mkdir(tmp);
  try {
    for (const [name, data] of Object.entries(files)) await writeSynced(path.join(tmp, name), data);
    await syncDir(tmp);
    const old = await exists(dir) ? tempName(dir) : null;
    if (old) await fsp.rename(dir, old);
    await fsp.rename(tmp, dir);
    if (old) await fsp.rm(old, { recursive: true, force: true });
  } catch (e) {
    await fsp.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  await syncDir(parent);
}

/** Points the symbolic link `link` at `target` (relative to the link's folder), atomically. */
export async function pointLinkAtomic(link: string, target: string): Promise<void> {
  const tmp = tempName(link);
  await fsp.symlink(target, tmp);
  try {
    await fsp.rename(tmp, link);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await syncDir(path.dirname(link));
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch {
    return false;
  }
}
