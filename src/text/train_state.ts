import type { Tensor } from '../tensor/index.js';
import { unpack, type CheckpointPart } from '../io/index.js';
import type { OptimizerStateDict } from '../optim/index.js';
import { FormatError } from '../errors.js';
import type { TrainConfig } from './trainer.js';
import type { StreamPosition } from './streams.js';
import { isRecord, own, show } from './checkpoint.js';
import type { CharLMConfig } from './char_lm.js';

/*
 * What state.safetensors holds besides the weights, and its checks: every field's type and range,
 * the training configuration against the model it trained, and the tensors against what the
 * metadata refers to. What needs the text (its fingerprint, the data position, the vocabulary) is
 * checked by the trainer when it resumes.
 */

/** state.safetensors' rnnkit metadata, once checked. */
export interface TrainStateMeta {
  step: number;
  config: TrainConfig;
  /** The optimizer's state dict with its buffers put back (unchecked against the parameters: the optimizer does that). */
  optimizer: OptimizerStateDict;
  /** The dropout generator's state: four unsigned 32-bit integers. */
  rng: [number, number, number, number];
  position: StreamPosition;
  /** The fingerprint of the text it trained on (see fingerprint()). */
  corpus: string;
  corpusName?: string;
  history: { train: [number, number][]; val: [number, number][] };
  /** The hidden state carried into the next chunk, [layers, batch, hidden] each; c for the LSTM only. */
  carry: { h: Tensor; c?: Tensor } | null;
}

type Kind = 'int' | 'number' | 'boolean' | readonly string[];
/** The type of every TrainConfig field (its range is checkConfig's). */
const CONFIG_FIELDS: Record<keyof TrainConfig, Kind> = {
  cell: ['rnn', 'lstm', 'gru'], nonlinearity: ['tanh', 'relu'], hidden: 'int', layers: 'int', dropout: 'number', seq: 'int', batch: 'int',
  optimizer: ['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad'], lr: 'number', weightDecay: 'number', schedule: ['constant', 'cosine', 'step'],
  warmup: 'int', decayEvery: 'int', decay: 'number', clip: 'number', steps: 'int', valFraction: 'number', valChars: 'int', carry: 'boolean', seed: 'int',
  tokens: ['word'], vocabSize: 'int',
};
/** The fields only a word-level run's configuration has. */
const OPTIONAL_FIELDS = new Set<string>(['tokens', 'vocabSize']);

const MAX_STEPS = 1e9;

/**
 * Checks a checkpoint's state part against its (already checked) model metadata and returns it
 * typed. Throws FormatError naming `source` and the field or tensor.
 */
