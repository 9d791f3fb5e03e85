import { Generator, select, crossEntropy } from '../tensor/index.js';
import { gradientFlow, type LayerFlow } from './gradient_flow.js';
import type { JacobianSeries } from './jacobian.js';
import type { CellName } from '../kernels/index.js';
import { trainRecall, recallBatch, RecallNet, type RecallTask } from './recall_task.js';

/** One contestant: a cell type, and for the LSTM the gate biases it starts with (see RecallNet). */
export interface CellSpec {
  label: string;
  cell: CellName;
  forgetBias?: number;
  inputBias?: number;
}

export interface CellComparisonOptions {
  cells?: CellSpec[];
  /** Distances to recall across (default 10, 25, 50, 100). */
  delays?: number[];
  hidden?: number;
  batch?: number;
  /** The most training steps per run; a run stops earlier once its smoothed loss is below `stopLoss`. */
  steps?: number;
  lr?: number;
  stopLoss?: number;
  symbols?: number;
  seed?: number;
  /** A gradient counts as useful down to this fraction of its size at the last step (default 1e-2). */
  reachThreshold?: number;
  /** Called after every training run, for progress reports. */
  onRun?: (spec: CellSpec, run: RecallRun) => void;
}

/** How the gradient of the recall loss (read at the last step) reaches back along one sequence. */
export interface FlowProfile {
  /** ‖∂L/∂h_{T−k}‖ / ‖∂L/∂h_T‖ for distance k = 0 … T. */
  h: number[];
  /** LSTM: ‖∂L/∂c_{T−k}‖ / ‖∂L/∂c_T‖, the gradient along the cell path. */
  c: number[] | null;
  /**
   * The farthest distance at which the state's gradient (h, with c for the LSTM) is still at least
   * reachThreshold of its size at the last step.
   */
  reach: number;
  /** LSTM: mean forget gate f_k; GRU: mean update gate z_k; k = 1 … T. */
  gate: number[] | null;
  /** Vanilla RNN: ‖∂h_k/∂h_{k−1}‖ beside σ_max(W_hh) · max|tanh'|, k = 1 … T. */
  jacobian: JacobianSeries | null;
}

export interface RecallRun {
  delay: number;
  accuracy: number;
  /** Steps trained, and the step at which the loss fell below stopLoss (null: never). */
  steps: number;
  solvedAt: number | null;
  losses: number[];
  seconds: number;
  /** The gradient after training, on a sequence of this delay. */
  trained: FlowProfile;
}

export interface CellReport {
  spec: CellSpec;
  parameters: number;
  /** The gradient before training, on a sequence of the longest delay. */
  init: FlowProfile;
  runs: RecallRun[];
}

export interface CellComparison {
  settings: Required<Omit<CellComparisonOptions, 'onRun'>>;
  cells: CellReport[];
}

export const DEFAULT_CELLS: CellSpec[] = [
  { label: 'RNN', cell: 'rnn' },
  // f ≈ σ(4) = 0.98 keeps memory and gradient over ~100 steps; i ≈ σ(−4) keeps the blanks' writes from saturating c
  { label: 'LSTM', cell: 'lstm', forgetBias: 4, inputBias: -4 },
  { label: 'GRU', cell: 'gru' },
];

export type CellComparisonSettings = CellComparison['settings'];

/** The options with their defaults filled in, checked. */
export function cellSettings(o: CellComparisonOptions = {}): CellComparisonSettings {
  const settings = {
    cells: o.cells ?? DEFAULT_CELLS, delays: o.delays ?? [10, 25, 50, 100], hidden: o.hidden ?? 32, batch: o.batch ?? 32,
    steps: o.steps ?? 600, lr: o.lr ?? 1e-2, stopLoss: o.stopLoss ?? 0.05, symbols: o.symbols ?? 4, seed: o.seed ?? 1,
    reachThreshold: o.reachThreshold ?? 1e-2,
  };
  const { delays } = settings;
  if (!delays.length || delays.some((d) => !Number.isInteger(d) || d < 1 || d > 1000)) throw new Error(`compareCells: delays must be integers from 1 to 1000, got ${delays.join(', ')}`);
  return settings;
}

/** One training run of the comparison: `spec` trained to recall across `delay` steps, then measured. */
export function recallRun(spec: CellSpec, delay: number, s: CellComparisonSettings): RecallRun {
  const t0 = performance.now();
  const task = { symbols: s.symbols, delay };
  const r = trainRecall(spec.cell, task, {
    hidden: s.hidden, steps: s.steps, batch: s.batch, lr: s.lr, seed: s.seed, forgetBias: spec.forgetBias, inputBias: spec.inputBias, stopLoss: s.stopLoss,
  });
  return {
    delay, accuracy: r.accuracy, steps: r.losses.length, solvedAt: r.solvedAt, losses: r.losses, seconds: (performance.now() - t0) / 1000,
    trained: recallFlow(r.net, task, s.reachThreshold),
  };
}

/** A cell's report from its runs (in the order of s.delays): its size and its gradient before training. */
export function cellReport(spec: CellSpec, s: CellComparisonSettings, runs: RecallRun[]): CellReport {
  const longest = { symbols: s.symbols, delay: Math.max(...s.delays) };
  const fresh = new RecallNet(spec.cell, longest, s.hidden, new Generator(s.seed), spec.forgetBias ?? 0, spec.inputBias ?? 0);
  return { spec, parameters: fresh.numParameters(), init: recallFlow(fresh, longest, s.reachThreshold), runs };
}

/**
 * The lecture's second experiment: RNN, LSTM and GRU of one hidden size on the delayed-recall task.
 * For each, the gradient of the last step's loss is measured back along a sequence before training,
 * and then each is trained to recall across every delay and its accuracy measured on fresh sequences.
 * Every run is seeded on its own, so they may also run in parallel (recallRun, then cellReport).
 */
export function compareCells(o: CellComparisonOptions = {}): CellComparison {
  const settings = cellSettings(o);
  const cells = settings.cells.map((spec) => cellReport(spec, settings, settings.delays.map((delay) => {
    const run = recallRun(spec, delay, settings);
    o.onRun?.(spec, run);
    return run;
  })));
  return { settings, cells };
}

/** The gradient of the recall loss on a fixed batch of the task, back from the last step. */
export function recallFlow(net: RecallNet, task: RecallTask, reachThreshold: number): FlowProfile {
  const { inputs, answers } = recallBatch(task, 32, new Generator(4242));
  const T = inputs.shape[0];
  const f: LayerFlow = gradientFlow(net.rnn, inputs, (out) => crossEntropy(net.head.forward(select(out, T - 1)), answers), { spectrum: false, jacobianRows: 4 }).layers[0];
  const back = (s: number[]) => s.map((_, k) => s[T - k] / s[T]);
  const h = back(f.dhLast), c = f.dcLast ? back(f.dcLast) : null;
  const state = f.dcLast ? back(f.dhLast.map((v, k) => Math.hypot(v, f.dcLast![k]))) : h;
  let reach = 0;
  state.forEach((r, k) => { if (r >= reachThreshold) reach = k; });
  return { h, c, reach, gate: f.forgetGate ?? f.updateGate, jacobian: f.jacobian };
}
