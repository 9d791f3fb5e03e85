/**
 * out[o … o+c) ← softmax(x[o … o+c)), shifted by the row maximum so exp never overflows; returns the
 * row's log-sum-exp, log Σ exp(x_j).
 */
function softmaxRow(x: Float32Array, o: number, c: number, out: Float32Array): number {
  let max = -Infinity;
  for (let j = 0; j < c; j++) if (x[o + j] > max) max = x[o + j];
  let z = 0;
  for (let j = 0; j < c; j++) { const e = Math.exp(x[o + j] - max); out[o + j] = e; z += e; }
  const inv = 1 / z;
  for (let j = 0; j < c; j++) out[o + j] *= inv;
  return Math.log(z) + max;
}

/** Row-wise softmax. */
export function softmax(x: Float32Array, n: number, c: number, out: Float32Array): void {
  for (let r = 0; r < n; r++) softmaxRow(x, r * c, c, out);
}

/** loss_r = −log softmax(x_r)[y_r] = logsumexp(x_r) − x_r[y_r], summed over rows whose target is kept. */
export function softmaxCrossEntropy(logits: Float32Array, n: number, c: number, targets: Int32Array, ignoreIndex: number,
  probs: Float32Array): { loss: number; count: number } {
  let loss = 0, count = 0;
  for (let r = 0; r < n; r++) {
    const o = r * c;
    const lse = softmaxRow(logits, o, c, probs);
    const y = targets[r];
    if (y === ignoreIndex) continue;
    loss += lse - logits[o + y];
    count++;
  }
  return { loss, count };
}

export function softmaxCrossEntropyBackward(probs: Float32Array, n: number, c: number, targets: Int32Array, ignoreIndex: number,
  scale: number, dLogits: Float32Array): void {
  for (let r = 0; r < n; r++) {
    const t = targets[r];
    if (t === ignoreIndex) continue;
    const o = r * c;
    for (let j = 0; j < c; j++) dLogits[o + j] += scale * probs[o + j];
    dLogits[o + t] -= scale;
  }
}
