import { registerBackend } from '../registry.js';
import { createWasmBackend, type WasmBackendOptions } from './backend.js';

export { createWasmBackend, defaultThreads, type WasmBackend, type WasmBackendOptions } from './backend.js';

/**
 * Makes the WebAssembly backend available as `useBackend('wasm')`; it is loaded on first use. Registering
 * again (with other options, e.g. `{ threads: 1 }`) replaces it for later `useBackend` calls.
 */
export function registerWasmBackend(options: WasmBackendOptions = {}): void {
  registerBackend('wasm', () => createWasmBackend(options));
}
