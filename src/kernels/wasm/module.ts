import { kernelsWasmBase64 } from './kernels.wasm.js';

/** The exports of asm/index.ts. Pointers are byte offsets into the heap; flags are 0/1. */
export interface KernelExports {
  heapBase(): number;
  zero(ptr: number, bytes: number): void;
  transpose(src: number, rows: number, cols: number, dst: number): void;
  gemmWorkspaceBytes(): number;
  gemm(transA: number, transB: number, m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number,
    c: number, ldc: number, accumulate: number, work: number): void;
  activate(kind: number, x: number, out: number, n: number): void;
  activateBackward(kind: number, y: number, dy: number, dx: number, n: number, accumulate: number): void;
  addScaled(a: number, b: number, alpha: number, out: number, n: number): void;
  mul(a: number, b: number, out: number, n: number): void;
  scale(x: number, alpha: number, n: number): void;
  sumSquares(x: number, n: number): number;
  sum(x: number, n: number): number;
  addRowVector(x: number, v: number, w: number, rows: number): void;
  sumRows(x: number, rows: number, w: number, ldx: number, out: number, accumulate: number): void;
  gatherRows(table: number, width: number, ids: number, nIds: number, out: number): void;
  scatterAddRows(table: number, width: number, ids: number, nIds: number, src: number): void;
  softmax(x: number, n: number, c: number, out: number): void;
  softmaxCrossEntropy(logits: number, n: number, c: number, targets: number, ignoreIndex: number, probs: number): number;
  softmaxCrossEntropyRows(logits: number, n: number, c: number, targets: number, ignoreIndex: number, probs: number, losses: number): void;
  softmaxCrossEntropyBackward(probs: number, n: number, c: number, targets: number, ignoreIndex: number, scale: number, dLogits: number): void;
  lstmForward(b: number, h: number, gates: number, cPrev: number, c: number, hOut: number): void;
  lstmBackward(b: number, h: number, gates: number, cPrev: number, c: number, dh: number, dc: number, dGates: number): void;
  gruForward(b: number, h: number, gi: number, gh: number, hPrev: number, hOut: number): void;
  gruBackward(b: number, h: number, gi: number, gh: number, hPrev: number, dh: number, dGi: number, dGh: number, dhPrev: number): void;
  recurrenceForward(kind: number, T: number, B: number, H: number, b0: number, nb: number, reverse: number,
    gates: number, wHh: number, bHh: number, hInit: number, cInit: number, hs: number, cs: number, ghs: number, work: number,
    batchSizes: number): void;
  recurrenceBackward(kind: number, T: number, B: number, H: number, b0: number, nb: number, reverse: number,
    gates: number, wT: number, hInit: number, cInit: number, hs: number, cs: number, ghs: number, gOut: number,
    dG: number, dGh: number, dh: number, dc: number, spare: number, initGrad: number, work: number, batchSizes: number): void;
  matvecPanels(k: number, x: number, panels: number, nPanels: number, out: number, accumulate: number): void;
  stepPart(kind: number, H: number, I: number, u0: number, nu: number, rows: number, inRow: number, x: number, wIh: number,
    wHh: number, bHh: number, hPrev: number, cPrev: number, gates: number, gh: number, h: number, c: number,
    head: number, headPanels: number, partial: number): void;
  adamStep(param: number, grad: number, m: number, v: number, n: number, beta1: number, b1c: number, beta2: number, b2c: number,
    stepSize: number, bc2Sqrt: number, eps: number, decay: number, l2: number, decoupled: number): void;
}

// atob exists in browsers, workers and Node ≥ 16, unlike Buffer
function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function readLeb(bytes: Uint8Array, pos: number): [value: number, next: number] {
  let v = 0, shift = 0, b: number;
  do {
    b = bytes[pos++];
    v += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  return [v, pos];
}

/**
 * The binary declares its imported memory shared. For a host without shared memory, the same binary with
 * that flag cleared in the import section: the kernels use no atomics, so nothing else depends on it.
 */
export function withUnsharedMemoryImport(bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const out = bytes.slice();
  let pos = 8; // magic and version
  while (pos < out.length) {
    const id = out[pos];
    const [size, body] = readLeb(out, pos + 1);
    if (id === 2) {
      let [count, p] = readLeb(out, body);
      for (; count > 0; count--) {
        for (let s = 0; s < 2; s++) { // module and field names
          const [len, q] = readLeb(out, p);
          p = q + len;
        }
        const kind = out[p++];
        if (kind === 0x02) {
          if (out[p] & 0x02) out[p] &= ~0x02; // limits flags: bit 1 = shared
          return out;
        }
        if (kind === 0x00) p = readLeb(out, p)[1]; // function: type index
        else if (kind === 0x01) { p++; p = skipLimits(out, p); } // table: element type, limits
        else if (kind === 0x03) p += 2; // global: value type, mutability
        else throw new Error(`wasm backend: unexpected import kind ${kind}`);
      }
    }
    pos = body + size;
  }
  throw new Error('wasm backend: the module imports no memory');
}

function skipLimits(bytes: Uint8Array, p: number): number {
  const flags = bytes[p++];
  p = readLeb(bytes, p)[1];
  if (flags & 0x01) p = readLeb(bytes, p)[1];
  return p;
}

function kernelBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const bytes = decodeBase64(kernelsWasmBase64);
  return shared ? bytes : withUnsharedMemoryImport(bytes);
}

/** Compiles the kernels and instantiates them on `memory`; the module is kept for helper threads. */
export async function instantiateKernels(memory: WebAssembly.Memory, shared: boolean): Promise<{ module: WebAssembly.Module; exports: KernelExports }> {
  const module = await WebAssembly.compile(kernelBytes(shared));
  const instance = await WebAssembly.instantiate(module, { env: { memory, log: Math.log } });
  return { module, exports: instance.exports as unknown as KernelExports };
}

/**
 * The same, synchronously, for a caller that cannot wait: the module is small enough for the synchronous
 * compile that hosts allow (a browser's main thread refuses it only for much larger modules).
 */
export function instantiateKernelsNow(memory: WebAssembly.Memory, shared: boolean): { module: WebAssembly.Module; exports: KernelExports } {
  const module = new WebAssembly.Module(kernelBytes(shared));
  const instance = new WebAssembly.Instance(module, { env: { memory, log: Math.log } });
  return { module, exports: instance.exports as unknown as KernelExports };
}
