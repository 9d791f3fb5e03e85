import { Generator } from '../tensor/index.js';
import { trainRecall } from './recall_task.js';
import { randomOrthogonal } from './spectrum.js';

export interface ClippingOptions {
  /** σ_max of the starting W_hh = σ·Q (default 3: the gradient explodes from the start). */
  sigma?: number;
  /** The clipping threshold of the clipped run (default 1). */
  clip?: number;
  /** Plain SGD's learning rate (default 0.1). */
  lr?: number;
  delay?: number;
  hidden?: number;
  batch?: number;
  steps?: number;
  seed?: number;
}

export interface ClippingRun {
  /** 0 for the run without clipping. */
  clip: number;
  losses: number[];
  /** Global gradient norm per step, before clipping. */
  gradNorms: number[];
  /** Share of the steps whose gradient was clipped. */
  clippedFraction: number;
  accuracy: number;
  divergedAt: number | null;
}

export interface ClippingExperiment {
  settings: Required<ClippingOptions>;
  runs: ClippingRun[];
}

/**
 * The lecture's third experiment: a vanilla tanh RNN whose W_hh starts at σ·Q with σ > 1, trained on
 * delayed recall with plain SGD twice from the same start, once as it is and once with clipGradNorm.
 * SGD moves the weights by lr · ‖g‖, so an exploded gradient throws them far off (into saturation,
 * where tanh' ≈ 0 and learning stalls); clipping bounds every step to lr · clip and keeps the direction.
 */
export function clippingExperiment(o: ClippingOptions = {}): ClippingExperiment {
  const settings: Required<ClippingOptions> = {
    sigma: o.sigma ?? 3, clip: o.clip ?? 1, lr: o.lr ?? 0.1, delay: o.delay ?? 10, hidden: o.hidden ?? 32, batch: o.batch ?? 32,
    steps: o.steps ?? 300, seed: o.seed ?? 3,
  };
  const { sigma, hidden, seed } = settings;
  if (!(sigma > 0 && sigma <= 10)) throw new Error(`clippingExperiment: sigma must be in (0, 10], got ${sigma}`);
  if (!(settings.clip > 0)) throw new Error(`clippingExperiment: clip must be positive, got ${settings.clip}`);
  const Q = randomOrthogonal(hidden, new Generator(seed + 1000));
  const runs = [0, settings.clip].map((clip): ClippingRun => {
    const r = trainRecall('rnn', { symbols: 4, delay: settings.delay }, {
      hidden, steps: settings.steps, batch: settings.batch, lr: settings.lr, seed, optimizer: 'sgd', clip,
      init: (net) => net.rnn.stateDict().weight_hh_l0.data.set(Q.data.map((v) => sigma * v)),
    });
    return {
      clip, losses: r.losses, gradNorms: r.gradNorms, clippedFraction: r.clippedSteps / r.losses.length, accuracy: r.accuracy, divergedAt: r.divergedAt,
    };
  });
  return { settings, runs };
}
