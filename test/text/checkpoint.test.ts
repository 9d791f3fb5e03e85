import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  CharLM, CharVocab, CharLMTrainer, defaultTrainConfig, charLMFromCheckpoint, checkCharLMCheckpoint, charLMCheckpointPart, readTrainState,
  CHECKPOINT_FORMAT, type TrainConfig,
} from '../../src/text/index.js';
import { encodeCheckpoint, decodeCheckpointPart, MODEL_FILE, STATE_FILE, type CheckpointPart, type Checkpoint } from '../../src/io/index.js';
import { saveCheckpoint } from '../../src/io/checkpoint_files.js';
import { loadCharLM } from '../../src/node.js';
import { Tensor } from '../../src/tensor/index.js';
import { FileError, FormatError, RnnkitError } from '../../src/errors.js';

const text = 'the whale and the sea, the ship and the captain. '.repeat(40);
const config = (c: Partial<TrainConfig> = {}): TrainConfig => ({ ...defaultTrainConfig, hidden: 6, layers: 2, seq: 8, batch: 4, steps: 10, valChars: 64, ...c });

function trained(c: Partial<TrainConfig> = {}): { t: CharLMTrainer; ckpt: Checkpoint } {
  const t = CharLMTrainer.create(text, config(c));
  t.trainStep();
  t.trainStep();
  // the files' round trip, as a checkpoint folder holds them
  const files = encodeCheckpoint(t.checkpoint('t.txt'));
  return { t, ckpt: { model: decodeCheckpointPart(files[MODEL_FILE], MODEL_FILE), state: decodeCheckpointPart(files[STATE_FILE], STATE_FILE) } };
}

/** The part with its metadata changed by `edit` (on a deep copy). */
function withMeta(part: CheckpointPart, edit: (m: any) => void): CheckpointPart {
  const meta = JSON.parse(JSON.stringify(part.meta));
  edit(meta);
  return { tensors: part.tensors, meta };
}

function refuses(fn: () => unknown, phrase: RegExp, tensor?: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FormatError, `not a FormatError: ${String(e)}`);
    assert.match(e.message, phrase);
    if (tensor) assert.equal(e.tensor, tensor);
    return true;
  });
}

test('a model part loads into the same model, vocabulary and metadata', () => {
  const { t, ckpt } = trained();
  const { model, vocab, meta } = charLMFromCheckpoint(ckpt.model, 'm');
  assert.deepEqual(meta, { format: CHECKPOINT_FORMAT, model: { ...t.model.config }, vocab: [...t.vocab.chars] });
  assert.deepEqual(model.config, t.model.config);
  assert.deepEqual(vocab.chars, t.vocab.chars);
  for (const [name, p] of t.model.namedParameters()) assert.deepEqual(model.stateDict()[name].data, p.data, name);
  // and the inverse writes what the trainer writes
  const part = charLMCheckpointPart(model, vocab);
  assert.deepEqual(part.meta, ckpt.model.meta);
});

test('a configuration that claims more than the tensors hold is refused before anything is built', () => {
  const { ckpt } = trained({ layers: 1 });
  refuses(() => charLMFromCheckpoint(withMeta(ckpt.model, (m) => { m.model.numLayers = 1e6; }), 'm'), /model\.numLayers is 1000000, expected an integer from 1 to 1024/);
  refuses(() => charLMFromCheckpoint(withMeta(ckpt.model, (m) => { m.model.numLayers = 1000; }), 'm'), /model\.numLayers is 1000 but the file holds weights for 1 recurrent layer/);
  refuses(() => charLMFromCheckpoint(withMeta(ckpt.model, (m) => { m.model.hiddenSize = 4096; }), 'm'), /'head\.weight' has shape \[\d+, 6\] but the configuration says \[vocabSize \d+, hiddenSize 4096\]/, 'head.weight');
  refuses(() => charLMFromCheckpoint(withMeta(ckpt.model, (m) => { m.model.cell = 'gru'; }), 'm'), /'rnn\.weight_ih_l0' has shape \[24, \d+\], expected \[18, \d+\]/);
});

