export type { Backend, Activation } from './backend.js';
export { referenceBackend } from './reference/index.js';
export { kernels, setBackend, registerBackend, useBackend, availableBackends } from './registry.js';
