import type onnxProto from 'onnx-proto';
import { FormatError } from '../errors.js';
import { RecurrentLM } from '../nn/index.js';
import type { CellName } from '../kernels/index.js';
import { loadOnnx, onnxGateOrder, invertOrder, permuteBlocks, type Onnx } from './onnx_proto.js';

/*
 * ONNX graphs of recurrent language models (what torch.onnx.export writes for Embedding → RNN/LSTM/GRU
 * → Linear, and what exportONNX writes) read back into a RecurrentLM, operator by operator: the
 * embedding (Gather on a weight, or OneHot), one RNN/LSTM/GRU node per layer, the read-out (MatMul and
 * Add, or Gemm). Every other node must be one of the shape operators such exports put between them.
 * The file is untrusted: sizes and structure are checked before anything is allocated from them.
 */

type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;

/** What {@link importONNX} returns: the model, and the opset the file was written for. */
export interface ImportedONNX {
  model: RecurrentLM;
  opset: number;
}

/** Files larger than this are refused before decoding (protobuf's own limit is 2 GiB). */
const MAX_BYTES = 1 << 30;
/** The most float32 values one weight may have. */
const MAX_ELEMENTS = 1 << 28;
const MAX_NODES = 100_000;
const OPSETS = [7, 23] as const;
/** Operators that only move or reshape tensors between the recognised layers. */
const SHAPE_OPS = new Set(['Constant', 'Identity', 'Slice', 'Transpose', 'Reshape', 'Squeeze', 'Unsqueeze', 'Concat', 'Shape', 'Gather', 'Cast', 'Expand', 'ConstantOfShape', 'Split']);
const RECURRENT: Record<string, CellName> = { RNN: 'rnn', LSTM: 'lstm', GRU: 'gru' };
const DEFAULT_ACTIVATIONS: Record<string, string[]> = { LSTM: ['Sigmoid', 'Tanh', 'Tanh'], GRU: ['Sigmoid', 'Tanh'] };

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const text = (b: Uint8Array | null | undefined): string => (b ? new TextDecoder().decode(b) : '');

/**
 * Reads an ONNX recurrent language model into a RecurrentLM whose forward computes what the graph
 * does (ids [T, B] → logits [T, B, V], hn, cn), ready to run and fine-tune. A graph with other
 * operators, attributes rnnkit's layers do not have, or inconsistent sizes is refused in one line
 * (a FormatError naming `source`).
 */
export async function importONNX(bytes: Uint8Array, source = 'the ONNX model'): Promise<ImportedONNX> {
  const bad = (msg: string, tensor?: string) => new FormatError(source, `${source}: ${msg}`, tensor);
  if (!(bytes instanceof Uint8Array)) throw bad('expected the file\'s bytes (a Uint8Array)');
  if (bytes.length === 0) throw bad('the file is empty; it is not an ONNX model');
  if (bytes.length > MAX_BYTES) throw bad(`the file is ${bytes.length} bytes, over the ${MAX_BYTES}-byte limit for a recurrent model`);
  const onnx = await loadOnnx();
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw bad(`is not an ONNX model or is truncated (${String((e as Error)?.message ?? e).split('\n')[0]}); export it again`);
  }
  const g = model.graph as onnxProto.onnx.GraphProto | null;
  if (!g || !g.node.length) throw bad('is not an ONNX model: it has no graph nodes');
  if (g.node.length > MAX_NODES) throw bad(`has ${g.node.length} nodes, more than a recurrent model needs (${MAX_NODES} at most)`);
  const std = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = std ? num(std.version) : NaN;
  if (!(opset >= OPSETS[0] && opset <= OPSETS[1])) throw bad(`ONNX opset ${std ? opset : '(none)'} is not supported; rnnkit reads opsets ${OPSETS[0]} to ${OPSETS[1]} (export with opset_version=14)`);
  return { model: new Reader(onnx, g, bad).read(), opset };
}

class Reader {
  private readonly init = new Map<string, ITensor>();
  private readonly producer = new Map<string, INode>();
  private readonly inputs: Set<string>;

