import { Optimizer, type ParamEntry, type ParamState } from './optimizer.js';
import { checkBoolean, checkKeys, checkNumber, checkObject } from './check.js';

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
  const opts = checkObject('SGD', 'options', o) as Partial<SGDOptions>;
  checkKeys('SGD', opts, ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay']);
  if (opts.lr === undefined) throw new Error('SGD: lr is required (PyTorch has no default for it either)');
  const h: SGDHyper = {
    lr: checkNumber('SGD', 'lr', opts.lr, { min: 0 }),
    momentum: checkNumber('SGD', 'momentum', opts.momentum ?? 0, { min: 0 }),
    dampening: checkNumber('SGD', 'dampening', opts.dampening ?? 0),
    nesterov: checkBoolean('SGD', 'nesterov', opts.nesterov ?? false),
    weightDecay: checkNumber('SGD', 'weightDecay', opts.weightDecay ?? 0, { min: 0 }),
  };
  if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
    throw new Error(`SGD: nesterov needs momentum > 0 and dampening 0, got momentum ${h.momentum} and dampening ${h.dampening}`);
  }
  return h;
}
