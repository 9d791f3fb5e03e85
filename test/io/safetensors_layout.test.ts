import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../src/tensor/index.js';
import { encodeSafetensors, decodeSafetensors, MAX_HEADER_BYTES } from '../../src/io/safetensors.js';
import { ConfigError, FormatError, RnnkitError } from '../../src/errors.js';

/** A file from header text and data bytes, with the header length given or taken from the text. */
function file(headerText: string, data: Uint8Array, n?: bigint): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, n ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
const h = (o: object) => JSON.stringify(o);
const f32 = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);
const entry = (shape: number[], begin: number, end: number, dtype = 'F32') => ({ dtype, shape, data_offsets: [begin, end] });
const two = (a: [number, number], b: [number, number]) => h({ a: entry([1], ...a), b: entry([1], ...b) });

/** One case per rule of the layout: the file, the phrase of the message, and the tensor it names (if any). */
const refused: [string, Uint8Array, RegExp, string?][] = [
  ['fewer than 8 bytes', new Uint8Array(7), /7 bytes, fewer than the 8-byte header length/],
  ['header length over 100 MB', file('{}', new Uint8Array(0), BigInt(MAX_HEADER_BYTES) + 1n), /header length is 100000001 bytes, more than the format allows/],
  ['header length near 2^64', file('{}', new Uint8Array(0), 2n ** 64n - 1n), /more than the format allows/],
  ['header length past the end', file('{}', new Uint8Array(0), 3n), /header claims 3 bytes but only 2 follow \(truncated file\?\)/],
  ['header length 0', file('', new Uint8Array(0)), /header length is 0 bytes, too short/],
  ['header length 1', file('{', new Uint8Array(0)), /header length is 1 bytes, too short/],
  ['header not UTF-8', file('{"\xff":1}', new Uint8Array(0)).map((b, i) => (i === 10 ? 0xff : b)), /not UTF-8 JSON/],
  ['header not JSON', file('{"a":', new Uint8Array(0)), /not UTF-8 JSON/],
  ['header an array', file('[1, 2]', new Uint8Array(0)), /header is not a JSON object/],
  ['header not beginning with {', file(' {}', new Uint8Array(0)), /does not begin with '\{'/],
  ['nesting too deep', file(`{"__metadata__":{"x":${'['.repeat(100)}${']'.repeat(100)}}}`, new Uint8Array(0)), /nesting deeper than 64 levels/],
  ['first tensor not at 0', file(h({ a: entry([1], 4, 8) }), new Uint8Array(8)), /tensor 'a' begins at byte 4 of the data, leaving bytes 0–3 unused/, 'a'],
  ['gap between tensors', file(two([0, 4], [8, 12]), new Uint8Array(12)), /tensor 'b' begins at byte 8 of the data, leaving bytes 4–7 unused/, 'b'],
  ['overlapping tensors', file(h({ a: entry([2], 0, 8), b: entry([1], 4, 8) }), new Uint8Array(8)), /tensor 'b' begins at byte 4 of the data, inside the tensor before it/, 'b'],
  ['two tensors on the same bytes', file(two([0, 4], [0, 4]), new Uint8Array(4)), /tensor '[ab]' begins at byte 0 of the data, inside the tensor before it/],
  ['trailing bytes', file(h({ a: entry([1], 0, 4) }), new Uint8Array(6)), /the tensors cover 4 bytes of data but 6 follow the header \(2 trailing bytes\)/],
  ['header length into the padding', (() => {
    const good = encodeSafetensors({ a: Tensor.from([1]) }, { x: 'y' });
    const n = Number(new DataView(good.buffer).getBigUint64(0, true));
    const b = Uint8Array.from(good);
    new DataView(b.buffer).setBigUint64(0, BigInt(n - 1), true);
    return b[8 + n - 1] === 0x20 ? b : file(h({ a: entry([1], 0, 4) }) + ' ', f32(1, 0), BigInt(h({ a: entry([1], 0, 4) }).length));
  })(), /trailing bytes|not UTF-8 JSON/],
  ['offsets past the data', file(h({ a: entry([2], 0, 8) }), new Uint8Array(4)), /tensor 'a' ends at byte 8 of the data but the data has 4 bytes/, 'a'],
  ['end before begin', file(h({ a: entry([0], 4, 0) }), new Uint8Array(4)), /tensor 'a' has no valid data_offsets/, 'a'],
  ['offsets not integers', file(h({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4.5] } }), new Uint8Array(4)), /no valid data_offsets/, 'a'],
  ['three offsets', file(h({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] } }), new Uint8Array(4)), /no valid data_offsets/, 'a'],
  ['unknown dtype', file(h({ a: entry([1], 0, 8, 'I64') }), new Uint8Array(8)), /tensor 'a' has dtype I64; rnnkit reads F32, F64, F16 and BF16/, 'a'],
  ['dtype not a string', file(h({ a: { dtype: null, shape: [1], data_offsets: [0, 4] } }), new Uint8Array(4)), /has dtype null/, 'a'],
  ['shape × width ≠ bytes', file(h({ a: entry([3], 0, 8) }), new Uint8Array(8)), /tensor 'a' of shape \[3\] and dtype F32 needs 12 bytes, its offsets give 8/, 'a'],
  ['negative shape entry', file(h({ a: entry([-1], 0, 4) }), new Uint8Array(4)), /tensor 'a' has no valid shape/, 'a'],
  ['fractional shape entry', file(h({ a: entry([0.5, 8], 0, 16) }), new Uint8Array(16)), /no valid shape/, 'a'],
  ['unsafe integer in shape', file(h({ a: entry([2 ** 60], 0, 4) }), new Uint8Array(4)), /no valid shape/, 'a'],
  ['shape product that would overflow', file(h({ a: entry([2 ** 40, 2 ** 40, 2 ** 40], 0, 4) }), new Uint8Array(4)), /needs more than the 4 bytes of data, its offsets give 4/, 'a'],
  ['shape a string', file(h({ a: { dtype: 'F32', shape: '1', data_offsets: [0, 4] } }), new Uint8Array(4)), /no valid shape/, 'a'],
  ['entry not an object', file(h({ a: null }), new Uint8Array(0)), /tensor 'a' is not described by an object/, 'a'],
  ['unknown field in an entry', file(h({ a: { ...entry([1], 0, 4), extra: 1 } }), new Uint8Array(4)), /tensor 'a' has unknown fields 'extra'/, 'a'],
  ['duplicate tensor names', file(`{"a":${h(entry([1], 0, 4))},"a":${h(entry([1], 4, 8))}}`, new Uint8Array(8)), /duplicate key "a"/],
  ['duplicate metadata keys', file('{"__metadata__":{"k":"1","k":"2"}}', new Uint8Array(0)), /duplicate key "k"/],
  ['__proto__ as a name', file(`{"__proto__":${h(entry([1], 0, 4))}}`, new Uint8Array(4)), /the key "__proto__" is not allowed/],
  ['constructor as a name', file(h({ constructor: entry([1], 0, 4) }), new Uint8Array(4)), /tensor 'constructor' has a reserved name/, 'constructor'],
  ['__metadata__ not an object', file(h({ __metadata__: 'x' }), new Uint8Array(0)), /__metadata__ is not an object/],
  ['__metadata__ value not a string', file(h({ __metadata__: { format: 1 } }), new Uint8Array(0)), /metadata 'format' is not a string/],
  ['reserved metadata key', file(h({ __metadata__: { toString: 'x' } }), new Uint8Array(0)), /metadata 'toString' has a reserved name/],
];

