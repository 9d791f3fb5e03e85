// C (+)= op(A) · op(B) for row-major float32 matrices with leading dimensions (BLAS-style), so that a
// caller can hand disjoint row blocks of C to different threads without copying.
//
// Three strategies, chosen by shape:
// - packed (large m): B is packed into KC×NR panels and A into MR×KC slivers, then a 4×8 register-blocked
//   micro-kernel runs over them (loop order of Goto/BLIS: jc → pc → ic → jr → ir). 4×8 keeps 8 vector
//   accumulators, which fits the 16 vector registers V8 allocates; larger tiles spill and run slower.
// - dot rows (B stored n×k, m up to DOT_M): rows of op(A) and B are both contiguous along k, so dot
//   products need no packing; packing B would cost O(k·n), as much as the multiply itself when m is small.
// - row stream (B stored k×n, small m): C rows += a(i,p)·B[p, :], reading four rows of B at a time in
//   order, which keeps the hardware prefetcher busy where the packed path would spend its time packing.

import { zero } from './memory';
import { transpose4 } from './math';

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 128;
const NC: i32 = 2048;
// Row counts up to which the unpacked paths beat the packed one (measured on [m×256]·[256×1024]).
const DOT_M: i32 = 64;
const STREAM_M: i32 = 16;
// k is split into chunks this long on the dot path, so the rows in use stay in the first-level cache.
const DOT_KC: i32 = 512;
// Rows of A per block on the dot path: 16 rows of DOT_KC floats (32 KiB) stay in a 48 KiB first-level cache.
const DOT_MB: i32 = 16;

/** Bytes of scratch one gemm call needs: packed A block, packed B block, one edge tile. */
export function gemmWorkspaceBytes(): i32 {
  return (MC * KC + KC * NC + MR * NR) * 4;
}

/**
 * transA: A is stored k×m (else m×k); transB: B is stored n×k (else k×n). lda/ldb/ldc are row strides
 * in floats. accumulate = 0 overwrites C. work: gemmWorkspaceBytes() bytes, 16-byte aligned.
 */
export function gemm(transA: i32, transB: i32, m: i32, n: i32, k: i32,
  a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32, work: usize): void {
  if (m <= 0 || n <= 0) return;
  const acc = accumulate != 0;
  if (k <= 0) {
    if (!acc) for (let i = 0; i < m; i++) zero(c + <usize>(i * ldc) * 4, <usize>n * 4);
    return;
  }
  // C is m×1 and contiguous: compute Cᵀ = op(B)ᵀ·op(A)ᵀ instead, a 1×m row, which the unpacked paths
  // handle at full speed where the packed one would pad every panel from 1 to NR columns.
  if (n == 1 && m > 1 && ldc == 1) {
    gemm(transB ? 0 : 1, transA ? 0 : 1, 1, m, k, b, ldb, a, lda, c, m, accumulate, work);
    return;
  }
  if (transB && m <= DOT_M) {
    for (let pc = 0; pc < k; pc += DOT_KC) {
      const kc = min(DOT_KC, k - pc);
      if (transA) {
        // rows of op(A) are columns of A: transpose this chunk into the work area first
        for (let p = 0; p < kc; p++) {
          const src = a + <usize>((pc + p) * lda) * 4;
          for (let i = 0; i < m; i++) store<f32>(work + <usize>(i * DOT_KC + p) * 4, load<f32>(src + <usize>i * 4));
        }
        dotRows(m, n, kc, work, DOT_KC, b + <usize>pc * 4, ldb, c, ldc, acc || pc > 0);
      } else {
        dotRows(m, n, kc, a + <usize>pc * 4, lda, b + <usize>pc * 4, ldb, c, ldc, acc || pc > 0);
      }
    }
    return;
  }
  if (!transB && m < STREAM_M) {
    if (transA) rowStream(m, n, k, a, 1, lda, b, ldb, c, ldc, acc);
    else rowStream(m, n, k, a, lda, 1, b, ldb, c, ldc, acc);
    return;
  }
  const packA = work;
  const packB = work + <usize>(MC * KC) * 4;
  const tile = packB + <usize>(KC * NC) * 4;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      if (transB) packBT(b, ldb, pc, jc, kc, nc, packB);
      else packBN(b, ldb, pc, jc, kc, nc, packB);
      const accBlock = acc || pc > 0;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        if (transA) packAT(a, lda, ic, pc, mc, kc, packA);
        else packAN(a, lda, ic, pc, mc, kc, packA);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const pb = packB + <usize>(jr * kc) * 4;
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const pa = packA + <usize>(ir * kc) * 4;
            const cp = c + <usize>((ic + ir) * ldc + jc + jr) * 4;
            if (mr == MR && nr == NR) kernel4x8(pa, pb, kc, cp, ldc, accBlock);
            else {
              // edge tile: compute the full 4×8 into scratch, keep only the part inside C
              kernel4x8(pa, pb, kc, tile, NR, false);
              for (let i = 0; i < mr; i++) {
                for (let j = 0; j < nr; j++) {
                  const dst = cp + <usize>(i * ldc + j) * 4;
                  const v = load<f32>(tile + <usize>(i * NR + j) * 4);
                  store<f32>(dst, accBlock ? load<f32>(dst) + v : v);
                }
              }
            }
          }
        }
      }
    }
  }
}

