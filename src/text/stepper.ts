import { kernels, gateCount, type Backend, type StepLayer } from '../kernels/index.js';
import type { Tensor } from '../tensor/index.js';
import type { CharLM, CharLMState } from './char_lm.js';

const steppers = new WeakMap<CharLM, { stepper: CharLMStepper; backend: Backend; versions: number[] }>();

/**
 * A character model run one character at a time, for sampling: the same equations as CharLM.forward,
 * straight on the kernels with buffers made once, and no tape. Through the tensor layer, one step of a
 * batch of one is a dozen small tensors and ops; here it is one row gather, one matrix–vector product
 * per layer and the cell's step kernel, then one product for the logits (which a backend's batch-1
 * layout takes into the last layer's step: each thread adds its own units' share).
 *
 * Layer 0 takes one-hot input, so x_t W_ihᵀ is column x_t of W_ih: a table W_ihᵀ + b_ih (+ b_hh, which
 * the vanilla and LSTM cells add in the same place) is built once, [V, G·H], and each step gathers one
 * row of it. The GRU keeps b_hh apart, as its reset gate multiplies the recurrent half.
 *
 * It reads the model's weights where they are, but builds the layer-0 table when it is made: make a new
 * stepper after the model changes.
 */
export class CharLMStepper {
  /**
   * A stepper for `model`, reused while the model's weights (their version counters: optimizers and
   * loadStateDict bump them) and the backend stay the same, since building one costs milliseconds.
   */
  static for(model: CharLM): CharLMStepper {
    const K = kernels(), params = model.parameters();
    const c = steppers.get(model);
    if (c && c.backend === K && c.versions.length === params.length && params.every((p, i) => p.version === c.versions[i])) return c.stepper;
    const stepper = new CharLMStepper(model);
    steppers.set(model, { stepper, backend: K, versions: params.map((p) => p.version) });
    return stepper;
  }

  readonly logits: Float32Array;
  private readonly K: Backend;
  private readonly L: number;
  private readonly H: number;
  private readonly GH: number;
  private readonly table: Float32Array;
  private readonly ids = new Int32Array(1);
  private readonly layers: Array<{ wIh: Float32Array | null; bIn: Float32Array; wHh: Float32Array; bHh: Float32Array | null;
    g: Float32Array; gh: Float32Array | null; h: Float32Array; c: Float32Array | null; h2: Float32Array; c2: Float32Array | null }>;
  private readonly wHy: Float32Array;
  private readonly bHy: Float32Array | null;
  // the backend's own batch-1 layout of each layer, where it has one for every layer
  private readonly fast: StepLayer[] | null;

