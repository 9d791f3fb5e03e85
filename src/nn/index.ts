export { Module, type StateDict } from './module.js';
export { Linear } from './linear.js';
export { Embedding } from './embedding.js';
export { Dropout } from './dropout.js';
export { Sequential, type TensorModule } from './sequential.js';
export { OneHot } from './one_hot.js';
export {
  RecurrentBase, RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell, recurrentLayer, recurrentWithHead, suffix,
  type AnyRecurrent, type DirectionWeights, type RunOptions, type RecurrentOptions, type RecurrentOutput, type RecurrentState,
} from './recurrent.js';
export { RecurrentStepper, type StepperOptions } from './recurrent_step.js';
export { uniform, normal } from './init.js';
export { crossEntropy } from '../tensor/index.js';
export { RecurrentLM, type RecurrentLMConfig, type RecurrentLMState } from './recurrent_lm.js';