// The 4×8 micro-kernel: C[0..4, 0..8] (+)= Σ_p a[p, 0..4] ⊗ b[p, 0..8] over packed slivers.
// Not unrolled: unrolling lets the optimizer keep more vectors live at once, and V8 then spills.
// @ts-ignore: decorator
@inline
function kernel4x8(pa: usize, pb: usize, kc: i32, cp: usize, ldc: i32, acc: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let a0 = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(a0, b0)); c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    a0 = v128.load32_splat(pa, 4);
    c10 = f32x4.add(c10, f32x4.mul(a0, b0)); c11 = f32x4.add(c11, f32x4.mul(a0, b1));
    a0 = v128.load32_splat(pa, 8);
    c20 = f32x4.add(c20, f32x4.mul(a0, b0)); c21 = f32x4.add(c21, f32x4.mul(a0, b1));
    a0 = v128.load32_splat(pa, 12);
    c30 = f32x4.add(c30, f32x4.mul(a0, b0)); c31 = f32x4.add(c31, f32x4.mul(a0, b1));
    pa += 16; pb += 32;
  }
  const rs = <usize>ldc * 4;
  if (acc) {
    c00 = f32x4.add(c00, v128.load(cp)); c01 = f32x4.add(c01, v128.load(cp, 16));
    c10 = f32x4.add(c10, v128.load(cp + rs)); c11 = f32x4.add(c11, v128.load(cp + rs, 16));
    c20 = f32x4.add(c20, v128.load(cp + 2 * rs)); c21 = f32x4.add(c21, v128.load(cp + 2 * rs, 16));
    c30 = f32x4.add(c30, v128.load(cp + 3 * rs)); c31 = f32x4.add(c31, v128.load(cp + 3 * rs, 16));
  }
  v128.store(cp, c00); v128.store(cp, c01, 16);
  v128.store(cp + rs, c10); v128.store(cp + rs, c11, 16);
  v128.store(cp + 2 * rs, c20); v128.store(cp + 2 * rs, c21, 16);
  v128.store(cp + 3 * rs, c30); v128.store(cp + 3 * rs, c31, 16);
}

// Packs B[pc..pc+kc, jc..jc+nc] (B stored k×n) into NR-wide panels, each kc×NR, zero-padded on the right.
// Sweeps eight rows of B across all panels at a time: walking one panel down all kc rows would stride
// through B by whole rows, which aliases in the cache when a row is a multiple of 4 KiB.
function packBN(b: usize, ldb: i32, pc: i32, jc: i32, kc: i32, nc: i32, dst: usize): void {
  const step = <usize>ldb * 4;
  const nFull = nc & ~(NR - 1);
  for (let p0 = 0; p0 < kc; p0 += 8) {
    const pe = min(p0 + 8, kc);
    for (let jr = 0; jr < nFull; jr += NR) {
      let src = b + <usize>((pc + p0) * ldb + jc + jr) * 4;
      let d = dst + <usize>(jr * kc + p0 * NR) * 4;
      for (let p = p0; p < pe; p++) {
        v128.store(d, v128.load(src)); v128.store(d, v128.load(src, 16), 16);
        src += step; d += 32;
      }
    }
    if (nFull < nc) {
      const nr = nc - nFull;
      let src = b + <usize>((pc + p0) * ldb + jc + nFull) * 4;
      let d = dst + <usize>(nFull * kc + p0 * NR) * 4;
      for (let p = p0; p < pe; p++) {
        for (let j = 0; j < NR; j++) store<f32>(d + <usize>j * 4, j < nr ? load<f32>(src + <usize>j * 4) : 0);
        src += step; d += 32;
      }
    }
  }
}