  constructor(private readonly onnx: Onnx, private readonly g: onnxProto.onnx.GraphProto, private readonly bad: (m: string, t?: string) => FormatError) {
    for (const t of g.initializer) this.init.set(t.name ?? '', t);
    for (const n of g.node) for (const o of n.output ?? []) this.producer.set(o, n);
    this.inputs = new Set(g.input.map((i) => i.name ?? '').filter((n) => !this.init.has(n)));
  }

  private show(n: INode): string {
    return `node '${n.name || n.output?.[0] || '?'}' (${n.opType})`;
  }

  /** A constant tensor (an initializer or a Constant node's value), or null. */
  private constant(name: string): ITensor | null {
    const t = this.init.get(name);
    if (t) return t;
    const p = this.producer.get(name);
    if (p?.opType === 'Constant') return p.attribute?.find((a) => a.name === 'value')?.t ?? null;
    return null;
  }

  /** The dims of a tensor, checked: whole, non-negative and not too many values in all. */
  private dims(t: ITensor, what: string): number[] {
    const dims = (t.dims ?? []).map(num);
    if (dims.length > 8 || !dims.every((d) => Number.isSafeInteger(d) && d >= 0)) throw this.bad(`${what} has dimensions [${dims.join(', ')}], which are not sizes`, t.name ?? undefined);
    const n = dims.reduce((a, b) => a * b, 1);
    if (n > MAX_ELEMENTS) throw this.bad(`${what} has dimensions [${dims.join(', ')}]: ${n} values, over the ${MAX_ELEMENTS} a weight may have`, t.name ?? undefined);
    return dims;
  }

  /** A float32 constant of the given rank, its dims and values, checked against its stored bytes. */
  private floats(name: string, rank: number, what: string): { dims: number[]; data: Float32Array } {
    const t = this.constant(name);
    if (!t) throw this.bad(`${what} '${name}' is computed in the graph, not stored; export with constant folding (do_constant_folding=True)`);
    const dims = this.dims(t, what);
    if (dims.length !== rank) throw this.bad(`${what} '${name}' has ${dims.length} dimensions, expected ${rank}`, name);
    if (t.dataType !== this.onnx.TensorProto.DataType.FLOAT) throw this.bad(`${what} '${name}' is not float32 (ONNX type ${t.dataType})`, name);
    if (t.dataLocation === this.onnx.TensorProto.DataLocation.EXTERNAL) throw this.bad(`${what} '${name}' is stored in an external file; save the model as one file`, name);
    const n = dims.reduce((a, b) => a * b, 1);
    const raw = t.rawData;
    if (raw && raw.length) {
      if (raw.length !== 4 * n) throw this.bad(`${what} '${name}' holds ${raw.length} bytes where its dimensions [${dims.join(', ')}] need ${4 * n}; the file is damaged`, name);
      const data = new Float32Array(n);
      new Uint8Array(data.buffer).set(raw);
      return { dims, data };
    }
    if ((t.floatData?.length ?? 0) !== n) throw this.bad(`${what} '${name}' holds ${t.floatData?.length ?? 0} values where its dimensions [${dims.join(', ')}] need ${n}; the file is damaged`, name);
    return { dims, data: Float32Array.from(t.floatData!) };
  }

  private ints(name: string): number[] | null {
    const t = this.constant(name);
    if (!t) return null;
    if ((t.int64Data?.length ?? 0) > 0) return t.int64Data!.map(num);
    const raw = t.rawData;
    if (!raw || raw.length % 8 || raw.length > 64) return null;
    const v = new DataView(raw.buffer, raw.byteOffset, raw.length);
    return Array.from({ length: raw.length / 8 }, (_, i) => Number(v.getBigInt64(8 * i, true)));
  }

  private attr(n: INode, name: string) {
    return n.attribute?.find((a) => a.name === name) ?? null;
  }

