import {
  Tensor, add, linear, linearOneHot, addEveryStep, recurrence, select, stack, concatLast, transpose01, reshape, dropout, indexSelect,
  assertFinite, assertTensor, shapeStr, defaultGenerator, type RecurrenceResult, type Generator,
} from '../tensor/index.js';
import { gateCount, cellKind, type CellKind, type Nonlinearity } from '../kernels/index.js';
import { Module } from './module.js';
import { OneHot } from './one_hot.js';
import { Linear, checkSize } from './linear.js';
import { uniform } from './init.js';
import { RecurrentStepper, type StepperOptions } from './recurrent_step.js';
import { packing, permuteBatch } from './lengths.js';
import type { RunOptions } from './run_options.js';

/*
 * The recurrent layers (torch.nn.RNN, LSTM, GRU) and their one-step cells (RNNCell, LSTMCell, GRUCell).
 *
 * Each direction of each layer is one fused recurrence op (tensor/recurrence.ts) over the input projected
 * for all time steps in one multiply. Parameter names, shapes and gate order are PyTorch's: weight_ih_l{k}
 * [G·H, I], weight_hh_l{k} [G·H, H], bias_ih_l{k} and bias_hh_l{k} [G·H] (suffix _reverse for the second
 * direction), with G the cell's gate count (kernels/cells.ts), so state dicts move both ways.
 *
 * Each cell's equations are written once, beside the code that computes them:
 *   vanilla  h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)                  kernels/reference/rnn.ts
 *   LSTM     gate blocks i, f, g, o; c_t = f ⊙ c_{t-1} + i ⊙ g, h_t = o ⊙ tanh(c_t)     …/lstm.ts
 *   GRU      gate blocks r, z, n; the reset gate multiplies W_hh h_{t-1} + b_hh      …/gru.ts
 * The WebAssembly kernels (asm/rnn.ts, lstm.ts, gru.ts) repeat them in the same notation.
 */

/** The sizes and options of a recurrent layer, as torch.nn.RNN/LSTM/GRU take them. */
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

/** What a recurrent layer returns: the top layer's output at every step and the final states. */
export interface RecurrentOutput {
  /** [T, B, dirs·H] (or [B, T, dirs·H] batch-first): the last layer's h_t for every t. */
  output: Tensor;
  /** `[layers·dirs, B, H]`: the final hidden state of every layer and direction. */
  h: Tensor;
  /** `[layers·dirs, B, H]`: the final cell state (LSTM only). */
  c?: Tensor;
}

/** The four tensors of one direction of one layer, PyTorch's weight_ih / weight_hh / bias_ih / bias_hh. */
export interface DirectionWeights {
  wIh: Tensor;
  wHh: Tensor;
  bIh: Tensor | null;
  bHh: Tensor | null;
}

/** Fresh weights for one direction, initialized U(±1/√H) in PyTorch's parameter order. */
function initDirection(kind: CellKind, inputSize: number, hiddenSize: number, bias: boolean, rng: Generator): DirectionWeights {
  const G = gateCount(kind) * hiddenSize;
  const k = 1 / Math.sqrt(hiddenSize);
  const make = (shape: number[]) => uniform(Tensor.zeros(shape), -k, k, rng);
  const wIh = make([G, inputSize]);
  const wHh = make([G, hiddenSize]);
  return { wIh, wHh, bIh: bias ? make([G]) : null, bHh: bias ? make([G]) : null };
}

export type { RunOptions } from './run_options.js';

/**
 * One direction over a time-major input [T, B, I] (dense, or one-hot ids [T, B]): the input projection
 * for all steps in one multiply, then the fused recurrence.
 */
function runDirection(kind: CellKind, input: Tensor | OneHot, w: DirectionWeights, h0: Tensor | null, c0: Tensor | null,
  reverse: boolean, tag: string, o: RunOptions = {}, layer = 0, batchSizes: Int32Array | null = null): RecurrenceResult {
  // Outside the GRU, b_hh only adds to the gates as b_ih does: the two go in as one vector b_ih + b_hh,
  // so the gates get one bias pass and backward sums ∂L/∂gates over the T·B rows once, not twice.
  // (The GRU's b_hh sits inside r ⊙ (W_hn h + b_hn) and stays with the recurrence.)
  const fold = kind !== 'gru' && !o.biasApart && w.bIh !== null && w.bHh !== null;
  const bIn = fold ? add(w.bIh!, w.bHh!) : w.bIh;
  let xw = input instanceof OneHot
    ? linearOneHot(input.ids, input.shape, w.wIh, bIn)
    : linear(input, w.wIh, bIn);
  if (o.everyStep) xw = addEveryStep(xw, o.everyStep);
  return recurrence(kind, xw, h0, c0, w.wHh, fold ? null : w.bHh, { reverse, tag, layer, batchSizes });
}

