import { promises as fsp, openSync, writeSync, closeSync, readFileSync, unlinkSync, renameSync, linkSync } from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { encodeCheckpoint, decodeCheckpointPart, MODEL_FILE, STATE_FILE, type Checkpoint } from './checkpoint.js';
import { writeDirAtomic, pointLinkAtomic, exists, removeAtomic, fileError } from './fs.js';
import { FileError, FormatError, RnnkitError } from '../errors.js';

/*
 * A run folder holds one folder per checkpoint, step-000200/, and `latest`, a link to the newest.
 * Each checkpoint folder appears whole or not at all (written aside, then renamed), and `latest`
 * moves only after its target is complete, so a kill at any moment leaves the last good checkpoint.
 */
/** The link in a run folder to its newest checkpoint. */
export const LATEST = 'latest';

/** The folder name of step `step`'s checkpoint in a run folder (`step-000200`). */
export function checkpointName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}

/** A captioner's checkpoints are named by epoch: epoch-01, epoch-02, … */
export function epochCheckpointName(epoch: number): string {
  return `epoch-${String(epoch).padStart(2, '0')}`;
}

/**
 * Writes checkpoint `step` into runDir (as folder `name`, by default step-NNNNNN), points `latest` at
 * it, and keeps only the newest `keep` of the folders named like it (0: all). Old checkpoints are removed
 * atomically (renamed away, then deleted).
 */
export async function saveCheckpoint(runDir: string, step: number, c: Checkpoint, keep = 3, name = checkpointName(step)): Promise<string> {
  const dir = path.join(runDir, name);
  try {
    await writeDirAtomic(dir, encodeCheckpoint(c));
  } catch (e) {
    throw fileError(e, dir, 'write the checkpoint');
  }
  try {
    await pointLinkAtomic(path.join(runDir, LATEST), name);
  } catch (e) {
    throw fileError(e, path.join(runDir, LATEST), 'update the link');
  }
  if (keep > 0) {
    const prefix = name.replace(/\d+$/, '');
    const numberOf = (n: string) => Number(n.slice(prefix.length));
    const all = (await fsp.readdir(runDir)).filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length))).sort((a, b) => numberOf(a) - numberOf(b));
    for (const old of all.slice(0, Math.max(0, all.length - keep))) {
      if (old !== name) await removeAtomic(path.join(runDir, old));
    }
  }
  return dir;
}

/** The steps of the checkpoint folders (step-NNNNNN) in runDir, in order; [] when it does not exist. */
export async function listCheckpoints(runDir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await fsp.readdir(runDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fileError(e, runDir, 'read the run folder');
  }
  return names.filter((n) => /^step-\d+$/.test(n)).map((n) => Number(n.slice(5))).sort((a, b) => a - b);
}

/** What a writer killed mid-save leaves: half-written checkpoints and links, and half-deleted old ones. */
const DEBRIS = /^(\.step-\d+\.tmp-|\.latest\.tmp-|\.trash-)/;

/**
 * Removes the debris a dead writer left in runDir (see DEBRIS) and returns how many entries went.
 * Call it only while holding the folder's lock: a live writer's temporary files look the same.
 */
export async function cleanRunDir(runDir: string): Promise<number> {
  let n = 0;
  for (const name of await fsp.readdir(runDir).catch(() => [] as string[])) {
    // a lock being taken right now (by a process that will then find ours) is not debris
    const locking = /^\.lock\.tmp-(\d+)-/.exec(name);
    if (!DEBRIS.test(name) && !(locking && !alive(Number(locking[1])))) continue;
    try {
      await fsp.rm(path.join(runDir, name), { recursive: true, force: true });
    } catch (e) {
      throw fileError(e, path.join(runDir, name), 'remove the leftover');
    }
    n++;
  }
  return n;
}

/** The lock file of a run folder: it holds the writer's pid, host and start time as JSON. */
export const LOCK_FILE = '.lock';

interface LockOwner { pid: number; host: string; started: string }

/** A held run-folder lock. `tookOver` describes the stale lock it replaced, if any. */
export interface RunLock {
  file: string;
  tookOver: LockOwner | null;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, but belongs to another user
  }
}

function readOwner(file: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    if (Number.isSafeInteger(o.pid) && (o.pid as number) > 0) return { pid: o.pid as number, host: String(o.host ?? ''), started: String(o.started ?? '') };
  } catch {
    // unreadable or half-written: treated as having no live owner
  }
  return null;
}

/**
 * Takes the run folder's lock, so that two writers never mix their checkpoints. The lock file is
 * created with O_EXCL (atomic); a lock whose owner is gone (killed) is taken over. A lock held by a
 * live process, or by one on another host (which cannot be checked), is a FileError naming the
 * folder and the other pid. The lock goes when release() is called or the process exits.
 */
