import { CELLS, type CellInfo } from '../kernels/index.js';
import { Tensor, add, mul, sum, isGradEnabled, shapeStr } from '../tensor/index.js';
import { RNN, LSTM, GRU, OneHot, suffix, type RecurrentOutput } from '../nn/index.js';
import { FlowRecorder, norm } from './flow_recorder.js';
import { LinearRNN } from './linear_rnn.js';
import { singularValues, spectralRadius, MAX_SPECTRUM_SIZE } from './spectrum.js';
import { sigmaMax } from './lanczos.js';
import { jacobianNorms, type JacobianSeries, type VanillaActivation } from './jacobian.js';

/** The models the lab can look into: the three recurrent layers and the linear RNN of the known-answer case. */
export type FlowModel = RNN | LSTM | GRU | LinearRNN;

/** Options of {@link gradientFlow}. */
export interface GradientFlowOptions {
  /** The initial state (default zeros); the gradient that reaches it is measured either way. */
  state?: Tensor | { h: Tensor; c: Tensor } | null;
  /** Compute the singular values of every W_hh (default true). */
  spectrum?: boolean;
  /** Vanilla and linear RNN: how many sequences of the batch to measure step Jacobians on (default 4; 0 skips). */
  jacobianRows?: number;
}

/** One layer and direction. Step series are in processing order: index 0 is the initial state h_0, index k the state after k inputs. */
export interface LayerFlow {
  /** `l0`, `l1_reverse`, … as in PyTorch's parameter names. */
  name: string;
  layer: number;
  reverse: boolean;
  /** ‖∂L/∂h_k‖ for k = 0 … T under the whole loss (Frobenius norm over the batch). */
  dh: number[];
  /** LSTM: ‖∂L/∂c_k‖ for k = 0 … T. */
  dc: number[] | null;
  /** ‖∂L_T/∂h_k‖: the gradient of the last time step's loss term alone, so its decay with distance shows. */
  dhLast: number[];
  /** LSTM: ‖∂L_T/∂c_k‖. */
  dcLast: number[] | null;
  /** LSTM: the mean forget-gate activation f_k for k = 1 … T (index 0 is step 1). */
  forgetGate: number[] | null;
  /** GRU: the mean update gate z_k (the share of h_{k−1} kept) for k = 1 … T. */
  updateGate: number[] | null;
  /** ‖∂L/∂θ‖ over this layer's weights and biases. */
  paramGradNorm: number;
  /** All singular values of W_hh ([G·H, H]), largest first; null above the full-spectrum size. */
  singularValues: number[] | null;
  sigmaMax: number;
  /** Vanilla and linear RNN (H ≤ 512): max|λ(W_hh)|, what σ_max^k becomes over long distances. */
  spectralRadius: number | null;
  /** LSTM and GRU: σ_max of each gate's block of W_hh (i f g o, or r z n). */
  gateSigmaMax: Record<string, number> | null;
  /** Vanilla and linear RNN: ‖∂h_k/∂h_{k−1}‖ and its bound σ_max · max|f'| for k = 1 … T. */
  jacobian: JacobianSeries | null;
}

/** What {@link gradientFlow} measured on one batch: the loss and, per layer and direction, how the gradient fades over the steps. */
export interface GradientFlow {
  kind: string;
  /** T, B and H of the batch measured. */
  steps: number;
  batch: number;
  hiddenSize: number;
  /** The loss of the batch. */
  loss: number;
  layers: LayerFlow[];
}

/** The final state a recurrent model hands to the loss: h, and c for the LSTM. */
export type FinalState = { h: Tensor; c?: Tensor };

/**
 * Measures how the gradient of a loss flows back through a recurrent model over one batch:
 *
 *   gradientFlow(lstm, x, (output) => crossEntropy(head.forward(reshape(output, [-1, H])), targets))
 *
 * `lossOf` turns the model's output ([T, B, dirs·H], or batch-first) and final state into a scalar.
 * Two backward passes run with a RecurrenceProbe installed: one of the loss, one of only the part of it
 * that enters at the last time step (its gradient with respect to the last output and the final
 * state), which shows the decay with distance undiluted by the loss terms of nearer steps. Dropout is
 * off while it measures, and the parameters' .grad are left as they were.
 */
