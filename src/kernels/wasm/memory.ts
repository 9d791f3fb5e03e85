import { BlockAllocator, type AllocatorStats } from './allocator.js';

/**
 * The WebAssembly heap: one linear memory, the allocator over it, and the Float32Array views handed out
 * by `alloc`.
 *
 * Memory choice. Shared memory (backed by a SharedArrayBuffer) is used where the host allows it (Node,
 * cross-origin-isolated pages and workers): growing it never detaches the views handed out earlier, and
 * worker threads can later run kernels on the same memory. Elsewhere (a page without cross-origin
 * isolation) memory is not shared, and growing a non-shared memory would detach every view handed out:
 * so it is reserved at its full size up front (`fixedMiB`, pages are only touched when used) and never
 * grows. When that is exhausted, `alloc` returns ordinary arrays, which the kernels copy in and out.
 *
 * Lifetime. A view's block is freed when the view is garbage-collected (FinalizationRegistry), or at
 * once by `free(view)`. Sub-views made with `subarray()` keep their parent alive, so a block is never
 * freed while any such view of it is reachable. A view made by hand on `view.buffer` does not: it must
 * not outlive the view it was made from.
 *
 * Soft limit. The garbage collector does not see the heap: a view is a small object, so dropping views
 * by the gigabyte puts no pressure on it, and without a collection no block comes back. So the heap
 * grows only up to a soft limit; past it, `alloc` hands out ordinary arrays (slower: kernels copy them)
 * until blocks are free again. The limit doubles when it is reached although a collection has just run
 * and left most of it live, so a working set that really is large still gets room. To have collections
 * happen at all, the view handed out when the live bytes reach a mark carries a BALLAST-byte ArrayBuffer
 * that the collector does count; being larger than what allocators serve from their pools, it is mapped
 * and never touched, so it costs address space only. The mark is twice the live bytes when the last
 * ballast went out, or BALLAST_MIN above what a collection that brought much back left live: a program
 * that frees by hand, whose live bytes only swing within a step, soon stops paying for collections,
 * while one that drops its views gets one for every BALLAST_MIN of garbage. Finalizers run between
 * tasks: a loop that never yields to the event loop gets its blocks back only when it does.
 */
const BALLAST_MIN = 32 << 20;
const BALLAST = 64 << 20;

const PAGE = 65536;

export interface HeapOptions {
  /** Use shared memory when available (default true). */
  shared?: boolean;
  /** Upper limit for shared memory, MiB (default 4096, the most 32-bit addressing allows). */
  maxMiB?: number;
  /** Size of a non-shared memory, reserved up front, MiB (default 256). */
  fixedMiB?: number;
  /** Initial size of shared memory, MiB (default 16). */
  initialMiB?: number;
  /** Initial soft limit of shared memory, MiB (default 512): see above. */
  softLimitMiB?: number;
}

/** A view into the heap. `subarray` links the sub-view to its parent so the parent's block stays alive. */
export class HeapView extends Float32Array<ArrayBufferLike> {
  /**
   * The view's byte offset in the heap, or −1 for arrays that methods like slice() make through this
   * class. Kernels take it as their pointer: reading `.buffer` or `.byteOffset` of a typed array costs
   * some 20 ns in V8, as much as a small kernel.
   */
  ptr = -1;
  owner: Float32Array | undefined = undefined;
  ballast: ArrayBuffer | undefined = undefined;

  override subarray(begin?: number, end?: number): HeapView {
    const s = super.subarray(begin, end) as HeapView;
    s.owner = this;
    if (this.ptr >= 0) s.ptr = s.byteOffset;
    return s;
  }
}

