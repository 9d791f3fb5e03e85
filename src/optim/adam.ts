import { kernels } from '../kernels/registry.js';
import { Optimizer, type ParamEntry, type ParamState } from './optimizer.js';
import { checkKeys, checkNumber, checkObject, show } from './check.js';

/** Options of {@link Adam} and {@link AdamW}, as torch.optim.Adam takes them. */
export interface AdamOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
}

/** Adam's hyper-parameters with every default filled in. */
export interface AdamHyper {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
}

/**
 * The Adam family; the update itself is the backend's fused `adamStep` kernel, with each
 * parameter's own step count for the bias correction (as PyTorch keeps it per parameter).
 */
abstract class AdamFamily extends Optimizer<AdamHyper> {
  protected abstract readonly decoupled: boolean;

  protected bufferNames(): readonly string[] {
    return ['exp_avg', 'exp_avg_sq'];
  }

  protected update(p: Float32Array, g: Float32Array, st: ParamState, h: AdamHyper): void {
    kernels().adamStep(p, g, st.buffers.exp_avg, st.buffers.exp_avg_sq, {
      lr: h.lr, beta1: h.betas[0], beta2: h.betas[1], eps: h.eps, weightDecay: h.weightDecay,
      decoupled: this.decoupled, step: st.step,
    });
  }
}

/**
 * Adam as torch.optim.Adam (PyTorch 1.13; no amsgrad), defaults lr 1e-3, betas [0.9, 0.999],
 * eps 1e-8, weightDecay 0. Weight decay is L2: λp is added to the gradient.
 */
export class Adam extends AdamFamily {
  protected readonly decoupled = false;

  constructor(params: Iterable<ParamEntry>, options: AdamOptions = {}) {
    super('Adam', params, options, (h) => parseAdam('Adam', h, 0));
  }
}

/**
 * AdamW as torch.optim.AdamW (PyTorch 1.13; no amsgrad): decoupled weight decay p ← p·(1 − lr·λ)
 * before the Adam step. Defaults as Adam except weightDecay 1e-2, PyTorch's default.
 */
export class AdamW extends AdamFamily {
  protected readonly decoupled = true;

  constructor(params: Iterable<ParamEntry>, options: AdamOptions = {}) {
    super('AdamW', params, options, (h) => parseAdam('AdamW', h, 1e-2));
  }
}

function parseAdam(kind: string, o: unknown, defaultWeightDecay: number): AdamHyper {
  const opts = checkObject(kind, 'options', o) as AdamOptions;
  checkKeys(kind, opts, ['lr', 'betas', 'eps', 'weightDecay']);
  const betas = opts.betas ?? [0.9, 0.999];
  if (!Array.isArray(betas) || betas.length !== 2) throw new Error(`${kind}: betas must be a pair [beta1, beta2], got ${show(betas)}`);
  return {
    lr: checkNumber(kind, 'lr', opts.lr ?? 1e-3, { min: 0 }),
    betas: [checkNumber(kind, 'betas[0]', betas[0], { min: 0, below: 1 }), checkNumber(kind, 'betas[1]', betas[1], { min: 0, below: 1 })],
    eps: checkNumber(kind, 'eps', opts.eps ?? 1e-8, { min: 0 }),
    weightDecay: checkNumber(kind, 'weightDecay', opts.weightDecay ?? defaultWeightDecay, { min: 0 }),
  };
}
