import { kernels, gateCount, type Backend, type StepLayer } from '../kernels/index.js';
import type { Tensor } from '../tensor/index.js';
import type { RecurrentBase } from './recurrent.js';
import type { Linear } from './linear.js';

/** How a stepper is laid out: RecurrentBase.stepper()'s options. */
export interface StepperOptions {
  /**
   * The first layer takes one-hot ids (a character model): x_t W_ihᵀ is then column x_t of W_ih, so a
   * table W_ihᵀ + the input bias, [V, G·H], is built once and each step gathers one row of it.
   */
  oneHot?: boolean;
  /** The output layer after the last layer: each step then returns its logits. */
  head?: Linear;
}

interface LayerBuffers {
  wIh: Float32Array | null;
  /** The input half's bias: b_ih, plus b_hh except for the GRU (whose reset gate multiplies the recurrent half). */
  bIn: Float32Array;
  wHh: Float32Array;
  bHh: Float32Array | null;
  g: Float32Array;
  gh: Float32Array | null;
  h: Float32Array;
  c: Float32Array | null;
  // the next step's h and c are written here, then the two swap (kernels do not promise in-place updates)
  h2: Float32Array;
  c2: Float32Array | null;
}

/**
 * A recurrent layer run one time step at a time at batch 1, for sampling: the same equations as its
 * forward, straight on the kernels with buffers made once, and no tape. Through the tensor layer, one
 * step of a batch of one is a dozen small tensors and ops; here it is one row gather or matrix–vector
 * product for the input, one for the recurrent half per layer and the cell's step kernel, then one
 * product for the logits. Where the backend has a batch-1 layout of its own (Backend.stepLayer) every
 * layer runs on it, the last one taking the output layer with it (each thread adds its own units' share).
 *
 * It reads the weights where they are, but builds the one-hot table and the folded input biases when it
 * is made: make a new stepper after the weights change. Made by RecurrentBase.stepper().
 */
export class RecurrentStepper {
  /** What step() returns: the logits with a head, the last layer's h without (a buffer reused by the next step). */
  readonly output: Float32Array;
  private readonly K: Backend;
  private readonly H: number;
  private readonly GH: number;
  private readonly layers: LayerBuffers[];
  private readonly table: Float32Array | null;
  private readonly x: Float32Array | null;
  private readonly ids = new Int32Array(1);
  private readonly wHy: Float32Array | null;
  private readonly bHy: Float32Array | null;
  // the backend's own batch-1 layout of each layer, where it has one for every layer
  private readonly fast: StepLayer[] | null;

  constructor(private readonly layer: RecurrentBase, opts: StepperOptions = {}) {
    const K = (this.K = kernels());
    const { kind, hiddenSize: H, numLayers: L, inputSize: I } = layer;
    const GH = gateCount(kind) * H;
    this.H = H; this.GH = GH;
    const biasIn = (bIh: Tensor | null, bHh: Tensor | null) => {
      const b = K.alloc(GH);
      for (let j = 0; j < GH; j++) b[j] = (bIh ? bIh.data[j] : 0) + (kind !== 'gru' && bHh ? bHh.data[j] : 0);
      return b;
    };
    // the weights themselves, not copies (the kernels take the backend's own arrays without copying)
    this.layers = [];
    for (let l = 0; l < L; l++) {
      const w = layer.directionWeights(l, 0);
      this.layers.push({
        wIh: l === 0 && opts.oneHot ? null : w.wIh.data,
        bIn: biasIn(w.bIh, w.bHh),
        wHh: w.wHh.data,
        bHh: kind === 'gru' ? w.bHh?.data ?? null : null,
        g: K.alloc(GH),
        gh: kind === 'gru' ? K.alloc(GH) : null,
        h: K.alloc(H),
        c: kind === 'lstm' ? K.alloc(H) : null,
        h2: K.alloc(H),
        c2: kind === 'lstm' ? K.alloc(H) : null,
      });
    }
    this.table = null;
    this.x = null;
    if (opts.oneHot) {
      // row v = column v of W_ih, plus the input bias (built in a plain array, which V8 indexes faster than
      // a view into WebAssembly memory, then copied over once)
      const w0 = Float32Array.from(layer.directionWeights(0, 0).wIh.data), b0 = Float32Array.from(this.layers[0].bIn);
      const table = new Float32Array(I * GH);
      for (let j = 0; j < GH; j++) for (let v = 0; v < I; v++) table[v * GH + j] = w0[j * I + v] + b0[j];
      this.table = K.alloc(I * GH, true);
      this.table.set(table);
    } else {
      this.x = K.alloc(I);
    }
    this.wHy = opts.head ? opts.head.weight.data : null;
    this.bHy = opts.head?.bias?.data ?? null;
    this.output = K.alloc(opts.head ? opts.head.outFeatures : H);
    const fast = this.layers.map((ly, l) => K.stepLayer?.({
      kind, hidden: H, wHh: ly.wHh, bHh: ly.bHh,
      ...(l === 0 && this.table ? { table: this.table } : { wIh: ly.wIh!, bIn: ly.bIn }),
      ...(l === L - 1 && this.wHy ? { head: { weight: this.wHy, bias: this.bHy } } : {}),
    }) ?? null);
    this.fast = fast.every((f) => f !== null) ? (fast as StepLayer[]) : null;
  }

