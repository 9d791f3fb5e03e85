export { tokenize, WordVocab, SPECIALS, NULL_ID, START_ID, END_ID, UNK_ID } from './vocab.js';
export { Captioner, checkCaptionerConfig, type CaptionerConfig, type InjectMode, type CaptionState } from './model.js';
export { decodeCaptions, CaptionSearch, searchOptions, type DecodeOptions, type SearchOptions } from './decode.js';
export { exportCaptionerStep } from './onnx_step.js';
export { corpusBleu, ngramCounts, type BleuResult } from './bleu.js';
export { ciderD } from './cider.js';
export { scoreCaptions, evaluateCaptioner, featureRows, type CaptionScores } from './evaluate.js';
export { parseImageList, parseCaptions, parseSplit, joinDataset, joinEvalSet, type CaptionDataset, type EvalSet } from './dataset.js';
export {
  CaptionTrainer, captionerFromCheckpoint, featureStats, padBatch, checkCaptionTrainConfig, defaultCaptionTrainConfig, CAPTION_CHECKPOINT_FORMAT,
  type CaptionTrainConfig, type CaptionBatch,
} from './trainer.js';
