import type { Optimizer } from './optimizer.js';
import { checkKeys, checkNumber, checkObject, checkOptions } from './check.js';

/**
 * A learning-rate schedule: the rate for optimizer step `step` (0-based: lrAt(0) is the rate of the
 * first step). It depends on the step number alone, so a run resumed at step k gets the same rates
 * as one that never stopped. Follows PyTorch's convention, where the scheduler's epoch k sets the
 * rate of the (k+1)-th optimizer step.
 */
export interface LrSchedule {
  /** The learning rate of optimizer step `step` (0-based). */
  lrAt(step: number): number;
}

function checkStep(owner: string, step: number): void {
  checkNumber(owner, 'step', step, { min: 0, integer: true });
}

/** Options of {@link StepLR}. */
export interface StepLROptions {
  baseLr: number;
  stepSize: number;
  gamma?: number;
}

/** torch.optim.lr_scheduler.StepLR: baseLr · gamma^⌊step / stepSize⌋ (gamma defaults to 0.1). */
export class StepLR implements LrSchedule {
  readonly baseLr: number;
  readonly stepSize: number;
  readonly gamma: number;

  constructor(options: StepLROptions) {
    ({ baseLr: this.baseLr, stepSize: this.stepSize, gamma: this.gamma } = checkOptions('StepLR', options,
      { baseLr: { min: 0 }, stepSize: { min: 1, integer: true }, gamma: { default: 0.1, min: 0 } }));
  }

  /** The learning rate of optimizer step `step` (0-based). */
  lrAt(step: number): number {
    checkStep('StepLR', step);
    return this.baseLr * Math.pow(this.gamma, Math.floor(step / this.stepSize));
  }
}

/** Options of {@link CosineAnnealingLR}. */
export interface CosineAnnealingLROptions {
  baseLr: number;
  tMax: number;
  etaMin?: number;
}

/**
 * torch.optim.lr_scheduler.CosineAnnealingLR in its closed form:
 *   etaMin + (baseLr − etaMin) · (1 + cos(π · step / tMax)) / 2
 * Past tMax the rate rises again along the same cosine, as PyTorch's does; stop at tMax or compose
 * schedules if that is not wanted.
 */
export class CosineAnnealingLR implements LrSchedule {
  readonly baseLr: number;
  readonly tMax: number;
  readonly etaMin: number;

  constructor(options: CosineAnnealingLROptions) {
    ({ baseLr: this.baseLr, tMax: this.tMax, etaMin: this.etaMin } = checkOptions('CosineAnnealingLR', options,
      { baseLr: { min: 0 }, tMax: { min: 1, integer: true }, etaMin: { default: 0, min: 0 } }));
  }

  /** The learning rate of optimizer step `step` (0-based). */
  lrAt(step: number): number {
    checkStep('CosineAnnealingLR', step);
    return this.etaMin + (this.baseLr - this.etaMin) * (1 + Math.cos(Math.PI * step / this.tMax)) / 2;
  }
}

/** Options of {@link LinearWarmup}. */
export interface LinearWarmupOptions {
  warmupSteps: number;
  /** The rate after warm-up when no `then` schedule is given. */
  baseLr?: number;
  /** The schedule that follows the warm-up; it starts at its own step 0 when the warm-up ends. */
  then?: LrSchedule;
}

/**
 * Linear warm-up: for step < warmupSteps the rate is target · (step + 1) / warmupSteps, reaching the
 * full rate on the last warm-up step (so no step runs at rate 0). The target is baseLr, or the first
 * rate of `then`; from step warmupSteps on, the rate is then.lrAt(step − warmupSteps) (or baseLr).
 */
export class LinearWarmup implements LrSchedule {
  readonly warmupSteps: number;
  readonly then: LrSchedule | null;
  private readonly target: number;

  constructor(options: LinearWarmupOptions) {
    const o = checkObject('LinearWarmup', 'options', options);
    checkKeys('LinearWarmup', o, ['warmupSteps', 'baseLr', 'then']);
    this.warmupSteps = checkNumber('LinearWarmup', 'warmupSteps', o.warmupSteps, { min: 0, integer: true });
    const then = o.then as LrSchedule | undefined;
    if (then !== undefined && (then === null || typeof then.lrAt !== 'function')) {
      throw new Error('LinearWarmup: then must be a schedule (an object with lrAt(step))');
    }
    if ((then === undefined) === (o.baseLr === undefined)) {
      throw new Error('LinearWarmup: give exactly one of baseLr (a constant rate after warm-up) and then (a schedule to follow)');
    }
    this.then = then ?? null;
    this.target = then ? then.lrAt(0) : checkNumber('LinearWarmup', 'baseLr', o.baseLr, { min: 0 });
  }

  /** The learning rate of optimizer step `step` (0-based). */
  lrAt(step: number): number {
    checkStep('LinearWarmup', step);
    if (step < this.warmupSteps) return this.target * ((step + 1) / this.warmupSteps);
    return this.then ? this.then.lrAt(step - this.warmupSteps) : this.target;
  }
}

/**
 * Sets the optimizer's lr to the schedule's rate for `step`, by default the optimizer's own step
 * count, i.e. the rate for the step about to run; call it before each optimizer.step(). Returns the rate.
 */
export function applySchedule(optimizer: Optimizer, schedule: LrSchedule, step: number = optimizer.stepCount): number {
  const lr = schedule.lrAt(step);
  optimizer.lr = lr;
  return lr;
}