export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  private readonly allocator: BlockAllocator;
  private f32: Float32Array;
  private i32: Int32Array;
  private readonly registry = new FinalizationRegistry<number>((off) => this.collected(off));
  private warned = false;
  private softLimit: number;
  private growCap: number;
  private batchPending = false;
  /** Bytes live just after the last batch of finalizers ran, or −1 if none has run since the limit last moved. */
  private liveAfterCollection = -1;
  // live bytes at which the next view carries ballast; bytes the collector brought back in this batch
  private ballastAt = BALLAST_MIN;
  private reclaimed = 0;

  constructor(heapBase: number, memory: WebAssembly.Memory, shared: boolean, private readonly maxBytes: number,
    private readonly zero: (ptr: number, bytes: number) => void, softLimitMiB = 512) {
    this.memory = memory;
    this.shared = shared;
    this.softLimit = this.growCap = Math.min(maxBytes, softLimitMiB * 1048576);
    this.f32 = new Float32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
    this.allocator = new BlockAllocator(heapBase, memory.buffer.byteLength, (need) => this.growTo(need));
  }

  /** Creates the memory the module will import: shared where possible, else fixed-size. */
  static createMemory(o: HeapOptions): { memory: WebAssembly.Memory; shared: boolean; maxBytes: number } {
    const pages = (mib: number) => Math.max(1, Math.min(65536, Math.ceil((mib * 1048576) / PAGE)));
    if (o.shared !== false && typeof SharedArrayBuffer !== 'undefined') {
      const initial = pages(o.initialMiB ?? 16);
      // a large maximum is only address space, but a host may refuse to reserve it: try smaller ones
      for (let maximum = pages(o.maxMiB ?? 4096); maximum >= initial; maximum >>= 1) {
        try {
          const memory = new WebAssembly.Memory({ initial, maximum, shared: true });
          if (memory.buffer instanceof SharedArrayBuffer) return { memory, shared: true, maxBytes: maximum * PAGE };
        } catch {
          // not allowed here (no cross-origin isolation) or too large a reservation
        }
        if (maximum === initial) break;
      }
    }
    const fixed = pages(o.fixedMiB ?? 256);
    const memory = new WebAssembly.Memory({ initial: fixed, maximum: fixed });
    return { memory, shared: false, maxBytes: fixed * PAGE };
  }

  private growTo(needEnd: number): number {
    const have = this.memory.buffer.byteLength;
    if (!this.shared || needEnd > this.growCap) return -1;
    // grow by at least a quarter, so that many small steps do not each pay for a grow
    const want = Math.min(this.growCap, Math.max(needEnd, have + Math.floor(have / 4)));
    try {
      this.memory.grow(Math.ceil((want - have) / PAGE));
    } catch {
      return -1;
    }
    this.refresh();
    return this.memory.buffer.byteLength;
  }

  // After a grow, views on the new (longer) buffer; the old buffer object stays valid for old views.
  private refresh(): void {
    const buf = this.memory.buffer;
    if (buf.byteLength !== this.f32.byteLength) {
      this.f32 = new Float32Array(buf);
      this.i32 = new Int32Array(buf);
    }
  }

  /**
   * x's byte offset if x is a view handed out by alloc() (or a subarray of one), to pass to the kernels
   * as is; −1 otherwise (those arrays are copied, even ones made by hand on the heap's buffer).
   */
  ptrOf(x: ArrayBufferView): number {
    const p = (x as Partial<HeapView>).ptr;
    return p === undefined ? -1 : p;
  }

  holds(x: ArrayBufferView): boolean {
    return this.ptrOf(x) >= 0;
  }

  // A block came back from the collector; once the batch is done, note what is still live. Where the
  // batch brought back much (a program that drops its views), the next ballast goes out BALLAST_MIN
  // above what stays live; where it brought back little (a program that frees by hand, whose live bytes
  // swing within a step), the mark stays where it was, above those swings.
  private collected(off: number): void {
    this.reclaimed += this.allocator.sizeOf(off);
    this.allocator.release(off);
    if (this.batchPending) return;
    this.batchPending = true;
    setTimeout(() => {
      this.batchPending = false;
      this.liveAfterCollection = this.allocator.live;
      if (this.reclaimed >= BALLAST_MIN / 4) this.ballastAt = this.liveAfterCollection + BALLAST_MIN;
      this.reclaimed = 0;
    }, 0);
  }

  // The heap would pass the soft limit: raise it only if a collection has run and left it mostly live.
  private raiseSoftLimit(): boolean {
    if (this.liveAfterCollection < 0.75 * this.softLimit || this.softLimit >= this.maxBytes) return false;
    this.softLimit = Math.min(this.maxBytes, 2 * this.softLimit);
    this.liveAfterCollection = -1;
    return true;
  }

  /** n zero-filled floats in the heap (any contents with !zero), freed when the view is collected (or by free()). */
  alloc(n: number, zero = true): Float32Array {
    if (n === 0) return new Float32Array(0);
    let off = this.allocateUnder(this.softLimit, n * 4);
    if (off < 0 && this.raiseSoftLimit()) off = this.allocateUnder(this.softLimit, n * 4);
    if (off < 0) {
      // past the soft limit: an ordinary array, until the collector has returned dead blocks
      if (this.shared && this.allocator.stats().top + n * 4 <= this.maxBytes) return new Float32Array(n);
      if (!this.warned) {
        this.warned = true;
        console.warn(`rnnkit wasm backend: heap full (${this.maxBytes / 1048576} MiB); using ordinary arrays, which run slower`);
      }
      return new Float32Array(n);
    }
    const fresh = this.allocator.fresh;
    const v = new HeapView(this.f32.buffer, off, n);
    v.ptr = off;
    if (!fresh && zero) this.zero(off, n * 4);
    this.registry.register(v, off, v);
    const live = this.allocator.live;
    if (live >= this.ballastAt) {
      this.ballastAt = Math.max(BALLAST_MIN, 2 * live);
      try {
        v.ballast = new ArrayBuffer(BALLAST);
      } catch {
        // a host short of address space: do without
      }
    }
    return v;
  }

  private allocateUnder(cap: number, bytes: number): number {
    this.growCap = cap;
    try {
      return this.allocator.allocate(bytes);
    } finally {
      this.growCap = this.maxBytes;
    }
  }

  /** Frees x's block now. x and every view made from it must not be used afterwards. */
  free(x: Float32Array): void {
    if (!this.holds(x)) return;
    if (!(x instanceof HeapView) || x.owner !== undefined) throw new Error('free() takes a view returned by alloc(), not a sub-view');
    if (this.registry.unregister(x)) {
      this.allocator.release(x.ptr);
    }
  }

  /** Scratch for one kernel call (not zeroed, not tracked by the collector); -1 when memory is full. */
  scratch(bytes: number): number {
    return this.allocator.allocate(bytes);
  }

  releaseScratch(off: number): void {
    this.allocator.release(off);
  }

  /** A view of n doubles at byte offset off (8-byte aligned), such as a kernel's f64 results in scratch. */
  doubles(off: number, n: number): Float64Array {
    return new Float64Array(this.memory.buffer, off, n);
  }

  /** Copies x into the heap at byte offset off. */
  copyIn(x: Float32Array | Int32Array, off: number): void {
    if (x instanceof Float32Array) this.f32.set(x, off >>> 2);
    else this.i32.set(x, off >>> 2);
  }

  /** Copies x.length values at byte offset off back into x. */
  copyOut(x: Float32Array | Int32Array, off: number): void {
    const o = off >>> 2;
    if (x instanceof Float32Array) x.set(this.f32.subarray(o, o + x.length));
    else x.set(this.i32.subarray(o, o + x.length));
  }

  stats(): AllocatorStats & { memoryBytes: number; shared: boolean } {
    return { ...this.allocator.stats(), memoryBytes: this.memory.buffer.byteLength, shared: this.shared };
  }
}
