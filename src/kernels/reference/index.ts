import type { Backend } from '../backend.js';
import { gemm } from './gemm.js';
import { activate, activateBackward, addScaled, mul, scale, sumSquares, sum, addRowVector, sumRows, gatherRows, scatterAddRows, transpose } from './elementwise.js';
import { softmax, softmaxCrossEntropy, softmaxCrossEntropyBackward } from './softmax.js';
import { lstmForward, lstmBackward } from './lstm.js';
import { gruForward, gruBackward } from './gru.js';
import { rnnForward, rnnBackward } from './rnn.js';
import { adamStep } from './adam.js';

/** The plain-TypeScript backend: the definition every faster backend is tested against. */
export const referenceBackend: Backend = {
  name: 'js',
  alloc: (n) => new Float32Array(n),
  gemm, activate, activateBackward, addScaled, mul, scale, sumSquares, sum, addRowVector, sumRows,
  gatherRows, scatterAddRows, transpose, softmax, softmaxCrossEntropy, softmaxCrossEntropyBackward, rnnForward, rnnBackward, lstmForward, lstmBackward, gruForward, gruBackward, adamStep,
};
