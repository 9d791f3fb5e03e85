import { Tensor } from '../tensor/index.js';
import { FormatError } from '../errors.js';

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

/**
 * Puts the tensors `pack` moved out back in. Each reference must name a one-dimensional tensor of
 * `tensors`; `used` collects the names referred to, so a caller can refuse tensors nothing refers to.
 */
export function unpack(value: unknown, tensors: Record<string, Tensor>, source: string, used?: Set<string>): unknown {
  if (Array.isArray(value)) return value.map((v) => unpack(v, tensors, source, used));
  if (value && typeof value === 'object') {
    const ref = Object.hasOwn(value, REF) ? (value as Record<string, unknown>)[REF] : undefined;
    if (ref !== undefined) {
      if (typeof ref !== 'string' || Object.keys(value).length !== 1) throw new FormatError(source, `${source} has a malformed tensor reference ${JSON.stringify(value)} (corrupt checkpoint?)`);
      const t = Object.hasOwn(tensors, ref) ? tensors[ref] : undefined;
      if (!t) throw new FormatError(source, `${source} refers to tensor '${ref}' that it does not contain (corrupt checkpoint?)`, ref);
      if (t.shape.length !== 1) throw new FormatError(source, `${source}: tensor '${ref}' has shape [${t.shape.join(', ')}], expected one dimension`, ref);
      if (used?.has(ref)) throw new FormatError(source, `${source} refers to tensor '${ref}' twice (corrupt checkpoint?)`, ref);
      used?.add(ref);
      return copyOf(t.data);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unpack(v, tensors, source, used)]));
  }
  return value;
}

/** A plain copy; Float32Array.from is many times slower on views of WebAssembly memory. */
function copyOf(a: Float32Array): Float32Array {
  const c = new Float32Array(a.length);
  c.set(a);
  return c;
}
