import { spawnSync, spawn, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mobyDick } from '../../src/cli/corpus_files.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

/** Runs the built command line as a user would, and returns what it printed and its exit status. */
export function rnnkit(args: string[], opts: { cwd?: string; timeout?: number } = {}): SpawnSyncReturns<string> & { out: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd, encoding: 'utf8', timeout: opts.timeout ?? 120_000, env: { ...process.env, RNNKIT_DEBUG: '' } });
  return Object.assign(r, { out: r.stdout + r.stderr });
}

/** Starts the command line without waiting, for tests that interrupt it. */
export function rnnkitAsync(args: string[], cwd?: string) {
  return spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function tempDir(prefix = 'rnnkit-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** A small English-like text made by a fixed rule, long enough to train on for a few steps. */
export function makeCorpus(dir: string, chars = 20_000, name = 'corpus.txt'): string {
  const words = ['the', 'whale', 'sea', 'ship', 'captain', 'white', 'and', 'of', 'a', 'to', 'in', 'Ahab', 'boat', 'harpoon'];
  let s = '', x = 7;
  while (s.length < chars) {
    x = (x * 1103515245 + 12345) % 2147483648;
    s += words[x % words.length] + ((x >> 8) % 9 === 0 ? '.\n' : ' ');
  }
  const file = path.join(dir, name);
  writeFileSync(file, s.slice(0, chars));
  return file;
}

/** The first `chars` characters of Moby Dick (from the dependency that ships it) as a file. */
export function mobyCorpus(dir: string, chars = 40_000): string {
  const file = path.join(dir, 'moby.txt');
  writeFileSync(file, mobyDick().slice(0, chars));
  return file;
}
