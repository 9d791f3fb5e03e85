import { Tensor, embedding, defaultGenerator, type Generator, type Shape } from '../tensor/index.js';
import { Module } from './module.js';
import { normal } from './init.js';
import { checkSize } from './linear.js';

/** A lookup table of vectors (torch.nn.Embedding): `weight` [numEmbeddings, dim], initialized N(0, 1). */
export class Embedding extends Module {
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, opts: { generator?: Generator } = {}) {
    super();
    checkSize(numEmbeddings, 'Embedding numEmbeddings');
    checkSize(embeddingDim, 'Embedding embeddingDim');
    this.registerParameter('weight', normal(Tensor.zeros([numEmbeddings, embeddingDim]), 0, 1, opts.generator ?? defaultGenerator));
  }

  get weight(): Tensor {
    return this.param('weight');
  }

  /** ids of any shape (given by `shape`, default flat) → [...shape, dim]. */
  forward(ids: Int32Array | readonly number[], shape?: Shape): Tensor {
    return embedding(this.weight, ids, shape);
  }
}
