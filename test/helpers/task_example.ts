import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { ROOT } from './cli.js';

const require = createRequire(path.join(ROOT, 'package.json'));

/** The data packages an example needs that are not installed (its test then skips, saying so). */
export function missingPackages(names: readonly string[]): string[] {
  return names.filter((n) => {
    try { require.resolve(n); return false; } catch { return true; }
  });
}

/**
 * Runs examples/<name>.ts in quick mode (RNNKIT_QUICK=1) and returns the JSON object of its last line,
 * with what it printed for the failure messages.
 */
export function runTaskExample(name: string, timeout = 300_000): { result: Record<string, unknown>; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'examples', `${name}.ts`)], {
    cwd: ROOT, encoding: 'utf8', timeout, env: { ...process.env, RNNKIT_QUICK: '1' },
  });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`examples/${name}.ts exited with ${r.status}:\n${out}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return { result: JSON.parse(last) as Record<string, unknown>, out };
}
