export { CharVocab, showChars, fingerprint, splitIds, CharStreams, type StreamPosition, type Chunk as StreamChunk } from './streams.js';
export { CharLM, type CharLMConfig, type CharLMState } from './char_lm.js';
export { sampleText, pick, checkSampleOptions, CharLMStepper, type SampleOptions } from './sample.js';
export { generate, stream, type GenerateOptions } from './generate.js';
export {
  CharLMTrainer, DivergedError, defaultTrainConfig, checkConfig, CHECKPOINT_FORMAT,
  type TrainConfig, type StepResult, type OptimizerName, type ScheduleName,
} from './trainer.js';
export { charLMFromCheckpoint, checkCharLMCheckpoint, charLMCheckpointPart, CHAR_LM_LIMITS, type CharLMMeta } from './checkpoint.js';
export { readTrainState, type TrainStateMeta } from './train_state.js';
export { traceCharLM, topPredictions, type CharTrace, type LayerTrace } from './activations.js';
export { tokenizeWords, detokenizeWords, showWords, WordJoiner, WordLMVocab, UNK_WORD } from './words.js';
export { checkWordLMCheckpoint, wordLMFromCheckpoint, wordLMCheckpointPart, MAX_WORD_LENGTH, type WordLMMeta } from './word_checkpoint.js';
export { sampleWords, generateWords, streamWords, type WordSampleOptions } from './word_sample.js';
export { WORD_CHECKPOINT_FORMAT } from './checkpoint.js';
export { MAX_WORD_VOCAB } from './trainer.js';
