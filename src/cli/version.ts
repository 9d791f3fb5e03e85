import { readFileSync } from 'node:fs';

/**
 * The package's version, read from package.json at run time: two folders up from this file both in
 * the source (src/cli/) and in the build (dist/cli/).
 */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
