import { reshape, crossEntropy } from '../../tensor/index.js';
import { OneHot } from '../../nn/index.js';
import { CHECKPOINT_FORMAT, showChars, charLMFromCheckpoint } from '../../text/index.js';
import { gradientFlow, probeBatch, UnknownCharsError, type GradientFlow, type ProbeBatch } from '../../diagnostics/index.js';
import { loadCheckpoint } from '../../io/checkpoint_files.js';
import { readCorpus, DEFAULT_CORPUS } from '../corpus_files.js';
import { UsageError } from '../errors.js';

/**
 * The lab's probes on a character model from `rnnkit train`: a probe batch from the end of its text
 * (the part held out for validation), the loss it was trained on (cross-entropy of the next character
 * at every step), and gradientFlow over its recurrent layers.
 */
export async function probeCheckpoint(p: string, data: string | undefined, seq: number, batch: number):
  Promise<{ path: string; label: string; text: string; flow: GradientFlow }> {
  const ckpt = await loadCheckpoint(p);
  const meta = ckpt.model.meta;
  if (meta.format !== CHECKPOINT_FORMAT) {
    throw new UsageError(`${ckpt.dir} holds a ${JSON.stringify(meta.format ?? 'unknown')} checkpoint; gradflow --checkpoint probes the character models that rnnkit train writes (format "${CHECKPOINT_FORMAT}")`);
  }
  const { model, vocab } = charLMFromCheckpoint(ckpt.model, ckpt.dir);
  const config = model.config;
  // the text it was trained on, as the run's state remembers it, unless --data names another
  let corpusName = data;
  if (!corpusName) {
    try {
      const stored = (await loadCheckpoint(p, true)).state?.meta.corpusName;
      corpusName = typeof stored === 'string' ? stored : DEFAULT_CORPUS;
    } catch {
      corpusName = DEFAULT_CORPUS;
    }
  }
  const corpus = await readCorpus(corpusName);
  const length = [...corpus.text].length;
  if (length < (seq + 1) * batch) throw new UsageError(`the text ${corpus.name} has ${length} characters, fewer than --batch ${batch} sequences of --seq ${seq} + 1`);
  let probe: ProbeBatch;
  try {
    probe = probeBatch(corpus.text, vocab, seq, batch, `the text ${corpus.name}`);
  } catch (e) {
    if (!(e instanceof UnknownCharsError)) throw e;
    throw new UsageError(`the text ${corpus.name} has characters the model never saw (${showChars(e.chars.slice(0, 10))}${e.chars.length > 10 ? ', …' : ''}): ` +
      'pass --data with the text it was trained on');
  }
  const { inputs, targets } = probe;
  const H = config.hiddenSize;
  const flow = gradientFlow(model.rnn, new OneHot(inputs, [seq, batch], vocab.size), (out) => crossEntropy(model.head.forward(reshape(out, [-1, H])), targets));
  const cell = config.cell === 'rnn' ? `RNN (${config.nonlinearity ?? 'tanh'})` : config.cell.toUpperCase();
  const label = `${cell}, ${config.numLayers} layer${config.numLayers > 1 ? 's' : ''} of ${H}, vocabulary ${vocab.size}`;
  return { path: ckpt.dir, label, text: corpus.name, flow };
}