/** PyTorch's parameter-name suffix: _l0, _l0_reverse, _l1, … */
export function suffix(layer: number, direction: number): string {
  return `_l${layer}${direction === 1 ? '_reverse' : ''}`;
}

/** What RNN, LSTM and GRU share: a stack of layers, each one or two directions, each direction one fused recurrence. */
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

  /** The weights of layer l, direction d. */
  directionWeights(l: number, d: number): DirectionWeights {
    const sfx = suffix(l, d);
    return {
      wIh: this.param(`weight_ih${sfx}`), wHh: this.param(`weight_hh${sfx}`),
      bIh: this.paramOrNull(`bias_ih${sfx}`), bHh: this.paramOrNull(`bias_hh${sfx}`),
    };
  }

  /**
   * Inference one time step at a time at batch 1 (sampling), with no tape: a stepper over the weights as
   * they are now, carrying its own state, on the backend's batch-1 layout where it has one. One direction.
   */
  stepper(opts: StepperOptions = {}): RecurrentStepper {
    if (this.bidirectional) throw new Error(`${this.constructor.name}: a bidirectional layer cannot run one step at a time`);
    return new RecurrentStepper(this, opts);
  }

  /** Runs the whole stack over a sequence. `x` is dense or one-hot ids (OneHot). */
  protected run(x: Tensor | OneHot, state?: RecurrentState | null, o: RunOptions = {}): RecurrentOutput {
    const name = this.constructor.name;
    let input = this.checkInput(x);
    const [T, B] = input.shape;
    let { h0, c0 } = this.checkState(state, B);
    if (o.everyStep && this.bidirectional) throw new Error(`${name}: a term added at every step needs one direction`);
    // a batch with lengths runs sorted longest first, and its results go back to the caller's order
    const p = o.lengths !== undefined ? packing(o.lengths, T, B, o.enforceSorted ?? false, name) : null;
    const order = p?.order, back = (t: Tensor) => (p?.inverse ? indexSelect(t, 1, p.inverse) : t);
    if (order) {
      input = permuteBatch(input, order);
      [h0, c0] = [h0 && indexSelect(h0, 1, order), c0 && indexSelect(c0, 1, order)];
      if (o.everyStep) o = { ...o, everyStep: indexSelect(o.everyStep, 0, order) };
    }
    const L = this.numLayers, D = this.numDirections;
    const hs: Tensor[] = [], cs: Tensor[] = [];
    let layerOut: Tensor | null = null;
    for (let l = 0; l < L; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const i = l * D + d;
        const r = runDirection(this.kind, input, this.directionWeights(l, d), h0 ? select(h0, i) : null, c0 ? select(c0, i) : null,
          d === 1, `${name}${suffix(l, d)}`, l === 0 ? o : { biasApart: o.biasApart }, l, p?.batchSizes ?? null);
        outs.push(r.output);
        hs.push(r.h);
        if (r.c) cs.push(r.c);
      }
      layerOut = D === 2 ? concatLast(outs) : outs[0];
      if (l < L - 1 && this.dropout > 0) layerOut = dropout(layerOut, this.dropout, this.training, this.generator);
      input = layerOut;
    }
    const output = this.batchFirst ? transpose01(back(layerOut!)) : back(layerOut!);
    return cs.length ? { output, h: back(stack(hs)), c: back(stack(cs)) } : { output, h: back(stack(hs)) };
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

/** The vanilla recurrent network (torch.nn.RNN): h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), or relu. */
export class RNN extends RecurrentBase {
  readonly nonlinearity: Nonlinearity;

  constructor(opts: RecurrentOptions & { nonlinearity?: Nonlinearity }) {
    super(cellKind('rnn', opts.nonlinearity), opts);
    this.nonlinearity = this.kind === 'rnn_relu' ? 'relu' : 'tanh';
  }

  /** x [T, B, I] (or [B, T, I] batch-first, or one-hot ids), h0 [layers·dirs, B, H] → { output, h }. */
  forward(x: Tensor | OneHot, h0?: Tensor | null, opts?: RunOptions): RecurrentOutput {
    return this.run(x, h0, opts);
  }
}

