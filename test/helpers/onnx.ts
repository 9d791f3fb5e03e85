import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** A small deterministic weight tensor. */
function weight(name: string, dims: number[], seed: number): onnxProto.onnx.ITensorProto {
  let s = seed >>> 0 || 1;
  const n = dims.reduce((a, b) => a * b, 1);
  const floatData = Array.from({ length: n }, () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return (s / 4294967296) * 2 - 1;
  });
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData };
}

function valueInfo(name: string, dims: (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

const int = (name: string, i: number) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
const ints = (name: string, v: number[]) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });

/**
 * A tiny image classifier in ONNX, written here so that tests need no downloaded model:
 * image [N, 3, S, S] → Conv 3×3 (3 → C) → Relu → GlobalAveragePool → Flatten → the head → output.
 *   gemm       Gemm (transB) → Softmax         (the torchvision export pattern)
 *   matmul     MatMul → Add (bias)             (the TensorFlow export pattern)
 *   none       no head: the pooled features are the output (nothing to cut)
 */
export function tinyClassifier(head: 'gemm' | 'matmul' | 'none', o: { size?: number; channels?: number; classes?: number } = {}): { bytes: Uint8Array; fcWeight: Float32Array; fcBias: Float32Array; channels: number; classes: number } {
  const S = o.size ?? 8, C = o.channels ?? 4, K = o.classes ?? 5;
  const convW = weight('conv.weight', [C, 3, 3, 3], 1), convB = weight('conv.bias', [C], 2);
  const nodes: onnxProto.onnx.INodeProto[] = [
    { name: 'conv', opType: 'Conv', input: ['image', 'conv.weight', 'conv.bias'], output: ['c1'], attribute: [ints('pads', [1, 1, 1, 1]), ints('kernel_shape', [3, 3])] },
    { name: 'relu', opType: 'Relu', input: ['c1'], output: ['r1'] },
    { name: 'pool', opType: 'GlobalAveragePool', input: ['r1'], output: ['p1'] },
    { name: 'flatten', opType: 'Flatten', input: ['p1'], output: ['f1'], attribute: [int('axis', 1)] },
  ];
  const inits = [convW, convB];
  let out = 'f1', outDims: (number | string)[] = ['N', C];
  const fcW = head === 'gemm' ? weight('fc.weight', [K, C], 3) : weight('fc.weight', [C, K], 3);
  const fcB = weight('fc.bias', [K], 4);
  if (head === 'gemm') {
    nodes.push({ name: 'fc', opType: 'Gemm', input: ['f1', 'fc.weight', 'fc.bias'], output: ['logits'], attribute: [int('transB', 1)] });
    nodes.push({ name: 'softmax', opType: 'Softmax', input: ['logits'], output: ['probs'], attribute: [int('axis', 1)] });
    inits.push(fcW, fcB);
    out = 'probs';
    outDims = ['N', K];
  } else if (head === 'matmul') {
    nodes.push({ name: 'fc_matmul', opType: 'MatMul', input: ['f1', 'fc.weight'], output: ['mm'] });
    nodes.push({ name: 'fc_bias', opType: 'Add', input: ['mm', 'fc.bias'], output: ['logits'] });
    inits.push(fcW, fcB);
    out = 'logits';
    outDims = ['N', K];
  }
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'rnnkit tests',
    graph: { name: `tiny-${head}`, node: nodes, initializer: inits, input: [valueInfo('image', ['N', 3, S, S])], output: [valueInfo(out, outDims)] },
  });
  return { bytes: onnx.ModelProto.encode(model).finish(), fcWeight: Float32Array.from(fcW.floatData!), fcBias: Float32Array.from(fcB.floatData!), channels: C, classes: K };
}
