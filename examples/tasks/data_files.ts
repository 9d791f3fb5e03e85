// Reading the examples' data from the npm packages that ship it. Every file is untrusted: a file that is
// missing, too big or malformed is skipped and counted (or, when nothing usable is left, a one-line error).
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);

/** The data folder of an installed package, or a one-line error that says how to install it. */
export function packageDir(name: string): string {
  let dir: string;
  try {
    dir = path.dirname(require.resolve(name));
  } catch {
    fail(`the data package ${name} is not installed: run \`npm install --save-dev ${name}\` in this repository`);
  }
  // the entry point may sit in a subfolder, and the package may not export its package.json
  for (; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'data'))) return dir;
  }
  fail(`the data package ${name} has no data folder: reinstall it with \`npm install --save-dev ${name}\``);
}

/** A text file of at most maxBytes, or null when it is missing, unreadable or bigger. */
export function readSmallText(file: string, maxBytes: number): string | null {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > maxBytes) return null;
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Stops the example with one line on stderr. */
export function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

/** Prints the counts of skipped items (if any) on stderr. */
export function reportSkipped(what: string, skipped: Record<string, number>): void {
  const parts = Object.entries(skipped).filter(([, n]) => n > 0).map(([why, n]) => `${n} ${why}`);
  if (parts.length > 0) process.stderr.write(`${what}: skipped ${parts.join(', ')}\n`);
}
