export { detachState, type RecurrentStateLike } from './state.js';
export { chunks, truncatedBPTT, type Chunk, type TruncatedOptions } from './bptt.js';
export { trainStep, DivergedError, type TrainStepOptions, type TrainStepResult } from './step.js';