  constructor(private readonly model: CharLM) {
    const K = (this.K = kernels());
    const { cell, hiddenSize: H, numLayers: L, vocabSize: V } = model.config;
    const G = gateCount(model.rnn.kind);
    this.L = L; this.H = H; this.GH = G * H;
    const GH = G * H;
    const p = new Map<string, Tensor>(model.namedParameters());
    // the weights themselves, not copies (the kernels take the backend's own arrays without copying)
    const copy = (t: Tensor | undefined) => (t ? t.data : null);
    const biasIn = (l: number) => {
      // the bias of the input half: b_ih, plus b_hh except for the GRU
      const b = K.alloc(GH);
      const bIh = p.get(`rnn.bias_ih_l${l}`), bHh = p.get(`rnn.bias_hh_l${l}`);
      for (let j = 0; j < GH; j++) b[j] = (bIh ? bIh.data[j] : 0) + (cell !== 'gru' && bHh ? bHh.data[j] : 0);
      return b;
    };
    this.layers = [];
    for (let l = 0; l < L; l++) {
      this.layers.push({
        wIh: l === 0 ? null : copy(p.get(`rnn.weight_ih_l${l}`)),
        bIn: biasIn(l),
        wHh: copy(p.get(`rnn.weight_hh_l${l}`))!,
        bHh: cell === 'gru' ? copy(p.get(`rnn.bias_hh_l${l}`)) : null,
        g: K.alloc(GH),
        gh: cell === 'gru' ? K.alloc(GH) : null,
        h: K.alloc(H),
        c: cell === 'lstm' ? K.alloc(H) : null,
        // the next step's h and c are written here, then the two swap (kernels do not promise in-place updates)
        h2: K.alloc(H),
        c2: cell === 'lstm' ? K.alloc(H) : null,
      });
    }
    // layer 0's one-hot table: row v = column v of W_ih, plus the input bias (built in a plain array,
    // which V8 indexes faster than a view into WebAssembly memory, then copied over once)
    const w0 = Float32Array.from(p.get('rnn.weight_ih_l0')!.data), b0 = Float32Array.from(this.layers[0].bIn);
    const table = new Float32Array(V * GH);
    for (let j = 0; j < GH; j++) for (let v = 0; v < V; v++) table[v * GH + j] = w0[j * V + v] + b0[j];
    this.table = K.alloc(V * GH, true);
    this.table.set(table);
    this.wHy = copy(p.get('head.weight'))!;
    this.bHy = copy(p.get('head.bias'));
    this.logits = K.alloc(V);
    const kind = model.rnn.kind;
    // the last layer takes the output layer with it: the backend may then compute the logits inside the step
    const fast = this.layers.map((ly, l) => K.stepLayer?.({
      kind, hidden: H, wHh: ly.wHh, bHh: ly.bHh,
      ...(l === 0 ? { table: this.table } : { wIh: ly.wIh!, bIn: ly.bIn }),
      ...(l === L - 1 ? { head: { weight: this.wHy, bias: this.bHy } } : {}),
    }) ?? null);
    this.fast = fast.every((f) => f !== null) ? (fast as StepLayer[]) : null;
  }

  /** Sets the carried state (h, and c for the LSTM, [layers, 1, H]); without one, zeros. */
  setState(state: CharLMState | null): void {
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

  /** Feeds character id `x`; returns the logits of the next character (a buffer reused by the next step). */
  step(x: number): Float32Array {
    const { K, H, GH } = this;
    const cell = this.model.config.cell;
    let input: Float32Array | null = null;
    for (let l = 0; l < this.L; l++) {
      const ly = this.layers[l];
      if (this.fast) {
        this.fast[l].step(l === 0 ? x : input!, ly.h, ly.c, ly.h2, ly.c2, l === this.L - 1 ? this.logits : undefined);
        if (ly.c) [ly.c, ly.c2] = [ly.c2, ly.c];
        [ly.h, ly.h2] = [ly.h2, ly.h];
        input = ly.h;
        continue;
      }
      if (l === 0) {
        this.ids[0] = x;
        K.gatherRows(this.table, GH, this.ids, ly.g);
      } else {
        ly.g.set(ly.bIn);
        K.gemm(false, true, 1, GH, H, input!, ly.wIh!, ly.g, true);
      }
      if (cell === 'gru') {
        if (ly.bHh) ly.gh!.set(ly.bHh);
        else ly.gh!.fill(0);
        K.gemm(false, true, 1, GH, H, ly.h, ly.wHh, ly.gh!, true);
        K.gruForward(1, H, ly.g, ly.gh!, ly.h, ly.h2);
      } else {
        K.gemm(false, true, 1, GH, H, ly.h, ly.wHh, ly.g, true);
        if (cell === 'lstm') {
          K.lstmForward(1, H, ly.g, ly.c!, ly.c2!, ly.h2);
          [ly.c, ly.c2] = [ly.c2, ly.c];
        } else K.activate(this.model.config.nonlinearity === 'relu' ? 'relu' : 'tanh', ly.g, ly.h2);
      }
      [ly.h, ly.h2] = [ly.h2, ly.h];
      input = ly.h;
    }
    if (this.fast) return this.logits;
    if (this.bHy) this.logits.set(this.bHy);
    else this.logits.fill(0);
    K.gemm(false, true, 1, this.logits.length, H, input!, this.wHy, this.logits, true);
    return this.logits;
  }
}
