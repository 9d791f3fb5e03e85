/*
 * The checkpoint fuzzer's worker, run as its own process by checkpoint_fuzz.test.ts (so that a hang
 * can be caught and peak memory measured). It trains three tiny runs (LSTM, GRU, RNN), takes their
 * model.safetensors and state.safetensors, and loads thousands of seeded mutations of them the way
 * rnnkit does. Every load must either fail with a RnnkitError, or succeed with exactly what the file
 * says under a plain reading (JSON.parse of the header and metadata, the bytes at each tensor's
 * offsets). Mutations that keep a file valid (changed weight bytes, reordered or reformatted JSON)
 * must load.
 *
 *   RNNKIT_FUZZ_N     mutations (default 3000)
 *   RNNKIT_FUZZ_SEED  seed (default 1)
 *   RNNKIT_FUZZ_ONLY  run mutation i alone (to reproduce one) and print its error
 *
 * Prints `progress i` lines as it goes and one `result {json}` line at the end.
 */
import { isDeepStrictEqual } from 'node:util';
import { CharLMTrainer, defaultTrainConfig, charLMFromCheckpoint, CHECKPOINT_FORMAT, type TrainConfig } from '../../src/text/index.js';
import { encodeCheckpoint, decodeCheckpointPart, MODEL_FILE, STATE_FILE, type CheckpointPart } from '../../src/io/index.js';
import { RnnkitError } from '../../src/errors.js';

const N = Number(process.env.RNNKIT_FUZZ_N ?? 3000);
const SEED = Number(process.env.RNNKIT_FUZZ_SEED ?? 1);
const ONLY = process.env.RNNKIT_FUZZ_ONLY === undefined ? null : Number(process.env.RNNKIT_FUZZ_ONLY);

/** mulberry32: a small seeded generator for the mutations. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  return { next, int, pick };
}
type Rng = ReturnType<typeof rng>;

// ---- the real files: three tiny trained runs ----

const words = ['the', 'whale', 'sea', 'ship', 'captain', 'white', 'and', 'of', 'a', 'to', 'Ahab', 'boat', 'harpoon'];
let text = '';
for (let x = 11; text.length < 3000;) {
  x = (x * 1103515245 + 12345) % 2147483648;
  text += words[x % words.length] + ((x >> 8) % 9 === 0 ? '.\n' : ' ');
}

interface Base { name: string; model: Uint8Array; state: Uint8Array }
const configs: Partial<TrainConfig>[] = [
  { cell: 'lstm', hidden: 6, layers: 2 },
  { cell: 'gru', hidden: 5, layers: 1, optimizer: 'sgd' },
  { cell: 'rnn', nonlinearity: 'relu', hidden: 4, layers: 1, optimizer: 'rmsprop', dropout: 0.1 },
];
const bases: Base[] = configs.map((c) => {
  const t = CharLMTrainer.create(text, { ...defaultTrainConfig, seq: 8, batch: 4, steps: 10, valChars: 64, valFraction: 0.1, ...c });
  for (let i = 0; i < 3; i++) t.trainStep();
  t.validate();
  const files = encodeCheckpoint(t.checkpoint('fuzz.txt'));
  return { name: `${c.cell}`, model: files[MODEL_FILE], state: files[STATE_FILE] };
});

// ---- a plain reading of a file, the oracle ----

interface Plain { meta: Record<string, unknown>; tensors: Map<string, { dtype: string; shape: number[]; data: Uint8Array }>; tiled: boolean }

function plainRead(bytes: Uint8Array): Plain {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const dataStart = 8 + n;
  const tensors: Plain['tensors'] = new Map();
  const spans: [number, number][] = [];
  for (const [name, e] of Object.entries(header as Record<string, any>)) {
    if (name === '__metadata__') continue;
    const [b, end] = e.data_offsets;
    spans.push([b, end]);
    tensors.set(name, { dtype: e.dtype, shape: e.shape, data: bytes.slice(dataStart + b, dataStart + end) });
  }
  spans.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let at = 0, tiled = true;
  for (const [b, e] of spans) { if (b !== at) tiled = false; at = e; }
  if (at !== bytes.length - dataStart) tiled = false;
  return { meta: JSON.parse(header.__metadata__.rnnkit), tensors, tiled };
}

/** True when the loaded tensors are exactly the file's, by name, dtype F32, shape and bytes. */
function sameTensors(plain: Plain, loaded: Record<string, { shape: readonly number[]; data: Float32Array }>): string | null {
  const names = Object.keys(loaded);
  if (names.length !== plain.tensors.size) return `the file has ${plain.tensors.size} tensors, the load ${names.length}`;
  for (const name of names) {
    const p = plain.tensors.get(name), t = loaded[name];
    if (!p) return `'${name}' is not in the file`;
    if (p.dtype !== 'F32') return `'${name}' has dtype ${p.dtype}`;
    if (!isDeepStrictEqual([...p.shape], [...t.shape])) return `'${name}' has shape ${JSON.stringify(p.shape)} in the file, ${JSON.stringify(t.shape)} loaded`;
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    if (!isDeepStrictEqual(p.data, Uint8Array.from(bytes))) return `'${name}' has other bytes than the file's`;
  }
  return null;
}

