import type { Backend } from './backend.js';
import { referenceBackend } from './reference/index.js';
import { withValue } from './scoped.js';

/**
 * The active backend. Everything above the kernels calls `kernels()` at the moment of use, so
 * switching backends takes effect for every later operation. Buffers made by one backend's `alloc`
 * stay valid after a switch; a backend must accept plain Float32Arrays from any other.
 */
let active: Backend | null = null;
const known = new Map<string, () => Promise<Backend>>([['js', async () => referenceBackend]]);
let pickDefault: () => Backend = () => referenceBackend;

/** The active backend; the first call with none chosen makes the default one (see setDefaultBackend). */
export function kernels(): Backend {
  return active ?? (active = pickDefault());
}

/**
 * How the backend is chosen for a program that chose none (by `setBackend`/`useBackend`) before its first
 * operation: `pick` runs once, synchronously, at that operation. The reference backend unless set.
 */
export function setDefaultBackend(pick: () => Backend): void {
  pickDefault = pick;
}

/** Makes `b` the active backend for every later operation (useBackend does this by name). */
export function setBackend(b: Backend): void {
  active = b;
}

/** Runs fn with `b` as the active backend, then puts the one before it back. */
export function withBackend<T>(b: Backend, fn: () => T): T {
  return withValue(() => active, (v) => { active = v; }, b, fn);
}

/** Makes a backend available to `useBackend(name)`; the factory runs once, on first use. */
export function registerBackend(name: string, factory: () => Promise<Backend>): void {
  let made: Promise<Backend> | null = null;
  known.set(name, () => (made ??= factory()));
}

/** The names useBackend accepts: `js` always, `wasm` once registered. */
export function availableBackends(): string[] {
  return [...known.keys()];
}

/** Switches to a registered backend by name ('js' is always there). */
export async function useBackend(name: string): Promise<Backend> {
  const f = known.get(name);
  if (!f) throw new Error(`unknown backend '${name}': choose one of ${availableBackends().join(', ')}`);
  active = await f();
  return active;
}
