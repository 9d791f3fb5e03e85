import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Tensor, ConfigError, DataError, softmax, logSoftmax, cat, sum, mean, gatherLast, maskedMean,
  mseLoss, l1Loss, huberLoss, smoothL1Loss, bceWithLogits, nllLoss, crossEntropy,
} from '../../src/index.js';

// The bad inputs of the ops and losses: each is refused with one line, of the error class that says whose
// fault it is, naming the argument, what was expected and what was found. Nothing is broadcast.

const a23 = () => Tensor.zeros([2, 3]);
const logits = () => Tensor.zeros([3, 5]);
const padded = () => Tensor.zeros([4, 2, 3]); // T = 4, B = 2
const withNaN = () => Tensor.from([[0, NaN, 0], [0, 0, 0]]);

const table: [string, () => unknown, typeof DataError | typeof ConfigError, RegExp][] = [
  // regression losses
  ['mseLoss target of another shape', () => mseLoss(a23(), Tensor.zeros([3, 2])), DataError, /^mseLoss: target has shape \[3, 2\], expected the input's shape \[2, 3\] \(nothing is broadcast\)$/],
  ['mseLoss target of the same size but another shape', () => mseLoss(a23(), Tensor.zeros([6])), DataError, /target has shape \[6\], expected the input's shape \[2, 3\]/],
  ['mseLoss target not a tensor', () => mseLoss(a23(), [1, 2] as unknown as Tensor), DataError, /target must be a Tensor of shape \[2, 3\], got object/],
  ['mseLoss NaN in the target', () => mseLoss(a23(), withNaN()), DataError, /^mseLoss: target element 1 is NaN, expected a finite number$/],
  ['l1Loss infinite target', () => l1Loss(a23(), Tensor.from([[0, 0, 0], [0, Infinity, 0]])), DataError, /l1Loss: target element 4 is Infinity, expected a finite number/],
  ['huberLoss NaN in the target', () => huberLoss(a23(), withNaN()), DataError, /huberLoss: target element 1 is NaN/],
  ['huberLoss delta 0', () => huberLoss(a23(), a23(), { delta: 0 }), ConfigError, /^huberLoss: delta must be a finite number > 0, got 0$/],
  ['smoothL1Loss negative beta', () => smoothL1Loss(a23(), a23(), { beta: -1 }), ConfigError, /smoothL1Loss: beta must be a finite number ≥ 0, got -1/],
  ['smoothL1Loss NaN in the target', () => smoothL1Loss(a23(), withNaN()), DataError, /smoothL1Loss: target element 1 is NaN/],
  ['unknown reduction', () => mseLoss(a23(), a23(), { reduction: 'avg' as never }), ConfigError, /^mseLoss: reduction must be 'mean', 'sum' or 'none', got "avg"$/],
  ['empty input', () => l1Loss(Tensor.zeros([0, 3]), Tensor.zeros([0, 3])), DataError, /l1Loss: input is empty \(shape \[0, 3\]\)/],
  // binary cross-entropy
  ['bceWithLogits target above 1', () => bceWithLogits(a23(), Tensor.from([[0, 1, 1.5], [0, 0, 0]])), DataError, /^bceWithLogits: target element 2 is 1.5, expected a probability in \[0, 1\]$/],
  ['bceWithLogits negative target', () => bceWithLogits(a23(), Tensor.from([[0, 1, 0], [-0.1, 0, 0]])), DataError, /target element 3 is -0\.1\d*, expected a probability/],
  ['bceWithLogits NaN target', () => bceWithLogits(a23(), withNaN()), DataError, /target element 1 is NaN, expected a probability/],
  ['bceWithLogits target of another shape', () => bceWithLogits(a23(), Tensor.zeros([2, 1])), DataError, /bceWithLogits: target has shape \[2, 1\], expected the input's shape \[2, 3\]/],
  ['bceWithLogits posWeight of the wrong size', () => bceWithLogits(a23(), a23(), { posWeight: Tensor.ones([2]) }), ConfigError, /^bceWithLogits: posWeight must be a Tensor \[3\] for input \[2, 3\], got \[2\]$/],
  ['bceWithLogits posWeight of the input\'s shape', () => bceWithLogits(a23(), a23(), { posWeight: Tensor.ones([2, 3]) }), ConfigError, /posWeight must be a Tensor \[3\] for input \[2, 3\], got \[2, 3\]/],
  ['bceWithLogits weight of the wrong shape', () => bceWithLogits(a23(), a23(), { weight: Tensor.ones([2]) }), ConfigError, /weight must be a Tensor \[3\] or \[2, 3\] for input \[2, 3\], got \[2\]/],
  // class targets
  ['nllLoss target out of range', () => nllLoss(logits(), [0, 5, 1]), DataError, /^nllLoss targets: id 5 at position 1 is out of range \[0, 5\)$/],
  ['nllLoss negative target', () => nllLoss(logits(), [0, -1, 1]), DataError, /nllLoss targets: id -1 at position 1 is out of range \[0, 5\)/],
  ['nllLoss non-integer target', () => nllLoss(logits(), [0, 1.5, 1]), DataError, /^nllLoss targets: element 1 is 1.5, expected an integer$/],
  ['nllLoss targets of the wrong count', () => nllLoss(logits(), [0, 1]), DataError, /^nllLoss: 2 targets for 3 rows of \[3, 5\], expected 3$/],
  ['nllLoss float targets', () => nllLoss(logits(), new Float32Array(3) as never), DataError, /nllLoss: targets must be an Int32Array or an array of integer class ids, got Float32Array/],
  ['nllLoss 1-D scores', () => nllLoss(Tensor.zeros([5]), [1]), DataError, /^nllLoss: logProbs must be a Tensor \[N, C\] \(or \[\.\.\., C\]\) with C ≥ 1, got \[5\]$/],
  ['nllLoss weight of the wrong size', () => nllLoss(logits(), [0, 1, 2], { weight: Tensor.ones([4]) }), ConfigError, /^nllLoss: weight must be a Tensor \[5\] \(one weight per class\), got \[4\]$/],
  ['nllLoss non-integer ignoreIndex', () => nllLoss(logits(), [0, 1, 2], { ignoreIndex: 0.5 }), ConfigError, /ignoreIndex must be an integer, got 0.5/],
  ['crossEntropy target out of range', () => crossEntropy(logits(), [7, 0, 1]), DataError, /^crossEntropy targets: id 7 at position 0 is out of range \[0, 5\)$/],
  ['crossEntropy non-integer target', () => crossEntropy(logits(), [0, 1, NaN]), DataError, /crossEntropy targets: element 2 is NaN, expected an integer/],
  ['crossEntropy targets of the wrong count', () => crossEntropy(logits(), [0, 1, 2, 3]), DataError, /crossEntropy: 4 targets for 3 rows of \[3, 5\], expected 3/],
  ['crossEntropy targets given as a tensor', () => crossEntropy(logits(), Tensor.zeros([3]) as never), DataError, /targets must be an Int32Array or an array of integer class ids, got Tensor/],
  ['crossEntropy negative class weight', () => crossEntropy(logits(), [0, 1, 2], { weight: Tensor.from([1, 1, -1, 1, 1]) }), ConfigError, /^crossEntropy: weight\[2\] is -1, expected a finite number ≥ 0$/],
  ['crossEntropy weight of the wrong shape', () => crossEntropy(logits(), [0, 1, 2], { weight: Tensor.ones([1, 5]) }), ConfigError, /crossEntropy: weight must be a Tensor \[5\] \(one weight per class\), got \[1, 5\]/],
  ['crossEntropy unknown reduction', () => crossEntropy(logits(), [0, 1, 2], { reduction: 'max' as never }), ConfigError, /crossEntropy: reduction must be 'mean', 'sum' or 'none', got "max"/],
  ['crossEntropy labelSmoothing 1', () => crossEntropy(logits(), [0, 1, 2], { labelSmoothing: 1 }), ConfigError, /labelSmoothing must be in \[0, 1\), got 1/],
  // lengths of padded batches
  ['gatherLast lengths of the wrong count', () => gatherLast(padded(), [1, 2, 3]), DataError, /^gatherLast: 3 lengths for a batch of 2 \(input \[4, 2, 3\] is \[T, B, F\]\), expected 2$/],
  ['gatherLast length zero', () => gatherLast(padded(), [0, 2]), DataError, /^gatherLast: lengths\[0\] is 0, expected an integer in \[1, 4\] \(the padded length T of \[4, 2, 3\]\)$/],
  ['gatherLast length above T', () => gatherLast(padded(), [2, 5]), DataError, /lengths\[1\] is 5, expected an integer in \[1, 4\]/],
  ['gatherLast non-integer length', () => gatherLast(padded(), [2.5, 1]), DataError, /lengths\[0\] is 2.5, expected an integer/],
  ['gatherLast batch-first lengths counted against B', () => gatherLast(padded(), [1, 2], { batchFirst: true }), DataError, /2 lengths for a batch of 4 \(input \[4, 2, 3\] is \[B, T, F\]\), expected 4/],
  ['gatherLast batch-first length above T', () => gatherLast(padded(), [1, 2, 3, 3], { batchFirst: true }), DataError, /lengths\[2\] is 3, expected an integer in \[1, 2\]/],
  ['gatherLast 2-D input', () => gatherLast(a23(), [1, 1]), DataError, /^gatherLast: input must be a Tensor \[T, B, F\], got \[2, 3\]$/],
  ['gatherLast lengths not an array', () => gatherLast(padded(), 3 as never), DataError, /lengths must be an Int32Array or an array of 2 integers, got number/],
  ['maskedMean length zero', () => maskedMean(padded(), [3, 0]), DataError, /^maskedMean: lengths\[1\] is 0, expected an integer in \[1, 4\]/],
  ['maskedMean lengths of the wrong count', () => maskedMean(padded(), Int32Array.from([1])), DataError, /maskedMean: 1 lengths for a batch of 2/],
  ['maskedMean NaN length', () => maskedMean(padded(), [NaN, 1]), DataError, /lengths\[0\] is NaN, expected an integer/],
  ['maskedMean batchFirst not a boolean', () => maskedMean(padded(), [1, 1], { batchFirst: 'yes' as never }), ConfigError, /batchFirst must be true or false, got yes/],
  // shapes and dimensions
  ['cat shapes that differ outside dim', () => cat([a23(), Tensor.zeros([2, 4])], 0), DataError, /^cat: shapes \[2, 3\], \[2, 4\] differ outside dimension 0, expected them equal there$/],
  ['cat tensors of different ranks', () => cat([a23(), Tensor.zeros([2, 3, 1])], 1), DataError, /cat: shapes \[2, 3\], \[2, 3, 1\] differ outside dimension 1/],
  ['cat dim out of range', () => cat([a23(), a23()], 2), ConfigError, /^cat: dim must be an integer in \[-2, 1\] for a tensor of 2 dimensions, got 2$/],
  ['cat no tensors', () => cat([], 0), ConfigError, /cat: no tensors given/],
  ['cat a non-tensor', () => cat([a23(), 3 as never], 0), DataError, /cat: tensors\[1\] must be a Tensor, got number/],
  ['sum dim out of range', () => sum(a23(), -3), ConfigError, /^sum: dim must be an integer in \[-2, 1\] for a tensor of 2 dimensions, got -3$/],
  ['mean non-integer dim', () => mean(a23(), 0.5), ConfigError, /mean: dim must be an integer in \[-2, 1\] for a tensor of 2 dimensions, got 0.5/],
  ['mean over an empty dimension', () => mean(Tensor.zeros([2, 0]), 1), ConfigError, /mean: dimension 1 of \[2, 0\] is empty/],
  ['softmax of a scalar', () => softmax(Tensor.scalar(1)), DataError, /^softmax: input must be a non-empty Tensor, got \[\]$/],
  ['logSoftmax of an empty tensor', () => logSoftmax(Tensor.zeros([2, 0])), DataError, /logSoftmax: input must be a non-empty Tensor, got \[2, 0\]/],
];

for (const [what, f, kind, pattern] of table) {
  test(`bad input: ${what}`, () => {
    assert.throws(f, (e: unknown) => {
      assert.ok(e instanceof kind, `${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
      const msg = (e as Error).message;
      assert.ok(!msg.includes('\n'), `one line: ${msg}`);
      assert.match(msg, pattern);
      return true;
    });
  });
}
