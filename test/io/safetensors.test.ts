import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../src/tensor/index.js';
import { encodeSafetensors, decodeSafetensors } from '../../src/io/safetensors.js';
import { pack, unpack } from '../../src/io/pack.js';

function header(bytes: Uint8Array): Record<string, any> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
}

/** A file with a hand-made header, to test what the decoder refuses. */
function withHeader(h: object, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(h));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

test('round trip keeps names, order, shapes, values and metadata; the data is 8-byte aligned', () => {
  const a = Tensor.from([[1, 2, 3], [4, 5, 6]]), b = Tensor.from([Math.PI, -0, 1e-30]), e = Tensor.zeros([0, 4]);
  const bytes = encodeSafetensors({ 'rnn.weight_ih_l0': a, b, empty: e }, { format: 'pt', note: 'hi' });
  const h = header(bytes);
  assert.deepEqual(h.__metadata__, { format: 'pt', note: 'hi' });
  assert.deepEqual(h['rnn.weight_ih_l0'], { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
  assert.equal((8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))) % 8, 0);
  const f = decodeSafetensors(bytes);
  assert.deepEqual(Object.keys(f.tensors), ['rnn.weight_ih_l0', 'b', 'empty']);
  assert.deepEqual(f.tensors.b.data, b.data);
  assert.deepEqual(f.tensors['rnn.weight_ih_l0'].shape, [2, 3]);
  assert.deepEqual(f.tensors.empty.shape, [0, 4]);
  assert.deepEqual(f.metadata, { format: 'pt', note: 'hi' });
});

test('F64, F16 and BF16 tensors are read and converted to float32', () => {
  const d = new Uint8Array(8 + 2 + 2);
  const v = new DataView(d.buffer);
  v.setFloat64(0, 0.1, true);
  v.setUint16(8, 0x3c00, true); // 1.0 in half precision
  v.setUint16(10, 0xc040, true); // -3.0 in bfloat16
  const f = decodeSafetensors(withHeader({
    a: { dtype: 'F64', shape: [1], data_offsets: [0, 8] }, h: { dtype: 'F16', shape: [1], data_offsets: [8, 10] }, bf: { dtype: 'BF16', shape: [1], data_offsets: [10, 12] },
  }, d));
  assert.equal(f.tensors.a.data[0], Math.fround(0.1));
  assert.equal(f.tensors.h.data[0], 1);
  assert.equal(f.tensors.bf.data[0], -3);
});

test('truncated, corrupt or unsupported files are refused with what is wrong', () => {
  const good = encodeSafetensors({ w: Tensor.from([1, 2, 3, 4]) });
  const cases: [Uint8Array, RegExp][] = [
    [good.subarray(0, 5), /fewer than the 8-byte header length/],
    [good.subarray(0, 20), /header claims \d+ bytes but only 12 follow \(truncated file\?\)/],
    [good.subarray(0, good.length - 4), /tensor 'w' ends at byte 16 of the data but the data has 12 bytes \(truncated file\?\)/],
    [withHeader({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 12] } }, new Uint8Array(12)), /needs 8 bytes, its offsets give 12/],
    [withHeader({ w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), /dtype I64; rnnkit reads F32, F64, F16 and BF16/],
    [withHeader({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor 'w' has no valid shape/],
    [withHeader({ w: { dtype: 'F32', shape: [1] } }, new Uint8Array(4)), /no valid data_offsets/],
    [withHeader([1, 2] as unknown as object, new Uint8Array(0)), /header is not a JSON object/],
    [(() => { const b = Uint8Array.from(good); b[10] = 0xff; return b; })(), /header is not UTF-8 JSON/],
  ];
  for (const [bytes, msg] of cases) assert.throws(() => decodeSafetensors(bytes, 'model.safetensors'), (e: Error) => {
    assert.match(e.message, /^model\.safetensors is not a valid safetensors file: /);
    assert.match(e.message, msg);
    return true;
  });
});

test('pack and unpack move Float32Arrays into named tensors and back exactly', () => {
  const state = { kind: 'Adam', step: 3, params: [{ buffers: { m: Float32Array.of(1, 2), v: Float32Array.of(3) } }, null], flag: true };
  const tensors: Record<string, Tensor> = {};
  const packed = pack(state, 'optimizer', tensors);
  assert.deepEqual(Object.keys(tensors), ['optimizer.params.0.buffers.m', 'optimizer.params.0.buffers.v']);
  const json = JSON.parse(JSON.stringify(packed));
  assert.deepEqual(unpack(json, tensors, 'x'), state);
  assert.throws(() => unpack(json, {}, 'state.safetensors'), /state\.safetensors refers to tensor 'optimizer\.params\.0\.buffers\.m' that it does not contain/);
});
