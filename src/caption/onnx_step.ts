import { GraphBuilder } from '../io/onnx_export.js';
import { loadOnnx } from '../io/onnx_proto.js';
import { LSTM } from '../nn/index.js';
import type { Captioner } from './model.js';

/**
 * One step of a captioner's decoder as an ONNX model (opset 14), so that a beam search can run under
 * ONNX Runtime. Inputs: `word` int64 [N] (the word fed), `feature` float32 [N, F] (the image's CNN
 * feature, as the captioner takes it: standardised inside the graph where the captioner has feature
 * statistics), `h` and, for the LSTM, `c` float32 [N, H] (the state; zeros at the first step), and
 * for inject = init `start` bool [N] (true at the first step, where h comes from the image).
 * Outputs: `logits` and `log_probs` float32 [N, V] for the next word, `h_out` (and `c_out`) [N, H].
 * `metadata` goes into the model's metadata_props (rnnkit export stores the words as `rnnkit.vocab`).
 */
export async function exportCaptionerStep(model: Captioner, opts: { metadata?: Record<string, string> } = {}): Promise<Uint8Array> {
  const g = new GraphBuilder(await loadOnnx());
  const { featureSize: F, hiddenSize: H, vocabSize: V, inject } = model.config;
  const lstm = model.rnn instanceof LSTM;
  let v = 'feature';
  const norm = model.featureNorm;
  if (norm) {
    const [centred] = g.node('Sub', [v, g.float('feature.mean', [F], norm.mean)]);
    [v] = g.node('Mul', [centred, g.float('feature.inv_std', [F], Float32Array.from(norm.std, (s) => 1 / s))]);
  }
  const [x] = g.node('Gather', [g.float('embed.weight', [V, model.config.embedSize], model.embed.weight.data), 'word']);
  const axes0 = g.int64('axes0', [0]);
  let input = x, h = 'h', extra: Float32Array[] | undefined;
  if (inject === 'every') {
    // W_ih x + W_img v in one product: the feature rides along as extra input columns
    [input] = g.node('Concat', [x, v], 1, { axis: 1 });
    extra = [model.img.weight.data];
  } else {
    const [image] = g.node('Unsqueeze', ['start', g.int64('axes1', [1])]);
    [h] = g.node('Where', [image, g.linear(model.img, v, 'img'), 'h']);
  }
  const up = (s: string) => g.node('Unsqueeze', [s, axes0])[0];
  const [, yh, yc] = g.recurrent(model.rnn, 0, up(input), up(h), lstm ? up('c') : null, 'rnn', extra);
  const [hOut] = g.node('Squeeze', [yh, axes0], ['h_out']);
  if (yc) g.node('Squeeze', [yc, axes0], ['c_out']);
  const [logits] = g.node('Identity', [g.linear(model.head, hOut, 'head')], ['logits']);
  g.node('LogSoftmax', [logits], ['log_probs'], { axis: -1 });
  const state = (n: string) => g.value(n, 'float', ['N', H]);
  return g.encode('rnnkit-captioner-step', [
    g.value('word', 'int64', ['N']), g.value('feature', 'float', ['N', F]), state('h'),
    ...(lstm ? [state('c')] : []), ...(inject === 'init' ? [g.value('start', 'bool', ['N'])] : []),
  ], [g.value('logits', 'float', ['N', V]), g.value('log_probs', 'float', ['N', V]), state('h_out'), ...(lstm ? [state('c_out')] : [])], opts.metadata);
}
