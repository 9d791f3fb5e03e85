import { UsageError } from './errors.js';

/*
 * Packages that only some commands need (package.json's optional peer dependencies): a plain install of
 * rnnkit leaves them out, so a command that needs one loads it when it runs and, where it is missing,
 * says in one line what to install.
 */

/** Whether a package can be found from here (installed beside rnnkit, or in this repository). */
export function installed(name: string): boolean {
  try {
    import.meta.resolve(name);
    return true;
  } catch (e) {
    return (e as { code?: string })?.code !== 'ERR_MODULE_NOT_FOUND';
  }
}

/** Throws the one-line UsageError naming what to install, where any of `names` is missing. */
export function needPackages(what: string, names: readonly string[]): void {
  const missing = names.filter((n) => !installed(n));
  if (missing.length) {
    const list = missing.length === 1 ? missing[0] : `${missing.slice(0, -1).join(', ')} and ${missing[missing.length - 1]}`;
    throw new UsageError(`${what} needs ${list}, which ${missing.length === 1 ? 'is' : 'are'} not installed: npm install ${missing.join(' ')}`);
  }
}

/**
 * Runs `load` (dynamic imports of `names` or of a module that imports them). A missing package gives the
 * one-line install hint; one that is there but fails to load (no build for this platform) gives its error's
 * first line.
 */
export async function importOptional<T>(what: string, names: readonly string[], load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    needPackages(what, names);
    throw new UsageError(`${what}: ${names.join(', ')} could not be loaded: ${String((e as Error)?.message ?? e).split('\n')[0]}`);
  }
}
