import { kernels } from '../../kernels/registry.js';
import { Tensor, record, gradSink, gradTarget, shapeStr } from '../tensor.js';

/** a · b for 2-D a [m, k] and b [k, n]. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 2 || b.ndim !== 2 || a.shape[1] !== b.shape[0]) {
    throw new Error(`matmul: cannot multiply ${shapeStr(a.shape)} by ${shapeStr(b.shape)}: expected [m, k] · [k, n]`);
  }
  const [m, k] = a.shape, n = b.shape[1];
  const out = Tensor.empty([m, n]);
  kernels().gemm(false, false, m, n, k, a.data, b.data, out.data, false);
  record('matmul', [a, b], [out], 0, ([g]) => {
    const K = kernels();
    const ga = gradTarget(a), gb = gradTarget(b);
    if (ga) K.gemm(false, true, m, k, n, g!, b.data, ga.data, ga.accumulate); // dA = dC · Bᵀ
    if (gb) K.gemm(true, false, k, n, m, a.data, g!, gb.data, gb.accumulate); // dB = Aᵀ · dC
  });
  return out;
}

/**
 * y = x Wᵀ + b, PyTorch's nn.functional.linear: x [..., in], W [out, in], b [out] → y [..., out].
 * Leading dimensions are flattened into one matrix multiply.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  const inF = weight.shape[1], outF = weight.shape[0];
  if (weight.ndim !== 2) throw new Error(`linear: weight must be 2-D [out, in], got ${shapeStr(weight.shape)}`);
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== inF) {
    throw new Error(`linear: input ${shapeStr(x.shape)} does not end in ${inF} features (weight is ${shapeStr(weight.shape)})`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outF)) throw new Error(`linear: bias must be [${outF}], got ${shapeStr(bias.shape)}`);
  const rows = x.size / inF;
  const out = Tensor.empty([...x.shape.slice(0, -1), outF]);
  const K = kernels();
  K.gemm(false, true, rows, outF, inF, x.data, weight.data, out.data, false);
  if (bias) K.addRowVector(out.data, bias.data, rows);
  record('linear', [x, weight, bias], [out], 0, ([g]) => {
    const gx = gradTarget(x), gw = gradTarget(weight), gb = gradTarget(bias);
    if (gx) K.gemm(false, false, rows, inF, outF, g!, weight.data, gx.data, gx.accumulate); // dx = dy · W
    if (gw) K.gemm(true, false, outF, inF, rows, g!, x.data, gw.data, gw.accumulate); // dW = dyᵀ · x
    if (gb) K.sumRows(g!, rows, gb.data, gb.accumulate);
  });
  return out;
}

/**
 * linear(onehot(ids), W, b) without building the one-hot matrix: row r of the result is column
 * ids[r] of W [out, in] plus b. This is how character models feed one-hot input to a recurrent layer.
 */
export function linearOneHot(ids: Int32Array, idsShape: readonly number[], weight: Tensor, bias: Tensor | null = null): Tensor {
  if (weight.ndim !== 2) throw new Error(`linearOneHot: weight must be 2-D [out, in], got ${shapeStr(weight.shape)}`);
  const [outF, inF] = weight.shape;
  for (let r = 0; r < ids.length; r++) {
    if (ids[r] < 0 || ids[r] >= inF) throw new Error(`one-hot input: id ${ids[r]} at position ${r} is out of range [0, ${inF})`);
  }
  const K = kernels();
  const out = Tensor.empty([...idsShape, outF]);
  if (out.size !== ids.length * outF) throw new Error(`linearOneHot: ids shape ${shapeStr(idsShape)} does not hold ${ids.length} ids`);
  // Few rows (generation, batch 1): read the columns in place. Many rows (training): transpose W
  // once so that every row becomes a contiguous copy.
  const few = ids.length <= FEW_ROWS;
  if (few) {
    readColumns(weight.data, outF, inF, ids, out.data);
    if (bias) K.addRowVector(out.data, bias.data, ids.length);
  } else {
    // the bias goes onto the inF rows of the transposed table, not onto the many rows gathered from it
    // (the same single addition per value)
    const wT = transposed(weight.data, outF, inF);
    if (bias) K.addRowVector(wT, bias.data, inF);
    K.gatherRows(wT, outF, ids, out.data);
    K.free?.(wT);
  }
  record('linearOneHot', [weight, bias], [out], ids.byteLength, ([g]) => {
    let gb = gradTarget(bias);
    if (few) {
      const gw = gradSink(weight);
      if (gw) addColumns(gw, outF, inF, ids, g!);
    } else if (weight.requiresGrad) {
      const gT = K.alloc(inF * outF);
      K.scatterAddRows(gT, outF, ids, g!);
      // every row of g went into one row of gT, so the bias gradient (the sum of g's rows) is the sum of
      // gT's inF rows: one pass over a small table instead of a second one over all of g
      if (gb) {
        K.sumRows(gT, inF, gb.data, gb.accumulate);
        gb = null;
      }
      const gw = gradTarget(weight)!;
      if (!gw.accumulate) K.transpose(gT, inF, outF, gw.data);
      else {
        const back = transposed(gT, inF, outF);
        K.addScaled(gw.data, back, 1, gw.data);
        K.free?.(back);
      }
      K.free?.(gT);
    }
    if (gb) K.sumRows(g!, ids.length, gb.data, gb.accumulate);
  });
  return out;
}

const FEW_ROWS = 16;

/** out[r, :] = column ids[r] of the rows × cols matrix m. */
function readColumns(m: Float32Array, rows: number, cols: number, ids: Int32Array, out: Float32Array): void {
  for (let r = 0; r < ids.length; r++) {
    const o = r * rows, id = ids[r];
    for (let j = 0; j < rows; j++) out[o + j] = m[j * cols + id];
  }
}

/** Column ids[r] of the rows × cols matrix m += g[r, :]. */
function addColumns(m: Float32Array, rows: number, cols: number, ids: Int32Array, g: Float32Array): void {
  for (let r = 0; r < ids.length; r++) {
    const o = r * rows, id = ids[r];
    for (let j = 0; j < rows; j++) m[j * cols + id] += g[o + j];
  }
}

/** The cols × rows transpose of a rows × cols matrix, in a new backend buffer. */
function transposed(m: Float32Array, rows: number, cols: number): Float32Array {
  const K = kernels();
  const t = K.alloc(rows * cols, true);
  K.transpose(m, rows, cols, t);
  return t;
}