  read(): RecurrentLM {
    let embed: { data: Float32Array; V: number; E: number } | null = null;
    let oneHot: number | null = null;
    const layers: INode[] = [];
    let head: { w: Float32Array; F: number; V: number; transposed: boolean } | null = null;
    let headBias: Float32Array | null = null;
    let headOut = '', headIn = '', embedOut = '';
    for (const n of this.g.node) {
      const op = n.opType ?? '';
      if (n.domain && n.domain !== 'ai.onnx') throw this.bad(`${this.show(n)} is from the operator set '${n.domain}', which rnnkit does not read; only standard ONNX operators are supported`);
      const ins = n.input ?? [];
      if (op === 'Gather' && this.constant(ins[0]) && this.inputs.has(ins[1])) {
        if (embed || oneHot) throw this.bad(`${this.show(n)} is a second embedding; rnnkit reads one`);
        const { dims, data } = this.floats(ins[0], 2, 'the embedding weight');
        embed = { data, V: dims[0], E: dims[1] };
        embedOut = n.output?.[0] ?? '';
      } else if (op === 'OneHot' && this.inputs.has(ins[0])) {
        if (embed || oneHot) throw this.bad(`${this.show(n)} is a second embedding; rnnkit reads one`);
        const depth = this.ints(ins[1]);
        if (!depth || depth.length !== 1 || !(depth[0] >= 1 && depth[0] <= MAX_ELEMENTS)) throw this.bad(`${this.show(n)} has no constant depth`);
        const values = this.floats(ins[2], 1, 'the one-hot values').data;
        if (values.length !== 2 || values[0] !== 0 || values[1] !== 1) throw this.bad(`${this.show(n)} writes values other than 0 and 1`);
        oneHot = depth[0];
        embedOut = n.output?.[0] ?? '';
      } else if (op in RECURRENT) {
        if (head) throw this.bad(`${this.show(n)} comes after the output layer; rnnkit reads recurrent layers followed by one Linear`);
        layers.push(n);
      } else if ((op === 'MatMul' || op === 'Gemm') && !layers.length) {
        throw this.bad(`${this.show(n)} comes before any RNN, LSTM or GRU node; rnnkit imports Gather/OneHot → RNN/LSTM/GRU → MatMul+Add/Gemm graphs`);
      } else if (op === 'MatMul' || op === 'Gemm') {
        if (head) throw this.bad(`${this.show(n)} is a second output layer; rnnkit reads one Linear after the recurrent layers`);
        const transB = op === 'Gemm' && num(this.attr(n, 'transB')?.i ?? 0) === 1;
        if (op === 'Gemm' && (num(this.attr(n, 'transA')?.i ?? 0) || (this.attr(n, 'alpha')?.f ?? 1) !== 1 || (this.attr(n, 'beta')?.f ?? 1) !== 1)) throw this.bad(`${this.show(n)} scales or transposes its input; rnnkit reads a plain Linear`);
        const { dims, data } = this.floats(ins[1], 2, 'the output layer\'s weight');
        head = { w: data, F: transB ? dims[1] : dims[0], V: transB ? dims[0] : dims[1], transposed: !transB };
        if (op === 'Gemm' && ins[2]) headBias = this.floats(ins[2], 1, 'the output layer\'s bias').data;
        headOut = n.output?.[0] ?? '';
        headIn = ins[0];
      } else if (op === 'Add' && head && !headBias && ins.includes(headOut)) {
        const other = ins[0] === headOut ? ins[1] : ins[0];
        headBias = this.floats(other, 1, 'the output layer\'s bias').data;
        headOut = n.output?.[0] ?? '';
      } else if (!SHAPE_OPS.has(op)) {
        throw this.bad(`${this.show(n)}: operator ${op} is not supported; rnnkit imports Gather/OneHot → RNN/LSTM/GRU → MatMul+Add/Gemm graphs`);
      }
    }
    if (!embed && oneHot === null) throw this.bad('has no embedding (a Gather on a stored weight, or OneHot) of a graph input');
    if (!layers.length) throw this.bad('has no RNN, LSTM or GRU node');
    if (!head) throw this.bad('has no output layer (MatMul or Gemm with a stored weight) after the recurrent layers');
    // the layers must feed each other as the model does: any other wiring (a last step picked, another
    // axis order) would import as a model that computes something else
    layers.forEach((n, l) => this.feeds(l === 0 ? embedOut : layers[l - 1].output?.[0] ?? '', n.input?.[0] ?? '', `the input of ${this.show(n)}`));
    this.feeds(layers[layers.length - 1].output?.[0] ?? '', headIn, 'the input of the output layer');
    if (!this.g.output.some((o) => this.reaches(o.name ?? '', headOut))) throw this.bad('no graph output is the output layer\'s result; rnnkit reads graphs whose output is the logits of every step');
    return this.build(embed, oneHot, layers, head, headBias);
  }

