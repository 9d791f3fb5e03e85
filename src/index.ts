/**
 * rnnkit: recurrent neural networks for TypeScript, in Node and the browser.
 * The public face: everything a user imports comes from here. Nothing exported here imports a Node
 * built-in, so the library bundles for the browser; file I/O lives in `rnnkit/node`.
 */
import { registerWasmBackend, wasmBackendNow } from './kernels/wasm/index.js';
import { setDefaultBackend } from './kernels/registry.js';

export * from './kernels/index.js';
export * from './tensor/index.js';
export * from './nn/index.js';
export * from './train/index.js';
export * from './optim/index.js';
export * from './io/index.js';
export * from './diagnostics/index.js';
export * from './text/index.js';
export * from './caption/index.js';

// The fastest backend by default: WebAssembly SIMD where the runtime has it, else plain TypeScript. It is
// made at the first operation of a program that chose none (`useBackend`, `setBackend`), so importing
// rnnkit needs no top-level await.
registerWasmBackend();
setDefaultBackend(wasmBackendNow);
