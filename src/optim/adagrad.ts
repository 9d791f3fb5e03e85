import { Optimizer, type ParamEntry, type ParamState } from './optimizer.js';
import { checkOptions, type OptionRules } from './check.js';

/** Options of {@link Adagrad}, as torch.optim.Adagrad takes them. */
export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
}

/** Adagrad's hyper-parameters with every default filled in. */
export type AdagradHyper = Required<AdagradOptions>;

const ADAGRAD = {
  lr: { default: 1e-2, min: 0 }, lrDecay: { default: 0, min: 0 }, weightDecay: { default: 0, min: 0 },
  initialAccumulatorValue: { default: 0, min: 0 }, eps: { default: 1e-10, min: 0 },
} as const satisfies OptionRules<AdagradHyper>;

const fr = Math.fround;

/**
 * Adagrad as torch.optim.Adagrad (PyTorch 1.13), with its defaults:
 *   g ← g + λp;  clr = lr / (1 + (t−1)·lrDecay);  s ← s + g²;  p ← p − clr · g / (√s + ε)
 * with s starting at initialAccumulatorValue and t the parameter's own step count. Rounding to
 * float32 follows PyTorch's CPU kernels op by op (see rmsprop.ts).
 */
export class Adagrad extends Optimizer<AdagradHyper> {
  constructor(params: Iterable<ParamEntry>, options: AdagradOptions = {}) {
    super('Adagrad', params, options, parseAdagrad);
  }

  protected bufferNames(): readonly string[] {
    return ['sum'];
  }

  protected override initBuffers(size: number, h: AdagradHyper): Record<string, Float32Array> {
    const b = super.initBuffers(size, h);
    b.sum.fill(h.initialAccumulatorValue);
    return b;
  }

  protected update(p: Float32Array, g: Float32Array, st: ParamState, h: AdagradHyper): void {
    const wd = fr(h.weightDecay), eps = fr(h.eps);
    const negClr = fr(-(h.lr / (1 + (st.step - 1) * h.lrDecay)));
    const sum = st.buffers.sum;
    for (let i = 0; i < p.length; i++) {
      const gi = h.weightDecay !== 0 ? fr(g[i] + wd * p[i]) : g[i];
      // fround: an assignment expression yields the unrounded value, not what the array stored
      const s = sum[i] = fr(sum[i] + gi * gi);
      const std = fr(fr(Math.sqrt(s)) + eps);
      p[i] = p[i] + fr(fr(negClr * gi) / std);
    }
  }
}

function parseAdagrad(o: unknown): AdagradHyper {
  return checkOptions('Adagrad', o, ADAGRAD);
}
