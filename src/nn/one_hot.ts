import { toIds, shapeStr } from '../tensor/index.js';

/**
 * Integer ids standing for one-hot vectors of length `size`, in the shape [T, B] (or [B, T] for a
 * batch-first layer). Recurrent layers take it in place of a dense [T, B, size] input and turn the
 * input projection into a row gather instead of a matrix multiply.
 */
export class OneHot {
  readonly ids: Int32Array;

  constructor(ids: Int32Array | readonly number[], readonly shape: readonly [number, number], readonly size: number) {
    if (ids.length !== shape[0] * shape[1]) throw new Error(`OneHot: ${ids.length} ids do not fill shape ${shapeStr(shape)}`);
    this.ids = toIds(ids, size, 'one-hot ids');
  }

  /** The same ids with the two dimensions swapped. */
  transposed(): OneHot {
    const [a, b] = this.shape;
    const out = new Int32Array(this.ids.length);
    for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) out[j * a + i] = this.ids[i * b + j];
    return new OneHot(out, [b, a], this.size);
  }
}