/** Where two JSON values first differ, or null. */
function firstDiff(a: unknown, b: unknown, at: string): string | null {
  if (isDeepStrictEqual(a, b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDiff((a as any)[k], (b as any)[k], `${at}.${k}`);
      if (d) return d;
    }
  }
  return `${at} is ${JSON.stringify(a)?.slice(0, 120)} in the file but ${JSON.stringify(b)?.slice(0, 120)} once loaded`;
}

/** Loads a model file as `rnnkit sample` does; returns null when it matches the plain reading, else what differs. */
function checkModelLoad(bytes: Uint8Array): string | null {
  const part = decodeCheckpointPart(bytes, MODEL_FILE);
  const { model, vocab, meta } = charLMFromCheckpoint(part, MODEL_FILE);
  const plain = plainRead(bytes);
  if (!plain.tiled) return 'the tensors do not tile the data';
  const m = plain.meta as Record<string, any>;
  if (m.format !== CHECKPOINT_FORMAT) return `format ${JSON.stringify(m.format)}`;
  if (!isDeepStrictEqual(m.model, { ...meta.model }) || !isDeepStrictEqual(m.model, { ...model.config })) return `model config ${JSON.stringify(m.model)} read as ${JSON.stringify(meta.model)}`;
  if (!isDeepStrictEqual(m.vocab, [...vocab.chars])) return 'vocabulary differs';
  return sameTensors(plain, model.stateDict());
}

/** Resumes from a model and a state file as `rnnkit train --resume` does; null when the resumed run is exactly the state file's. */
function checkResume(modelBytes: Uint8Array, stateBytes: Uint8Array): string | null {
  const model = decodeCheckpointPart(modelBytes, MODEL_FILE), state = decodeCheckpointPart(stateBytes, STATE_FILE);
  const t = CharLMTrainer.resume(text, { model, state }, 'fuzz');
  const plain = plainRead(stateBytes);
  if (!plain.tiled) return 'the tensors do not tile the data';
  const p = plain.meta as Record<string, unknown>;
  const again = t.checkpoint(typeof p.corpusName === 'string' ? p.corpusName : 'text').state!;
  const re = JSON.parse(JSON.stringify(again.meta)) as Record<string, unknown>;
  for (const key of ['step', 'config', 'optimizer', 'rng', 'position', 'corpus', 'history', ...('corpusName' in p ? ['corpusName'] : [])]) {
    const d = firstDiff(p[key], re[key], key);
    if (d) return d;
  }
  const st = sameTensors(plain, again.tensors);
  if (st) return st;
  // and a step from there runs
  t.trainStep();
  return null;
}

// ---- mutations ----

interface Parsed { n: number; headerText: string; header: Record<string, any>; data: Uint8Array; meta: Record<string, any> }

function parse(bytes: Uint8Array): Parsed {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  const header = JSON.parse(headerText);
  return { n, headerText, header, data: bytes.slice(8 + n), meta: JSON.parse(header.__metadata__.rnnkit) };
}

