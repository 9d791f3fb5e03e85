import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { IMAGENET_PREPROCESS, type Preprocess } from './preprocess.js';

export { IMAGENET_PREPROCESS, type Preprocess };

/*
 * An ImageNet classifier in ONNX as a feature extractor: the graph is cut before its final fully
 * connected layer, so that the model's output is that layer's input, the image feature vector
 * ("the CNN with its last FC layer chopped off"). The surgery works on the ONNX protobuf (onnx-proto):
 * it adds at most a DequantizeLinear and a Flatten node and a new graph output, drops the nodes and
 * weights that no longer lead to it, and changes no weight. onnxruntime-node runs the result and
 * sharp decodes and resizes the images, which is why this file lives with the command line. Loading
 * those three libraries takes about a quarter of a second, so the commands import this file only when
 * they run (features.ts, loadExtractor), never at start-up.
 */
const { onnx } = onnxProto;
type NodeProto = onnxProto.onnx.INodeProto;

/** Nodes between the final FC layer and the output that leave the features' meaning unchanged. */
const PASS_THROUGH = new Set(['DequantizeLinear', 'QuantizeLinear', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Cast',
  'Softmax', 'LogSoftmax', 'Dropout', 'Add', 'QLinearAdd', 'Transpose']);
/** Fully connected layers, and the index of their weight input. */
const FC_WEIGHT: Record<string, number> = { Gemm: 1, MatMul: 1, QLinearMatMul: 3, QGemm: 3 };
/** Nodes through which a constant weight may reach the FC layer. */
const WEIGHT_PATH = new Set(['DequantizeLinear', 'Transpose', 'Identity', 'Cast', 'Reshape']);

export interface CutModel {
  /** The cut model's bytes. */
  bytes: Uint8Array;
  /** The final FC node, as "name (OpType)". */
  cutNode: string;
  /** The graph input the image goes into, and its shape as declared ([N, 3, 224, 224]; null where a size is symbolic). */
  inputName: string;
  inputShape: (number | null)[];
  /** The new output, [N, featureSize]. */
  outputName: string;
  /** Length of the feature vector, when the FC weight's shape tells it. */
  featureSize: number | null;
  /** The layer's output size (the number of classes), when known. */
  classes: number | null;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

/**
 * Cuts an ONNX classifier before its final fully connected layer: walking back from the first graph
 * output through dequantize, reshape, flatten, softmax and bias-add nodes, the first Gemm, MatMul,
 * QLinearMatMul or QGemm with a constant weight is that layer; the new output is its input (dequantized
 * when it is quantized, flattened to [N, F]). A model with no such layer is refused, saying what the
 * walk found instead. `source` names the model in messages.
 */
export function cutFinalFC(bytes: Uint8Array, source: string): CutModel {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new Error(`${source} is not an ONNX model (${(e as Error).message})`);
  }
  // decoded messages have every repeated field as an array (empty when absent)
  const g = model.graph as onnxProto.onnx.GraphProto | null;
  if (!g || !g.node.length || !g.output.length) throw new Error(`${source} is not an ONNX model: it has no graph, nodes or outputs`);
  const producer = new Map<string, NodeProto>();
  for (const n of g.node) for (const o of n.output ?? []) producer.set(o, n);
  const init = new Map(g.initializer.map((t) => [t.name ?? '', t]));
  const show = (n: NodeProto) => `${n.name || '(unnamed)'} (${n.opType})`;

  // a weight is constant when it is an initializer or a Constant, possibly dequantized / transposed
  const constantDims = (name: string, depth = 0): number[] | null | undefined => {
    const t = init.get(name);
    if (t) return (t.dims ?? []).map(num);
    const p = producer.get(name);
    if (!p || depth > 8) return undefined;
    if (p.opType === 'Constant') return null;
    if (WEIGHT_PATH.has(p.opType ?? '')) {
      const d = constantDims(p.input?.[0] ?? '', depth + 1);
      return d && p.opType === 'Transpose' ? [...d].reverse() : p.opType === 'Reshape' ? null : d;
    }
    return undefined;
  };
  const isConstant = (name: string) => constantDims(name) !== undefined;