/** Long short-term memory (torch.nn.LSTM), gate blocks i, f, g, o. */
export class LSTM extends RecurrentBase {
  /**
   * forgetBias: added to the forget-gate block of every bias_ih after PyTorch's initialization
   * (Keras's unit_forget_bias uses 1). It starts f near σ(1) ≈ 0.73 instead of 0.5, so memory and
   * gradient decay much more slowly along the cell path early in training. Default 0: PyTorch's init.
   */
  constructor(opts: RecurrentOptions & { forgetBias?: number }) {
    super('lstm', opts);
    const fb = opts.forgetBias ?? 0;
    if (!Number.isFinite(fb)) throw new Error(`LSTM forgetBias must be a finite number, got ${fb}`);
    if (fb !== 0 && this.bias) {
      const H = this.hiddenSize;
      for (const [name, p] of this.namedParameters()) if (name.startsWith('bias_ih')) for (let j = H; j < 2 * H; j++) p.data[j] += fb;
    }
  }

  /** x [T, B, I] (or [B, T, I], or one-hot ids), state { h, c } each [layers·dirs, B, H] → { output, h, c }. */
  forward(x: Tensor | OneHot, state?: { h: Tensor; c: Tensor } | null, opts?: RunOptions): Required<RecurrentOutput> {
    return this.run(x, state, opts) as Required<RecurrentOutput>;
  }
}

/** Gated recurrent unit (torch.nn.GRU), gate blocks r, z, n. */
export class GRU extends RecurrentBase {
  constructor(opts: RecurrentOptions) {
    super('gru', opts);
  }

  /** x [T, B, I] (or [B, T, I] batch-first, or one-hot ids), h0 [layers·dirs, B, H] → { output, h }. */
  forward(x: Tensor | OneHot, h0?: Tensor | null, opts?: RunOptions): RecurrentOutput {
    return this.run(x, h0, opts);
  }
}

/** A recurrent layer of any kind. */
export type AnyRecurrent = RNN | LSTM | GRU;

/** A recurrent layer of the given kind (RecurrentOptions, and for the LSTM its forgetBias). */
export function recurrentLayer(kind: CellKind, opts: RecurrentOptions & { forgetBias?: number }): AnyRecurrent {
  if (kind === 'lstm') return new LSTM(opts);
  if (kind === 'gru') return new GRU(opts);
  return new RNN({ ...opts, nonlinearity: kind === 'rnn_relu' ? 'relu' : 'tanh' });
}

/**
 * The recurrent body and linear read-out of a sequence model (the character model, the recall task's
 * network, the captioner): the layer of `kind`, then a Linear from its output to `outputSize`, both
 * drawing their initial weights from the options' generator in that order.
 */
export function recurrentWithHead(kind: CellKind, opts: RecurrentOptions & { forgetBias?: number }, outputSize: number): { rnn: AnyRecurrent; head: Linear } {
  const rnn = recurrentLayer(kind, opts);
  const head = new Linear(rnn.hiddenSize * rnn.numDirections, outputSize, { generator: opts.generator });
  return { rnn, head };
}

/**
 * What the one-step cells share (RNNCell, LSTMCell, GRUCell): parameters weight_ih, weight_hh, bias_ih,
 * bias_hh as in PyTorch, and a step that is the fused recurrence with T = 1, so a cell and a layer with
 * the same weights compute exactly the same numbers.
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
  protected cellStep(x: Tensor, h: Tensor | null, c: Tensor | null): { h: Tensor; c: Tensor | null } {
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

/** One step of the vanilla RNN (torch.nn.RNNCell). */
export class RNNCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, opts: { bias?: boolean; nonlinearity?: Nonlinearity; generator?: Generator } = {}) {
    super(cellKind('rnn', opts.nonlinearity), inputSize, hiddenSize, opts);
  }

  /** x [B, I], h [B, H] (zeros when absent) → h' [B, H]. */
  forward(x: Tensor, h?: Tensor | null): Tensor {
    return this.cellStep(x, h ?? null, null).h;
  }
}

/** One LSTM step (torch.nn.LSTMCell), for generation and captioning where each input depends on the last output. */
export class LSTMCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, opts: { bias?: boolean; generator?: Generator } = {}) {
    super('lstm', inputSize, hiddenSize, opts);
  }

  /** x [B, I], state { h, c } each [B, H] (zeros when absent) → the next { h, c }. */
  forward(x: Tensor, state?: { h: Tensor; c: Tensor } | null): { h: Tensor; c: Tensor } {
    const r = this.cellStep(x, state?.h ?? null, state?.c ?? null);
    return { h: r.h, c: r.c! };
  }
}

/** One GRU step (torch.nn.GRUCell). */
export class GRUCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, opts: { bias?: boolean; generator?: Generator } = {}) {
    super('gru', inputSize, hiddenSize, opts);
  }

  /** x [B, I], h [B, H] (zeros when absent) → h' [B, H]. */
  forward(x: Tensor, h?: Tensor | null): Tensor {
    return this.cellStep(x, h ?? null, null).h;
  }
}
