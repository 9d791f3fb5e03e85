import { Optimizer, type ParamEntry, type ParamState } from './optimizer.js';
import { checkOptions, type OptionRules } from './check.js';

/** Options of {@link SGD}, as torch.optim.SGD takes them. */
export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

/** SGD's hyper-parameters with every default filled in. */
export type SGDHyper = Required<SGDOptions>;

const SGD_RULES = {
  lr: { min: 0, missing: 'lr is required (PyTorch has no default for it either)' },
  momentum: { default: 0, min: 0 }, dampening: { default: 0 }, nesterov: { flag: false }, weightDecay: { default: 0, min: 0 },
} as const satisfies OptionRules<SGDHyper>;

const fr = Math.fround;

/**
 * Stochastic gradient descent with optional momentum, as torch.optim.SGD (PyTorch 1.13):
 *   d = g + λp;  b ← d on the first step, else μb + (1−τ)d;  d = nesterov ? d + μb : b;  p ← p − lr·d
 * Each line rounds to float32 where PyTorch's tensor ops do, so results match it closely.
 */
export class SGD extends Optimizer<SGDHyper> {
  constructor(params: Iterable<ParamEntry>, options: SGDOptions) {
    super('SGD', params, options, parseSGD);
  }

  protected bufferNames(h: SGDHyper): readonly string[] {
    return h.momentum !== 0 ? ['momentum_buffer'] : [];
  }

  protected update(p: Float32Array, g: Float32Array, st: ParamState, h: SGDHyper): void {
    const wd = fr(h.weightDecay), mom = fr(h.momentum), keep = fr(1 - h.dampening), negLr = fr(-h.lr);
    const buf = st.buffers.momentum_buffer;
    // PyTorch starts the buffer as a copy of the first gradient, without dampening
    const first = st.step === 1;
    for (let i = 0; i < p.length; i++) {
      let d = h.weightDecay !== 0 ? fr(g[i] + wd * p[i]) : g[i];
      if (buf) {
        buf[i] = first ? d : fr(fr(buf[i] * mom) + keep * d);
        d = h.nesterov ? fr(d + mom * buf[i]) : buf[i];
      }
      p[i] = p[i] + negLr * d;
    }
  }
}

function parseSGD(o: unknown): SGDHyper {
  const h = checkOptions('SGD', o, SGD_RULES);
  if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
    throw new Error(`SGD: nesterov needs momentum > 0 and dampening 0, got momentum ${h.momentum} and dampening ${h.dampening}`);
  }
  return h;
}
