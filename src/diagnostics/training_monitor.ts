import type { Tensor } from '../tensor/index.js';
import type { Module } from '../nn/index.js';
import { FlowRecorder, norm } from './flow_recorder.js';
import { sigmaMax } from './lanczos.js';

/** One layer's numbers in a GradFlowSnapshot. */
export interface LayerGradFlow {
  /** The layer's parameters' prefix: `rnn.l0`, `rnn.l1_reverse`, `head`. */
  layer: string;
  /** ‖∂L/∂θ‖ over the layer's parameters, before clipping. */
  gradNorm: number;
  /** Recurrent layers: σ_max(W_hh) after the step. */
  sigmaMax: number | null;
  /** Recurrent layers: ‖∂L/∂h‖ at the last and the first time step of the chunk (backward runs before clipping). */
  dhLast: number | null;
  dhFirst: number | null;
}

/** What `rnnkit train --gradflow-every N` logs every N steps. */
export interface GradFlowSnapshot {
  step: number;
  /** The global gradient norm before clipping. */
  gradNorm: number;
  /** The clipping threshold; 0 when clipping is off. */
  clip: number;
  /** The factor this step's gradients were scaled by: min(1, clip / ‖g‖) (1 without clipping). */
  clipRatio: number;
  /** The share of the steps since the last snapshot whose gradient was clipped. */
  clippedFraction: number;
  layers: LayerGradFlow[];
}

/**
 * Watches a training run's gradients: wrap every training step in `watch`, and every `every` steps it
 * returns a snapshot with each layer's gradient norm, the clip ratio and σ_max(W_hh). A RecurrenceProbe
 * on the step's backward pass measures ‖∂L/∂h‖ at the chunk's first and last time step, so the decay
 * across one chunk of truncated BPTT shows too. The step must clip with clipGradNorm(params, clip), as
 * the trainers here do, so that the layer norms can be taken back to their size before clipping.
 */
export class GradFlowMonitor {
  private clippedSince = 0;
  private stepsSince = 0;
  private readonly groups: Map<string, [string, Tensor][]>;

  constructor(model: Module, readonly every: number, readonly clip: number, private readonly hiddenSize: number) {
    if (!Number.isInteger(every) || every < 1) throw new Error(`gradflow interval must be a positive integer, got ${every}`);
    if (!(clip >= 0)) throw new Error(`clip must be ≥ 0 (0: off), got ${clip}`);
    this.groups = new Map();
    for (const [name, p] of model.namedParameters()) {
      const key = layerOf(name);
      if (!this.groups.has(key)) this.groups.set(key, []);
      this.groups.get(key)!.push([name, p]);
    }
  }

  /** Runs one training step (which returns its step number, global gradient norm and whether it clipped). */
  watch<R extends { step: number; gradNorm: number; clipped: boolean }>(trainStep: () => R): { result: R; snapshot: GradFlowSnapshot | null } {
    const rec = new FlowRecorder(this.hiddenSize, { cellGradients: false });
    const result = rec.watch(trainStep);
    this.stepsSince++;
    if (result.clipped) this.clippedSince++;
    if (result.step % this.every !== 0) return { result, snapshot: null };
    const clipRatio = this.clip > 0 ? Math.min(1, this.clip / (result.gradNorm + 1e-6)) : 1;
    const traces = new Map(rec.tags().map((tag) => [tag, rec.trace(tag)] as const));
    const layers: LayerGradFlow[] = [];
    for (const [layer, params] of this.groups) {
      let sq = 0;
      for (const [, p] of params) if (p.grad) sq += norm(p.grad.data) ** 2;
      const wHh = params.find(([n]) => /(^|\.)weight_hh_l\d+(_reverse)?$/.test(n))?.[1] ?? null;
      const where = layer.slice(layer.lastIndexOf('.') + 1);
      const trace = [...traces.values()].find((t) => `l${t.layer}${t.reverse ? '_reverse' : ''}` === where);
      // forward in time the chunk's last step is t = T − 1; a reverse direction ends its walk at t = 0
      const dh = trace?.dh ?? null;
      const lastT = dh ? dh.length - 1 : 0;
      const reverse = trace ? trace.reverse : false;
      layers.push({
        layer,
        gradNorm: Math.sqrt(sq) / clipRatio,
        sigmaMax: wHh ? sigmaMax(wHh) : null,
        dhLast: dh ? dh[reverse ? 0 : lastT] : null,
        dhFirst: dh ? dh[reverse ? lastT : 0] : null,
      });
    }
    const snapshot: GradFlowSnapshot = {
      step: result.step, gradNorm: result.gradNorm, clip: this.clip, clipRatio, clippedFraction: this.clippedSince / this.stepsSince, layers,
    };
    this.clippedSince = 0;
    this.stepsSince = 0;
    return { result, snapshot };
  }
}

/** `rnn.weight_hh_l1_reverse` → `rnn.l1_reverse`; `head.weight` → `head`. */
function layerOf(name: string): string {
  const m = /^(.*?)(?:weight|bias)_(?:ih|hh)_(l\d+(?:_reverse)?)$/.exec(name);
  if (m) return `${m[1]}${m[2]}`;
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}
