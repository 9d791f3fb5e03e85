import { Tensor, shapeStr } from '../tensor/index.js';
import { ConfigError, FormatError } from '../errors.js';
import { parseStrictJson } from './json.js';

/*
 * The safetensors format (what PyTorch users load with safetensors.torch.load_file):
 *   8 bytes   little-endian u64 N, the header length
 *   N bytes   UTF-8 JSON: { "__metadata__": {str: str}, name: { dtype, shape, data_offsets: [begin, end] } }
 *   rest      the tensors' bytes, little-endian, offsets relative to the end of the header
 * No npm package maintains this format (the one published, safetensors@0.0.1, is a stub), and it is
 * small enough to own. Only this file touches the byte layout; it uses no Node built-in.
 */

/** The contents of a safetensors file: float32 tensors by name and string metadata. */
export interface SafetensorsFile {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

const ALIGN = 8;

/** Encodes float32 tensors (in insertion order) and string metadata. */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  for (const k of Object.keys(metadata)) if (k in Object.prototype) throw new ConfigError('metadata', `safetensors: '${k}' cannot be a metadata key`);
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    // the names the reader refuses are not written either
    if (name === '__metadata__' || name in Object.prototype) throw new ConfigError('tensors', `safetensors: '${name}' cannot name a tensor`);
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  // pad the header with spaces so the data starts 8-byte aligned, as the reference writer does
  const pad = (ALIGN - ((8 + json.length) % ALIGN)) % ALIGN;
  if (pad) json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad));
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const t of Object.values(tensors)) {
    writeF32(out, pos, t.data);
    pos += t.data.byteLength;
  }
  return out;
}

/** The largest header rnnkit reads, as the reference reader allows. */
export const MAX_HEADER_BYTES = 100_000_000;

const WIDTH: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2 };
const ENTRY_KEYS = ['dtype', 'shape', 'data_offsets'];

/**
 * Decodes a safetensors file. `source` names the file in error messages. F32 tensors come back as
 * they are; F64, F16 and BF16 are converted to float32. Everything the format specifies is checked
 * before any tensor is allocated: the header's length and JSON, each entry's dtype, shape and
 * offsets, and that the tensors tile the data exactly (in order of offset, from 0, no gap, no
 * overlap, no trailing byte). Anything else is a FormatError that names the file and the tensor.
 */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors data'): SafetensorsFile {
  const fail = (why: string, tensor?: string): never => {
    throw new FormatError(source, `${source} is not a valid safetensors file: ${why}`, tensor);
  };
  if (bytes.length < 8) fail(`it has ${bytes.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) fail(`the header length is ${n64} bytes, more than the format allows (${MAX_HEADER_BYTES})`);
  const n = Number(n64);
  if (n > bytes.length - 8) fail(`the header claims ${n} bytes but only ${bytes.length - 8} follow (truncated file?)`);
  if (n < 2) fail(`the header length is ${n} bytes, too short for a JSON object`);
  let header: unknown;
  try {
    header = parseStrictJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    return fail(`the header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) fail('the header is not a JSON object');
  if (bytes[8] !== 0x7b) fail('the header does not begin with \'{\'');
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!entry || typeof entry !== 'object' || Array.isArray(entry)) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(entry as object)) {
        if (typeof v !== 'string') fail(`metadata '${k}' is not a string`);
        if (k in Object.prototype) fail(`metadata '${k}' has a reserved name`);
        metadata[k] = v;
      }
      continue;
    }
    if (name in Object.prototype) fail(`tensor '${name}' has a reserved name`, name);
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) fail(`tensor '${name}' is not described by an object`, name);
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const extra = Object.keys(e).filter((k) => !ENTRY_KEYS.includes(k));
    if (extra.length) fail(`tensor '${name}' has unknown fields ${extra.map((k) => `'${k}'`).join(', ')}`, name);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor '${name}' has no valid shape`, name);
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0) || offs[0] > offs[1]) {
      fail(`tensor '${name}' has no valid data_offsets`, name);
    }
    const [begin, end] = offs as [number, number];
    if (end > dataLen) fail(`tensor '${name}' ends at byte ${end} of the data but the data has ${dataLen} bytes (truncated file?)`, name);
    const width = typeof e.dtype === 'string' && Object.hasOwn(WIDTH, e.dtype) ? WIDTH[e.dtype] : 0;
    if (!width) fail(`tensor '${name}' has dtype ${String(e.dtype)}; rnnkit reads F32, F64, F16 and BF16`, name);
    // the element count, refused as soon as it exceeds what the data could hold (so it never overflows)
    let count = (shape as number[]).includes(0) ? 0 : 1, whole = true;
    for (const d of shape as number[]) {
      if (count * width > dataLen) { whole = false; break; }
      count *= d;
    }
    if (count * width !== end - begin) {
      const needs = whole && Number.isSafeInteger(count * width) ? `${count * width} bytes` : `more than the ${dataLen} bytes of data`;
      fail(`tensor '${name}' of shape ${shapeStr(shape as number[])} and dtype ${String(e.dtype)} needs ${needs}, its offsets give ${end - begin}`, name);
    }
    entries.push({ name, dtype: e.dtype as string, shape: shape as number[], begin, end });
  }
  // the tensors must tile the data: sorted by offset, each begins where the one before ended
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of byOffset) {
    if (e.begin !== at) {
      fail(e.begin > at ? `tensor '${e.name}' begins at byte ${e.begin} of the data, leaving bytes ${at}–${e.begin - 1} unused`
        : `tensor '${e.name}' begins at byte ${e.begin} of the data, inside the tensor before it (which ends at ${at})`, e.name);
    }
    at = e.end;
  }
  if (at !== dataLen) fail(`the tensors cover ${at} bytes of data but ${dataLen} follow the header (${dataLen - at} trailing bytes)`);
  const tensors: Record<string, Tensor> = {};
  for (const e of entries) {
    const count = (e.end - e.begin) / WIDTH[e.dtype];
    tensors[e.name] = new Tensor(readFloats(bytes.subarray(dataStart + e.begin, dataStart + e.end), e.dtype, count), e.shape);
  }
  return { tensors, metadata };
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function writeF32(out: Uint8Array, pos: number, data: Float32Array): void {
  const src = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  out.set(src, pos);
  if (!littleEndian) for (let i = pos; i < pos + src.length; i += 4) out.subarray(i, i + 4).reverse();
}

function readFloats(raw: Uint8Array, dtype: string, count: number): Float32Array {
  const out = new Float32Array(count);
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (dtype) {
    case 'F32': for (let i = 0; i < count; i++) out[i] = v.getFloat32(4 * i, true); break;
    case 'F64': for (let i = 0; i < count; i++) out[i] = v.getFloat64(8 * i, true); break;
    case 'BF16': for (let i = 0; i < count; i++) out[i] = bf16(v.getUint16(2 * i, true)); break;
    case 'F16': for (let i = 0; i < count; i++) out[i] = f16(v.getUint16(2 * i, true)); break;
  }
  return out;
}

function bf16(bits: number): number {
  return new Float32Array(new Uint32Array([bits << 16]).buffer)[0];
}

function f16(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1, e = (bits >> 10) & 0x1f, m = bits & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