for (const [rule, bytes, phrase, tensor] of refused) {
  test(`refused: ${rule}`, () => {
    assert.throws(() => decodeSafetensors(bytes, 'w.safetensors'), (e: unknown) => {
      assert.ok(e instanceof FormatError && e instanceof RnnkitError, `not a FormatError: ${String(e)}`);
      assert.equal(e.file, 'w.safetensors');
      assert.match(e.message, /^w\.safetensors is not a valid safetensors file: /);
      assert.match(e.message, phrase);
      if (tensor !== undefined) assert.equal(e.tensor, tensor);
      return true;
    });
  });
}

test('accepted: tensors listed out of offset order, zero-size tensors, a huge dimension beside a zero, padding spaces', () => {
  const f = decodeSafetensors(file(
    `${h({ __metadata__: { k: 'v' }, b: entry([1], 4, 8), e: entry([2 ** 40, 0], 4, 4), a: entry([1], 0, 4), z: entry([0], 8, 8) })}   `,
    f32(1.5, -2),
  ));
  assert.deepEqual(Object.keys(f.tensors), ['b', 'e', 'a', 'z']);
  assert.equal(f.tensors.a.data[0], 1.5);
  assert.equal(f.tensors.b.data[0], -2);
  assert.deepEqual(f.tensors.e.shape, [2 ** 40, 0]);
  assert.equal(f.tensors.z.data.length, 0);
  assert.deepEqual(f.metadata, { k: 'v' });
});

test('what rnnkit writes it reads back, with names that are reserved elsewhere in JSON', () => {
  const bytes = encodeSafetensors({ 'rnn.weight_hh_l0': Tensor.from([[1, 2]]), hasOwn: Tensor.from([3]) }, { 'a"b': 'c\n' });
  const f = decodeSafetensors(bytes);
  assert.deepEqual([...f.tensors['rnn.weight_hh_l0'].data], [1, 2]);
  assert.deepEqual(f.metadata, { 'a"b': 'c\n' });
});

test('the writer refuses the names the reader refuses', () => {
  for (const name of ['__metadata__', '__proto__', 'constructor', 'toString']) {
    assert.throws(() => encodeSafetensors(Object.fromEntries([[name, Tensor.from([1])]])), ConfigError, name);
  }
  assert.throws(() => encodeSafetensors({ a: Tensor.from([1]) }, { valueOf: 'x' }), ConfigError);
});
