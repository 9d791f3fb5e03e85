import { noGrad, defaultGenerator, type Generator } from '../tensor/index.js';
import type { CharLM, CharLMState } from './char_lm.js';
import { kernels, type Backend } from '../kernels/index.js';
import type { RecurrentStepper } from '../nn/index.js';
import { CharVocab, showChars } from './streams.js';
import { ConfigError } from '../errors.js';

/** Options of {@link sampleText}. */
export interface SampleOptions {
  /** Characters to generate. */
  length: number;
  /** Divides the logits: below 1 sharper and safer, above 1 more surprising; 0 is greedy. */
  temperature?: number;
  /** Keep only the k most likely characters. */
  topK?: number;
  /** Keep the smallest set of characters whose probability adds up to p (nucleus sampling). */
  topP?: number;
  /** Always take the most likely character (then temperature, topK and topP must not be given). */
  greedy?: boolean;
  /** Text fed through the model first; the sample continues it. */
  prime?: string;
  generator?: Generator;
  /** Called with each character as it is generated (for streaming to a terminal). */
  onChar?: (ch: string) => void;
}

/** Generates text from a character model, one character at a time. Returns the generated text (without the prime). */
export function sampleText(model: CharLM, vocab: CharVocab, o: SampleOptions): string {
  const rng = o.generator ?? defaultGenerator;
  checkSampleOptions(o);
  const prime = o.prime ?? '';
  const unknown = vocab.unknown(prime);
  if (unknown.length) throw new ConfigError('prime', `the prime has characters the model never saw: ${showChars(unknown)}; remove them or train on a text that has them`);
  // with no prime, start from a newline (a natural beginning) or else a random character
  const start = prime.length ? vocab.encode(prime) : Int32Array.of(vocab.has('\n') ? vocab.encode('\n')[0] : rng.int(vocab.size));
  return sampleIds(model, start, o.length, (logits) => pick(logits, o, rng), (id) => {
    const ch = vocab.chars[id];
    o.onChar?.(ch);
    return ch;
  });
}

/**
 * The sampling loop of every kind of model: `start`, then each new id, one at a time on the stepper (a
 * forward pass through the tensor layer for the prime would cost more than a few hundred steps for a short
 * one); `next` picks an id from the logits and `emit` returns the text it adds. Eval mode, no tape.
 */
export function sampleIds(model: CharLM, start: Int32Array, length: number, next: (logits: Float32Array) => number,
  emit: (id: number) => string): string {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      const stepper = CharLMStepper.for(model);
      stepper.setState(null);
      let logits!: Float32Array;
      for (const id of start) logits = stepper.step(id);
      let out = '';
      for (let i = 0; i < length; i++) {
        const id = next(logits);
        out += emit(id);
        if (i === length - 1) break;
        logits = stepper.step(id);
      }
      return out;
    });
  } finally {
    model.train(wasTraining);
  }
}

export function checkSampleOptions(o: SampleOptions): void {
  if (!Number.isInteger(o.length) || o.length < 1) throw new ConfigError('length', `length must be a positive integer, got ${o.length}`);
  if (o.temperature !== undefined && !(o.temperature >= 0 && Number.isFinite(o.temperature))) throw new ConfigError('temperature', `temperature must be ≥ 0 (0: greedy), got ${o.temperature}`);
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 1)) throw new ConfigError('topK', `topK must be a positive integer, got ${o.topK}`);
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) throw new ConfigError('topP', `topP must be in (0, 1], got ${o.topP}`);
  if (o.greedy) {
    // greedy decoding would silently ignore them
    const given = (['temperature', 'topK', 'topP'] as const).filter((k) => o[k] !== undefined);
    if (given.length) throw new ConfigError(given[0], `greedy decoding takes the most likely character, so ${given.join(' and ')} would have no effect: give one or the other`);
  }
}

// pick()'s probabilities, reused: generation calls it once per character
let probs = new Float64Array(0);

/** Picks the next id from one row of logits under the options' temperature, top-k and top-p. */
export function pick(logits: Float32Array, o: Pick<SampleOptions, 'temperature' | 'topK' | 'topP' | 'greedy'>, rng: Generator): number {
  const V = logits.length;
  // temperature 0 is the limit of ever sharper sampling: the most likely id
  if (o.greedy || o.temperature === 0) {
    let best = 0;
    for (let j = 1; j < V; j++) if (logits[j] > logits[best]) best = j;
    return best;
  }
  const temp = o.temperature ?? 1;
  let max = -Infinity;
  for (let j = 0; j < V; j++) if (logits[j] > max) max = logits[j];
  if (probs.length < V) probs = new Float64Array(V);
  const p = probs;
  let z = 0;
  for (let j = 0; j < V; j++) z += p[j] = Math.exp((logits[j] - max) / temp);
  for (let j = 0; j < V; j++) p[j] /= z;
  if (o.topK !== undefined || o.topP !== undefined) {
    const order = Array.from({ length: V }, (_, j) => j).sort((a, b) => p[b] - p[a]);
    const keep = new Uint8Array(V);
    let mass = 0;
    for (let r = 0; r < Math.min(V, o.topK ?? V); r++) {
      keep[order[r]] = 1;
      mass += p[order[r]];
      if (o.topP !== undefined && mass >= o.topP) break;
    }
    z = 0;
    for (let j = 0; j < V; j++) z += p[j] = keep[j] ? p[j] : 0;
    for (let j = 0; j < V; j++) p[j] /= z;
  }
  let u = rng.random();
  for (let j = 0; j < V; j++) {
    u -= p[j];
    if (u < 0) return j;
  }
  // rounding left a sliver: take the most likely kept id
  let best = 0;
  for (let j = 1; j < V; j++) if (p[j] > p[best]) best = j;
  return best;
}

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
