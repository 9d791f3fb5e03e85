// The integer codes the host passes for cells and activations, and each cell's gate count, in one place
// for every kernel family. They copy one table: src/kernels/cells.ts for the cells and
// src/kernels/wasm/codes.ts for the activations (test/kernels/wasm_codes.test.ts checks every line here).

// cells
export const RNN_TANH: i32 = 0;
export const RNN_RELU: i32 = 1;
export const LSTM: i32 = 2;
export const GRU: i32 = 3;

// gate blocks per hidden unit
export const RNN_GATES: i32 = 1;
export const LSTM_GATES: i32 = 4;
export const GRU_GATES: i32 = 3;

/** Gate blocks per hidden unit of a cell. */
// @ts-ignore: decorator
@inline
export function gateCount(kind: i32): i32 {
  return kind == LSTM ? LSTM_GATES : kind == GRU ? GRU_GATES : RNN_GATES;
}

// activations (anything above RELU is the identity)
export const TANH: i32 = 0;
export const SIGMOID: i32 = 1;
export const RELU: i32 = 2;
export const IDENTITY: i32 = 3;