export function readTrainState(part: CheckpointPart, model: { model: CharLMConfig }, source: string): TrainStateMeta {
  const fail = (why: string, tensor?: string): never => {
    throw new FormatError(source, `${source}: ${why}`, tensor);
  };
  const m = part?.meta;
  if (!isRecord(m)) return fail('the training state metadata is not an object');
  const tensors = part.tensors;
  if (!isRecord(tensors)) return fail('the training state has no tensors');
  const int = (v: unknown, what: string, min: number, max: number): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) fail(`${what} is ${show(v)}, expected an integer from ${min} to ${max}`);
    return v as number;
  };

  const cfg = own(m, 'config');
  if (!isRecord(cfg)) return fail(`config is ${show(cfg)}, expected an object`);
  const unknown = Object.keys(cfg).filter((k) => !Object.hasOwn(CONFIG_FIELDS, k));
  if (unknown.length) fail(`config has unknown fields ${unknown.map((k) => `'${k}'`).join(', ')}`);
  for (const [key, kind] of Object.entries(CONFIG_FIELDS)) {
    const v = own(cfg, key), what = `config.${key}`;
    if (v === undefined && OPTIONAL_FIELDS.has(key)) continue;
    if (kind === 'int') int(v, what, 0, Number.MAX_SAFE_INTEGER);
    else if (kind === 'number') { if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${what} is ${show(v)}, expected a number`); }
    else if (kind === 'boolean') { if (typeof v !== 'boolean') fail(`${what} is ${show(v)}, expected true or false`); }
    else if (typeof v !== 'string' || !kind.includes(v)) fail(`${what} is ${show(v)}, expected one of ${kind.join(', ')}`);
  }
  const config = cfg as unknown as TrainConfig;
  // the configuration must describe the model the weights are for
  const lm = model.model;
  const pairs: [keyof TrainConfig, unknown, unknown][] = [
    ['cell', config.cell, lm.cell], ['hidden', config.hidden, lm.hiddenSize], ['layers', config.layers, lm.numLayers], ['dropout', config.dropout, lm.dropout],
  ];
  if (lm.cell === 'rnn') pairs.push(['nonlinearity', config.nonlinearity, lm.nonlinearity ?? 'tanh']);
  for (const [key, a, b] of pairs) if (a !== b) fail(`config.${key} is ${show(a)} but the model's is ${show(b)}`);

  const step = int(own(m, 'step'), 'step', 0, MAX_STEPS);
  if (step > config.steps) fail(`step ${step} is past config.steps (${config.steps})`);

  const rng = own(m, 'rng');
  if (!Array.isArray(rng) || rng.length !== 4 || !rng.every((v) => Number.isSafeInteger(v) && v >= 0 && v <= 0xffffffff)) {
    fail(`rng is ${show(rng)}, expected 4 unsigned 32-bit integers`);
  }

  const pos = own(m, 'position');
  if (!isRecord(pos) || Object.keys(pos).some((k) => k !== 'offset' && k !== 'epoch')) return fail(`position is ${show(pos)}, expected { offset, epoch }`);
  const position: StreamPosition = { offset: int(own(pos, 'offset'), 'position.offset', 0, Number.MAX_SAFE_INTEGER), epoch: int(own(pos, 'epoch'), 'position.epoch', 0, step) };
  if (position.offset % config.seq !== 0) fail(`position.offset ${position.offset} is not a multiple of config.seq (${config.seq})`);

  const corpus = own(m, 'corpus');
  if (typeof corpus !== 'string' || !/^\d+:[0-9a-f]{8}$/.test(corpus)) fail(`corpus is ${show(corpus)}, expected a text fingerprint`);
  const corpusName = own(m, 'corpusName');
  if (corpusName !== undefined && typeof corpusName !== 'string') fail(`corpusName is ${show(corpusName)}, expected a string`);

  const hist = own(m, 'history');
  if (!isRecord(hist) || Object.keys(hist).some((k) => k !== 'train' && k !== 'val')) return fail(`history is ${show(hist)}, expected { train, val }`);
  const series = (key: 'train' | 'val'): [number, number][] => {
    // one training loss per step; a validation loss at most twice a step (on schedule and at the end)
    const most = key === 'train' ? step : 2 * (step + 1);
    const s = own(hist, key);
    if (!Array.isArray(s) || s.length > most) return fail(`history.${key} is ${show(s)}, expected at most ${most} [step, loss] pairs`);
    for (let i = 0; i < s.length; i++) {
      const e: unknown = s[i];
      if (!Array.isArray(e) || e.length !== 2 || !Number.isSafeInteger(e[0]) || e[0] < 0 || e[0] > step || typeof e[1] !== 'number' || !Number.isFinite(e[1])) {
        fail(`history.${key}[${i}] is ${show(e)}, expected a [step, loss] pair`);
      }
    }
    return s as [number, number][];
  };
  const history = { train: series('train'), val: series('val') };

  // the optimizer's buffers come back from the tensors they were moved to; no other tensors but the carried state
  const used = new Set<string>();
  const sd = unpack(own(m, 'optimizer'), tensors, source, used);
  if (!isRecord(sd)) return fail(`optimizer is ${show(sd)}, expected an optimizer state`);
  // the optimizer checks the values; the shape of the record is checked here, so that no field is ignored
  const fields = (o: unknown, what: string, keys: string[]) => {
    if (!isRecord(o)) return;
    const extra = Object.keys(o).filter((k) => !keys.includes(k));
    if (extra.length) fail(`${what} has unknown fields ${extra.map((k) => `'${k}'`).join(', ')}`);
  };
  fields(sd, 'optimizer', ['optimizer', 'hyper', 'stepCount', 'params']);
  const entries = own(sd, 'params');
  if (Array.isArray(entries)) {
    entries.forEach((e: unknown, i) => {
      fields(e, `optimizer.params[${i}]`, ['name', 'size', 'state']);
      // a character model's parameters always have names, so the optimizer can match them
      if (isRecord(e) && typeof own(e, 'name') !== 'string') fail(`optimizer.params[${i}].name is ${show(own(e, 'name'))}, expected a parameter name`);
      if (isRecord(e)) fields(own(e, 'state'), `optimizer.params[${i}].state`, ['step', 'buffers']);
    });
  }
  const stepCount = own(sd, 'stepCount');
  if (stepCount !== step) fail(`optimizer.stepCount is ${show(stepCount)} but the step is ${step}`);
  let carry: TrainStateMeta['carry'] = null;
  const h = Object.hasOwn(tensors, 'carry.h') ? tensors['carry.h'] : undefined;
  const c = Object.hasOwn(tensors, 'carry.c') ? tensors['carry.c'] : undefined;
  if (h || c) {
    const want = `[${lm.numLayers}, ${config.batch}, ${lm.hiddenSize}]`;
    for (const [name, t] of [['carry.h', h], ['carry.c', c]] as const) {
      if (t && `[${t.shape.join(', ')}]` !== want) fail(`tensor '${name}' has shape [${t.shape.join(', ')}], expected ${want}`, name);
    }
    if (!h) fail(`tensor 'carry.c' is there without 'carry.h'`, 'carry.c');
    if ((c !== undefined) !== (lm.cell === 'lstm')) fail(lm.cell === 'lstm' ? `tensor 'carry.c' is missing (an LSTM carries h and c)` : `tensor 'carry.c' is there but a ${lm.cell.toUpperCase()} carries h only`, 'carry.c');
    carry = c ? { h: h!, c } : { h: h! };
  }
  for (const name of Object.keys(tensors)) {
    if (!used.has(name) && name !== 'carry.h' && name !== 'carry.c') fail(`tensor '${name}' is not referred to by the training state`, name);
  }
  return {
    step, config, optimizer: sd as unknown as OptimizerStateDict, rng: rng as TrainStateMeta['rng'], position,
    corpus: corpus as string, ...(corpusName !== undefined ? { corpusName: corpusName as string } : {}), history, carry,
  };
}
