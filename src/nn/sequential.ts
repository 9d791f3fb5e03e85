import type { Tensor } from '../tensor/index.js';
import { Module } from './module.js';

/** A module with a forward from one tensor to one tensor. */
export interface TensorModule extends Module {
  /** The module applied to one tensor. */
  forward(x: Tensor): Tensor;
}

/** Applies modules in order; parameters are named "0.weight", "1.bias", … as in torch.nn.Sequential. */
export class Sequential extends Module {
  private readonly layers: TensorModule[];

  constructor(...layers: TensorModule[]) {
    super();
    this.layers = layers;
    layers.forEach((m, i) => this.registerModule(String(i), m));
  }

  /** x through every module in order. */
  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, m) => m.forward(h), x);
  }
}