export function lockRunDir(runDir: string): RunLock {
  const file = path.join(runDir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: os.hostname(), started: new Date().toISOString() };
  let tookOver: LockOwner | null = null;
  // the lock appears with its contents complete: written to a file of our own, then hard-linked into
  // place, which fails (like O_EXCL) when a lock is there already
  const mine = path.join(runDir, `${LOCK_FILE}.tmp-${process.pid}-${Date.now().toString(36)}`);
  try {
    const fd = openSync(mine, 'wx');
    try { writeSync(fd, JSON.stringify(me)); } finally { closeSync(fd); }
  } catch (e) {
    throw fileError(e, file, 'create the lock file');
  }
  let got = false;
  try {
    for (let attempt = 0; attempt < 5 && !got; attempt++) {
      try {
        linkSync(mine, file);
        got = true;
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError(e, file, 'create the lock file');
      }
      const owner = readOwner(file);
      if (owner && (owner.host !== me.host || alive(owner.pid))) {
        const where = owner.host !== me.host ? ` on host ${owner.host}` : '';
        throw new FileError(runDir, 'ELOCKED', `the run folder '${runDir}' is in use by another training (pid ${owner.pid}${where}, started ${owner.started}): ` +
          `wait for it to finish, or write to another folder (if no training runs there, delete ${file})`);
      }
      // stale: move it aside under a name of our own, check that it is still the stale one, then retry
      const aside = `${mine}-stale-${attempt}`;
      try {
        renameSync(file, aside);
      } catch {
        continue; // another process moved it first
      }
      const moved = readOwner(aside);
      if (moved && moved.pid !== owner?.pid && alive(moved.pid)) {
        // a live writer's fresh lock was moved by mistake: put it back unless a new one is there already
        try { linkSync(aside, file); } catch { /* someone holds the folder now; the next attempt sees it */ }
      } else {
        tookOver = owner ?? { pid: 0, host: '', started: '' };
      }
      try { unlinkSync(aside); } catch { /* gone already */ }
    }
  } finally {
    try { unlinkSync(mine); } catch { /* gone already */ }
  }
  if (!got) {
    throw new FileError(runDir, 'ELOCKED', `the run folder '${runDir}' is being locked by several processes at once: try again, or write to another folder`);
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    // only our own lock: never remove one that a later writer took over
    if (readOwner(file)?.pid === me.pid) {
      try { unlinkSync(file); } catch { /* gone already */ }
    }
  };
  process.on('exit', release);
  return { file, tookOver, release };
}

const HOW = 'pass a run folder (e.g. runs/), its latest, a checkpoint folder (runs/step-000200) or its model.safetensors';

/**
 * Finds the checkpoint that `p` names: a run folder, its `latest`, a checkpoint folder, or a model
 * file (any name, e.g. one saved from the web page) whose folder may hold its state.safetensors.
 */
export async function resolveCheckpoint(p: string): Promise<{ dir: string; modelFile: string }> {
  if (!(await exists(p))) throw new Error(`checkpoint '${p}' not found: ${HOW}`);
  let stat;
  try {
    stat = await fsp.stat(p);
  } catch {
    throw new Error(`checkpoint '${p}' is a broken link: ${HOW}`);
  }
  if (stat.isFile()) return { dir: path.dirname(p), modelFile: p };
  if (await exists(path.join(p, MODEL_FILE))) return { dir: p, modelFile: path.join(p, MODEL_FILE) };
  if (await exists(path.join(p, LATEST))) return resolveCheckpoint(path.join(p, LATEST));
  throw new Error(`'${p}' holds no checkpoint (no ${MODEL_FILE} and no ${LATEST}): ${HOW}`);
}

/** Reads the checkpoint `p` names (see resolveCheckpoint); `withState` also reads state.safetensors. */
export async function loadCheckpoint(p: string, withState = false): Promise<Checkpoint & { dir: string }> {
  const { dir, modelFile } = await resolveCheckpoint(p);
  const read = async (f: string) => {
    let bytes: Uint8Array;
    try {
      bytes = await readCheckpointFile(f);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        throw new FileError(f, code, `'${dir}' has no ${path.basename(f)}: the checkpoint is incomplete or holds weights only; use a checkpoint folder written by rnnkit train`);
      }
      if (e instanceof RnnkitError) throw e;
      throw new FileError(f, code, `cannot read ${f} (${code ?? (e as Error).message}): check that it is a readable file`);
    }
    return decodeCheckpointPart(bytes, f);
  };
  const model = await read(modelFile);
  const state = withState ? await read(path.join(dir, STATE_FILE)) : null;
  return { dir, model, state };
}

/** The largest checkpoint file rnnkit reads whole. */
export const MAX_CHECKPOINT_BYTES = 2 ** 31 - 1;

/** Reads a checkpoint file after checking that it is a regular file of a size that can be read. */
async function readCheckpointFile(f: string): Promise<Uint8Array> {
  // checked before opening: opening a FIFO would wait for a writer
  const st = await fsp.stat(f);
  if (!st.isFile()) throw new FileError(f, undefined, `${f} is not a regular file: pass a checkpoint folder or its model.safetensors`);
  if (st.size > MAX_CHECKPOINT_BYTES) throw new FormatError(f, `${f} has ${st.size} bytes, more than rnnkit reads (${MAX_CHECKPOINT_BYTES}); it is not a checkpoint rnnkit wrote`);
  const bytes = await fsp.readFile(f);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}
