import { Tensor, noGrad } from '../../src/tensor/index.js';

/**
 * Central-difference gradient check: for each tensor in `wrt`, compares the autograd gradient of
 * loss() with (loss(x + ε) − loss(x − ε)) / 2ε, element by element. Returns the worst error found,
 * measured as |a − n| / max(1, |a|, |n|) so that large gradients are compared relatively.
 */
export function gradCheck(loss: () => Tensor, wrt: Tensor[], opts: { eps?: number; maxPerTensor?: number; skipKinks?: boolean } = {}): { worst: number; where: string; skipped: number; checked: number } {
  const eps = opts.eps ?? 1e-2;
  for (const t of wrt) t.grad = null;
  const out = loss();
  out.backward();
  const analytic = wrt.map((t) => (t.grad ? Float32Array.from(t.grad.data) : new Float32Array(t.size)));
  let worst = 0, where = '', skipped = 0, checked = 0;
  const l0 = opts.skipKinks ? noGrad(() => loss().item()) : 0;
  wrt.forEach((t, k) => {
    const n = t.size;
    const stride = Math.max(1, Math.floor(n / (opts.maxPerTensor ?? 60)));
    for (let i = 0; i < n; i += stride) {
      const orig = t.data[i];
      t.data[i] = orig + eps;
      const lp = noGrad(() => loss().item());
      t.data[i] = orig - eps;
      const lm = noGrad(() => loss().item());
      t.data[i] = orig;
      const num = (lp - lm) / (2 * eps);
      const a = analytic[k][i];
      // a relu switching inside [x − ε, x + ε] makes the two one-sided slopes disagree: no derivative to check there
      if (opts.skipKinks && Math.abs((lp - l0) - (l0 - lm)) / eps > 1e-2 * Math.max(1, Math.abs(num))) { skipped++; continue; }
      checked++;
      const err = Math.abs(a - num) / Math.max(1, Math.abs(a), Math.abs(num));
      if (err > worst) { worst = err; where = `tensor ${k} index ${i}: autograd ${a}, numeric ${num}`; }
    }
  });
  return { worst, where, skipped, checked };
}

/** A tensor of values uniform in (-scale, scale) from a small deterministic sequence. */
export function randTensor(shape: number[], seed: number, scale = 1, requiresGrad = true): Tensor {
  const t = Tensor.zeros(shape, requiresGrad);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < t.size; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    t.data[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return t;
}

/** Σ output ⊙ P for a fixed random P: a scalar loss that weighs every output element differently. */
export function projection(shape: readonly number[], seed: number): Tensor {
  return randTensor([...shape], seed, 1, false);
}
