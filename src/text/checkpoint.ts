import type { Tensor } from '../tensor/index.js';
import type { CheckpointPart } from '../io/index.js';
import { ConfigError, FormatError } from '../errors.js';
import { CharLM, type CharLMConfig } from './char_lm.js';
import { gateCount, cellKind } from '../kernels/index.js';
import { CharVocab } from './streams.js';

/*
 * The one way from a checkpoint's model part (model.safetensors) to a CharLM. Everything in it is
 * untrusted: the metadata is checked field by field, and the sizes are read from the tensors and
 * compared with the metadata before anything is allocated, so a file that claims a million layers
 * but holds one is refused at once rather than built.
 */

/** The `format` in a character-model checkpoint's metadata. */
export const CHECKPOINT_FORMAT = 'rnnkit.char-lm/1';

/** The `format` in a word-level model checkpoint's metadata (see word_checkpoint.ts). */
export const WORD_CHECKPOINT_FORMAT = 'rnnkit.word-lm/1';

/** What model.safetensors' rnnkit metadata holds, once checked. */
export interface CharLMMeta {
  format: typeof CHECKPOINT_FORMAT;
  model: CharLMConfig;
  /** One character per id, vocabSize of them, all distinct. */
  vocab: string[];
}

/** Bounds on the sizes a checkpoint may claim (the tensors must then hold them). */
export const CHAR_LM_LIMITS = { vocabSize: 0x110000, hiddenSize: 65536, numLayers: 1024 } as const;

const MODEL_KEYS = ['cell', 'vocabSize', 'hiddenSize', 'numLayers', 'dropout', 'nonlinearity'];

/**
 * Checks a checkpoint's model part without building anything: format, the whole configuration, the
 * vocabulary, and that exactly the expected tensors are there with exactly the expected shapes.
 * Throws FormatError (naming `source` and, where there is one, the tensor).
 */
export function checkCharLMCheckpoint(part: CheckpointPart, source: string): CharLMMeta {
  const { meta, format, fail } = openCheckpointPart(part, source);
  if (format === WORD_CHECKPOINT_FORMAT) {
    throw new FormatError(source, `${source} is a word-level model checkpoint (format "${WORD_CHECKPOINT_FORMAT}"), not a character model: load it with loadWordLM or wordLMFromCheckpoint`);
  }
  if (format !== CHECKPOINT_FORMAT) {
    throw new FormatError(source, `${source} is not a character-model checkpoint (format ${show(format)}): a character model's format is "${CHECKPOINT_FORMAT}"`);
  }
  const model = checkLMConfig(meta, fail);
  const V = model.vocabSize;
  const vocab = own(meta, 'vocab');
  if (!Array.isArray(vocab)) return fail(`the vocabulary is ${show(vocab)}, expected an array of characters`);
  if (vocab.length !== V) fail(`the vocabulary has ${vocab.length} characters but model.vocabSize is ${V}`);
  const seen = new Set<string>();
  for (let i = 0; i < vocab.length; i++) {
    const c: unknown = vocab[i];
    if (typeof c !== 'string' || [...c].length !== 1) fail(`vocabulary entry ${i} is ${show(c)}, expected one character`);
    if (seen.has(c as string)) fail(`vocabulary entry ${i} (${JSON.stringify(c)}) appears twice`);
    seen.add(c as string);
  }

  checkLMTensors(part.tensors, model, fail);
  return { format: CHECKPOINT_FORMAT, model, vocab: vocab as string[] };
}

/**
 * Builds the CharLM, its vocabulary and its checked metadata from a checkpoint's model part
 * (decodeCheckpointPart's result, or the model half of loadCheckpoint's). `source` names the file
 * in errors; a bad file is a FormatError, never anything else.
 */
export function charLMFromCheckpoint(part: CheckpointPart, source: string): { model: CharLM; vocab: CharVocab; meta: CharLMMeta } {
  const meta = checkCharLMCheckpoint(part, source);
  const model = new CharLM(meta.model);
  model.loadStateDict(part.tensors);
  return { model, vocab: new CharVocab(meta.vocab), meta };
}

/** The model part of a checkpoint, as rnnkit writes it (the inverse of charLMFromCheckpoint). */
export function charLMCheckpointPart(model: CharLM, vocab: CharVocab): CheckpointPart {
  if (vocab.size !== model.config.vocabSize) throw new ConfigError('vocab', `the vocabulary has ${vocab.size} characters but the model's vocabSize is ${model.config.vocabSize}`);
  const meta: CharLMMeta = { format: CHECKPOINT_FORMAT, model: model.config, vocab: vocab.toJSON() };
  return { tensors: model.stateDict(), meta: { ...meta } };
}

/** Fails with a message about the checkpoint (and the tensor it concerns). */
export type Fail = (why: string, tensor?: string) => never;

/**
 * The first checks of every model checkpoint: its metadata and its tensors are objects. Returns the
 * metadata, its format, and the Fail that names `source`.
 */
