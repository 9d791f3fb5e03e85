import { Tensor, shapeSize, shapeStr } from '../tensor/index.js';

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
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__') throw new Error(`safetensors: '__metadata__' cannot name a tensor`);
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

/**
 * Decodes a safetensors file. `source` names the file in error messages. F32 tensors come back as
 * they are; F64, F16 and BF16 are converted to float32. Anything malformed is an error that says what.
 */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors data'): SafetensorsFile {
  const fail = (why: string): never => {
    throw new Error(`${source} is not a valid safetensors file: ${why}`);
  };
  if (bytes.length < 8) fail(`it has ${bytes.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > bytes.length - 8) fail(`the header claims ${n} bytes but only ${bytes.length - 8} follow (truncated file?)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    return fail(`the header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) fail('the header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: Record<string, Tensor> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!entry || typeof entry !== 'object') fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(entry as object)) {
        if (typeof v !== 'string') fail(`metadata '${k}' is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor '${name}' has no valid shape`);
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isInteger(d) && d >= 0) || offs[0] > offs[1]) {
      fail(`tensor '${name}' has no valid data_offsets`);
    }
    const [begin, end] = offs as [number, number];
    if (end > dataLen) fail(`tensor '${name}' ends at byte ${end} of the data but the data has ${dataLen} bytes (truncated file?)`);
    const count = shapeSize(shape as number[]);
    const width = ({ F32: 4, F64: 8, F16: 2, BF16: 2 } as Record<string, number>)[String(e.dtype)];
    if (!width) fail(`tensor '${name}' has dtype ${String(e.dtype)}; rnnkit reads F32, F64, F16 and BF16`);
    if (end - begin !== count * width) {
      fail(`tensor '${name}' of shape ${shapeStr(shape as number[])} and dtype ${String(e.dtype)} needs ${count * width} bytes, its offsets give ${end - begin}`);
    }
    tensors[name] = new Tensor(readFloats(bytes.subarray(dataStart + begin, dataStart + end), String(e.dtype), count), shape as number[]);
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
