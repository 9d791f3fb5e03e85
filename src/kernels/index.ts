export type { Backend, Activation, SequenceArgs, StepLayer, StepLayerWeights } from './backend.js';
export { CELLS, CELL_GATES, gateCount, cellKind, type CellInfo, type CellKind, type CellName, type Nonlinearity } from './cells.js';
export { referenceBackend } from './reference/index.js';
export { profiled, type KernelProfile, type ProfiledBackend } from './profile.js';
export { kernels, setBackend, withBackend, registerBackend, useBackend, availableBackends } from './registry.js';
export { registerWasmBackend, createWasmBackend, defaultThreads, type WasmBackend, type WasmBackendOptions } from './wasm/index.js';
