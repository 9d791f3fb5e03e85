// Entry point of the WebAssembly kernels: every export of the module comes from one family file.
export * from './memory';
export * from './gemm';
export * from './elementwise';
export * from './softmax';
export * from './lstm';
export * from './gru';
export * from './adam';
export * from './sequence';
export * from './step';
