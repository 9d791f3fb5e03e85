// The integer codes the loader passes for cells and activations (src/kernels/wasm/backend.ts's CELL and
// ACTIVATION tables), in one place for every kernel family.

// cells
export const RNN_TANH: i32 = 0;
export const RNN_RELU: i32 = 1;
export const LSTM: i32 = 2;
export const GRU: i32 = 3;

// activations
export const TANH: i32 = 0;
export const SIGMOID: i32 = 1;
export const RELU: i32 = 2;