test('every field of the model configuration is checked', () => {
  const { ckpt } = trained();
  const cases: [(m: any) => void, RegExp][] = [
    [(m) => { m.format = 'rnnkit.caption/1'; }, /^model\.safetensors is not a character-model checkpoint \(format "rnnkit\.caption\/1"\): a character model's format is "rnnkit\.char-lm\/1"$/],
    [(m) => { delete m.format; }, /\(format missing\)/],
    [(m) => { m.model = null; }, /model configuration is null, expected an object/],
    [(m) => { m.model.cell = 'transformer'; }, /model\.cell is "transformer"/],
    [(m) => { m.model.nonlinearity = 'sigmoid'; }, /model\.nonlinearity is "sigmoid"/],
    [(m) => { m.model.hiddenSize = 6.5; }, /model\.hiddenSize is 6\.5/],
    [(m) => { m.model.vocabSize = '12'; }, /model\.vocabSize is "12"/],
    [(m) => { m.model.numLayers = -2; }, /model\.numLayers is -2/],
    [(m) => { m.model.dropout = 1; }, /model\.dropout is 1, expected a number in \[0, 1\)/],
    [(m) => { delete m.model.dropout; }, /model\.dropout is missing/],
    [(m) => { m.model.bidirectional = true; }, /unknown fields 'bidirectional'/],
    [(m) => { m.vocab.pop(); }, /the vocabulary has \d+ characters but model\.vocabSize is \d+/],
    [(m) => { m.vocab.push('Ω'); }, /the vocabulary has \d+ characters but model\.vocabSize is \d+/],
    [(m) => { m.vocab[1] = m.vocab[0]; }, /vocabulary entry 1 \(" "\) appears twice/],
    [(m) => { m.vocab[2] = 'ab'; }, /vocabulary entry 2 is "ab", expected one character/],
    [(m) => { m.vocab[2] = null; }, /vocabulary entry 2 is null/],
    [(m) => { m.vocab = 'abc'; }, /the vocabulary is "abc", expected an array/],
  ];
  for (const [edit, phrase] of cases) refuses(() => charLMFromCheckpoint(withMeta(ckpt.model, edit), 'model.safetensors'), phrase);
  // a character outside the Basic Multilingual Plane is one character
  const wide = withMeta(ckpt.model, (m) => { m.vocab[m.vocab.length - 1] = '𝔴'; });
  assert.equal(checkCharLMCheckpoint(wide, 'm').vocab.at(-1), '𝔴');
});

test('missing, misshapen and unexpected tensors are refused by name', () => {
  const { ckpt } = trained();
  const tensors = (edit: (t: Record<string, Tensor>) => void): CheckpointPart => {
    const t = { ...ckpt.model.tensors };
    edit(t);
    return { tensors: t, meta: ckpt.model.meta };
  };
  refuses(() => charLMFromCheckpoint(tensors((t) => { delete t['head.bias']; }), 'm'), /tensor 'head\.bias' is missing \(expected shape \[\d+\]\)/, 'head.bias');
  refuses(() => charLMFromCheckpoint(tensors((t) => { t['rnn.bias_hh_l1'] = Tensor.zeros([5]); }), 'm'), /tensor 'rnn\.bias_hh_l1' has shape \[5\], expected \[24\]/, 'rnn.bias_hh_l1');
  refuses(() => charLMFromCheckpoint(tensors((t) => { t.extra = Tensor.zeros([1]); }), 'm'), /tensor 'extra' is not part of this model/, 'extra');
  refuses(() => charLMFromCheckpoint(tensors((t) => { delete t['rnn.weight_hh_l1']; }), 'm'), /model\.numLayers is 2 but the file holds weights for 1 recurrent layer/);
});

test('the training state is checked field by field when a run resumes', () => {
  const { ckpt } = trained();
  const resume = (edit: (m: any) => void) => CharLMTrainer.resume(text, { model: ckpt.model, state: withMeta(ckpt.state!, edit) }, 'run/step-000002');
  assert.equal(resume(() => {}).step, 2);
  const cases: [(m: any) => void, RegExp][] = [
    [(m) => { m.step = 2.5; }, /step is 2\.5, expected an integer/],
    [(m) => { m.step = 11; }, /step 11 is past config\.steps \(10\)/],
    [(m) => { m.step = 1; }, /optimizer\.stepCount is 2 but the step is 1|history\.train/],
    [(m) => { m.config.hidden = 7; }, /config\.hidden is 7 but the model's is 6/],
    [(m) => { m.config.layers = 1e6; }, /config\.layers is 1000000 but the model's is 2/],
    [(m) => { m.config.lr = 'fast'; }, /config\.lr is "fast", expected a number/],
    [(m) => { m.config.lr = 50; }, /its training configuration is out of range \(.*lr.*50\)/],
    [(m) => { m.config.valFraction = 0.001; }, /its training configuration does not fit the text \(the validation part has \d+ characters, fewer than one sequence/],
    [(m) => { m.config.extra = 1; }, /config has unknown fields 'extra'/],
    [(m) => { delete m.config.seed; }, /config\.seed is missing/],
    [(m) => { m.rng = [1, 2, 3]; }, /rng is an array of 3, expected 4 unsigned 32-bit integers/],
    [(m) => { m.rng = [1, 2, 3, 2 ** 32]; }, /rng is an array of 4, expected 4 unsigned 32-bit integers/],
    [(m) => { m.position.offset = 5; }, /position\.offset 5 is not a multiple of config\.seq \(8\)/],
    [(m) => { m.position.offset = 8e6; }, /position\.offset 8000000 is past the end of the text's streams/],
    [(m) => { m.position = null; }, /position is null, expected \{ offset, epoch \}/],
    [(m) => { m.corpus = 5; }, /corpus is 5, expected a text fingerprint/],
    [(m) => { m.corpusName = {}; }, /corpusName is an object, expected a string/],
    [(m) => { m.history.train.push([3, 1]); }, /history\.train is an array of 3, expected at most 2/],
    [(m) => { m.history.train[0] = [1, null]; }, /history\.train\[0\] is an array of 2, expected a \[step, loss\] pair/],
    [(m) => { m.history = { train: [], val: [], x: 1 }; }, /history is an object, expected \{ train, val \}/],
    [(m) => { m.optimizer.optimizer = 'SGD'; }, /the optimizer state does not fit the model/],
    [(m) => { m.optimizer.params.pop(); }, /tensor 'optimizer\.params\.9\.state\.buffers\.exp_avg' is not referred to by the training state/],
    [(m) => { m.optimizer.params.push(null); }, /the optimizer state does not fit the model \(.*it has state for 11 parameters, this optimizer has 10/],
    [(m) => { m.optimizer.params[0].size = 3; }, /the optimizer state does not fit the model/],
    [(m) => { m.optimizer.params[0].name = null; }, /optimizer\.params\[0\]\.name is null, expected a parameter name/],
    [(m) => { m.optimizer.hyper.weightDecay = 0.5; }, /the optimizer's weightDecay is 0\.5 but the training configuration gives 0/],
    [(m) => { m.optimizer.params[0].state.extra = 1; }, /optimizer\.params\[0\]\.state has unknown fields 'extra'/],
    [(m) => { m.optimizer.params[0].state.buffers.exp_avg = { $tensor: 'carry.h' }; }, /refers to tensor 'carry\.h' twice|tensor 'carry\.h' has shape/],
    [(m) => { m.optimizer.params[0].state.buffers.exp_avg = { $tensor: 'nope' }; }, /refers to tensor 'nope' that it does not contain/],
    [(m) => { m.optimizer.params[0].state.buffers.exp_avg = { $tensor: 'toString' }; }, /refers to tensor 'toString' that it does not contain/],
  ];
  for (const [edit, phrase] of cases) {
    assert.throws(() => resume(edit), (e: unknown) => {
      assert.ok(e instanceof RnnkitError, `not a RnnkitError: ${String(e)}`);
      assert.match(e.message, /^run\/step-000002/);
      assert.match(e.message, phrase);
      return true;
    }, phrase.source);
  }
  // the carried state and the tensors nothing refers to
  const state = (edit: (t: Record<string, Tensor>) => void) => {
    const t = { ...ckpt.state!.tensors };
    edit(t);
    return () => CharLMTrainer.resume(text, { model: ckpt.model, state: { tensors: t, meta: ckpt.state!.meta } }, 's');
  };
  refuses(state((t) => { t['carry.h'] = Tensor.zeros([2, 4, 7]); }), /tensor 'carry\.h' has shape \[2, 4, 7\], expected \[2, 4, 6\]/, 'carry.h');
  refuses(state((t) => { delete t['carry.c']; }), /tensor 'carry\.c' is missing \(an LSTM carries h and c\)/, 'carry.c');
  refuses(state((t) => { t.stray = Tensor.zeros([1]); }), /tensor 'stray' is not referred to by the training state/, 'stray');
});

test('a GRU state carries h only; a vanilla RNN remembers its nonlinearity', () => {
  const { ckpt } = trained({ cell: 'gru', layers: 1 });
  const h = ckpt.state!.tensors['carry.h'];
  assert.throws(() => CharLMTrainer.resume(text, { model: ckpt.model, state: { tensors: { ...ckpt.state!.tensors, 'carry.c': h }, meta: ckpt.state!.meta } }, 's'),
    /tensor 'carry\.c' is there but a GRU carries h only/);
  const rnn = trained({ cell: 'rnn', nonlinearity: 'relu', layers: 1 }).ckpt;
  assert.throws(() => readTrainState(withMeta(rnn.state!, (m) => { m.config.nonlinearity = 'tanh'; }), checkCharLMCheckpoint(rnn.model, 'm'), 's'),
    /config\.nonlinearity is "tanh" but the model's is "relu"/);
});

test('loadCharLM reads a checkpoint folder written by saveCheckpoint', async () => {
  const { t } = trained();
  const dir = mkdtempSync(path.join(tmpdir(), 'rnnkit-ckpt-'));
  await saveCheckpoint(dir, 2, t.checkpoint());
  const { model, vocab, meta } = await loadCharLM(dir);
  assert.ok(model instanceof CharLM && vocab instanceof CharVocab);
  assert.equal(meta.model.numLayers, 2);
  assert.deepEqual(model.stateDict()['head.bias'].data, t.model.stateDict()['head.bias'].data);
});

test('a model file that is a folder or a FIFO is refused by name, without waiting', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rnnkit-ckpt-'));
  mkdirSync(path.join(dir, 'a', MODEL_FILE), { recursive: true });
  await assert.rejects(loadCharLM(path.join(dir, 'a')), (e: unknown) => e instanceof FileError && /model\.safetensors is not a regular file/.test(e.message));
  mkdirSync(path.join(dir, 'b'));
  execFileSync('mkfifo', [path.join(dir, 'b', MODEL_FILE)]);
  await assert.rejects(loadCharLM(path.join(dir, 'b')), FileError);
});
