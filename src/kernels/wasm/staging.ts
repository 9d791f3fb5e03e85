import type { WasmHeap } from './memory.js';

/*
 * How the wasm backend hands arrays to its kernels: by their byte offset in the heap where they live
 * there (those from `alloc`, and their subarrays), otherwise by a copy made for the call (copied back
 * if the kernel writes it) — correct, only slower. Where the heap cannot hold that copy, the call runs
 * on the reference backend instead. And the checks of every argument before a kernel sees it.
 */

// Scratch arena for copies of small arguments that live outside the heap.
export const ARENA = 1 << 20;

// thrown when scratch space for a copied argument cannot be had; the call then runs on the reference
const NO_SCRATCH = new Error('wasm heap: no room for a copied argument');

export type Arr = Float32Array | Int32Array;

/**
 * Byte offsets for a call's arguments, copying those outside the heap in (and, at the end, back out).
 * Small copies go to an arena reserved once, so a call on ordinary arrays costs no allocator work.
 */
export class Staging {
  private count = 0;
  private readonly arrs: Arr[] = [];
  private readonly offs: number[] = [];
  private readonly outs: boolean[] = [];
  private readonly own: boolean[] = []; // the block came from the allocator, not the arena
  private used = 0;

  constructor(private readonly heap: WasmHeap, private readonly arena: number, private readonly arenaBytes: number) {}

  /** x's byte offset for the kernel; `write`: the kernel writes x, so it is copied back afterwards. */
  ptr(x: Arr, write: boolean): number {
    const p = this.heap.ptrOf(x);
    if (p >= 0) return p;
    for (let i = 0; i < this.count; i++) {
      if (this.arrs[i] === x) {
        this.outs[i] ||= write;
        return this.offs[i];
      }
    }
    const bytes = (x.byteLength + 63) & ~63;
    let off: number, own = false;
    if (this.used + bytes <= this.arenaBytes) {
      off = this.arena + this.used;
      this.used += bytes;
    } else {
      off = this.heap.scratch(x.byteLength);
      if (off < 0) throw NO_SCRATCH;
      own = true;
    }
    // written arguments are copied in too: a kernel may write only part of one
    this.heap.copyIn(x, off);
    const i = this.count++;
    this.arrs[i] = x;
    this.offs[i] = off;
    this.outs[i] = write;
    this.own[i] = own;
    return off;
  }

  /** Copies written arguments back (when the kernel ran) and releases the scratch. */
  finish(ran: boolean): void {
    for (let i = 0; i < this.count; i++) {
      if (ran && this.outs[i]) this.heap.copyOut(this.arrs[i], this.offs[i]);
      if (this.own[i]) this.heap.releaseScratch(this.offs[i]);
      this.arrs[i] = null!;
    }
    this.count = 0;
    this.used = 0;
  }
}

export function need(x: ArrayLike<number>, n: number, what: string, op: string): void {
  if (x.length < n) throw new RangeError(`${op}: ${what} has ${x.length} values, needs ${n}`);
}

export function checkIds(ids: Int32Array, rows: number, op: string): void {
  for (let r = 0; r < ids.length; r++) {
    const id = ids[r];
    if (id < 0 || id >= rows) throw new RangeError(`${op}: index ${id} out of range for ${rows} rows`);
  }
}


/** Pointers for one backend's kernel calls: the direct ones, and the staged slow path with its fallback. */
export class Pointers {
  private readonly staging: Staging;

  constructor(private readonly heap: WasmHeap, arena: number) {
    this.staging = new Staging(heap, arena, ARENA);
  }

  /** x's byte offset, or −1 outside the heap. */
  readonly o = (x: Arr): number => this.heap.ptrOf(x);
  /** x's byte offset, or 0 (the kernels' "none") for null. */
  readonly nul = (x: Arr | null): number => (x ? this.heap.ptrOf(x) : 0);
  /** Whether every array given lives in the heap. */
  readonly inHeap = (...xs: Array<Arr | null>): boolean => xs.every((x) => x === null || this.heap.ptrOf(x) >= 0);
  /** A copy of x in heap scratch, for a kernel that reads it (give it back with release); −1 where memory is full. */
  readonly copy = (x: Int32Array): number => {
    const p = this.heap.scratch(Math.max(4, x.byteLength));
    if (p >= 0) this.heap.copyIn(x, p);
    return p;
  };
  /** Gives back scratch from copy. */
  readonly release = (p: number): void => this.heap.releaseScratch(p);
  /** Inside `call`: x's offset, staged if need be, for a kernel that reads it. */
  readonly r = (x: Arr): number => this.staging.ptr(x, false);
  /** Inside `call`: the same for a kernel that writes x (copied back after the call). */
  readonly w = (x: Arr): number => this.staging.ptr(x, true);

  /**
   * The slow path, for arguments outside the heap: runs body with staged pointers; falls back to the
   * reference when scratch space runs out. (Every method first tries the direct call, without closures.)
   */
  call<T>(body: () => T, fallback: () => T): T {
    let ran = false;
    try {
      const r = body();
      ran = true;
      return r;
    } catch (e) {
      if (e !== NO_SCRATCH) throw e;
    } finally {
      this.staging.finish(ran);
    }
    return fallback();
  }
}