export function gradientFlow(model: FlowModel, x: Tensor | OneHot, lossOf: (output: Tensor, final: FinalState) => Tensor,
  opts: GradientFlowOptions = {}): GradientFlow {
  if (!isGradEnabled()) throw new Error('gradientFlow needs gradients: it cannot run inside noGrad()');
  if (!(model instanceof RNN || model instanceof LSTM || model instanceof GRU || model instanceof LinearRNN)) {
    throw new Error(`gradientFlow: the model must be an RNN, LSTM, GRU or LinearRNN, got ${describe(model)}`);
  }
  if (!(x instanceof Tensor || x instanceof OneHot)) throw new Error(`gradientFlow: the input must be a Tensor or OneHot ids, got ${describe(x)}`);
  const jacobianRows = opts.jacobianRows ?? 4;
  if (!Number.isInteger(jacobianRows) || jacobianRows < 0) throw new Error(`gradientFlow: jacobianRows must be a non-negative integer, got ${jacobianRows}`);
  const xShape = x instanceof OneHot ? x.shape : x.shape;
  const [T, B] = model.batchFirst ? [xShape[1], xShape[0]] : [xShape[0], xShape[1]];
  const H = model.hiddenSize, L = model.numLayers, D = model.numDirections;
  const vanilla = model.kind === 'rnn_tanh' || model.kind === 'rnn_relu' || model.kind === 'rnn_linear';
  const rows = vanilla ? Math.min(jacobianRows, B) : 0;

  const params = model.namedParameters();
  const stashed = params.map(([, p]) => p.grad);
  const wasTraining = model.training;
  model.eval();
  try {
    for (const [, p] of params) p.grad = null;
    // pass 1: the whole loss
    const full = measure(model, x, T, B, opts.state ?? null, rows, (r) => {
      r.output.retainGrad();
      r.h.retainGrad();
      r.c?.retainGrad();
      const loss = lossOf(r.output, r.c ? { h: r.h, c: r.c } : { h: r.h });
      if (!(loss instanceof Tensor) || loss.size !== 1) throw new Error(`gradientFlow: lossOf must return a scalar Tensor, got ${loss instanceof Tensor ? shapeStr(loss.shape) : describe(loss)}`);
      if (!loss.requiresGrad) throw new Error('gradientFlow: the loss does not depend on the model (no gradient reaches it)');
      return loss;
    });
    const gradNorms = new Map<string, number>();
    for (const [name, p] of params) {
      const m = /_l\d+(_reverse)?$/.exec(name);
      const key = m ? m[0].slice(1) : name;
      gradNorms.set(key, (gradNorms.get(key) ?? 0) + (p.grad ? norm(p.grad.data) ** 2 : 0));
    }
    // pass 2: only what enters at the last time step
    const seedOut = full.out.output.grad ? lastStepOnly(full.out.output.grad, model.batchFirst) : null;
    const seedH = full.out.h.grad, seedC = full.out.c?.grad ?? null;
    for (const [, p] of params) p.grad = null;
    const last = measure(model, x, T, B, opts.state ?? null, 0, (r) => {
      let l = Tensor.scalar(0);
      if (seedOut) l = add(l, sum(mul(r.output, seedOut)));
      if (seedH) l = add(l, sum(mul(r.h, seedH.detach())));
      if (seedC && r.c) l = add(l, sum(mul(r.c, seedC.detach())));
      return l;
    });

    const layers: LayerFlow[] = [];
    const weights = model.stateDict();
    for (let l = 0; l < L; l++) {
      for (let d = 0; d < D; d++) {
        const name = suffix(l, d).slice(1);
        const a = full.layers.get(name), b = last.layers.get(name);
        if (!a || !b) throw new Error(`gradientFlow: no recurrence was seen for layer ${name}`);
        const wHh = weights[`weight_hh${suffix(l, d)}`];
        layers.push({
          name, layer: l, reverse: d === 1,
          dh: a.dh, dc: a.dc, dhLast: b.dh, dcLast: b.dc,
          forgetGate: model.kind === 'lstm' ? a.gateMean : null,
          updateGate: model.kind === 'gru' ? a.gateMean : null,
          paramGradNorm: Math.sqrt(gradNorms.get(name) ?? 0),
          ...spectrumOf(model.kind, wHh, H, opts.spectrum ?? true),
          jacobian: vanilla && rows > 0 ? jacobianNorms(wHh, a.states!, rows, activationOf(model.kind)) : null,
        });
      }
    }
    return { kind: model.kind, steps: T, batch: B, hiddenSize: H, loss: full.loss.item(), layers };
  } finally {
    params.forEach(([, p], i) => { p.grad = stashed[i]; });
    model.train(wasTraining);
  }
}

interface Series {
  dh: number[];
  dc: number[] | null;
  gateMean: number[] | null;
  /** h_k for the first rows, k = 1 … T. */
  states: Float32Array[] | null;
}

