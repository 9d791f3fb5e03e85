/**
 * rnnkit: recurrent neural networks (RNN, LSTM, GRU) for TypeScript, in Node and the browser.
 *
 * This is the public surface, listed name by name (docs/api.md says why each group is here). The folder
 * index files gather more than this for the library's own use; what is not listed here is internal and
 * may change. Nothing exported here imports a Node built-in, so the library bundles for the browser;
 * file I/O lives in `rnnkit/node`.
 *
 * @packageDocumentation
 * @module rnnkit
 */
import { registerWasmBackend, wasmBackendNow } from './kernels/wasm/index.js';
import { setDefaultBackend } from './kernels/registry.js';

// errors
export { RnnkitError, ConfigError, FormatError, DataError, FileError } from './errors.js';

// backends
export {
  kernels, useBackend, setBackend, registerBackend, availableBackends, registerWasmBackend, profiled, CELL_GATES,
  type WasmBackendOptions, type ProfiledBackend, type KernelProfile,
  type Backend, type Activation, type SequenceArgs, type CellKind, type CellName, type Nonlinearity, type StepLayer, type StepLayerWeights,
} from './kernels/index.js';

// tensors and automatic differentiation
export {
  Tensor, noGrad, isGradEnabled, releaseGraph, releaseGrads, Generator, defaultGenerator, manualSeed,
  add, sub, mul, scale, tanh, sigmoid, relu, sum, mean, matmul, linear, reshape, transpose01, concatLast, stack, select, indexSelect,
  embedding, crossEntropy, dropout,
  type Shape, type NestedNumbers, type CrossEntropyOptions,
} from './tensor/index.js';

// ops and losses under PyTorch's names (docs/ops.md)
export {
  softmax, logSoftmax, cat, gatherLast, maskedMean, nllLoss, mseLoss, l1Loss, huberLoss, smoothL1Loss, bceWithLogits,
  type LengthsOptions, type NllLossOptions, type RegressionLossOptions, type HuberLossOptions, type SmoothL1LossOptions,
  type BceWithLogitsOptions, type Reduction,
} from './tensor/index.js';

// layers
export {
  Module, Linear, Embedding, Dropout, Sequential, OneHot, RecurrentBase, RNN, RNNCell, LSTM, LSTMCell, GRU, GRUCell, uniform, normal,
  type StateDict, type TensorModule, type RecurrentOptions, type RecurrentOutput, type RecurrentState,
  type AnyRecurrent, type RecurrentStepper, type DirectionWeights, type RunOptions, type StepperOptions,
  RecurrentLM, type RecurrentLMConfig, type RecurrentLMState,
} from './nn/index.js';

// optimizers, schedules and clipping
export {
  Optimizer, SGD, Adagrad, RMSprop, Adam, AdamW, StepLR, CosineAnnealingLR, LinearWarmup, applySchedule, clipGradNorm, clipGradValue, type ClipParams,
  type ParamEntry, type ParamState, type ParamStateEntry, type OptimizerStateDict, type HyperValue, type BaseHyper,
  type SGDOptions, type SGDHyper, type AdagradOptions, type AdagradHyper, type RMSpropOptions, type RMSpropHyper, type AdamOptions, type AdamHyper,
  type LrSchedule, type StepLROptions, type CosineAnnealingLROptions, type LinearWarmupOptions,
} from './optim/index.js';

// one training step; truncated backpropagation through time
export {
  trainStep, detachState, chunks, truncatedBPTT, type TrainStepOptions, type TrainStepResult, type RecurrentStateLike, type Chunk, type TruncatedOptions,
} from './train/index.js';

// files as bytes (safetensors, checkpoints); reading and writing them on disk is in rnnkit/node
export {
  encodeSafetensors, decodeSafetensors, encodeCheckpoint, decodeCheckpointPart, MODEL_FILE, STATE_FILE,
  type SafetensorsFile, type Checkpoint, type CheckpointPart,
} from './io/index.js';

// ONNX: recurrent language models to and from standard ONNX graphs (needs the onnx-proto package)
export { exportONNX, importONNX, type ONNXExportable, type ImportedONNX } from './io/index.js';

// gradient-flow diagnostics
export {
  gradientFlow, GradFlowMonitor, LinearRNN, jacobianNorms, singularValues, spectralRadius, sigmaMax, randomOrthogonal,
  type GradientFlow, type FinalState, type GradientFlowOptions, type LayerFlow, type FlowModel, type GradFlowSnapshot, type LayerGradFlow,
  type JacobianSeries, type VanillaActivation,
} from './diagnostics/index.js';

// character language models
export {
  CharVocab, CharLM, generate, stream, sampleText, CharLMTrainer, DivergedError, defaultTrainConfig, CHECKPOINT_FORMAT,
  traceCharLM, topPredictions, charLMFromCheckpoint, charLMCheckpointPart,
  type CharLMMeta, type CharLMConfig, type CharLMState, type GenerateOptions, type SampleOptions,
  type TrainConfig, type StepResult, type OptimizerName, type ScheduleName, type CharTrace, type LayerTrace,
} from './text/index.js';

// word-level language models (the same model and trainer over word ids)
export {
  tokenizeWords, detokenizeWords, WordJoiner, WordLMVocab, UNK_WORD, generateWords, streamWords, sampleWords, wordLMFromCheckpoint, checkWordLMCheckpoint,
  wordLMCheckpointPart, WORD_CHECKPOINT_FORMAT, MAX_WORD_VOCAB, MAX_WORD_LENGTH,
  type WordLMMeta, type WordSampleOptions,
} from './text/index.js';

// image captioning
export {
  Captioner, WordVocab, tokenize, decodeCaptions, CaptionSearch, exportCaptionerStep, corpusBleu, ciderD, scoreCaptions, evaluateCaptioner,
  CaptionTrainer, captionerFromCheckpoint, defaultCaptionTrainConfig, CAPTION_CHECKPOINT_FORMAT,
  type CaptionerConfig, type InjectMode, type CaptionState, type DecodeOptions, type SearchOptions, type BleuResult, type CaptionScores,
  type CaptionDataset, type CaptionTrainConfig, type CaptionBatch,
} from './caption/index.js';

// The fastest backend by default: WebAssembly SIMD where the runtime has it, else plain TypeScript. It is
// made at the first operation of a program that chose none (`useBackend`, `setBackend`), so importing
// rnnkit needs no top-level await.
registerWasmBackend();
setDefaultBackend(wasmBackendNow);