function build(headerText: string, data: Uint8Array, n?: number | bigint): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(n ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const withMeta = (p: Parsed, metaText: string) => JSON.stringify({ ...p.header, __metadata__: { ...p.header.__metadata__, rnnkit: metaText } });
const concat = (a: Uint8Array, b: Uint8Array) => { const o = new Uint8Array(a.length + b.length); o.set(a); o.set(b, a.length); return o; };

function oddValues(r: Rng, v: unknown): unknown[] {
  const x = typeof v === 'number' ? v : 3;
  return [1e6, 1e300, -1, -0.5, 0, 0.5, 2 ** 53, 2 ** 32, 1e-300, x + 1, x - 1, x * 2, x + 0.5, -x, 'NaN', 'Infinity', 'abc', '', String(x), null, true, false, [], {}, [x], { x }, r.int(1000)];
}

/** Every path into a JSON value, as key lists. */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (at.length) out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function setPath(root: any, p: (string | number)[], f: (parent: any, key: string | number) => void) {
  let o = root;
  for (const k of p.slice(0, -1)) o = o[k];
  f(o, p[p.length - 1]);
}

interface Mutation { kind: string; bytes: Uint8Array; benign: boolean }

const KINDS = [
  'bit-any', 'bit-header', 'byte-data', 'truncate', 'extend', 'header-length', 'header-insert', 'offsets-shift', 'offsets-swap',
  'shape', 'dtype', 'entry', 'rename', 'duplicate', 'add-tensor', 'metadata', 'reorder', 'meta-value', 'meta-vocab', 'meta-text', 'meta-reformat',
] as const;

function mutate(r: Rng, base: Uint8Array): Mutation {
  const kind = r.pick(KINDS);
  const p = parse(base);
  const names = Object.keys(p.header).filter((k) => k !== '__metadata__');
  const tname = r.pick(names);
  const clone = () => JSON.parse(JSON.stringify(p.header));
  const done = (bytes: Uint8Array, benign = false): Mutation => ({ kind, bytes, benign });
  switch (kind) {
    case 'bit-any': {
      const b = Uint8Array.from(base);
      for (let k = 1 + r.int(3); k > 0; k--) { const i = r.int(b.length); b[i] ^= 1 << r.int(8); }
      return done(b);
    }
    case 'bit-header': {
      const b = Uint8Array.from(base);
      const i = r.int(8 + p.n);
      b[i] ^= 1 << r.int(8);
      return done(b);
    }
    case 'byte-data': {
      const b = Uint8Array.from(base);
      if (p.data.length) b[8 + p.n + r.int(p.data.length)] = r.int(256);
      return done(b, true);
    }
    case 'truncate': return done(base.slice(0, r.int(base.length)));
    case 'extend': return done(concat(base, Uint8Array.from({ length: 1 + r.int(64) }, () => r.int(256))));
    case 'header-length': {
      const n = r.pick([p.n + 1 + r.int(16), p.n - 1 - r.int(16), r.int(base.length), 2 ** 32 + p.n, 2n ** 63n, 0, 1, 2, 100_000_001]);
      return done(build(p.headerText, p.data, typeof n === 'bigint' ? n : BigInt(Math.max(0, n))));
    }
    case 'header-insert': {
      const i = r.int(p.headerText.length + 1);
      const t = p.headerText.slice(0, i) + r.pick(['{', '}', '[', ']', ',', ':', '"', '\\', '0', '-', 'e', ' ', '\n', '\u0000', 'é']) + p.headerText.slice(i);
      return done(build(t, p.data));
    }
    case 'offsets-shift': {
      const h = clone();
      const k = r.pick([-8, -4, -1, 1, 4, 8]);
      const which = r.int(3);
      if (which !== 1) h[tname].data_offsets[0] += k;
      if (which !== 0) h[tname].data_offsets[1] += k;
      return done(build(JSON.stringify(h), p.data));
    }
    case 'offsets-swap': {
      const h = clone();
      const other = r.pick(names);
      const a = h[tname].data_offsets;
      h[tname].data_offsets = h[other].data_offsets;
      h[other].data_offsets = r.next() < 0.5 ? a : [a[0], a[0] + (h[other].data_offsets[1] - h[other].data_offsets[0])];
      return done(build(JSON.stringify(h), p.data));
    }
    case 'shape': {
      const h = clone();
      const s = h[tname].shape as unknown[];
      const op = r.int(4);
      if (op === 0 && s.length) s[r.int(s.length)] = r.pick(oddValues(r, s[0]));
      else if (op === 1) s.push(r.pick([1, 0, 2]));
      else if (op === 2) s.pop();
      else s.reverse();
      return done(build(JSON.stringify(h), p.data));
    }
    case 'dtype': {
      const h = clone();
      h[tname].dtype = r.pick(['F16', 'F64', 'BF16', 'I32', 'U8', 'f32', 'F32 ', null, 1, ['F32']]);
      return done(build(JSON.stringify(h), p.data));
    }
    case 'entry': {
      const h = clone();
      const op = r.int(5);
      if (op === 0) delete h[tname];
      else if (op === 1) h[tname] = r.pick([null, 1, 'x', [], {}]);
      else if (op === 2) h[tname].extra = 1;
      else if (op === 3) delete h[tname][r.pick(['dtype', 'shape', 'data_offsets'])];
      else h[tname].data_offsets = r.pick([null, [0], [0, 4, 8], ['0', '4'], [0.5, 4.5], [-4, 0], 'x']);
      return done(build(JSON.stringify(h), p.data));
    }
    case 'rename': {
      const to = r.pick(['__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'rnn.weight_hh_l7', 'head.weight2', r.pick(names), '__metadata__']);
      const t = p.headerText.replace(`"${tname}":`, `${JSON.stringify(to)}:`);
      return done(build(t, p.data));
    }
    case 'duplicate': {
      // the same name twice: JSON.parse would keep the second
      const h = clone();
      const entry = r.next() < 0.5 ? h[tname] : h[r.pick(names)];
      const t = p.headerText.replace(/\}\s*$/, `,${JSON.stringify(tname)}:${JSON.stringify(entry)}}`);
      return done(build(t, p.data));
    }
    case 'add-tensor': {
      const h = clone();
      const name = r.pick(['extra', 'rnn.weight_ih_l9', 'head.scale', 'carry.x', 'optimizer.extra']);
      h[name] = { dtype: 'F32', shape: [2], data_offsets: [p.data.length, p.data.length + 8] };
      return done(build(JSON.stringify(h), concat(p.data, new Uint8Array(8))));
    }
    case 'metadata': {
      const h = clone();
      const op = r.int(4);
      if (op === 0) h.__metadata__ = r.pick([null, 'x', [], 1]);
      else if (op === 1) h.__metadata__.rnnkit = r.pick([1, null, {}, ['x']]);
      else if (op === 2) delete h.__metadata__.rnnkit;
      else h.__metadata__.rnnkit = r.pick(['', '[]', 'null', '"x"', '{', '{"format":1}', '1e999']);
      return done(build(JSON.stringify(h), p.data));
    }
    case 'reorder': {
      // the same file with its header's keys in another order and other spacing: it must load
      const keys = Object.keys(p.header).sort(() => r.next() - 0.5);
      const h = Object.fromEntries(keys.map((k) => [k, p.header[k]]));
      return done(build(JSON.stringify(h, null, r.int(3)), p.data), true);
    }
    case 'meta-value': {
      const meta = JSON.parse(JSON.stringify(p.meta));
      const at = r.pick(paths(meta));
      setPath(meta, at, (o, k) => {
        const op = r.int(6);
        if (op === 0 && !Array.isArray(o)) delete o[k];
        else if (op === 1 && !Array.isArray(o)) o[`${k}_`] = o[k];
        else o[k] = r.pick(oddValues(r, o[k]));
      });
      return done(build(withMeta(p, JSON.stringify(meta)), p.data));
    }
    case 'meta-vocab': {
      const meta = JSON.parse(JSON.stringify(p.meta));
      if (!Array.isArray(meta.vocab)) return done(base);
      const v = meta.vocab as unknown[];
      const op = r.int(6);
      if (op === 0) v.pop();
      else if (op === 1) v.push('Ω');
      else if (op === 2) v[r.int(v.length)] = v[(r.int(v.length - 1) + 1) % v.length] ?? 'x';
      else if (op === 3) v[r.int(v.length)] = r.pick(['ab', '', '👍🏽', 'e\u0301']);
      else if (op === 4) v[r.int(v.length)] = r.pick([1, null, ['a'], { a: 1 }]);
      else meta.vocab = r.pick([null, 'abc', {}, []]);
      return done(build(withMeta(p, JSON.stringify(meta)), p.data));
    }
    case 'meta-text': {
      const text = JSON.stringify(p.meta);
      const keys = Object.keys(p.meta);
      const k = r.pick(keys);
      const t = r.next() < 0.5
        ? text.replace(/\}$/, `,${JSON.stringify(k)}:${JSON.stringify(p.meta[k])}}`)
        : text.replace(/^\{/, `{"__proto__":${r.pick(['{"x":1}', 'null', '[]'])},`);
      return done(build(withMeta(p, t), p.data));
    }
    case 'meta-reformat':
      return done(build(withMeta(p, JSON.stringify(p.meta, null, 1 + r.int(3))), p.data), true);
  }
}

// ---- the run ----

const r = rng(SEED);
const baseline = process.memoryUsage().rss;
let maxRssGrowth = 0, slowestMs = 0;
const counts: Record<string, { accepted: number; refused: number }> = {};
const failures: { i: number; kind: string; target: string; base: string; problem: string }[] = [];
let accepted = 0, refused = 0;

// the unmutated files load and resume exactly
for (const b of bases) {
  const bad = checkModelLoad(b.model) ?? checkResume(b.model, b.state);
  if (bad) failures.push({ i: -1, kind: 'none', target: 'both', base: b.name, problem: `the unmutated ${b.name} files: ${bad}` });
}

for (let i = 0; i < N; i++) {
  const base = r.pick(bases);
  const target = r.next() < 0.5 ? 'model' : 'state';
  const m = mutate(r, target === 'model' ? base.model : base.state);
  if (ONLY !== null && i !== ONLY) continue;
  if (i % 100 === 0) process.stdout.write(`progress ${i}\n`);
  const t0 = performance.now();
  let problem: string | null = null;
  try {
    problem = target === 'model' ? checkModelLoad(m.bytes) : checkResume(base.model, m.bytes);
    if (target === 'model' && !problem) {
      // a model that loads either resumes with its state or is refused for a reason
      try { checkResume(m.bytes, base.state); } catch (e) { if (!(e instanceof RnnkitError)) throw e; }
    }
    if (problem) problem = `accepted, but not what the file says: ${problem}`;
    accepted++;
    (counts[m.kind] ??= { accepted: 0, refused: 0 }).accepted++;
  } catch (e) {
    refused++;
    (counts[m.kind] ??= { accepted: 0, refused: 0 }).refused++;
    if (!(e instanceof RnnkitError)) problem = `crashed: ${(e as Error)?.name}: ${(e as Error)?.message} ${(e as Error)?.stack?.split('\n')[1]?.trim()}`;
    else if (m.benign) problem = `a valid file was refused: ${e.message}`;
    if (ONLY !== null) process.stdout.write(`error ${(e as Error).message}\n`);
  }
  slowestMs = Math.max(slowestMs, performance.now() - t0);
  maxRssGrowth = Math.max(maxRssGrowth, process.memoryUsage().rss - baseline);
  if (problem) failures.push({ i, kind: m.kind, target, base: base.name, problem });
}

process.stdout.write(`result ${JSON.stringify({
  n: N, seed: SEED, accepted, refused, counts, failures: failures.slice(0, 30), failureCount: failures.length,
  maxRssGrowthMB: maxRssGrowth / 2 ** 20, maxRssMB: process.resourceUsage().maxRSS / 1024, slowestMs,
})}\n`);
