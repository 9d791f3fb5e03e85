import type { Command } from 'commander';
import { addFeaturesCommand } from './features.js';
import { addCaptionTrainCommand } from './train.js';
import { addCaptionEvalCommand } from './eval.js';
import { addCaptionDescribeCommand } from './describe.js';

/** `rnnkit caption features|train|eval|describe`: image captioning with a cut ImageNet CNN and an RNN/LSTM. */
export function addCaptionCommand(program: Command): void {
  const caption = program.command('caption')
    .description('image captioning: CNN features (last FC layer cut off) → RNN/LSTM → words');
  addFeaturesCommand(caption);
  addCaptionTrainCommand(caption);
  addCaptionEvalCommand(caption);
  addCaptionDescribeCommand(caption);
}
