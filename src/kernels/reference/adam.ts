/**
 * Adam (Kingma & Ba) with PyTorch's bias correction:
 *   m ← β1 m + (1−β1) g,  v ← β2 v + (1−β2) g²,  p ← p − lr · (m / (1−β1^t)) / (√(v / (1−β2^t)) + ε)
 * AdamW applies weight decay to p directly (p ← p − lr·λ·p) instead of adding λp to g.
 */
export function adamStep(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, o: AdamStepOptions): void {
  const { beta1, beta2, eps, decoupled } = o;
  const { stepSize, bc2Sqrt, decay, l2 } = adamScalars(o);
  for (let i = 0; i < param.length; i++) {
    const g = Math.fround(grad[i] + l2 * param[i]);
    // the update reads the moments as stored (float32), so a resumed run and any backend agree
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    const p = decoupled ? Math.fround(param[i] * decay) : param[i];
    param[i] = p - stepSize * m[i] / (Math.sqrt(v[i]) / bc2Sqrt + eps);
  }
}

/** One Adam step's hyper-parameters, as Backend.adamStep takes them. */
export interface AdamStepOptions {
  lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; decoupled: boolean; step: number;
}

/**
 * The scalar factors of a step, computed once per tensor in double precision and in one place, so that
 * every backend's loop gets the same numbers: lr / (1−β1^t), √(1−β2^t), AdamW's decay factor and Adam's L2.
 */
export function adamScalars(o: AdamStepOptions): { stepSize: number; bc2Sqrt: number; decay: number; l2: number } {
  const { lr, beta1, beta2, weightDecay, decoupled, step } = o;
  return {
    stepSize: lr / (1 - Math.pow(beta1, step)),
    bc2Sqrt: Math.sqrt(1 - Math.pow(beta2, step)),
    decay: decoupled ? 1 - lr * weightDecay : 1,
    l2: decoupled ? 0 : weightDecay,
  };
}
