import { Tensor, linear, defaultGenerator, type Generator } from '../tensor/index.js';
import { Module } from './module.js';
import { uniform } from './init.js';

/** y = x Wᵀ + b (torch.nn.Linear): `weight` [out, in], `bias` [out]; initialized U(±1/√in) as PyTorch. */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, opts: { bias?: boolean; generator?: Generator } = {}) {
    super();
    checkSize(inFeatures, 'Linear inFeatures');
    checkSize(outFeatures, 'Linear outFeatures');
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const rng = opts.generator ?? defaultGenerator;
    const k = 1 / Math.sqrt(inFeatures);
    this.registerParameter('weight', uniform(Tensor.zeros([outFeatures, inFeatures]), -k, k, rng));
    if (opts.bias ?? true) this.registerParameter('bias', uniform(Tensor.zeros([outFeatures]), -k, k, rng));
  }

  get weight(): Tensor {
    return this.param('weight');
  }

  get bias(): Tensor | null {
    return this.paramOrNull('bias');
  }

  /** x Wᵀ + b over the last dimension of x. */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

export function checkSize(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer, got ${n}`);
}
