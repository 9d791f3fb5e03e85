// The heap itself is managed from JavaScript (src/kernels/wasm/allocator.ts): the module only reports
// where its static data ends, so that the allocator starts above it.
import { transpose4 } from './math';

/** First byte the allocator may hand out. */
export function heapBase(): usize {
  return __heap_base;
}

// memory.fill and memory.copy (and TypedArray fill/set) crawl on shared memory in V8, at a few GB/s:
// these vector loops run at cache speed. Sizes are multiples of 4 bytes; no alignment is needed.

/** Zeroes `bytes` bytes at ptr. */
export function zero(ptr: usize, bytes: usize): void {
  const z = i32x4.splat(0);
  const end = ptr + bytes;
  let p = ptr;
  for (; p + 64 <= end; p += 64) {
    v128.store(p, z); v128.store(p, z, 16); v128.store(p, z, 32); v128.store(p, z, 48);
  }
  for (; p + 16 <= end; p += 16) v128.store(p, z);
  for (; p < end; p += 4) store<i32>(p, 0);
}

/** Copies `bytes` bytes from src to dst, front to back (so dst ≤ src may overlap, not dst > src). */
export function copy(dst: usize, src: usize, bytes: usize): void {
  let o: usize = 0;
  for (; o + 64 <= bytes; o += 64) {
    const a = v128.load(src + o), b = v128.load(src + o, 16), c = v128.load(src + o, 32), d = v128.load(src + o, 48);
    v128.store(dst + o, a); v128.store(dst + o, b, 16); v128.store(dst + o, c, 32); v128.store(dst + o, d, 48);
  }
  for (; o + 16 <= bytes; o += 16) v128.store(dst + o, v128.load(src + o));
  for (; o < bytes; o += 4) store<i32>(dst + o, load<i32>(src + o));
}

// Columns of src (rows of dst) taken together by transpose(): see there.
const TJ = 8;

/**
 * dst (cols × rows) = transpose of src (rows × cols): 4×4 blocks through vector shuffles, scalar edges.
 * Blocks of 16 rows × TJ columns of src, the blocks of one column strip in turn: each 64-byte line of dst
 * is written whole in one visit, and dst is written along TJ rows at a time. Four rows across all columns
 * at a time, as before, wrote a quarter of a line per visit along every row of dst; where those rows lie
 * 4 KiB apart (1024 rows of src: W_hh of an LSTM 256) all the quarters fell in one cache set, and a
 * 1024 × 256 transpose took 0.75 ms (now 0.06; 8 columns at a time did better than 4, 16, 32 or 64).
 */
export function transpose(src: usize, rows: i32, cols: i32, dst: usize): void {
  const r16 = rows & ~15, r4 = rows & ~3, c4 = cols & ~3;
  const srs = <usize>cols * 4, drs = <usize>rows * 4;
  for (let j0 = 0; j0 < c4; j0 += TJ) {
    const j1 = min(j0 + TJ, c4);
    for (let i = 0; i < r16; i += 16) {
      const s = src + <usize>i * srs, d = dst + <usize>i * 4;
      for (let j = j0; j < j1; j += 4) {
        const sj = s + <usize>j * 4, dj = d + <usize>j * drs;
        transpose4(sj, srs, dj, drs);
        transpose4(sj + 4 * srs, srs, dj + 16, drs);
        transpose4(sj + 8 * srs, srs, dj + 32, drs);
        transpose4(sj + 12 * srs, srs, dj + 48, drs);
      }
    }
  }
  let i = 0;
  for (; i < r16; i += 16) {
    const s = src + <usize>i * srs, d = dst + <usize>i * 4;
    for (let j = c4; j < cols; j++) {
      for (let q = 0; q < 16; q++) store<f32>(d + <usize>j * drs + <usize>q * 4, load<f32>(s + <usize>q * srs + <usize>j * 4));
    }
  }
  for (; i < r4; i += 4) {
    const s = src + <usize>i * srs;
    let j = 0;
    for (; j < c4; j += 4) {
      transpose4(s + <usize>j * 4, srs, dst + <usize>j * drs + <usize>i * 4, drs);
    }
    for (; j < cols; j++) {
      for (let q = 0; q < 4; q++) store<f32>(dst + <usize>j * drs + <usize>(i + q) * 4, load<f32>(s + <usize>q * srs + <usize>j * 4));
    }
  }
  for (; i < rows; i++) {
    for (let j = 0; j < cols; j++) store<f32>(dst + <usize>j * drs + <usize>i * 4, load<f32>(src + <usize>i * srs + <usize>j * 4));
  }
}