  const output = g.output[0].name ?? '';
  let name = output;
  let fc: NodeProto | null = null;
  const walked: string[] = [];
  for (let guard = 0; guard < 64 && !fc; guard++) {
    const n = producer.get(name);
    if (!n) throw new Error(`${source} has no fully connected layer before its output '${output}': the walk back reached the graph input '${name}'`);
    const op = n.opType ?? '';
    if (op in FC_WEIGHT && isConstant(n.input?.[FC_WEIGHT[op]] ?? '')) {
      fc = n;
      break;
    }
    if (!PASS_THROUGH.has(op)) {
      throw new Error(`${source} has no fully connected layer (Gemm/MatMul) before its output '${output}': walking back through ${walked.length ? walked.join(' ← ') : 'nothing'} it reached ${show(n)}, which is not one; this model cannot be cut into a feature extractor`);
    }
    walked.push(show(n));
    let data = n.input?.[0] ?? '';
    if (op === 'Add' || op === 'QLinearAdd') {
      // a bias add has one constant operand; an add of two computed tensors (a residual) is not passed
      const [a, b] = op === 'Add' ? [n.input![0], n.input![1]] : [n.input![0], n.input![3]];
      if (isConstant(a) === isConstant(b)) throw new Error(`${source}: ${show(n)} before the output adds two computed tensors, so no final fully connected layer can be found`);
      data = isConstant(a) ? b : a;
    }
    name = data;
  }
  if (!fc) throw new Error(`${source}: no fully connected layer within 64 nodes of the output '${output}'`);
  const op = fc.opType ?? '';
  const attr = (k: string) => num(fc!.attribute?.find((a) => a.name === k)?.i ?? 0);
  if (op === 'Gemm' && attr('transA')) throw new Error(`${source}: the final layer ${show(fc)} transposes its input (transA = 1); this is not supported`);

  const wDims = constantDims(fc.input![FC_WEIGHT[op]]) ?? null;
  let featureSize: number | null = null, classes: number | null = null;
  if (wDims && wDims.length === 2) {
    const transB = op === 'Gemm' && attr('transB') === 1;
    [featureSize, classes] = transB ? [wDims[1], wDims[0]] : [wDims[0], wDims[1]];
  }

  // the new output: the FC layer's input, dequantized if need be, flattened to [N, F]
  const taken = new Set([...producer.keys(), ...init.keys(), ...g.input.map((i) => i.name ?? '')]);
  const fresh = (base: string) => {
    let s = base;
    for (let i = 1; taken.has(s); i++) s = `${base}_${i}`;
    taken.add(s);
    return s;
  };
  let feat = fc.input![0];
  const added: NodeProto[] = [];
  if (op === 'QLinearMatMul' || op === 'QGemm') {
    const deq = fresh('rnnkit_features_dequantized');
    added.push(onnx.NodeProto.create({ name: fresh('rnnkit_dequantize'), opType: 'DequantizeLinear', input: [feat, fc.input![1], fc.input![2]], output: [deq] }));
    feat = deq;
  }
  const outName = fresh('features');
  added.push(onnx.NodeProto.create({
    name: fresh('rnnkit_flatten'), opType: 'Flatten', input: [feat], output: [outName],
    attribute: [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 })],
  }));
  const batchDim = g.output[0].type?.tensorType?.shape?.dim?.[0];
  g.output = [onnx.ValueInfoProto.create({
    name: outName,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: onnx.TensorShapeProto.create({
          dim: [batchDim ? onnx.TensorShapeProto.Dimension.create(batchDim) : onnx.TensorShapeProto.Dimension.create({ dimParam: 'N' }),
            featureSize ? onnx.TensorShapeProto.Dimension.create({ dimValue: featureSize }) : onnx.TensorShapeProto.Dimension.create({ dimParam: 'F' })],
        }),
      }),
    }),
  })];
  g.node.push(...added);

  // keep only what the new output needs
  const needed = new Set<string>([outName]);
  const keep = new Set<NodeProto>();
  for (let i = g.node.length - 1; i >= 0; i--) {
    const n = g.node[i];
    if ((n.output ?? []).some((o) => needed.has(o))) {
      keep.add(n);
      for (const x of n.input ?? []) if (x) needed.add(x);
      // subgraphs (If, Loop) may use outer names
      for (const a of n.attribute ?? []) for (const sg of [a.g, ...(a.graphs ?? [])]) for (const sn of sg?.node ?? []) for (const x of sn.input ?? []) needed.add(x);
    }
  }
  g.node = g.node.filter((n) => keep.has(n));
  g.initializer = g.initializer.filter((t) => needed.has(t.name ?? ''));
  g.input = g.input.filter((i) => !init.has(i.name ?? '') || needed.has(i.name ?? ''));
  g.valueInfo = g.valueInfo.filter((v) => needed.has(v.name ?? ''));

  const input = g.input.find((i) => !init.has(i.name ?? ''));
  if (!input) throw new Error(`${source} has no image input`);
  const inputShape = (input.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null && num(d.dimValue) > 0 ? num(d.dimValue) : null));
  return {
    bytes: onnx.ModelProto.encode(model).finish(), cutNode: show(fc), inputName: input.name ?? '', inputShape, outputName: outName, featureSize, classes,
  };
}

