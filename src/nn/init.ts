import type { Tensor, Generator } from '../tensor/index.js';

/** Fills t with U(lo, hi) from rng, in memory order. */
export function uniform(t: Tensor, lo: number, hi: number, rng: Generator): Tensor {
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(lo, hi);
  return t;
}

/** Fills t with N(mean, std²) from rng. */
export function normal(t: Tensor, mean: number, std: number, rng: Generator): Tensor {
  for (let i = 0; i < t.size; i++) t.data[i] = mean + std * rng.normal();
  return t;
}
