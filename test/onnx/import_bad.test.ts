import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import onnxProto from 'onnx-proto';
import { importONNX, FormatError } from '../../src/index.js';
import { ROOT } from '../helpers/cli.js';

/*
 * Bad ONNX files, one row each: importONNX must refuse every one with a FormatError of one line that
 * names the problem, before allocating anything the file's sizes ask for.
 */

const { onnx } = onnxProto;
type Model = onnxProto.onnx.ModelProto;
const fixture = (name: string) => new Uint8Array(readFileSync(path.join(ROOT, 'test/fixtures/onnx', `${name}.onnx`)));
const edit = (name: string, change: (m: Model) => void): Uint8Array => {
  const m = onnx.ModelProto.decode(fixture(name));
  change(m);
  return onnx.ModelProto.encode(m).finish();
};
/** The graph of a decoded model (decoded messages have every repeated field as an array). */
const graphOf = (m: Model) => m.graph as onnxProto.onnx.GraphProto;
const nodeOf = (m: Model, op: string) => graphOf(m).node.find((n) => n.opType === op)!;
const initOf = (m: Model, input: string) => graphOf(m).initializer.find((t) => t.name === input)!;
const weightW = (m: Model, op: string) => initOf(m, nodeOf(m, op).input![1]);

const ROWS: { name: string; bytes: () => Uint8Array; message: RegExp }[] = [
  { name: 'empty file', bytes: () => new Uint8Array(0), message: /the file is empty; it is not an ONNX model/ },
  { name: 'truncated file', bytes: () => fixture('lstm_L2_bi').subarray(0, 3000), message: /is not an ONNX model or is truncated \(.*\); export it again/ },
  { name: 'not protobuf at all', bytes: () => new TextEncoder().encode('{"this": "is json"}\n'.repeat(20)), message: /is not an ONNX model/ },
  { name: 'unknown operator', bytes: () => edit('rnn_tanh_L2_bi', (m) => { nodeOf(m, 'Transpose').opType = 'FancyMix'; }), message: /node '.*' \(FancyMix\): operator FancyMix is not supported; rnnkit imports Gather\/OneHot → RNN\/LSTM\/GRU/ },
  { name: 'operator after the output layer', bytes: () => edit('rnn_tanh_L1_uni', (m) => { graphOf(m).node.push(onnx.NodeProto.create({ name: 'sm', opType: 'Softmax', input: ['logits'], output: ['p'] })); }), message: /node 'sm' \(Softmax\): operator Softmax is not supported/ },
  { name: 'custom operator set', bytes: () => edit('gru_L1_uni', (m) => { nodeOf(m, 'GRU').domain = 'com.example'; }), message: /is from the operator set 'com\.example'/ },
  { name: 'opset too old', bytes: () => edit('lstm_L1_uni', (m) => { m.opsetImport[0].version = 5; }), message: /ONNX opset 5 is not supported; rnnkit reads opsets 7 to 23/ },
  { name: 'opset from the future', bytes: () => edit('lstm_L1_uni', (m) => { m.opsetImport[0].version = 99; }), message: /ONNX opset 99 is not supported/ },
  { name: 'no standard opset', bytes: () => edit('lstm_L1_uni', (m) => { m.opsetImport = []; }), message: /ONNX opset \(none\) is not supported/ },
  { name: 'huge dimensions', bytes: () => edit('lstm_L1_uni', (m) => { weightW(m, 'LSTM').dims = [1, 1_000_000, 1_000_000]; }), message: /layer 0's W has dimensions \[1, 1000000, 1000000\]: 1000000000000 values, over the 268435456 a weight may have/ },
  { name: 'negative dimension', bytes: () => edit('lstm_L1_uni', (m) => { weightW(m, 'LSTM').dims = [1, -16, 3]; }), message: /layer 0's W has dimensions \[1, -16, 3\], which are not sizes/ },
  { name: 'dimensions that disagree with the stored bytes', bytes: () => edit('rnn_relu_L1_uni', (m) => { weightW(m, 'RNN').dims = [1, 4, 4]; }), message: /layer 0's W '.*' holds 48 bytes where its dimensions \[1, 4, 4\] need 64; the file is damaged/ },
  { name: 'dimensions that disagree with the layer', bytes: () => edit('gru_L2_bi', (m) => { const w = weightW(m, 'GRU'); w.dims = [2, 6, 6]; }), message: /layer 0's W is \[2, 6, 6\], expected \[2, 12, 3\]/ },
  { name: 'weights in an external file', bytes: () => edit('gru_L1_uni', (m) => { weightW(m, 'GRU').dataLocation = onnx.TensorProto.DataLocation.EXTERNAL; }), message: /is stored in an external file; save the model as one file/ },
  { name: 'float64 weights', bytes: () => edit('gru_L1_uni', (m) => { weightW(m, 'GRU').dataType = onnx.TensorProto.DataType.DOUBLE; }), message: /layer 0's W '.*' is not float32/ },
  { name: 'GRU with linear_before_reset = 0', bytes: () => edit('gru_L1_uni', (m) => { nodeOf(m, 'GRU').attribute = nodeOf(m, 'GRU').attribute!.filter((a) => a.name !== 'linear_before_reset'); }), message: /has linear_before_reset = 0; rnnkit's GRU is PyTorch's/ },
  { name: 'LSTM with a cell clip', bytes: () => edit('lstm_L1_uni', (m) => { nodeOf(m, 'LSTM').attribute!.push(onnx.AttributeProto.create({ name: 'clip', type: onnx.AttributeProto.AttributeType.FLOAT, f: 3 })); }), message: /has attribute clip, which rnnkit's layers do not have/ },
  { name: 'RNN with another activation', bytes: () => edit('rnn_tanh_L1_uni', (m) => { const n = nodeOf(m, 'RNN'); n.attribute = n.attribute!.filter((a) => a.name !== 'activations'); n.attribute.push(onnx.AttributeProto.create({ name: 'activations', type: onnx.AttributeProto.AttributeType.STRINGS, strings: [new TextEncoder().encode('Sigmoid')] })); }), message: /has activations sigmoid; rnnkit's RNN is Tanh or Relu/ },
  { name: 'no recurrent layer', bytes: () => edit('rnn_tanh_L1_uni', (m) => { graphOf(m).node = graphOf(m).node.filter((n) => n.opType !== 'RNN'); }), message: /node '\/head\/MatMul' \(MatMul\) comes before any RNN, LSTM or GRU node/ },
  {
    name: 'layers wired another way (another axis order)', message: /the input of node '.*' \(RNN\) is not the previous layer's output at every step: it comes through node '.*' \(Reshape\) ← node '.*' \(Transpose\)/,
    bytes: () => edit('rnn_tanh_L2_bi', (m) => { nodeOf(m, 'Transpose').attribute![0].ints = [1, 2, 0, 3]; }),
  },
  {
    name: 'only the last step read out', message: /the input of the output layer is not the previous layer's output at every step: it comes through node 'last' \(Gather\)/,
    bytes: () => edit('gru_L1_uni', (m) => {
      const mm = nodeOf(m, 'MatMul');
      graphOf(m).node.splice(graphOf(m).node.indexOf(mm), 0, onnx.NodeProto.create({ name: 'last', opType: 'Gather', input: [mm.input![0], 'last_index'], output: ['last_step'] }));
      graphOf(m).initializer.push(onnx.TensorProto.create({ name: 'last_index', dims: [], dataType: onnx.TensorProto.DataType.INT64, int64Data: [-1] }));
      mm.input![0] = 'last_step';
    }),
  },
  { name: 'no output is the logits', bytes: () => edit('gru_L1_uni', (m) => { graphOf(m).output = graphOf(m).output.filter((o) => o.name !== 'logits'); }), message: /no graph output is the output layer's result/ },
  { name: 'no graph', bytes: () => edit('rnn_tanh_L1_uni', (m) => { m.graph = null; }), message: /has no graph nodes/ },
  { name: 'weight computed in the graph', bytes: () => edit('lstm_L1_uni', (m) => { const n = nodeOf(m, 'LSTM'); graphOf(m).initializer = graphOf(m).initializer.filter((t) => t.name !== n.input![2]); }), message: /layer 0's R '.*' is computed in the graph, not stored/ },
];

for (const row of ROWS) {
  test(`importONNX refuses a bad file in one line: ${row.name}`, async () => {
    const err = await importONNX(row.bytes(), 'model.onnx').then(() => null, (e: unknown) => e);
    assert.ok(err instanceof FormatError, `${row.name}: ${String(err)}`);
    assert.equal(err.file, 'model.onnx');
    assert.ok(!err.message.includes('\n'), err.message);
    assert.match(err.message, /^model\.onnx: /);
    assert.match(err.message, row.message);
  });
}
