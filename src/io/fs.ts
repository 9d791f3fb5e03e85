import { promises as fsp, constants } from 'node:fs';
import * as path from 'node:path';
import { FileError } from '../errors.js';

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

/** The name a file or folder gets on its way to deletion: `.trash-<name>-<pid>-<time>`, beside it. */
export function trashName(target: string): string {
  return path.join(path.dirname(target), `.trash-${path.basename(target)}-${process.pid}-${Date.now().toString(36)}`);
}

/**
 * Deletes a file or folder so that a kill at any moment leaves it whole or gone: it is first renamed
 * away (atomic), then deleted; a kill during the deletion leaves only a `.trash-*` entry.
 */
export async function removeAtomic(target: string): Promise<void> {
  const trash = trashName(target);
  try {
    await fsp.rename(target, trash);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw fileError(e, target, 'remove');
  }
  try {
    await fsp.rm(trash, { recursive: true, force: true });
  } catch (e) {
    throw fileError(e, trash, 'remove');
  }
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
    const old = await exists(dir) ? trashName(dir) : null;
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

/** What to do about each file-system error code, in words. */
const ADVICE: Record<string, string> = {
  EACCES: 'permission denied: choose a location you can write to, or change its permissions',
  EPERM: 'the operation is not permitted (a read-only or immutable file?): choose another location, or change its attributes',
  EROFS: 'the file system is read-only: choose a location on a writable disk',
  ENOTDIR: 'a part of the path is a file, not a folder: choose another path, or move that file away',
  EISDIR: 'a folder is in the way where a file belongs: choose another path, or move that folder away',
  ENOSPC: 'the disk is full: free some space, or choose a location on another disk',
  EDQUOT: 'the disk quota is used up: free some space, or choose a location on another disk',
  EFBIG: 'the file would be larger than the file system or the file-size limit (ulimit -f) allows: raise the limit, or choose another disk',
  EEXIST: 'something is already there: move it away, or choose another path',
  ENOTEMPTY: 'a folder that should be empty is not: move it away, or choose another path',
  ENAMETOOLONG: 'the path or one of its names is too long: choose a shorter path',
  ELOOP: 'the path runs through a loop of symbolic links: fix the link, or choose another path',
  ENOENT: 'a folder on the path does not exist: create it, or choose another path',
  EMFILE: 'too many files are open: close some programs, or raise the limit (ulimit -n)',
  ENFILE: 'too many files are open on this system: close some programs and try again',
  EBUSY: 'it is in use by another program: try again when it is free',
  EIO: 'the disk reported an input/output error: check the disk, or choose another one',
  EXDEV: 'it is on another file system: choose a location on the same disk',
  ETXTBSY: 'it is in use by a running program: try again when it is free',
};

/**
 * Turns a Node file-system error into a FileError that says, in one sentence, which path failed,
 * doing what, and what to do; anything that is not a file-system error passes through unchanged.
 */
export function fileError(e: unknown, target: string, doing: string): unknown {
  if (e instanceof FileError) return e;
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code)) return e;
  const advice = ADVICE[code] ?? `the system reported an error (${code}); check the path and try again`;
  return new FileError(target, code, `cannot ${doing} '${target}': ${advice}`);
}

/** Kernel file systems where a folder cannot be made (and a recursive mkdir may spin forever). */
const PSEUDO = ['/proc', '/sys', '/dev'];

/**
 * Makes sure `dir` is a folder this process can write files into, creating it (and its parents) if
 * needed, before any work starts. Every problem becomes one FileError naming the path: a kernel file
 * system (/proc, /sys, /dev), a file in the way, a read-only or full disk, missing permissions.
 * Returns the folders it created, outermost first.
 */
export async function ensureWritableDir(dir: string, what = 'folder'): Promise<string[]> {
  if (dir.trim() === '') throw new FileError(dir, undefined, `the ${what} is an empty path: give a folder name`);
  if (dir.includes('\0')) throw new FileError(dir, undefined, `the ${what} path contains a NUL character: give a plain folder name`);
  const abs = path.resolve(dir);
  for (const p of PSEUDO) {
    if ((abs === p || abs.startsWith(`${p}/`)) && !abs.startsWith('/dev/shm')) {
      throw new FileError(dir, undefined, `cannot use '${dir}' as a ${what}: ${p} is a kernel file system, not a place for files; choose a folder on a disk`);
    }
  }
  // walk up to the nearest part that exists, then create the rest one level at a time (never a
  // recursive mkdir, which loops on some kernel file systems)
  const missing: string[] = [];
  let at = abs;
  for (;;) {
    let st;
    try {
      st = await fsp.stat(at);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && path.dirname(at) !== at) {
        missing.unshift(at);
        at = path.dirname(at);
        continue;
      }
      throw fileError(e, at === abs ? dir : at, `use as a ${what}`);
    }
    if (!st.isDirectory()) {
      throw new FileError(at, 'ENOTDIR', at === abs
        ? `cannot use '${dir}' as a ${what}: it is a file, not a folder; choose another path, or move the file away`
        : `cannot create the ${what} '${dir}': '${at}' is a file, not a folder; choose another path, or move the file away`);
    }
    break;
  }
  for (const m of missing) {
    try {
      await fsp.mkdir(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError(e, m, `create the ${what}`);
    }
  }
  // a real write tells what permission bits cannot: read-only mounts, immutable folders, a full disk
  const probe = path.join(abs, `.write-test-${process.pid}-${Date.now().toString(36)}`);
  try {
    const fh = await fsp.open(probe, 'wx');
    try { await fh.write(new Uint8Array(1)); } finally { await fh.close(); }
  } catch (e) {
    await fsp.rm(probe, { force: true }).catch(() => {});
    throw fileError(e, dir, `write into the ${what}`);
  }
  await fsp.rm(probe, { force: true });
  return missing;
}
