// PyTorch parity on the WebAssembly backend: the same suite, after switching backends.
import { registerWasmBackend } from '../../src/kernels/wasm/index.js';
import { useBackend } from '../../src/kernels/index.js';

registerWasmBackend();
await useBackend('wasm');
await import('./parity_suite.js');
