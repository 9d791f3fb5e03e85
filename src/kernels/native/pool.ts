/**
 * The native backend's buffers: plain Float32Arrays, kept for reuse when given back with `free`, so that a
 * training step gets last step's (already touched) memory instead of fresh pages from the system, which
 * the first kernel to write them then pays for.
 */
export class BufferPool {
  /** Arrays this pool handed out (not their subarrays). */
  private readonly mine = new WeakSet<Float32Array>();
  /** Given back, waiting for reuse: by length. */
  private readonly idle = new Map<number, Float32Array[]>();
  private readonly pooled = new Set<Float32Array>();
  private bytes = 0;

  /** maxBytes: the most memory kept idle; beyond it, given-back arrays are left to the garbage collector. */
  constructor(private readonly maxBytes = 256 * 2 ** 20) {}

  alloc(n: number, uninitialized = false): Float32Array {
    const list = this.idle.get(n);
    const x = list?.pop();
    if (x) {
      this.pooled.delete(x);
      this.bytes -= x.byteLength;
      if (!uninitialized) x.fill(0);
      return x;
    }
    const y = new Float32Array(n);
    this.mine.add(y);
    return y;
  }

  /** Keeps x for reuse; arrays not from alloc, subarrays, and arrays already given back are ignored. */
  free(x: Float32Array): void {
    if (!this.mine.has(x) || this.pooled.has(x) || x.length === 0) return;
    if (this.bytes + x.byteLength > this.maxBytes) return;
    let list = this.idle.get(x.length);
    if (!list) this.idle.set(x.length, (list = []));
    list.push(x);
    this.pooled.add(x);
    this.bytes += x.byteLength;
  }

  /** Bytes kept for reuse. */
  idleBytes(): number {
    return this.bytes;
  }
}
