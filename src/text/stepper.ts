import { kernels, type Backend } from '../kernels/index.js';
import type { RecurrentStepper } from '../nn/index.js';
import type { CharLM, CharLMState } from './char_lm.js';

const steppers = new WeakMap<CharLM, { stepper: CharLMStepper; backend: Backend; versions: number[] }>();

/** A character model run one character at a time, for sampling (CharLM.stepper, kept while the weights stay). */
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

  private readonly inner: RecurrentStepper;

  constructor(model: CharLM) {
    this.inner = model.stepper();
  }

  /** The logits of the last step (a buffer reused by the next step). */
  get logits(): Float32Array {
    return this.inner.output;
  }

  /** Sets the carried state (h, and c for the LSTM, [layers, 1, H]); without one, zeros. */
  setState(state: CharLMState | null): void {
    this.inner.setState(state);
  }

  /** Feeds character id `x`; returns the logits of the next character. */
  step(x: number): Float32Array {
    return this.inner.step(x);
  }
}
