import { kernels } from '../../kernels/registry.js';
import { ConfigError, DataError } from '../../errors.js';
import { Tensor, record, gradSink, passGrad, shapeStr, shapeSize, type Shape } from '../tensor.js';
import { assertTensor } from './check.js';
import { normalizeDim } from './reduce.js';

/** The same values with a new shape (one dimension may be -1). Shares no memory, so it is always safe. */
export function reshape(a: Tensor, shape: Shape): Tensor {
  const s = [...shape];
  const free = s.indexOf(-1);
  if (free >= 0) s[free] = a.size / shapeSize(s.filter((_, i) => i !== free));
  if (shapeSize(s) !== a.size || !s.every(Number.isInteger)) {
    throw new Error(`reshape: cannot view ${shapeStr(a.shape)} (${a.size} values) as ${shapeStr(shape)}`);
  }
  const out = new Tensor(a.data, s);
  record('reshape', [a], [out], 0, ([g]) => {
    if (passGrad(out, a)) return; // the same values in the same order: the gradient needs no copy
    const ga = gradSink(a);
    if (ga) kernels().addScaled(ga, g!, 1, ga);
  });
  return out;
}

/** Swaps the first two dimensions: [A, B, ...rest] → [B, A, ...rest] (time-major ↔ batch-first). */
export function transpose01(a: Tensor): Tensor {
  if (a.ndim < 2) throw new Error(`transpose01 needs at least 2 dimensions, got ${shapeStr(a.shape)}`);
  const [d0, d1] = a.shape;
  const inner = a.size / (d0 * d1);
  const out = Tensor.zeros([d1, d0, ...a.shape.slice(2)]);
  swap01(a.data, out.data, d0, d1, inner, false);
  record('transpose01', [a], [out], 0, ([g]) => {
    const ga = gradSink(a);
    if (ga) swap01(g!, ga, d1, d0, inner, true);
  });
  return out;
}

function swap01(src: Float32Array, dst: Float32Array, d0: number, d1: number, inner: number, accumulate: boolean): void {
  for (let i = 0; i < d0; i++) {
    for (let j = 0; j < d1; j++) {
      const s = (i * d1 + j) * inner, d = (j * d0 + i) * inner;
      if (accumulate) for (let k = 0; k < inner; k++) dst[d + k] += src[s + k];
      else dst.set(src.subarray(s, s + inner), d);
    }
  }
}

/**
 * Concatenates along dimension `dim` (negative counts from the end), torch.cat(xs, dim): every other
 * dimension must agree. Viewed as [outer, size_k·inner] blocks, part k fills its own columns of each
 * outer row; backward hands each part back its columns.
 */
export function cat(parts: Tensor[], dim: number): Tensor {
  if (!Array.isArray(parts) || parts.length === 0) throw new ConfigError('tensors', 'cat: no tensors given, expected a non-empty array of Tensors');
  parts.forEach((p, k) => assertTensor(p, `cat: tensors[${k}]`));
  const ndim = parts[0].ndim;
  if (ndim === 0) throw new DataError('tensors', 'cat: cannot concatenate scalars (shape []), expected tensors of at least 1 dimension');
  const d = normalizeDim(dim, ndim, 'cat');
  const agree = (p: Tensor) => p.ndim === ndim && p.shape.every((s, i) => i === d || s === parts[0].shape[i]);
  if (!parts.every(agree)) {
    throw new DataError('tensors', `cat: shapes ${parts.map((q) => shapeStr(q.shape)).join(', ')} differ outside dimension ${d}, expected them equal there`);
  }
  const outer = shapeSize(parts[0].shape.slice(0, d)), inner = shapeSize(parts[0].shape.slice(d + 1));
  const widths = parts.map((p) => p.shape[d] * inner);
  const total = widths.reduce((x, y) => x + y, 0);
  const out = Tensor.zeros(parts[0].shape.map((s, i) => (i === d ? total / inner : s)));
  let off = 0;
  parts.forEach((p, k) => {
    const w = widths[k];
    for (let r = 0; r < outer; r++) out.data.set(p.data.subarray(r * w, r * w + w), r * total + off);
    off += w;
  });
  record('cat', parts, [out], 0, ([g]) => {
    let o = 0;
    parts.forEach((p, k) => {
      const w = widths[k];
      const gp = gradSink(p);
      if (gp) for (let r = 0; r < outer; r++) for (let j = 0; j < w; j++) gp[r * w + j] += g![r * total + o + j];
      o += w;
    });
  });
  return out;
}

