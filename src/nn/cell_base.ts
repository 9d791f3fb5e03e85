import { Tensor, reshape, assertTensor, assertFinite, shapeStr, defaultGenerator, type CellKind, type Generator } from '../tensor/index.js';
import { Module } from './module.js';
import { initDirection, runDirection } from './recurrent_layer.js';
import { checkSize } from './linear.js';

/**
 * What the one-step cells share (RNNCell, LSTMCell, GRUCell): parameters weight_ih, weight_hh,
 * bias_ih, bias_hh as in PyTorch, and a step that is the fused recurrence with T = 1, so a cell
 * and a layer with the same weights compute exactly the same numbers.
 */
export abstract class CellBase extends Module {
  protected constructor(readonly kind: CellKind, readonly inputSize: number, readonly hiddenSize: number,
    opts: { bias?: boolean; generator?: Generator } = {}) {
    super();
    checkSize(inputSize, `${kind} cell inputSize`);
    checkSize(hiddenSize, `${kind} cell hiddenSize`);
    const w = initDirection(kind, inputSize, hiddenSize, opts.bias ?? true, opts.generator ?? defaultGenerator);
    this.registerParameter('weight_ih', w.wIh);
    this.registerParameter('weight_hh', w.wHh);
    if (w.bIh && w.bHh) {
      this.registerParameter('bias_ih', w.bIh);
      this.registerParameter('bias_hh', w.bHh);
    }
  }

  /** One step: x [B, I], states [B, H] (zeros when absent) → the new h and, for the LSTM, c. */
  protected step(x: Tensor, h: Tensor | null, c: Tensor | null): { h: Tensor; c: Tensor | null } {
    const name = this.constructor.name;
    assertTensor(x, `${name} input`);
    if (x.ndim !== 2 || x.shape[1] !== this.inputSize) throw new Error(`${name} input must be [B, ${this.inputSize}], got ${shapeStr(x.shape)}`);
    assertFinite(x, `${name} input`);
    const B = x.shape[0];
    for (const [s, what] of [[h, 'h'], [c, 'c']] as const) {
      if (s && (s.ndim !== 2 || s.shape[0] !== B || s.shape[1] !== this.hiddenSize)) {
        throw new Error(`${name} state ${what} must be [${B}, ${this.hiddenSize}], got ${shapeStr(s.shape)}`);
      }
    }
    const w = {
      wIh: this.param('weight_ih'), wHh: this.param('weight_hh'),
      bIh: this.paramOrNull('bias_ih'), bHh: this.paramOrNull('bias_hh'),
    };
    const r = runDirection(this.kind, reshape(x, [1, B, this.inputSize]), w, h, c, false, name);
    return { h: r.h, c: r.c };
  }
}
