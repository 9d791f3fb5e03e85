/**
 * The block allocator behind the WebAssembly backend's heap: byte offsets only, no memory access, so it
 * can be tested on its own.
 *
 * Blocks are multiples of 64 bytes (a cache line, and 16-byte SIMD alignment for free). Free blocks
 * are coalesced with free neighbours at once and sorted into size classes (TLSF-style: exact classes up
 * to 1 KiB, then four classes per power of two), so a request is served in constant time by any block of
 * a large-enough class. A free block that reaches the top of the heap is given back to the top, so the
 * heap only grows when the live blocks really need more room.
 */
export const BLOCK = 64;

const EXACT = 16; // classes 1..15 hold blocks of exactly that many 64-byte units
const CLASSES = 128;

function classOf(units: number): number {
  if (units < EXACT) return units;
  const fl = 31 - Math.clz32(units);
  return EXACT + (fl - 4) * 4 + ((units >>> (fl - 2)) & 3);
}

function classFloor(cls: number): number {
  if (cls < EXACT) return cls;
  const fl = 4 + ((cls - EXACT) >> 2);
  return (4 + ((cls - EXACT) & 3)) * 2 ** (fl - 2);
}

export interface AllocatorStats {
  /** Bytes in live blocks. */
  live: number;
  /** Bytes in free blocks below the top. */
  free: number;
  /** End of the used part of the heap (offset). */
  top: number;
  /** Highest top ever reached. */
  highWater: number;
}

export class BlockAllocator {
  private top: number;
  private highWater: number;
  private liveBytes = 0;
  private freeBytes = 0;
  private readonly sizes = new Map<number, number>();
  private readonly freeAt = new Map<number, number>(); // start → size
  private readonly freeEnding = new Map<number, number>(); // end → start
  private readonly classes: Set<number>[] = Array.from({ length: CLASSES }, () => new Set<number>());
  private readonly nonEmpty = new Uint32Array(CLASSES / 32);
  /** Whether the block last returned by allocate() has never been written (lies above the high-water mark). */
  fresh = false;

  /**
   * base: first usable offset; end: current end of memory; grow(needEnd) makes memory reach at least
   * needEnd and returns the new end, or -1 when it cannot.
   */
  constructor(base: number, private end: number, private readonly grow: (needEnd: number) => number) {
    this.top = this.highWater = Math.ceil(base / BLOCK) * BLOCK;
  }

  /** A block of at least `bytes` bytes, 64-byte aligned; -1 when memory cannot grow far enough. */
  allocate(bytes: number): number {
    const units = Math.max(1, Math.ceil(bytes / BLOCK));
    const size = units * BLOCK;
    let cls = classOf(units);
    if (classFloor(cls) < units) cls++; // every block in this class or above is big enough
    cls = this.firstNonEmpty(cls);
    let start: number;
    if (cls >= 0) {
      const set = this.classes[cls];
      start = set.values().next().value as number;
      const have = this.freeAt.get(start)!;
      this.unlinkFree(start, have);
      if (have > size) this.linkFree(start + size, have - size);
      this.fresh = false;
    } else {
      if (this.top + size > this.end) {
        const e = this.grow(this.top + size);
        if (e < 0) return -1;
        this.end = e;
      }
      start = this.top;
      this.top += size;
      this.fresh = start >= this.highWater;
      if (this.top > this.highWater) this.highWater = this.top;
    }
    this.sizes.set(start, size);
    this.liveBytes += size;
    return start;
  }

  /** Size in bytes of the live block at `start`, or 0 if there is none. */
  sizeOf(start: number): number {
    return this.sizes.get(start) ?? 0;
  }

  release(start: number): void {
    let size = this.sizes.get(start);
    if (size === undefined) throw new Error(`wasm heap: no live block at ${start} (freed twice?)`);
    this.sizes.delete(start);
    this.liveBytes -= size;
    const before = this.freeEnding.get(start);
    if (before !== undefined) {
      const s = this.freeAt.get(before)!;
      this.unlinkFree(before, s);
      start = before;
      size += s;
    }
    const after = this.freeAt.get(start + size);
    if (after !== undefined) {
      this.unlinkFree(start + size, after);
      size += after;
    }
    if (start + size === this.top) this.top = start;
    else this.linkFree(start, size);
  }

  /** Bytes in live blocks. */
  get live(): number {
    return this.liveBytes;
  }

  stats(): AllocatorStats {
    return { live: this.liveBytes, free: this.freeBytes, top: this.top, highWater: this.highWater };
  }

  private linkFree(start: number, size: number): void {
    const cls = classOf(size / BLOCK);
    this.freeAt.set(start, size);
    this.freeEnding.set(start + size, start);
    this.classes[cls].add(start);
    this.nonEmpty[cls >> 5] |= 1 << (cls & 31);
    this.freeBytes += size;
  }

  private unlinkFree(start: number, size: number): void {
    const cls = classOf(size / BLOCK);
    this.freeAt.delete(start);
    this.freeEnding.delete(start + size);
    const set = this.classes[cls];
    set.delete(start);
    if (set.size === 0) this.nonEmpty[cls >> 5] &= ~(1 << (cls & 31));
    this.freeBytes -= size;
  }

  private firstNonEmpty(from: number): number {
    for (let w = from >> 5; w < this.nonEmpty.length; w++) {
      let bits = this.nonEmpty[w];
      if (w === from >> 5) bits &= ~0 << (from & 31);
      if (bits !== 0) return w * 32 + (31 - Math.clz32(bits & -bits));
    }
    return -1;
  }
}
