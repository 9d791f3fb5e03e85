import { ConfigError } from '../errors.js';
import { Generator } from '../tensor/index.js';
import type { CharLM } from './char_lm.js';
import { sampleText, pick } from './sample.js';
import { CharLMStepper } from './sample.js';
import { showChars, type CharVocab } from './streams.js';

/** How {@link generate} and {@link stream} write text. */
export interface GenerateOptions {
  /** Characters to generate (a positive integer). */
  length: number;
  /** Text fed through the model first; the result continues it (and does not repeat it). Default: none. */
  prime?: string;
  /**
   * Divides the logits before sampling: below 1 sharper and safer, above 1 more surprising; 0 means
   * greedy (always the most likely character). Default 1.
   */
  temperature?: number;
  /** Sample only among the k most likely characters. */
  topK?: number;
  /** Sample only among the most likely characters that together have probability p, in (0, 1] (nucleus sampling). */
  topP?: number;
  /** Always take the most likely character; cannot be combined with temperature, topK or topP. */
  greedy?: boolean;
  /**
   * Seed of the random choices: the same seed, model and options give the same text, in
   * {@link generate}, {@link stream} and `rnnkit sample --seed`. Default: a new seed each call.
   */
  seed?: number;
}

const KNOWN = new Set(['length', 'prime', 'temperature', 'topK', 'topP', 'greedy', 'seed']);

/** The options after checking: what the sampling code takes. */
export interface Resolved {
  length: number;
  prime: string;
  temperature?: number;
  topK?: number;
  topP?: number;
  greedy: boolean;
  seed: number;
}

/**
 * Generates `length` characters from a character model and returns them (without the prime).
 *
 * ```ts
 * const text = generate(model, vocab, { prime: 'The whale', length: 200, temperature: 0.8, seed: 1 });
 * ```
 *
 * @throws {@link ConfigError} naming the field when an option is out of range, the prime has characters
 * the vocabulary lacks, or the vocabulary does not fit the model.
 */
export function generate(model: CharLM, vocab: CharVocab, options: GenerateOptions): string {
  const o = resolve(model, vocab, options);
  return sampleText(model, vocab, {
    length: o.length, prime: o.prime, temperature: o.temperature, topK: o.topK, topP: o.topP, greedy: o.greedy,
    generator: new Generator(o.seed),
  });
}

/**
 * Generates text one character at a time, as an async iterator: `for await (const ch of stream(model,
 * vocab, opts))`. With the same seed it writes the same text as {@link generate}. It yields to the event
 * loop between characters (a page or server stays responsive), and computes a character only when the
 * consumer asks for it, so breaking out of the loop stops it. The options are checked when it is called.
 *
 * The model's weights are read as they are while it runs: do not train the model during a stream.
 *
 * @throws {@link ConfigError} as {@link generate} does, at the call.
 */
export function stream(model: CharLM, vocab: CharVocab, options: GenerateOptions): AsyncGenerator<string, void, undefined> {
  return chars(model, vocab, resolve(model, vocab, options));
}

// The same steps as sampleText, resumable: a stepper of its own (the cached one is shared with every
// other sampler of the model, and a stream may be interleaved with them), fed one id per request.
async function* chars(model: CharLM, vocab: CharVocab, o: Resolved): AsyncGenerator<string, void, undefined> {
  const rng = new Generator(o.seed);
  const start = o.prime.length ? vocab.encode(o.prime) : Int32Array.of(vocab.has('\n') ? vocab.encode('\n')[0] : rng.int(vocab.size));
  const stepper = new CharLMStepper(model);
  stepper.setState(null);
  let logits!: Float32Array;
  for (const id of start) logits = stepper.step(id);
  for (let i = 0; i < o.length; i++) {
    const next = pick(logits, o, rng);
    yield vocab.chars[next];
    if (i === o.length - 1) break;
    await nextTurn();
    logits = stepper.step(next);
  }
}

/** Waits for the next turn of the event loop (not just the microtask queue), in Node and in browsers. */
export const nextTurn: () => Promise<void> = (() => {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown };
  if (typeof g.setImmediate === 'function') {
    const setImmediate = g.setImmediate;
    return () => new Promise<void>((r) => setImmediate(r));
  }
  if (typeof MessageChannel === 'function') {
    // setTimeout(0) is clamped to several milliseconds in browsers; a message is not
    return () => new Promise<void>((r) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => { ch.port1.close(); r(); };
      ch.port2.postMessage(null);
    });
  }
  return () => new Promise<void>((r) => setTimeout(r, 0));
})();

function resolve(model: CharLM, vocab: CharVocab, options: GenerateOptions): Resolved {
  const o = resolveGenerateOptions(options);
  if (vocab.size !== model.config.vocabSize) {
    throw new ConfigError('vocab', `the vocabulary has ${vocab.size} characters but the model was made for ${model.config.vocabSize}: use the vocabulary saved with the model`);
  }
  const unknown = vocab.unknown(o.prime);
  if (unknown.length) throw new ConfigError('prime', `prime has characters the model never saw: ${showChars(unknown)}; remove them or train on a text that has them`);
  return o;
}

/** The options checked one by one, defaults filled in (what a vocabulary has to say about the prime is the caller's). */
export function resolveGenerateOptions(options: GenerateOptions): Resolved {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', `options must be an object such as { length: 200 }, got ${String(options)}`);
  for (const k of Object.keys(options)) {
    if (!KNOWN.has(k)) throw new ConfigError(k, `unknown option '${k}': use ${[...KNOWN].join(', ')}`);
  }
  const { length, prime = '', temperature, topK, topP, greedy, seed } = options;
  if (!Number.isSafeInteger(length) || length < 1) throw new ConfigError('length', `length must be a positive integer, got ${String(length)}`);
  if (typeof prime !== 'string') throw new ConfigError('prime', `prime must be a string, got ${typeof prime}`);
  if (temperature !== undefined && !(typeof temperature === 'number' && Number.isFinite(temperature) && temperature >= 0)) {
    throw new ConfigError('temperature', `temperature must be a finite number ≥ 0 (0: greedy), got ${String(temperature)}`);
  }
  if (topK !== undefined && !(Number.isSafeInteger(topK) && topK >= 1)) throw new ConfigError('topK', `topK must be a positive integer, got ${String(topK)}`);
  if (topP !== undefined && !(typeof topP === 'number' && topP > 0 && topP <= 1)) throw new ConfigError('topP', `topP must be in (0, 1], got ${String(topP)}`);
  if (greedy !== undefined && typeof greedy !== 'boolean') throw new ConfigError('greedy', `greedy must be true or false, got ${String(greedy)}`);
  if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0)) throw new ConfigError('seed', `seed must be an integer ≥ 0, got ${String(seed)}`);
  const isGreedy = greedy === true || temperature === 0;
  if (isGreedy) {
    // the sampling settings would have no effect: say so rather than ignore them
    const why = greedy ? 'greedy is set' : 'temperature 0 means greedy';
    if (greedy && temperature !== undefined) throw new ConfigError('temperature', `temperature has no effect when greedy is set: drop one of them`);
    if (topK !== undefined) throw new ConfigError('topK', `topK has no effect when ${why}: drop one of them`);
    if (topP !== undefined) throw new ConfigError('topP', `topP has no effect when ${why}: drop one of them`);
  }
  return {
    length, prime, greedy: isGreedy,
    temperature: isGreedy ? undefined : temperature, topK, topP,
    seed: seed ?? Math.floor(Math.random() * 2 ** 32),
  };
}