// Packs op(B) = Bᵀ for B stored n×k: panel element (p, j) = B[jc+jr+j, pc+p]. Transposes 4×4 blocks.
function packBT(b: usize, ldb: i32, pc: i32, jc: i32, kc: i32, nc: i32, dst: usize): void {
  const rs = <usize>ldb * 4;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const src = b + <usize>((jc + jr) * ldb + pc) * 4;
    if (nr == NR) {
      let p = 0;
      for (; p + 3 < kc; p += 4) {
        const s = src + <usize>p * 4;
        const d = dst + <usize>p * 32;
        transpose4(s, rs, d, 32);
        transpose4(s + 4 * rs, rs, d + 16, 32);
      }
      for (; p < kc; p++) {
        for (let j = 0; j < NR; j++) store<f32>(dst + <usize>(p * NR + j) * 4, load<f32>(src + <usize>j * rs + <usize>p * 4));
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let j = 0; j < NR; j++) {
          store<f32>(dst + <usize>(p * NR + j) * 4, j < nr ? load<f32>(src + <usize>j * rs + <usize>p * 4) : 0);
        }
      }
    }
    dst += <usize>(kc * NR) * 4;
  }
}

// Packs op(A) rows ic..ic+mc, columns pc..pc+kc into MR-row slivers: sliver element (p, i) = A(ic+ir+i, pc+p).
function packAN(a: usize, lda: i32, ic: i32, pc: i32, mc: i32, kc: i32, dst: usize): void {
  const rs = <usize>lda * 4;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    const src = a + <usize>((ic + ir) * lda + pc) * 4;
    if (mr == MR) {
      let p = 0;
      for (; p + 3 < kc; p += 4) transpose4(src + <usize>p * 4, rs, dst + <usize>p * 16, 16);
      for (; p < kc; p++) {
        for (let i = 0; i < MR; i++) store<f32>(dst + <usize>(p * MR + i) * 4, load<f32>(src + <usize>i * rs + <usize>p * 4));
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let i = 0; i < MR; i++) {
          store<f32>(dst + <usize>(p * MR + i) * 4, i < mr ? load<f32>(src + <usize>i * rs + <usize>p * 4) : 0);
        }
      }
    }
    dst += <usize>(kc * MR) * 4;
  }
}

