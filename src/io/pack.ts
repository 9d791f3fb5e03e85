import { Tensor } from '../tensor/index.js';

/*
 * Optimizer state and the like are plain objects whose leaves are numbers, strings and Float32Arrays.
 * `pack` moves every Float32Array out into a named tensor (for safetensors) and leaves a reference
 * in the JSON; `unpack` puts them back. The round trip is exact.
 */
const REF = '$tensor';

export function pack(value: unknown, prefix: string, tensors: Record<string, Tensor>): unknown {
  if (value instanceof Float32Array) {
    const name = prefix;
    tensors[name] = new Tensor(copyOf(value), [value.length]);
    return { [REF]: name };
  }
  if (Array.isArray(value)) return value.map((v, i) => pack(v, `${prefix}.${i}`, tensors));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, pack(v, `${prefix}.${k}`, tensors)]));
  }
  return value;
}

export function unpack(value: unknown, tensors: Record<string, Tensor>, source: string): unknown {
  if (Array.isArray(value)) return value.map((v) => unpack(v, tensors, source));
  if (value && typeof value === 'object') {
    const ref = (value as Record<string, unknown>)[REF];
    if (typeof ref === 'string') {
      const t = tensors[ref];
      if (!t) throw new Error(`${source} refers to tensor '${ref}' that it does not contain (corrupt checkpoint?)`);
      return copyOf(t.data);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unpack(v, tensors, source)]));
  }
  return value;
}

/** A plain copy; Float32Array.from is many times slower on views of WebAssembly memory. */
function copyOf(a: Float32Array): Float32Array {
  const c = new Float32Array(a.length);
  c.set(a);
  return c;
}
