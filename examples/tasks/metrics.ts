/** Classification and regression scores, as the examples print them. */

/** The fraction of predictions equal to their labels. */
export function accuracy(pred: readonly number[], labels: readonly number[]): number {
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) right++;
  return right / labels.length;
}

/** F1 of the positive class (label 1): 2·precision·recall / (precision + recall), 0 when nothing is right. */
export function f1(pred: readonly number[], labels: readonly number[]): number {
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < labels.length; i++) {
    if (pred[i] === 1 && labels[i] === 1) tp++;
    else if (pred[i] === 1) fp++;
    else if (labels[i] === 1) fn++;
  }
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/** Root mean squared error. */
export function rmse(pred: readonly number[], truth: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < truth.length; i++) s += (pred[i] - truth[i]) ** 2;
  return Math.sqrt(s / truth.length);
}

/** Mean absolute error. */
export function mae(pred: readonly number[], truth: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < truth.length; i++) s += Math.abs(pred[i] - truth[i]);
  return s / truth.length;
}

/** A number rounded to 4 decimals, for the JSON line. */
export const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;