/**
 * One image file as a [3, crop, crop] float32 array (CHW, RGB): decoded and converted to sRGB by
 * sharp, resized so the shorter side is `resize` (lanczos3), centre-cropped (offset floor((w − crop)/2)),
 * then (v/255 − mean)/std per channel.
 */
export async function loadImage(file: string | Buffer, p: Preprocess): Promise<Float32Array> {
  const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb')
    .resize(p.resize, p.resize, { fit: 'outside' }).raw().toBuffer({ resolveWithObject: true });
  const { width: w, height: h, channels: ch } = info;
  if (ch !== 3) throw new Error(`decoded to ${ch} channels, expected 3`);
  if (w < p.crop || h < p.crop) throw new Error(`resized to ${w}×${h}, smaller than the ${p.crop}×${p.crop} crop`);
  const left = Math.floor((w - p.crop) / 2), top = Math.floor((h - p.crop) / 2);
  const S = p.crop, out = new Float32Array(3 * S * S);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const src = ((top + y) * w + left + x) * 3;
      for (let c = 0; c < 3; c++) out[c * S * S + y * S + x] = (data[src + c] / 255 - p.mean[c]) / p.std[c];
    }
  }
  return out;
}

/** A classifier cut before its final FC layer, ready to turn preprocessed images into feature vectors. */
export class FeatureExtractor {
  private constructor(readonly cut: CutModel, private readonly session: ort.InferenceSession, readonly preprocess: Preprocess) {}

  /** Loads and cuts the model; the crop size follows the model's declared input size when it has one. */
  static async create(modelBytes: Uint8Array, source: string, preprocess: Partial<Preprocess> = {}): Promise<FeatureExtractor> {
    const cut = cutFinalFC(modelBytes, source);
    const declared = cut.inputShape.length === 4 && cut.inputShape[2] && cut.inputShape[2] === cut.inputShape[3] ? cut.inputShape[2] : null;
    const p: Preprocess = { ...IMAGENET_PREPROCESS, ...(declared ? { crop: declared } : {}), ...preprocess };
    if (declared && p.crop !== declared) throw new Error(`${source} takes ${declared}×${declared} images; a ${p.crop} crop does not fit it`);
    if (p.resize < p.crop) throw new Error(`the resize (${p.resize}) must be at least the crop (${p.crop})`);
    // one thread: the results do not depend on how work is split, and batch runs stay light
    const session = await ort.InferenceSession.create(cut.bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    return new FeatureExtractor(cut, session, p);
  }

  /** One image file, preprocessed as this model expects (loadImage). */
  loadImage(file: string | Buffer): Promise<Float32Array> {
    return loadImage(file, this.preprocess);
  }

  /** Feature vectors [n, F] for n preprocessed images, as one flat array. */
  async run(images: Float32Array[]): Promise<{ data: Float32Array; dim: number }> {
    const S = this.preprocess.crop, n = images.length;
    const input = new Float32Array(n * 3 * S * S);
    images.forEach((im, i) => input.set(im, i * 3 * S * S));
    const r = await this.session.run({ [this.cut.inputName]: new ort.Tensor('float32', input, [n, 3, S, S]) });
    const t = r[this.cut.outputName];
    const data = t.data as Float32Array;
    return { data: Float32Array.from(data), dim: data.length / n };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