  /** Whether `name` is `target` passed through Identity nodes only. */
  private reaches(name: string, target: string): boolean {
    for (let i = 0; i < 8 && name !== target; i++) {
      const p = this.producer.get(name);
      if (p?.opType !== 'Identity') return false;
      name = p.input?.[0] ?? '';
    }
    return name === target;
  }

  /**
   * Checks that `name` is `source` moved only as the exporters move a recurrent output between layers:
   * Squeeze of the direction axis, Transpose [0, 2, 1, 3] and Reshape to [T, B, dirs·H], Identity.
   */
  private feeds(source: string, name: string, what: string): void {
    const walked: string[] = [];
    for (let i = 0; i < 16; i++) {
      if (name === source) return;
      const p = this.producer.get(name);
      const op = p?.opType ?? '';
      const ins = p?.input ?? [];
      const ints = (attr: string, input: number) => (this.attr(p!, attr)?.ints?.map(num) ?? (ins[input] ? this.ints(ins[input]) : null));
      const ok = op === 'Identity'
        || (op === 'Squeeze' && String(ints('axes', 1)) === '1')
        || (op === 'Transpose' && String(ints('perm', -1)) === '0,2,1,3')
        || (op === 'Reshape' && String(this.ints(ins[1])) === '0,0,-1');
      if (!p || !ok) {
        throw this.bad(`${what} is not the previous layer's output at every step: it comes through ${[...walked, p ? this.show(p) : `'${name}'`].join(' ← ')}; rnnkit reads embedding → recurrent layers → Linear at every step`);
      }
      walked.push(this.show(p));
      name = ins[0];
    }
    throw this.bad(`${what} is more than 16 nodes from the previous layer`);
  }

