import type onnxProto from 'onnx-proto';
import { RnnkitError } from '../errors.js';
import { RecurrentBase, Linear, Embedding, type AnyRecurrent } from '../nn/index.js';
import { loadOnnx, onnxGateOrder, permuteBlocks, ONNX_OP, ONNX_OPSET, type Onnx } from './onnx_proto.js';

/*
 * rnnkit models as standard ONNX graphs: each recurrent layer is one ONNX RNN/LSTM/GRU node (both
 * directions in one node), its weights with the gates in ONNX's order and b_ih, b_hh side by side in B.
 */

type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;
type IValueInfo = onnxProto.onnx.IValueInfoProto;
type Dim = number | string;

/** What {@link exportONNX} takes: ids → embed (absent: one-hot ids) → rnn → head, as CharLM and RecurrentLM have. */
export interface ONNXExportable {
  rnn: AnyRecurrent;
  head: Linear;
  embed?: Embedding | null;
}

/** A small graph under construction: nodes, weights, and fresh names. */
export class GraphBuilder {
  readonly nodes: INode[] = [];
  readonly inits: ITensor[] = [];
  private n = 0;

  constructor(readonly onnx: Onnx) {}

  /** Adds a node; returns its outputs (fresh names where `outputs` gives a count). */
  node(op: string, inputs: string[], outputs: string[] | number = 1, attrs: Record<string, number | number[] | string | string[]> = {}): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => `${op.toLowerCase()}_${this.n++}`) : outputs;
    const A = this.onnx.AttributeProto.AttributeType;
    const attribute = Object.entries(attrs).map(([name, v]) => Array.isArray(v)
      ? typeof v[0] === 'string' ? { name, type: A.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) } : { name, type: A.INTS, ints: v as number[] }
      : typeof v === 'string' ? { name, type: A.STRING, s: new TextEncoder().encode(v) } : { name, type: A.INT, i: v });
    this.nodes.push({ name: `${op}_${this.nodes.length}`, opType: op, input: inputs, output: outs, attribute });
    return outs;
  }

  /** A float32 weight. */
  float(name: string, dims: number[], data: Float32Array): string {
    const bytes = new Uint8Array(data.byteLength);
    new Float32Array(bytes.buffer).set(data);
    this.inits.push({ name, dims, dataType: this.onnx.TensorProto.DataType.FLOAT, rawData: bytes });
    return name;
  }

  /** An int64 constant. */
  int64(name: string, values: number[]): string {
    this.inits.push({ name, dims: [values.length], dataType: this.onnx.TensorProto.DataType.INT64, int64Data: values });
    return name;
  }

  /** A graph input or output. */
  value(name: string, type: 'float' | 'int64' | 'bool', dims: Dim[]): IValueInfo {
    const T = this.onnx.TensorProto.DataType;
    return {
      name,
      type: { tensorType: { elemType: type === 'float' ? T.FLOAT : type === 'int64' ? T.INT64 : T.BOOL, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
    };
  }

  /** The whole model, encoded. */
  encode(name: string, inputs: IValueInfo[], outputs: IValueInfo[], metadata: Record<string, string> = {}): Uint8Array {
    const model = this.onnx.ModelProto.create({
      irVersion: 8, producerName: 'rnnkit', opsetImport: [{ domain: '', version: ONNX_OPSET }],
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
      graph: { name, node: this.nodes, initializer: this.inits, input: inputs, output: outputs },
    });
    return this.onnx.ModelProto.encode(model).finish();
  }

  /**
   * One recurrent layer as an ONNX node over X [T, B, I]: returns Y [T, dirs, B, H], Y_h and Y_c
   * [dirs, B, H]. `extra` [G·H, E] per direction (PyTorch's gate order) is appended to W's columns, for
   * an input X that carries E more features.
   */
  recurrent(rnn: AnyRecurrent, layer: number, x: string, h0: string, c0: string | null, prefix: string, extra?: Float32Array[]): string[] {
    const D = rnn.numDirections, H = rnn.hiddenSize, kind = rnn.kind;
    const order = onnxGateOrder(kind), G = order.length * H;
    const I0 = layer === 0 ? rnn.inputSize : H * D;
    const E = extra ? extra[0].length / G : 0, I = I0 + E;
    const W = new Float32Array(D * G * I), R = new Float32Array(D * G * H), B = new Float32Array(D * 2 * G);
    for (let d = 0; d < D; d++) {
      const w = rnn.directionWeights(layer, d);
      let wIh = w.wIh.data;
      if (extra) {
        wIh = new Float32Array(G * I);
        for (let r = 0; r < G; r++) {
          wIh.set(w.wIh.data.subarray(r * I0, (r + 1) * I0), r * I);
          wIh.set(extra[d].subarray(r * E, (r + 1) * E), r * I + I0);
        }
      }
      permuteBlocks(wIh, H, I, order, W, d * G * I);
      permuteBlocks(w.wHh.data, H, H, order, R, d * G * H);
      if (w.bIh) permuteBlocks(w.bIh.data, H, 1, order, B, d * 2 * G);
      if (w.bHh) permuteBlocks(w.bHh.data, H, 1, order, B, d * 2 * G + G);
    }
    const attrs: Record<string, number | string | string[]> = { hidden_size: H, direction: D === 2 ? 'bidirectional' : 'forward' };
    if (kind === 'gru') attrs.linear_before_reset = 1;
    if (kind === 'rnn_relu' || kind === 'rnn_tanh') attrs.activations = Array<string>(D).fill(kind === 'rnn_relu' ? 'Relu' : 'Tanh');
    const inputs = [x, this.float(`${prefix}.W`, [D, G, I], W), this.float(`${prefix}.R`, [D, G, H], R),
      rnn.bias ? this.float(`${prefix}.B`, [D, 2 * G], B) : '', '', h0];
    if (c0) inputs.push(c0);
    return this.node(ONNX_OP[kind], inputs, kind === 'lstm' ? 3 : 2, attrs);
  }

  /** y = x Wᵀ + b over the last dimension, as MatMul and Add. */
  linear(head: Linear, x: string, prefix: string): string {
    const { inFeatures: F, outFeatures: V } = head;
    const wT = new Float32Array(F * V), w = head.weight.data;
    for (let o = 0; o < V; o++) for (let i = 0; i < F; i++) wT[i * V + o] = w[o * F + i];
    const [mm] = this.node('MatMul', [x, this.float(`${prefix}.weight_t`, [F, V], wT)]);
    return head.bias ? this.node('Add', [mm, this.float(`${prefix}.bias`, [V], head.bias.data)])[0] : mm;
  }
}

/** Checks that `model` is ids → (Embedding) → RNN/LSTM/GRU → Linear, naming the layer that is not. */
export function checkExportable(model: unknown): asserts model is ONNXExportable {
  const m = model as Partial<ONNXExportable> | null;
  const name = (x: unknown) => (x as object | null)?.constructor?.name ?? String(x);
  if (!m || !(m.rnn instanceof RecurrentBase)) throw new RnnkitError(`exportONNX: layer 'rnn' (${name(m?.rnn)}) is not an RNN, LSTM or GRU; only ids → Embedding or one-hot → RNN/LSTM/GRU → Linear models can be exported`);
  if (m.rnn.batchFirst) throw new RnnkitError(`exportONNX: layer 'rnn' is batch-first; the ONNX graph is time-major, so export a layer with batchFirst: false (the weights are the same)`);
  if (!(m.head instanceof Linear)) throw new RnnkitError(`exportONNX: layer 'head' (${name(m.head)}) is not a Linear; only ids → Embedding or one-hot → RNN/LSTM/GRU → Linear models can be exported`);
  if (m.head.inFeatures !== m.rnn.hiddenSize * m.rnn.numDirections) throw new RnnkitError(`exportONNX: layer 'head' takes ${m.head.inFeatures} features but 'rnn' gives ${m.rnn.hiddenSize * m.rnn.numDirections}`);
  if (m.embed != null && !(m.embed instanceof Embedding)) throw new RnnkitError(`exportONNX: layer 'embed' (${name(m.embed)}) is not an Embedding`);
  if (m.embed && m.embed.embeddingDim !== m.rnn.inputSize) throw new RnnkitError(`exportONNX: layer 'embed' gives ${m.embed.embeddingDim} features but 'rnn' takes ${m.rnn.inputSize}`);
}

/**
 * A recurrent language model (CharLM, RecurrentLM: ids → Embedding or one-hot → RNN | LSTM | GRU →
 * Linear) as an ONNX model (opset 14), its bytes. Inputs: `input_ids` int64 [T, B], `h0` and, for the
 * LSTM, `c0` float32 [layers·dirs, B, H]; outputs: `logits` float32 [T, B, V], `hn` and `cn`. T and B
 * are dynamic. `metadata` goes into the model's metadata_props (rnnkit export stores the vocabulary
 * there as `rnnkit.vocab`, a JSON array of the tokens by id). A model of another shape is refused,
 * naming its layer; onnx-proto must be installed.
 */
export async function exportONNX(model: ONNXExportable, opts: { name?: string; metadata?: Record<string, string> } = {}): Promise<Uint8Array> {
  checkExportable(model);
  const g = new GraphBuilder(await loadOnnx());
  const { rnn, head } = model;
  const L = rnn.numLayers, D = rnn.numDirections, H = rnn.hiddenSize, lstm = rnn.kind === 'lstm';
  let x: string;
  if (model.embed) {
    x = g.node('Gather', [g.float('embed.weight', model.embed.weight.shape as number[], model.embed.weight.data), 'input_ids'])[0];
  } else {
    x = g.node('OneHot', ['input_ids', g.int64('one_hot.depth', [rnn.inputSize]), g.float('one_hot.values', [2], Float32Array.of(0, 1))], 1, { axis: -1 })[0];
  }
  const hs: string[] = [], cs: string[] = [];
  const axes = g.int64('axes0', [0]);
  for (let l = 0; l < L; l++) {
    const start = g.int64(`layer${l}.start`, [l * D]), end = g.int64(`layer${l}.end`, [(l + 1) * D]);
    const sl = (s: string) => g.node('Slice', [s, start, end, axes])[0];
    const [y, yh, yc] = g.recurrent(rnn, l, x, sl('h0'), lstm ? sl('c0') : null, `rnn.layer${l}`);
    hs.push(yh);
    if (yc) cs.push(yc);
    // Y [T, dirs, B, H] → [T, B, dirs·H], the next layer's input
    const [t] = g.node('Transpose', [y], 1, { perm: [0, 2, 1, 3] });
    x = g.node('Reshape', [t, l === 0 ? g.int64('shape_tb_', [0, 0, -1]) : 'shape_tb_'])[0];
  }
  g.node('Identity', [g.linear(head, x, 'head')], ['logits']);
  g.node('Concat', hs, ['hn'], { axis: 0 });
  if (lstm) g.node('Concat', cs, ['cn'], { axis: 0 });
  const state = (n: string) => g.value(n, 'float', [L * D, 'B', H]);
  const V = head.outFeatures;
  return g.encode(opts.name ?? 'rnnkit', [g.value('input_ids', 'int64', ['T', 'B']), state('h0'), ...(lstm ? [state('c0')] : [])],
    [g.value('logits', 'float', ['T', 'B', V]), state('hn'), ...(lstm ? [state('cn')] : [])], opts.metadata);
}
