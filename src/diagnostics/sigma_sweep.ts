import { Tensor, Generator, select, sum, mul, scale } from '../tensor/index.js';
import { RNN } from '../nn/index.js';
import { gradientFlow } from './gradient_flow.js';
import { LinearRNN } from './linear_rnn.js';
import { randomOrthogonal } from './spectrum.js';

export interface SigmaSweepOptions {
  /** The σ_max values to give W_hh (default 0.5, 0.9, 1, 1.1, 1.5, 2). */
  sigmas?: number[];
  hidden?: number;
  /** Sequence length T: the distance the gradient travels. */
  steps?: number;
  batch?: number;
  inputSize?: number;
  seed?: number;
}

export interface SigmaCurve {
  /** 'linear': h_t = W h_{t−1} + U x_t, the exact case; 'tanh': the vanilla RNN. */
  activation: 'linear' | 'tanh';
  sigma: number;
  /** ‖∂L/∂h_{T−k}‖ / ‖∂L/∂h_T‖ for distance k = 0 … T. */
  ratio: number[];
  /** The least-squares slope of log₁₀ ratio against k: log₁₀ of the average gain per step. */
  slope: number;
  /** 10^slope: the factor the gradient's norm changes by per step back. */
  gainPerStep: number;
  /** ‖∂h_k/∂h_{k−1}‖ and its bound σ_max · max|f'| per step, k = 1 … T (first sequences of the batch). */
  jacobian: { norm: number[]; bound: number[] };
}

export interface SigmaSweep {
  settings: Required<SigmaSweepOptions>;
  curves: SigmaCurve[];
}

/**
 * The lecture's first experiment. A vanilla RNN's W_hh is set to s·Q with Q a random orthogonal matrix,
 * so that every singular value, σ_max included, is s; the loss reads only the last state,
 * L = Σ_b ⟨h_T, p_b⟩ / B, and the gradient's norm is measured at every distance k back from T. For the
 * linear recurrence ‖∂L/∂h_{T−k}‖ = s^k ‖∂L/∂h_T‖ exactly: it vanishes for s < 1, explodes for s > 1.
 * With tanh each step also multiplies by tanh' ≤ 1, so the same s gives a smaller gain.
 */
export function sigmaSweep(o: SigmaSweepOptions = {}): SigmaSweep {
  const settings: Required<SigmaSweepOptions> = {
    sigmas: o.sigmas ?? [0.5, 0.9, 1, 1.1, 1.5, 2], hidden: o.hidden ?? 64, steps: o.steps ?? 60, batch: o.batch ?? 16,
    inputSize: o.inputSize ?? 8, seed: o.seed ?? 1,
  };
  const { sigmas, hidden: H, steps: T, batch: B, inputSize: I, seed } = settings;
  for (const s of sigmas) if (!(s > 0 && s <= 4)) throw new Error(`sigmaSweep: every σ_max must be in (0, 4], got ${s}`);
  const rng = new Generator(seed);
  const tanhNet = new RNN({ inputSize: I, hiddenSize: H, generator: rng });
  const linearNet = new LinearRNN(I, H, { generator: rng });
  linearNet.loadStateDict(tanhNet.stateDict());
  const Q = randomOrthogonal(H, rng);
  const x = Tensor.zeros([T, B, I]);
  for (let i = 0; i < x.size; i++) x.data[i] = rng.normal();
  const P = Tensor.zeros([B, H]);
  for (let i = 0; i < P.size; i++) P.data[i] = rng.normal() / Math.sqrt(H);
  const lossOf = (out: Tensor) => scale(sum(mul(select(out, T - 1), P)), 1 / B);

  const curves: SigmaCurve[] = [];
  for (const activation of ['linear', 'tanh'] as const) {
    const net = activation === 'linear' ? linearNet : tanhNet;
    for (const s of sigmas) {
      net.stateDict().weight_hh_l0.data.set(Q.data.map((v) => s * v));
      const f = gradientFlow(net, x, lossOf, { spectrum: false, jacobianRows: 2 }).layers[0];
      const ratio = f.dh.map((_, k) => f.dh[T - k] / f.dh[T]);
      const slope = logSlope(ratio);
      curves.push({ activation, sigma: s, ratio, slope, gainPerStep: Math.pow(10, slope), jacobian: { norm: f.jacobian!.norm, bound: f.jacobian!.bound } });
    }
  }
  return { settings, curves };
}

/** Least-squares slope of log₁₀ y against its index, over the finite positive values. */
export function logSlope(y: readonly number[]): number {
  let n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  y.forEach((v, k) => {
    if (!(v > 0 && Number.isFinite(v))) return;
    const l = Math.log10(v);
    n++; sx += k; sy += l; sxx += k * k; sxy += k * l;
  });
  const den = n * sxx - sx * sx;
  return n > 1 && den !== 0 ? (n * sxy - sx * sy) / den : NaN;
}
