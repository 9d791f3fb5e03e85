import { Tensor, releaseGraph, releaseGrads } from '../tensor/index.js';
import { applySchedule, clipGradNorm, type LrSchedule, type Optimizer } from '../optim/index.js';
import { RnnkitError } from '../errors.js';

/** Training stopped because the loss or the gradient became NaN or infinite. */
export class DivergedError extends RnnkitError {
  constructor(readonly step: number, readonly what: 'loss' | 'gradient norm', readonly value: number) {
    super(`training diverged at step ${step}: the ${what} is ${value}`);
  }
}

/** What {@link trainStep} needs besides the loss and the optimizer. */
export interface TrainStepOptions {
  /** The number of this step, counted from 1; a {@link DivergedError} names it. */
  step: number;
  /** Global gradient-norm clip; 0 turns it off (the norm is still measured, for progress and divergence checks). */
  clip: number;
  /**
   * This step's learning rate: a rate, or a schedule, which is asked for its rate at `step − 1` (schedules
   * count from 0). Left out, the optimizer keeps the rate it has.
   */
  lr?: number | LrSchedule;
  /** A state that outlives the step (carried into the next chunk): the graph's memory is given back around it. */
  keep?: RecurrentStateLike | null;
}

/** What one {@link trainStep} did. */
export interface TrainStepResult {
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Whether clipping scaled the gradient down. */
  clipped: boolean;
  /** The learning rate the update used. */
  lr: number;
}

/**
 * One optimizer step on a loss that is still on the tape: torch's `zero_grad(); loss.backward();
 * clip_grad_norm_(); optimizer.step()`, with the checks and the memory handling a training loop needs.
 * A loss or gradient norm that is NaN or infinite throws a {@link DivergedError} before the weights
 * change. The gradients of the optimizer's parameters belong to this loop: the previous step's go back
 * to the backend before backward, and the step's activations right after the update, so whoever reads
 * gradients does so between steps.
 */
export function trainStep(loss: Tensor, optimizer: Optimizer, o: TrainStepOptions): TrainStepResult {
  const value = loss.item();
  if (!Number.isFinite(value)) throw new DivergedError(o.step, 'loss', value);
  const params = optimizer.params;
  releaseGrads(params);
  loss.backward();
  const gradNorm = clipGradNorm(params, o.clip > 0 ? o.clip : Number.MAX_VALUE);
  if (!Number.isFinite(gradNorm)) throw new DivergedError(o.step, 'gradient norm', gradNorm);
  if (typeof o.lr === 'number') optimizer.lr = o.lr;
  else if (o.lr) applySchedule(optimizer, o.lr, o.step - 1);
  optimizer.step();
  releaseGraph(loss, o.keep ? stateTensors(o.keep) : []);
  return { loss: value, gradNorm, clipped: o.clip > 0 && gradNorm > o.clip, lr: optimizer.lr };
}

/** A recurrent state as the modules return it: h alone, { h, c }, or a list of such (one per layer). */
export type RecurrentStateLike = Tensor | { h: Tensor; c?: Tensor | null } | RecurrentStateLike[];

/** The tensors a state holds, in order. */
export function stateTensors(s: RecurrentStateLike): Tensor[] {
  if (s instanceof Tensor) return [s];
  if (Array.isArray(s)) return s.flatMap((x) => stateTensors(x));
  const o = s as { h: Tensor; c?: Tensor | null };
  return o.c ? [o.h, o.c] : [o.h];
}

/**
 * The same state cut from the tape: its values carry into the next chunk, its gradient does not.
 * This is the one line that makes backpropagation through time "truncated".
 */
export function detachState<S extends RecurrentStateLike>(s: S): S {
  if (s instanceof Tensor) return s.detach() as S;
  if (Array.isArray(s)) return s.map((x) => detachState(x)) as S;
  const o = s as { h: Tensor; c?: Tensor | null };
  return (o.c ? { h: o.h.detach(), c: o.c.detach() } : { h: o.h.detach() }) as S;
}
