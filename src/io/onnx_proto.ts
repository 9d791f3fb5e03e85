import type onnxProto from 'onnx-proto';
import { RnnkitError } from '../errors.js';
import type { CellKind } from '../kernels/index.js';

/*
 * What the ONNX export and import share: the protobuf classes of onnx-proto (an optional peer
 * dependency, loaded when first needed) and how ONNX orders a recurrent layer's gates.
 */

/** The onnx namespace of onnx-proto (ModelProto, NodeProto, TensorProto, ...). */
export type Onnx = typeof onnxProto.onnx;

let loaded: Onnx | null = null;

/** onnx-proto's classes, or one line naming the package to install. */
export async function loadOnnx(): Promise<Onnx> {
  if (loaded) return loaded;
  try {
    const m = await import('onnx-proto');
    loaded = (m.default ?? m).onnx as Onnx;
    return loaded;
  } catch {
    throw new RnnkitError('ONNX export and import need the onnx-proto package, which is not installed: npm install onnx-proto');
  }
}

/** The ONNX operator of each cell kind. */
export const ONNX_OP: Record<CellKind, 'RNN' | 'LSTM' | 'GRU'> = { rnn_tanh: 'RNN', rnn_relu: 'RNN', lstm: 'LSTM', gru: 'GRU' };

/**
 * ONNX's gate blocks as PyTorch's block indices: ONNX's LSTM is i, o, f, c where PyTorch's is i, f, g, o;
 * ONNX's GRU is z, r, h where PyTorch's is r, z, n.
 */
export function onnxGateOrder(kind: CellKind): number[] {
  return kind === 'lstm' ? [0, 3, 1, 2] : kind === 'gru' ? [1, 0, 2] : [0];
}

/**
 * Rows of `src` ([G·H, cols] in `from` block order) rearranged: block j of the result is block order[j]
 * of the source, written into `out` at `offset`.
 */
export function permuteBlocks(src: Float32Array, H: number, cols: number, order: readonly number[], out: Float32Array, offset: number): void {
  const block = H * cols;
  order.forEach((b, j) => out.set(src.subarray(b * block, (b + 1) * block), offset + j * block));
}

/** The inverse of a block order: inv[order[j]] = j. */
export function invertOrder(order: readonly number[]): number[] {
  const inv = new Array<number>(order.length);
  order.forEach((b, j) => { inv[b] = j; });
  return inv;
}

/** The opset rnnkit writes (linear_before_reset and the RNN operators' current forms are all there by 14). */
export const ONNX_OPSET = 14;