export function openCheckpointPart(part: CheckpointPart, source: string): { meta: Record<string, unknown>; format: unknown; fail: Fail } {
  const fail: Fail = (why, tensor) => {
    throw new FormatError(source, `${source}: ${why}`, tensor);
  };
  const meta = part?.meta;
  if (!isRecord(meta)) return fail('the checkpoint metadata is not an object');
  if (!isRecord(part.tensors)) return fail('the checkpoint has no tensors');
  return { meta, format: own(meta, 'format'), fail };
}

/**
 * The model configuration of a language-model checkpoint's metadata (character or word), checked
 * field by field.
 */
export function checkLMConfig(meta: Record<string, unknown>, fail: Fail): CharLMConfig {
  const cfg = own(meta, 'model');
  if (!isRecord(cfg)) return fail(`the model configuration is ${show(cfg)}, expected an object`);
  const unknown = Object.keys(cfg).filter((k) => !MODEL_KEYS.includes(k));
  if (unknown.length) fail(`the model configuration has unknown fields ${unknown.map((k) => `'${k}'`).join(', ')}`);
  const cell = own(cfg, 'cell');
  if (cell !== 'rnn' && cell !== 'lstm' && cell !== 'gru') return fail(`model.cell is ${show(cell)}, expected "rnn", "lstm" or "gru"`);
  const nonlinearity = own(cfg, 'nonlinearity');
  if (nonlinearity !== undefined && nonlinearity !== 'tanh' && nonlinearity !== 'relu') fail(`model.nonlinearity is ${show(nonlinearity)}, expected "tanh" or "relu"`);
  const size = (key: 'vocabSize' | 'hiddenSize' | 'numLayers'): number => {
    const v = own(cfg, key);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > CHAR_LM_LIMITS[key]) {
      fail(`model.${key} is ${show(v)}, expected an integer from 1 to ${CHAR_LM_LIMITS[key]}`);
    }
    return v as number;
  };
  const V = size('vocabSize'), H = size('hiddenSize'), L = size('numLayers');
  const dropout = own(cfg, 'dropout');
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) fail(`model.dropout is ${show(dropout)}, expected a number in [0, 1)`);

  const model: CharLMConfig = { cell, vocabSize: V, hiddenSize: H, numLayers: L, dropout: dropout as number };
  if (nonlinearity !== undefined) model.nonlinearity = nonlinearity as 'tanh' | 'relu';
  return model;
}

/** Checks that exactly the tensors of the model `config` describes are there, with exactly their shapes. */
export function checkLMTensors(tensors: Record<string, Tensor>, config: CharLMConfig, fail: Fail): void {
  const { vocabSize: V, hiddenSize: H, numLayers: L, cell } = config;
  // the sizes the tensors hold, compared with the metadata before the full list of names is built
  const tensor = (name: string): Tensor | undefined => (Object.hasOwn(tensors, name) ? tensors[name] : undefined);
  const layersHeld = Object.keys(tensors).filter((n) => /^rnn\.weight_hh_l\d+$/.test(n)).length;
  if (layersHeld !== L) fail(`model.numLayers is ${L} but the file holds weights for ${layersHeld} recurrent layer${layersHeld === 1 ? '' : 's'}`);
  const headW = tensor('head.weight');
  if (headW && headW.shape.length === 2 && (headW.shape[0] !== V || headW.shape[1] !== H)) {
    fail(`tensor 'head.weight' has shape [${headW.shape.join(', ')}] but the configuration says [vocabSize ${V}, hiddenSize ${H}]`, 'head.weight');
  }
  const G = gateCount(cellKind(cell)) * H;
  const expected: [string, number[]][] = [];
  for (let k = 0; k < L; k++) {
    expected.push([`rnn.weight_ih_l${k}`, [G, k === 0 ? V : H]], [`rnn.weight_hh_l${k}`, [G, H]], [`rnn.bias_ih_l${k}`, [G]], [`rnn.bias_hh_l${k}`, [G]]);
  }
  expected.push(['head.weight', [V, H]], ['head.bias', [V]]);
  const problems: string[] = [];
  let first: string | undefined;
  for (const [name, shape] of expected) {
    const t = tensor(name);
    const got = t ? `[${t.shape.join(', ')}]` : null, want = `[${shape.join(', ')}]`;
    if (got === want) continue;
    problems.push(got === null ? `tensor '${name}' is missing (expected shape ${want})` : `tensor '${name}' has shape ${got}, expected ${want}`);
    first ??= name;
  }
  const names = new Set(expected.map(([n]) => n));
  for (const name of Object.keys(tensors)) {
    if (!names.has(name)) {
      problems.push(`tensor '${name}' is not part of this model`);
      first ??= name;
    }
  }
  if (problems.length) fail(`${problems.slice(0, 3).join('; ')}${problems.length > 3 ? `; and ${problems.length - 3} more` : ''}`, first);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A field of untrusted data: own properties only, so 'constructor' or 'toString' read as missing. */
export function own(o: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/** An untrusted value, shown briefly in a message. */
export function show(v: unknown): string {
  if (v === undefined) return 'missing';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return v === null ? 'null' : 'an object';
  return String(v);
}
