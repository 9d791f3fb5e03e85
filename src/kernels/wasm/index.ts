import { registerBackend } from '../registry.js';
import { createWasmBackend } from './backend.js';

export { createWasmBackend, type WasmBackend, type WasmBackendOptions } from './backend.js';

/** Makes the WebAssembly backend available as `useBackend('wasm')`; it is loaded on first use. */
export function registerWasmBackend(): void {
  registerBackend('wasm', () => createWasmBackend());
}
