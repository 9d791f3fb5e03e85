export { Optimizer, type ParamEntry, type ParamState, type ParamStateEntry, type OptimizerStateDict, type HyperValue, type BaseHyper } from './optimizer.js';
export { SGD, type SGDOptions, type SGDHyper } from './sgd.js';
export { Adagrad, type AdagradOptions, type AdagradHyper } from './adagrad.js';
export { RMSprop, type RMSpropOptions, type RMSpropHyper } from './rmsprop.js';
export { Adam, AdamW, type AdamOptions, type AdamHyper } from './adam.js';
export { StepLR, CosineAnnealingLR, LinearWarmup, applySchedule, type LrSchedule, type StepLROptions, type CosineAnnealingLROptions, type LinearWarmupOptions } from './schedule.js';
export { clipGradNorm, clipGradValue, type ClipParams } from './clip.js';
