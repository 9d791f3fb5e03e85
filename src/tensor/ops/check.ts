import { DataError } from '../../errors.js';
import { Tensor, shapeStr, describeValue, type Shape } from '../tensor.js';

/** Throws a DataError unless `t` is a Tensor; `what` names the argument in the message. */
export function assertTensor(t: unknown, what: string): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new DataError(what, `${what} must be a Tensor, got ${describeValue(t)}`);
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function assertSameShape(a: Tensor, b: Tensor, op: string): void {
  if (!sameShape(a.shape, b.shape)) {
    throw new Error(`${op}: shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)} differ (rnnkit never broadcasts silently)`);
  }
}

/** Throws when `t` has a NaN or infinite value, naming the tensor and the first bad index. */
export function assertFinite(t: Tensor, what: string): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) throw new Error(`${what} contains ${d[i]} at flat index ${i} (shape ${shapeStr(t.shape)})`);
  }
}

/** Integer ids as an Int32Array, each checked to be in [0, limit) (or equal to `allowed`); a bad one is a DataError. */
export function toIds(ids: Int32Array | readonly number[], limit: number, what: string, allowed?: number): Int32Array {
  const out = ids instanceof Int32Array ? ids : Int32Array.from(ids);
  if (!(ids instanceof Int32Array)) {
    for (let i = 0; i < ids.length; i++) {
      if (!Number.isInteger(ids[i])) throw new DataError(what, `${what}: element ${i} is ${ids[i]}, expected an integer`);
    }
  }
  for (let i = 0; i < out.length; i++) {
    const v = out[i];
    if ((v < 0 || v >= limit) && v !== allowed) throw new DataError(what, `${what}: id ${v} at position ${i} is out of range [0, ${limit})`);
  }
  return out;
}
