import { dropout, defaultGenerator, type Tensor, type Generator } from '../tensor/index.js';
import { Module } from './module.js';

/** Zeroes values with probability p while training (inverted dropout); the identity in eval mode. */
export class Dropout extends Module {
  constructor(readonly p = 0.5, private readonly generator: Generator = defaultGenerator) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`Dropout p must be in [0, 1), got ${p}`);
  }

  /** x with elements zeroed at rate p and the rest scaled by 1 / (1 − p) while training; x itself in eval mode. */
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.generator);
  }
}