  /** Sets the carried state (h, and c for the LSTM, [layers, 1, H]); without one, zeros. */
  setState(state: { h: Tensor; c?: Tensor | null } | null): void {
    const { H } = this;
    this.layers.forEach((ly, l) => {
      if (state) ly.h.set(state.h.data.subarray(l * H, (l + 1) * H));
      else ly.h.fill(0);
      if (ly.c) {
        if (state?.c) ly.c.set(state.c.data.subarray(l * H, (l + 1) * H));
        else ly.c.fill(0);
      }
    });
  }

  /** Feeds one input: an id (one-hot stepper) or a dense [I] vector. Returns `output`'s buffer, refilled. */
  step(x: number | Float32Array): Float32Array {
    const { K, H, GH } = this;
    const kind = this.layer.kind, L = this.layers.length;
    if (typeof x === 'number' ? !this.table : !this.x) throw new Error(`stepper: this stepper takes ${this.table ? 'an id' : 'a dense vector'} as input`);
    if (typeof x !== 'number') this.x!.set(x.subarray(0, this.x!.length));
    let input: Float32Array | null = this.x;
    for (let l = 0; l < L; l++) {
      const ly = this.layers[l];
      if (this.fast) {
        this.fast[l].step(l === 0 && this.table ? (x as number) : input!, ly.h, ly.c, ly.h2, ly.c2, l === L - 1 && this.wHy ? this.output : undefined);
        if (ly.c) [ly.c, ly.c2] = [ly.c2, ly.c];
        [ly.h, ly.h2] = [ly.h2, ly.h];
        input = ly.h;
        continue;
      }
      if (l === 0 && this.table) {
        this.ids[0] = x as number;
        K.gatherRows(this.table, GH, this.ids, ly.g);
      } else {
        ly.g.set(ly.bIn);
        K.gemm(false, true, 1, GH, ly.wIh!.length / GH, input!, ly.wIh!, ly.g, true);
      }
      if (kind === 'gru') {
        if (ly.bHh) ly.gh!.set(ly.bHh);
        else ly.gh!.fill(0);
        K.gemm(false, true, 1, GH, H, ly.h, ly.wHh, ly.gh!, true);
        K.gruForward(1, H, ly.g, ly.gh!, ly.h, ly.h2);
      } else {
        K.gemm(false, true, 1, GH, H, ly.h, ly.wHh, ly.g, true);
        if (kind === 'lstm') {
          K.lstmForward(1, H, ly.g, ly.c!, ly.c2!, ly.h2);
          [ly.c, ly.c2] = [ly.c2, ly.c];
        } else K.rnnForward(kind === 'rnn_relu' ? 'relu' : 'tanh', ly.g, ly.h2);
      }
      [ly.h, ly.h2] = [ly.h2, ly.h];
      input = ly.h;
    }
    if (!this.wHy) {
      // the last layer's h, whose buffer swaps with the next step's
      this.output.set(input!);
      return this.output;
    }
    if (this.fast) return this.output;
    if (this.bHy) this.output.set(this.bHy);
    else this.output.fill(0);
    K.gemm(false, true, 1, this.output.length, H, input!, this.wHy, this.output, true);
    return this.output;
  }
}
