import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { encodeCheckpoint, decodeCheckpointPart, MODEL_FILE, STATE_FILE, type Checkpoint } from './checkpoint.js';
import { writeDirAtomic, pointLinkAtomic, exists } from './fs.js';
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
 * it, and keeps only the newest `keep` of the folders named like it.
 */
export async function saveCheckpoint(runDir: string, step: number, c: Checkpoint, keep = 3, name = checkpointName(step)): Promise<string> {
  const dir = path.join(runDir, name);
  await writeDirAtomic(dir, encodeCheckpoint(c));
  await pointLinkAtomic(path.join(runDir, LATEST), name);
  if (keep > 0) {
    const prefix = name.replace(/\d+$/, '');
    const numberOf = (n: string) => Number(n.slice(prefix.length));
    const all = (await fsp.readdir(runDir)).filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length))).sort((a, b) => numberOf(a) - numberOf(b));
    for (const old of all.slice(0, Math.max(0, all.length - keep))) {
      if (old !== name) await fsp.rm(path.join(runDir, old), { recursive: true, force: true });
    }
  }
  return dir;
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