/** One forward and backward pass, returning each layer's series in processing order. */
function measure(model: FlowModel, x: Tensor | OneHot, T: number, B: number, given: GradientFlowOptions['state'], rows: number,
  lossOf: (r: RecurrentOutput) => Tensor): { loss: Tensor; out: RecurrentOutput; layers: Map<string, Series> } {
  const L = model.numLayers, D = model.numDirections, H = model.hiddenSize;
  const h0 = leaf(given ? (given instanceof Tensor ? given : given.h) : null, [L * D, B, H], 'h0');
  const c0 = model.kind === 'lstm' ? leaf(given && !(given instanceof Tensor) ? given.c : null, [L * D, B, H], 'c0') : null;
  const layers = new Map<string, Series>();

  if (model instanceof LinearRNN) {
    const r = model.forward(x, h0);
    for (const s of r.steps) s.retainGrad();
    const loss = lossOf(r);
    loss.backward();
    const zero = new Float32Array(B * H);
    layers.set('l0', {
      dh: [norm(h0.grad?.data ?? zero), ...r.steps.map((s) => norm(s.grad?.data ?? zero))],
      dc: null, gateMean: null,
      states: rows > 0 ? r.steps.map((s) => s.data.slice(0, rows * H)) : null,
    });
    return { loss, out: r, layers };
  }

  const rec = new FlowRecorder(H, { keepRows: rows });
  const { loss, out } = rec.watch(() => {
    const out = model instanceof LSTM ? model.forward(x, { h: h0, c: c0! }) : model.forward(x, h0);
    const loss = lossOf(out);
    loss.backward();
    return { loss, out };
  });
  const slice = (g: Tensor | null, i: number) => norm(g ? g.data.subarray(i * B * H, (i + 1) * B * H) : new Float32Array(0));
  for (const tag of rec.tags()) {
    const tr = rec.trace(tag);
    const where = { layer: tr.layer, reverse: tr.reverse };
    const i = where.layer * D + (where.reverse ? 1 : 0);
    // processing step k (1 … T) is time step k − 1 forwards, T − k backwards
    const timeOf = (k: number) => (where.reverse ? T - k : k - 1);
    const ks = Array.from({ length: T }, (_, j) => j + 1);
    layers.set(suffix(where.layer, where.reverse ? 1 : 0).slice(1), {
      dh: [slice(h0.grad, i), ...ks.map((k) => tr.dh[timeOf(k)] ?? 0)],
      dc: tr.dc ? [slice(c0!.grad, i), ...ks.map((k) => tr.dc![timeOf(k)] ?? 0)] : null,
      gateMean: tr.gateMean ? ks.map((k) => tr.gateMean![timeOf(k)]) : null,
      states: tr.states ? ks.map((k) => tr.states![timeOf(k)]) : null,
    });
  }
  return { loss, out, layers };
}

/** A fresh leaf that requires grad: a copy of the given state, or zeros. */
function leaf(given: Tensor | null | undefined, shape: number[], what: string): Tensor {
  if (given) {
    if (!(given instanceof Tensor) || shapeStr(given.shape) !== shapeStr(shape)) {
      throw new Error(`gradientFlow: the initial ${what} must be ${shapeStr(shape)} (layers·directions, batch, hidden), got ${given instanceof Tensor ? shapeStr(given.shape) : describe(given)}`);
    }
    const t = given.clone();
    t.requiresGrad = true;
    return t;
  }
  return Tensor.zeros(shape, true);
}

/** The gradient with every time step but the last zeroed: [T, B, F], or [B, T, F] batch-first. */
function lastStepOnly(g: Tensor, batchFirst: boolean): Tensor {
  const out = Tensor.zeros(g.shape);
  const [A, Bd, F] = g.shape;
  if (batchFirst) {
    for (let b = 0; b < A; b++) {
      const o = (b * Bd + Bd - 1) * F;
      out.data.set(g.data.subarray(o, o + F), o);
    }
  } else {
    const o = (A - 1) * Bd * F;
    out.data.set(g.data.subarray(o), o);
  }
  return out;
}

function spectrumOf(kind: string, wHh: Tensor, H: number, full: boolean):
  Pick<LayerFlow, 'singularValues' | 'sigmaMax' | 'spectralRadius' | 'gateSigmaMax'> {
  const sv = full && H <= MAX_SPECTRUM_SIZE ? singularValues(wHh) : null;
  // the linear RNN of the lab is no CellKind, and has no gates either
  const names = (CELLS as Partial<Record<string, CellInfo>>)[kind]?.gateNames ?? [];
  const gates = names.length ? names : null;
  let gateSigmaMax: Record<string, number> | null = null;
  if (gates) {
    gateSigmaMax = {};
    gates.forEach((g, k) => { gateSigmaMax![g] = sigmaMax(new Tensor(wHh.data.subarray(k * H * H, (k + 1) * H * H), [H, H])); });
  }
  return {
    singularValues: sv,
    sigmaMax: sv ? sv[0] : sigmaMax(wHh),
    spectralRadius: !gates && full && H <= 512 ? spectralRadius(wHh) : null,
    gateSigmaMax,
  };
}

function activationOf(kind: string): VanillaActivation {
  return kind === 'rnn_relu' ? 'relu' : kind === 'rnn_linear' ? 'identity' : 'tanh';
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  return typeof v === 'object' ? (v as object).constructor?.name ?? 'object' : typeof v;
}
