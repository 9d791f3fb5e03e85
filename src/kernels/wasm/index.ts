import type { Backend } from '../backend.js';
import { registerBackend } from '../registry.js';
import { referenceBackend } from '../reference/index.js';
import { createWasmBackend, createWasmBackendNow, type WasmBackend, type WasmBackendOptions } from './backend.js';

export { createWasmBackend, createWasmBackendNow, defaultThreads, type WasmBackend, type WasmBackendOptions } from './backend.js';

/** The registered backend: made once, by `useBackend('wasm')` or by `wasmBackendNow`, whichever comes first. */
interface Registered { options: WasmBackendOptions; made: WasmBackend | null; making: Promise<WasmBackend> | null }
let registered: Registered | null = null;

/**
 * Makes the WebAssembly backend available as `useBackend('wasm')`; it is loaded on first use. Registering
 * again (with other options, e.g. `{ threads: 1 }`) replaces it for later `useBackend` calls.
 */
export function registerWasmBackend(options: WasmBackendOptions = {}): void {
  const entry: Registered = { options, made: null, making: null };
  registered = entry;
  registerBackend('wasm', () => {
    if (entry.made) return Promise.resolve(entry.made);
    return (entry.making ??= createWasmBackend(options).then((b) => (entry.made ??= b)));
  });
}

/**
 * The registered WebAssembly backend, made synchronously if it is not made yet (createWasmBackendNow);
 * the reference backend where this host cannot run it (no WebAssembly SIMD, no synchronous compile).
 * For `setDefaultBackend`: the backend of a program that did not choose one.
 */
export function wasmBackendNow(): Backend {
  if (!registered) registerWasmBackend();
  const entry = registered as unknown as Registered;
  if (entry.made) return entry.made;
  try {
    return (entry.made = createWasmBackendNow(entry.options));
  } catch {
    return referenceBackend;
  }
}
