export { chunks, truncatedBPTT, type Chunk, type TruncatedOptions } from './bptt.js';
export { trainStep, DivergedError, detachState, type TrainStepOptions, type TrainStepResult, type RecurrentStateLike } from './step.js';