// A stored k×m: op(A)(i, p) = A[p, i], so each sliver row is four contiguous floats. Sweeps eight rows
// of A across all slivers at a time, for the same cache reason as packBN.
function packAT(a: usize, lda: i32, ic: i32, pc: i32, mc: i32, kc: i32, dst: usize): void {
  const rs = <usize>lda * 4;
  const mFull = mc & ~(MR - 1);
  for (let p0 = 0; p0 < kc; p0 += 8) {
    const pe = min(p0 + 8, kc);
    for (let ir = 0; ir < mFull; ir += MR) {
      let src = a + <usize>((pc + p0) * lda + ic + ir) * 4;
      let d = dst + <usize>(ir * kc + p0 * MR) * 4;
      for (let p = p0; p < pe; p++) {
        v128.store(d, v128.load(src));
        src += rs; d += 16;
      }
    }
    if (mFull < mc) {
      const mr = mc - mFull;
      let src = a + <usize>((pc + p0) * lda + ic + mFull) * 4;
      let d = dst + <usize>(mFull * kc + p0 * MR) * 4;
      for (let p = p0; p < pe; p++) {
        for (let i = 0; i < MR; i++) store<f32>(d + <usize>i * 4, i < mr ? load<f32>(src + <usize>i * 4) : 0);
        src += rs; d += 16;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Unpacked paths for few rows of C.

// C[i, j] (+)= dot(A[i, :], B[j, :]) for B stored n×k: two rows of A against four rows of B at a time,
// eight vector accumulators reduced horizontally once at the end. The rows of A are taken DOT_MB at a
// time, and for each such block B streams past once, four rows at a time, while the block stays in the
// first-level cache: B (a whole W_hh, 1 MiB for an LSTM 256) then comes from the outer caches once per
// block rather than once per pair of rows. Each element's sum is the same whatever the blocking.
function dotRows(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, acc: bool): void {
  const brs = <usize>ldb * 4;
  const ars = <usize>lda * 4, crs = <usize>ldc * 4;
  for (let i0 = 0; i0 < m; i0 += DOT_MB) {
    const ie = min(i0 + DOT_MB, m);
    let j = 0;
    for (; j + 3 < n; j += 4) {
      const bj = b + <usize>j * brs, o = <usize>j * 4;
      let i = i0;
      for (; i + 1 < ie; i += 2) {
        const a0 = a + <usize>i * ars, c0 = c + <usize>i * crs + o;
        dot2x4(k, a0, a0 + ars, bj, brs, c0, c0 + crs, acc);
      }
      if (i < ie) dot1x4(k, a + <usize>i * ars, bj, brs, c + <usize>i * crs + o, acc);
    }
    for (; j < n; j++) {
      const bj = b + <usize>j * brs, o = <usize>j * 4;
      for (let i = i0; i < ie; i++) {
        const d = dot(a + <usize>i * ars, bj, k);
        const ci = c + <usize>i * crs + o;
        store<f32>(ci, acc ? load<f32>(ci) + d : d);
      }
    }
  }
}

// C[0..2, 0..4] (+)= rows a0, a1 · rows b0 … b0 + 3·brs.
// @ts-ignore: decorator
@inline
function dot2x4(k: i32, a0: usize, a1: usize, b0: usize, brs: usize, c0: usize, c1: usize, acc: bool): void {
  const k4 = k & ~3;
  let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0);
  let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0);
  for (let p = 0; p < k4; p += 4) {
    const o = <usize>p * 4;
    const x0 = v128.load(a0 + o), x1 = v128.load(a1 + o);
    let y = v128.load(b0 + o);
    s00 = f32x4.add(s00, f32x4.mul(x0, y)); s10 = f32x4.add(s10, f32x4.mul(x1, y));
    y = v128.load(b0 + brs + o);
    s01 = f32x4.add(s01, f32x4.mul(x0, y)); s11 = f32x4.add(s11, f32x4.mul(x1, y));
    y = v128.load(b0 + 2 * brs + o);
    s02 = f32x4.add(s02, f32x4.mul(x0, y)); s12 = f32x4.add(s12, f32x4.mul(x1, y));
    y = v128.load(b0 + 3 * brs + o);
    s03 = f32x4.add(s03, f32x4.mul(x0, y)); s13 = f32x4.add(s13, f32x4.mul(x1, y));
  }
  let r0 = hsum4(s00, s01, s02, s03), r1 = hsum4(s10, s11, s12, s13);
  for (let p = k4; p < k; p++) {
    const o = <usize>p * 4;
    const y = f32x4(load<f32>(b0 + o), load<f32>(b0 + brs + o), load<f32>(b0 + 2 * brs + o), load<f32>(b0 + 3 * brs + o));
    r0 = f32x4.add(r0, f32x4.mul(v128.load32_splat(a0 + o), y));
    r1 = f32x4.add(r1, f32x4.mul(v128.load32_splat(a1 + o), y));
  }
  if (acc) { r0 = f32x4.add(r0, v128.load(c0)); r1 = f32x4.add(r1, v128.load(c1)); }
  v128.store(c0, r0); v128.store(c1, r1);
}

// C[0, 0..4] (+)= row a0 · rows b0 … b0 + 3·brs, in dot2x4's order of additions for its first row: a row
// gives the same bits alone as in a pair, so a block of rows may start at any row (the recurrences split
// their batch rows over threads wherever the threads' speeds put the boundary).
// @ts-ignore: decorator
@inline
function dot1x4(k: i32, a0: usize, b0: usize, brs: usize, c0: usize, acc: bool): void {
  const k4 = k & ~3;
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  for (let p = 0; p < k4; p += 4) {
    const o = <usize>p * 4;
    const x0 = v128.load(a0 + o);
    s0 = f32x4.add(s0, f32x4.mul(x0, v128.load(b0 + o)));
    s1 = f32x4.add(s1, f32x4.mul(x0, v128.load(b0 + brs + o)));
    s2 = f32x4.add(s2, f32x4.mul(x0, v128.load(b0 + 2 * brs + o)));
    s3 = f32x4.add(s3, f32x4.mul(x0, v128.load(b0 + 3 * brs + o)));
  }
  let r = hsum4(s0, s1, s2, s3);
  for (let p = k4; p < k; p++) {
    const o = <usize>p * 4;
    const y = f32x4(load<f32>(b0 + o), load<f32>(b0 + brs + o), load<f32>(b0 + 2 * brs + o), load<f32>(b0 + 3 * brs + o));
    r = f32x4.add(r, f32x4.mul(v128.load32_splat(a0 + o), y));
  }
  if (acc) r = f32x4.add(r, v128.load(c0));
  v128.store(c0, r);
}

// [Σ x, Σ y, Σ z, Σ w] for four vectors: a 4×4 transpose folded into the additions.
// @ts-ignore: decorator
@inline
function hsum4(x: v128, y: v128, z: v128, w: v128): v128 {
  const t0 = f32x4.add(v128.shuffle<f32>(x, y, 0, 4, 1, 5), v128.shuffle<f32>(x, y, 2, 6, 3, 7)); // x02 y02 x13 y13
  const t1 = f32x4.add(v128.shuffle<f32>(z, w, 0, 4, 1, 5), v128.shuffle<f32>(z, w, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
}

function dot(x: usize, y: usize, k: i32): f32 {
  let s = f32x4.splat(0);
  let p = 0;
  for (; p + 3 < k; p += 4) s = f32x4.add(s, f32x4.mul(v128.load(x + <usize>p * 4), v128.load(y + <usize>p * 4)));
  let r = f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
  for (; p < k; p++) r += load<f32>(x + <usize>p * 4) * load<f32>(y + <usize>p * 4);
  return r;
}

// C[i, :] (+)= Σ_p op(A)(i, p) · B[p, :] for B stored k×n, where op(A)(i, p) = a[(i·ai + p·ap)]: four
// rows of B at a time, each read front to back; row i of C is updated in place (it stays in cache).
function rowStream(m: i32, n: i32, k: i32, a: usize, ai: i32, ap: i32, b: usize, ldb: i32, c: usize, ldc: i32, acc: bool): void {
  const brs = <usize>ldb * 4;
  const aps = <usize>ap * 4;
  if (!acc) for (let i = 0; i < m; i++) zero(c + <usize>(i * ldc) * 4, <usize>n * 4);
  const n4 = n & ~3;
  let p = 0;
  for (; p + 3 < k; p += 4) {
    const b0 = b + <usize>p * brs, b1 = b0 + brs, b2 = b1 + brs, b3 = b2 + brs;
    for (let i = 0; i < m; i++) {
      const ap0 = a + <usize>(i * ai) * 4 + <usize>p * aps;
      const s0 = v128.load32_splat(ap0), s1 = v128.load32_splat(ap0 + aps);
      const s2 = v128.load32_splat(ap0 + 2 * aps), s3 = v128.load32_splat(ap0 + 3 * aps);
      const ci = c + <usize>(i * ldc) * 4;
      let j = 0;
      for (; j < n4; j += 4) {
        const o = <usize>j * 4;
        const x = f32x4.add(f32x4.mul(s0, v128.load(b0 + o)), f32x4.mul(s1, v128.load(b1 + o)));
        const y = f32x4.add(f32x4.mul(s2, v128.load(b2 + o)), f32x4.mul(s3, v128.load(b3 + o)));
        v128.store(ci + o, f32x4.add(v128.load(ci + o), f32x4.add(x, y)));
      }
      const t0 = f32x4.extract_lane(s0, 0), t1 = f32x4.extract_lane(s1, 0);
      const t2 = f32x4.extract_lane(s2, 0), t3 = f32x4.extract_lane(s3, 0);
      for (; j < n; j++) {
        const o = <usize>j * 4;
        const x = t0 * load<f32>(b0 + o) + t1 * load<f32>(b1 + o);
        const y = t2 * load<f32>(b2 + o) + t3 * load<f32>(b3 + o);
        store<f32>(ci + o, load<f32>(ci + o) + (x + y));
      }
    }
  }
  for (; p < k; p++) {
    const b0 = b + <usize>p * brs;
    for (let i = 0; i < m; i++) {
      const t = load<f32>(a + <usize>(i * ai) * 4 + <usize>p * aps);
      const s = f32x4.splat(t);
      const ci = c + <usize>(i * ldc) * 4;
      let j = 0;
      for (; j < n4; j += 4) {
        const o = <usize>j * 4;
        v128.store(ci + o, f32x4.add(v128.load(ci + o), f32x4.mul(s, v128.load(b0 + o))));
      }
      for (; j < n; j++) {
        const o = <usize>j * 4;
        store<f32>(ci + o, load<f32>(ci + o) + t * load<f32>(b0 + o));
      }
    }
  }
}