  private build(embed: { data: Float32Array; V: number; E: number } | null, oneHot: number | null, layers: INode[],
    head: { w: Float32Array; F: number; V: number; transposed: boolean }, headBias: Float32Array | null): RecurrentLM {
    const op = layers[0].opType ?? '';
    const first = layers[0];
    const H = num(this.attr(first, 'hidden_size')?.i ?? 0);
    const dirOf = (n: INode) => text(this.attr(n, 'direction')?.s) || 'forward';
    const D = dirOf(first) === 'bidirectional' ? 2 : 1;
    let relu: boolean | null = null;
    const read: { W: Float32Array; R: Float32Array; B: Float32Array | null; I: number }[] = [];
    for (const [l, n] of layers.entries()) {
      if ((n.opType ?? '') !== op) throw this.bad(`${this.show(n)} mixes ${n.opType} with ${op}; rnnkit's layers are all one kind`);
      const h = num(this.attr(n, 'hidden_size')?.i ?? 0);
      if (!(h >= 1) || h !== H) throw this.bad(`${this.show(n)} has hidden_size ${h}; every layer needs the same positive size (${H})`);
      const dir = dirOf(n);
      if (dir !== 'forward' && dir !== 'bidirectional') throw this.bad(`${this.show(n)} runs in direction '${dir}'; rnnkit's layers run forward or both ways`);
      if ((dir === 'bidirectional' ? 2 : 1) !== D) throw this.bad(`${this.show(n)} has another direction than the first layer`);
      for (const a of ['clip', 'input_forget', 'layout']) {
        const at = this.attr(n, a);
        if (at && (num(at.i ?? 0) !== 0 || a === 'clip')) throw this.bad(`${this.show(n)} has attribute ${a}, which rnnkit's layers do not have`);
      }
      if (op === 'GRU' && num(this.attr(n, 'linear_before_reset')?.i ?? 0) !== 1) throw this.bad(`${this.show(n)} has linear_before_reset = 0; rnnkit's GRU is PyTorch's (linear_before_reset = 1)`);
      const acts = (this.attr(n, 'activations')?.strings ?? []).map((s) => text(s).toLowerCase());
      if (op === 'RNN') {
        const want = acts.length ? acts[0] : 'tanh';
        if (!acts.every((a) => a === want) || (want !== 'tanh' && want !== 'relu')) throw this.bad(`${this.show(n)} has activations ${acts.join(', ')}; rnnkit's RNN is Tanh or Relu`);
        if (relu !== null && relu !== (want === 'relu')) throw this.bad(`${this.show(n)} has another activation than the first layer`);
        relu = want === 'relu';
      } else if (acts.length) {
        const def = DEFAULT_ACTIVATIONS[op].map((a) => a.toLowerCase());
        if (!acts.every((a, i) => a === def[i % def.length])) throw this.bad(`${this.show(n)} has activations ${acts.join(', ')}; rnnkit's ${op} uses ${DEFAULT_ACTIVATIONS[op].join(', ')}`);
      }
      const ins = n.input ?? [];
      if (ins[4]) throw this.bad(`${this.show(n)} takes sequence_lens; rnnkit reads graphs over whole sequences`);
      if (op === 'LSTM' && ins[7]) throw this.bad(`${this.show(n)} has peephole weights, which rnnkit's LSTM does not have`);
      const G = onnxGateOrder(op === 'LSTM' ? 'lstm' : op === 'GRU' ? 'gru' : 'rnn_tanh').length * H;
      const I = l === 0 ? (embed ? embed.E : oneHot!) : H * D;
      const W = this.floats(ins[1], 3, `layer ${l}'s W`), R = this.floats(ins[2], 3, `layer ${l}'s R`);
      const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
      if (!same(W.dims, [D, G, I])) throw this.bad(`layer ${l}'s W is [${W.dims.join(', ')}], expected [${D}, ${G}, ${I}]`, ins[1]);
      if (!same(R.dims, [D, G, H])) throw this.bad(`layer ${l}'s R is [${R.dims.join(', ')}], expected [${D}, ${G}, ${H}]`, ins[2]);
      const B = ins[3] ? this.floats(ins[3], 2, `layer ${l}'s B`) : null;
      if (B && !same(B.dims, [D, 2 * G])) throw this.bad(`layer ${l}'s B is [${B.dims.join(', ')}], expected [${D}, ${2 * G}]`, ins[3]);
      read.push({ W: W.data, R: R.data, B: B?.data ?? null, I });
    }
    if (head.F !== H * D) throw this.bad(`the output layer takes ${head.F} features but the recurrent layers give ${H * D}`);
    if (headBias && headBias.length !== head.V) throw this.bad(`the output layer's bias has ${headBias.length} values for ${head.V} outputs`);
    const cell = RECURRENT[op];
    const bias = read.some((r) => r.B !== null);
    const model = new RecurrentLM({
      cell, nonlinearity: relu ? 'relu' : 'tanh', vocabSize: embed ? embed.V : oneHot!, embedSize: embed ? embed.E : 0,
      hiddenSize: H, numLayers: layers.length, bidirectional: D === 2, outputSize: head.V, bias,
    });
    const params = new Map(model.namedParameters());
    const set = (name: string, fill: (out: Float32Array) => void) => fill(params.get(name)!.data);
    if (embed) set('embed.weight', (o) => o.set(embed.data));
    const inv = invertOrder(onnxGateOrder(model.rnn.kind)), G = inv.length * H;
    read.forEach((r, l) => {
      for (let d = 0; d < D; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        set(`rnn.weight_ih${sfx}`, (o) => permuteBlocks(r.W.subarray(d * G * r.I, (d + 1) * G * r.I), H, r.I, inv, o, 0));
        set(`rnn.weight_hh${sfx}`, (o) => permuteBlocks(r.R.subarray(d * G * H, (d + 1) * G * H), H, H, inv, o, 0));
        // a layer without B in a model whose other layers have one: zero biases, as ONNX's default
        if (bias) {
          set(`rnn.bias_ih${sfx}`, (o) => (r.B ? permuteBlocks(r.B.subarray(d * 2 * G, d * 2 * G + G), H, 1, inv, o, 0) : o.fill(0)));
          set(`rnn.bias_hh${sfx}`, (o) => (r.B ? permuteBlocks(r.B.subarray(d * 2 * G + G, (d + 1) * 2 * G), H, 1, inv, o, 0) : o.fill(0)));
        }
      }
    });
    set('head.weight', (o) => {
      if (!head.transposed) o.set(head.w);
      else for (let v = 0; v < head.V; v++) for (let f = 0; f < head.F; f++) o[v * head.F + f] = head.w[f * head.V + v];
    });
    const hb = params.get('head.bias')!.data;
    if (headBias) hb.set(headBias); else hb.fill(0);
    return model;
  }
}