/** Concatenates along the last dimension: cat(parts, -1). */
export function concatLast(parts: Tensor[]): Tensor {
  if (!Array.isArray(parts) || parts.length === 0) throw new ConfigError('tensors', 'concatLast: no tensors given, expected a non-empty array of Tensors');
  return cat(parts, -1);
}

/** Stacks equally shaped tensors along a new first dimension. */
export function stack(parts: Tensor[]): Tensor {
  if (parts.length === 0) throw new Error('stack: no tensors given');
  const s = parts[0].shape;
  for (const p of parts) {
    if (shapeStr(p.shape) !== shapeStr(s)) throw new Error(`stack: shapes ${parts.map((q) => shapeStr(q.shape)).join(', ')} differ`);
  }
  const n = parts[0].size;
  const out = Tensor.zeros([parts.length, ...s]);
  parts.forEach((p, k) => out.data.set(p.data, k * n));
  record('stack', parts, [out], 0, ([g]) => {
    const K = kernels();
    parts.forEach((p, k) => {
      const gp = gradSink(p);
      if (gp) K.addScaled(gp, g!.subarray(k * n, (k + 1) * n), 1, gp);
    });
  });
  return out;
}

/** a[i] along the first dimension. */
export function select(a: Tensor, i: number): Tensor {
  if (a.ndim < 1 || !Number.isInteger(i) || i < 0 || i >= a.shape[0]) {
    throw new Error(`select: index ${i} is out of range for shape ${shapeStr(a.shape)}`);
  }
  const n = a.size / a.shape[0];
  const out = Tensor.zeros(a.shape.slice(1));
  out.data.set(a.data.subarray(i * n, (i + 1) * n));
  record('select', [a], [out], 0, ([g]) => {
    const ga = gradSink(a);
    if (ga) {
      const part = ga.subarray(i * n, (i + 1) * n);
      kernels().addScaled(part, g!, 1, part);
    }
  });
  return out;
}

/**
 * The slices of `a` at `index` along dimension `dim`, in that order (torch.index_select): out has
 * index.length entries along dim. Backward adds each slice's gradient back where it came from, so an
 * index may repeat.
 */
export function indexSelect(a: Tensor, dim: number, index: Int32Array | readonly number[]): Tensor {
  if (!Number.isInteger(dim) || dim < 0 || dim >= a.ndim) throw new Error(`indexSelect: dimension ${dim} is out of range for shape ${shapeStr(a.shape)}`);
  const size = a.shape[dim];
  const idx = Int32Array.from(index);
  for (let k = 0; k < idx.length; k++) {
    if (idx[k] !== index[k] || idx[k] < 0 || idx[k] >= size) throw new Error(`indexSelect: index ${index[k]} is out of range for dimension ${dim} of shape ${shapeStr(a.shape)}`);
  }
  const outer = shapeSize(a.shape.slice(0, dim)), inner = shapeSize(a.shape.slice(dim + 1)), n = idx.length;
  const out = Tensor.zeros([...a.shape.slice(0, dim), n, ...a.shape.slice(dim + 1)]);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < n; k++) {
      const src = (o * size + idx[k]) * inner;
      out.data.set(a.data.subarray(src, src + inner), (o * n + k) * inner);
    }
  }
  record('indexSelect', [a], [out], 0, ([g]) => {
    const ga = gradSink(a);
    if (!ga) return;
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < n; k++) {
        const dst = (o * size + idx[k]) * inner, src = (o * n + k) * inner;
        for (let j = 0; j < inner; j++) ga[dst + j] += g![src + j];
      }
    }
  });
  return out;
}
