import {
  Tensor, select, stack, concatLast, transpose01, dropout, assertFinite, assertTensor, shapeStr, defaultGenerator,
  type CellKind, type Generator,
} from '../tensor/index.js';
import { Module } from './module.js';
import { OneHot } from './one_hot.js';
import { initDirection, runDirection, type DirectionWeights } from './recurrent_layer.js';
import { checkSize } from './linear.js';

export interface RecurrentOptions {
  inputSize: number;
  hiddenSize: number;
  numLayers?: number;
  bias?: boolean;
  /** Input and output as [B, T, feature] instead of [T, B, feature]; states stay [layers·dirs, B, H]. */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, while training. */
  dropout?: number;
  bidirectional?: boolean;
  /** Random source for initialization and dropout (default: the global generator). */
  generator?: Generator;
}

/** The initial state: h0 [layers·dirs, B, H], plus c0 of the same shape for the LSTM. */
export type RecurrentState = Tensor | { h: Tensor; c?: Tensor | null };

export interface RecurrentOutput {
  /** [T, B, dirs·H] (or [B, T, dirs·H] batch-first): the last layer's h_t for every t. */
  output: Tensor;
  /** [layers·dirs, B, H]: the final hidden state of every layer and direction. */
  h: Tensor;
  /** [layers·dirs, B, H]: the final cell state (LSTM only). */
  c?: Tensor;
}

/**
 * What RNN, LSTM and GRU share: a stack of layers, each one or two directions, each direction one
 * fused recurrence. Parameter names, shapes and gate order are PyTorch's, so state dicts move both ways.
 */
export abstract class RecurrentBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  protected readonly generator: Generator;

  protected constructor(readonly kind: CellKind, opts: RecurrentOptions) {
    super();
    checkSize(opts.inputSize, `${kind} inputSize`);
    checkSize(opts.hiddenSize, `${kind} hiddenSize`);
    checkSize(opts.numLayers ?? 1, `${kind} numLayers`);
    const p = opts.dropout ?? 0;
    if (!(p >= 0 && p < 1)) throw new Error(`${kind} dropout must be in [0, 1), got ${p}`);
    this.inputSize = opts.inputSize;
    this.hiddenSize = opts.hiddenSize;
    this.numLayers = opts.numLayers ?? 1;
    this.bias = opts.bias ?? true;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = p;
    this.bidirectional = opts.bidirectional ?? false;
    this.generator = opts.generator ?? defaultGenerator;
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < this.numDirections; d++) {
        const inSize = l === 0 ? this.inputSize : this.hiddenSize * this.numDirections;
        const w = initDirection(kind, inSize, this.hiddenSize, this.bias, this.generator);
        const sfx = suffix(l, d);
        this.registerParameter(`weight_ih${sfx}`, w.wIh);
        this.registerParameter(`weight_hh${sfx}`, w.wHh);
        if (w.bIh && w.bHh) {
          this.registerParameter(`bias_ih${sfx}`, w.bIh);
          this.registerParameter(`bias_hh${sfx}`, w.bHh);
        }
      }
    }
  }

  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** The configuration, as a plain object (checkpoints store it). */
  config(): Required<Omit<RecurrentOptions, 'generator'>> & { kind: CellKind } {
    return {
      kind: this.kind, inputSize: this.inputSize, hiddenSize: this.hiddenSize, numLayers: this.numLayers, bias: this.bias,
      batchFirst: this.batchFirst, dropout: this.dropout, bidirectional: this.bidirectional,
    };
  }

  protected directionWeights(l: number, d: number): DirectionWeights {
    const sfx = suffix(l, d);
    return {
      wIh: this.param(`weight_ih${sfx}`), wHh: this.param(`weight_hh${sfx}`),
      bIh: this.paramOrNull(`bias_ih${sfx}`), bHh: this.paramOrNull(`bias_hh${sfx}`),
    };
  }

  /** Runs the whole stack over a sequence. `x` is dense or one-hot ids (OneHot). */
  protected run(x: Tensor | OneHot, state?: RecurrentState | null): RecurrentOutput {
    const name = this.constructor.name;
    let input = this.checkInput(x);
    const B = input.shape[1];
    const { h0, c0 } = this.checkState(state, B);
    const L = this.numLayers, D = this.numDirections;
    const hs: Tensor[] = [], cs: Tensor[] = [];
    let layerOut: Tensor | null = null;
    for (let l = 0; l < L; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const i = l * D + d;
        const r = runDirection(this.kind, input, this.directionWeights(l, d), h0 ? select(h0, i) : null, c0 ? select(c0, i) : null,
          d === 1, `${name}${suffix(l, d)}`);
        outs.push(r.output);
        hs.push(r.h);
        if (r.c) cs.push(r.c);
      }
      layerOut = D === 2 ? concatLast(outs) : outs[0];
      if (l < L - 1 && this.dropout > 0) layerOut = dropout(layerOut, this.dropout, this.training, this.generator);
      input = layerOut;
    }
    const output = this.batchFirst ? transpose01(layerOut!) : layerOut!;
    return cs.length ? { output, h: stack(hs), c: stack(cs) } : { output, h: stack(hs) };
  }

  private checkInput(x: Tensor | OneHot): Tensor | OneHot {
    const name = this.constructor.name;
    const layout = this.batchFirst ? '[B, T, I]' : '[T, B, I]';
    if (x instanceof OneHot) {
      if (x.size !== this.inputSize) throw new Error(`${name} one-hot input has size ${x.size}, expected inputSize ${this.inputSize}`);
      return this.batchFirst ? x.transposed() : x;
    }
    assertTensor(x, `${name} input`);
    if (x.ndim !== 3 || x.shape[2] !== this.inputSize) {
      throw new Error(`${name} input must be ${layout} with I = ${this.inputSize}${this.batchFirst ? '' : ' (time-major; pass batchFirst: true for [B, T, I])'}, got ${shapeStr(x.shape)}`);
    }
    if (x.shape[0] === 0 || x.shape[1] === 0) throw new Error(`${name} input ${shapeStr(x.shape)} is empty`);
    assertFinite(x, `${name} input`);
    return this.batchFirst ? transpose01(x) : x;
  }

  private checkState(state: RecurrentState | null | undefined, B: number): { h0: Tensor | null; c0: Tensor | null } {
    if (!state) return { h0: null, c0: null };
    const name = this.constructor.name;
    const h0 = state instanceof Tensor ? state : state.h;
    const c0 = state instanceof Tensor ? null : state.c ?? null;
    const want = [this.numLayers * this.numDirections, B, this.hiddenSize];
    const check = (t: Tensor, what: string) => {
      assertTensor(t, `${name} ${what}`);
      if (shapeStr(t.shape) !== shapeStr(want)) throw new Error(`${name} ${what} must be ${shapeStr(want)} (layers·directions, batch, hidden), got ${shapeStr(t.shape)}`);
      assertFinite(t, `${name} ${what}`);
    };
    check(h0, 'h0');
    if (this.kind === 'lstm') {
      if (!c0) throw new Error(`${name} needs both h and c as the initial state ({ h, c }), got only h`);
      check(c0, 'c0');
    } else if (c0) {
      throw new Error(`${name} has no cell state: pass h0 alone`);
    }
    return { h0, c0 };
  }
}

/** PyTorch's parameter-name suffix: _l0, _l0_reverse, _l1, … */
export function suffix(layer: number, direction: number): string {
  return `_l${layer}${direction === 1 ? '_reverse' : ''}`;
}
