import { Optimizer, type ParamEntry, type ParamState } from './optimizer.js';
import { checkOptions, type OptionRules } from './check.js';

/** Options of {@link RMSprop}, as torch.optim.RMSprop takes them. */
export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
}

/** RMSprop's hyper-parameters with every default filled in. */
export type RMSpropHyper = Required<RMSpropOptions>;

const RMSPROP = {
  lr: { default: 1e-2, min: 0 }, alpha: { default: 0.99, min: 0 }, eps: { default: 1e-8, min: 0 },
  weightDecay: { default: 0, min: 0 }, momentum: { default: 0, min: 0 }, centered: { flag: false },
} as const satisfies OptionRules<RMSpropHyper>;

const fr = Math.fround;

/**
 * RMSprop as torch.optim.RMSprop (PyTorch 1.13), with its defaults:
 *   g ← g + λp;  v ← αv + (1−α)g²;  centered: ḡ ← αḡ + (1−α)g, a = √(v − ḡ²), else a = √v;  a ← a + ε
 *   momentum: b ← μb + g/a, p ← p − lr·b;  otherwise p ← p − lr·g/a
 * (ε is added outside the square root, as PyTorch does.) Rounding to float32 follows PyTorch's CPU
 * kernels op by op: add/addcmul end in a fused multiply-add, addcdiv rounds value·t1, then ÷ t2.
 */
export class RMSprop extends Optimizer<RMSpropHyper> {
  constructor(params: Iterable<ParamEntry>, options: RMSpropOptions = {}) {
    super('RMSprop', params, options, parseRMSprop);
  }

  protected bufferNames(h: RMSpropHyper): readonly string[] {
    return ['square_avg', ...(h.momentum > 0 ? ['momentum_buffer'] : []), ...(h.centered ? ['grad_avg'] : [])];
  }

  protected update(p: Float32Array, g: Float32Array, st: ParamState, h: RMSpropHyper): void {
    const wd = fr(h.weightDecay), alpha = fr(h.alpha), rest = fr(1 - h.alpha), eps = fr(h.eps);
    const mom = fr(h.momentum), negLr = fr(-h.lr);
    const { square_avg: sq, momentum_buffer: buf, grad_avg: ga } = st.buffers;
    for (let i = 0; i < p.length; i++) {
      const gi = h.weightDecay !== 0 ? fr(g[i] + wd * p[i]) : g[i];
      // fround: an assignment expression yields the unrounded value, not what the array stored
      const v = sq[i] = fr(fr(sq[i] * alpha) + fr(rest * gi) * gi);
      let avg: number;
      if (ga) {
        const m = ga[i] = fr(fr(ga[i] * alpha) + rest * gi);
        avg = fr(Math.sqrt(fr(v - m * m)));
      } else {
        avg = fr(Math.sqrt(v));
      }
      avg = fr(avg + eps);
      if (buf) {
        buf[i] = fr(buf[i] * mom) + fr(gi / avg);
        p[i] = p[i] + negLr * buf[i];
      } else {
        p[i] = p[i] + fr(fr(negLr * gi) / avg);
      }
    }
  }
}

function parseRMSprop(o: unknown): RMSpropHyper {
  return checkOptions('RMSprop', o, RMSPROP);
}
