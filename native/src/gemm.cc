// The packed matrix multiply: op(B) packed into panels of NR columns, op(A) into panels of MR rows, one
// block of KC along k at a time, and an MR × NR micro-kernel (AVX2 + FMA where the CPU has them, chosen
// at run time, else a portable one). Every element of C is C + Σ over each KC block, the block's terms
// summed in order of k, whatever the kernel.
#include <algorithm>
#include <cstring>
#include <vector>
#include "kernels.h"
#include "pool.h"

namespace rnnkit {

namespace {
constexpr int KC = 256;  // k per block: an A panel (MR × KC) and a B panel (KC × NR) stay in L1
constexpr int MC = 120;  // rows of A per packed block, a multiple of MR, kept in L2
// Multiplies of fewer flops than this stay on one thread: waking a helper costs microseconds.
constexpr double PAR_FLOPS = 4e6;

bool hasAvx2() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
#else
  return false;
#endif
}
bool generic = false;
MicroKernel micro() { return useAvx2() ? microAvx2 : microGeneric; }

// op(A) rows [i0, i0 + mc) × columns [p0, p0 + kc) into panels of MR rows, each kc × MR, zero-padded;
// A(i, p) is a[i·lda + p], or a[p·lda + i] when transposed.
void packA(bool ta, long lda, const float* a, int i0, int mc, int p0, int kc, float* out) {
  for (int r0 = 0; r0 < mc; r0 += MR) {
    const int rows = std::min(MR, mc - r0);
    float* o = out + static_cast<long>(r0) * kc;
    if (ta) {
      for (int p = 0; p < kc; p++) {
        const float* src = a + static_cast<long>(p0 + p) * lda + i0 + r0;
        int r = 0;
        for (; r < rows; r++) o[p * MR + r] = src[r];
        for (; r < MR; r++) o[p * MR + r] = 0;
      }
    } else {
      for (int r = 0; r < MR; r++) {
        if (r < rows) {
          const float* src = a + static_cast<long>(i0 + r0 + r) * lda + p0;
          for (int p = 0; p < kc; p++) o[p * MR + r] = src[p];
        } else {
          for (int p = 0; p < kc; p++) o[p * MR + r] = 0;
        }
      }
    }
  }
}

thread_local std::vector<float> aBuf, bBuf;
}  // namespace

bool useAvx2() { return !generic && hasAvx2(); }

const char* isa() { return micro() == microAvx2 ? "avx2+fma" : "generic"; }

bool forceGeneric(bool on) {
  const bool was = generic;
  generic = on;
  return was;
}

void microGeneric(int kc, const float* a, const float* b, float* c, long ldc, int mode) {
  float acc[MR][NR] = {};
  for (int p = 0; p < kc; p++) {
    const float* ap = a + p * MR;
    const float* bp = b + p * NR;
    for (int i = 0; i < MR; i++)
      for (int j = 0; j < NR; j++) acc[i][j] += ap[i] * bp[j];
  }
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NR; j++) c[i * ldc + j] = mode ? c[i * ldc + j] + acc[i][j] : acc[i][j];
}

void gemvTGeneric(int n, int k, const float* x, const float* b, float* c, bool acc) {
  for (int j = 0; j < n; j++) {
    const float* bj = b + static_cast<long>(j) * k;
    float s = 0;
    for (int p = 0; p < k; p++) s += x[p] * bj[p];
    c[j] = acc ? c[j] + s : s;
  }
}

long packedBSize(int k, int n) { return static_cast<long>((n + NR - 1) / NR) * NR * std::max(k, 1); }

void packB(bool tb, int k, int n, const float* b, float* out) {
  for (int j0 = 0; j0 < n; j0 += NR) {
    const int cols = std::min(NR, n - j0);
    float* o = out + static_cast<long>(j0) * k;
    if (tb) {
      for (int j = 0; j < NR; j++) {
        if (j < cols) {
          const float* src = b + static_cast<long>(j0 + j) * k;
          for (int p = 0; p < k; p++) o[p * NR + j] = src[p];
        } else {
          for (int p = 0; p < k; p++) o[p * NR + j] = 0;
        }
      }
    } else {
      for (int p = 0; p < k; p++) {
        const float* src = b + static_cast<long>(p) * n + j0;
        int j = 0;
        for (; j < cols; j++) o[p * NR + j] = src[j];
        for (; j < NR; j++) o[p * NR + j] = 0;
      }
    }
  }
}

namespace {
// C (m × n, row stride ldc) (+)= op(A) · B, B packed (panels of k × NR), on this thread. Each element of C
// is C + the sum of each KC block in order of k, whatever rows or columns the call covers: a split over
// threads gives the bits of one thread.
void gemmBlock(bool ta, int m, int n, int k, const float* a, long lda, const float* bp, float* c, long ldc, bool acc) {
  const MicroKernel kern = micro();
  const long need = static_cast<long>(std::min(m + MR, MC + MR)) * KC;
  if (static_cast<long>(aBuf.size()) < need) aBuf.resize(need);
  float* ap = aBuf.data();
  alignas(32) float tmp[MR * NR];
  for (int p0 = 0; p0 < k; p0 += KC) {
    const int kc = std::min(KC, k - p0);
    const int mode = (p0 > 0 || acc) ? 1 : 0;
    for (int i0 = 0; i0 < m; i0 += MC) {
      const int mc = std::min(MC, m - i0);
      packA(ta, lda, a, i0, mc, p0, kc, ap);
      for (int j0 = 0; j0 < n; j0 += NR) {
        const int cols = std::min(NR, n - j0);
        const float* bpanel = bp + static_cast<long>(j0) * k + static_cast<long>(p0) * NR;
        for (int r0 = 0; r0 < mc; r0 += MR) {
          const int rows = std::min(MR, mc - r0);
          float* cc = c + static_cast<long>(i0 + r0) * ldc + j0;
          const float* apanel = ap + static_cast<long>(r0) * kc;
          if (rows == MR && cols == NR) {
            kern(kc, apanel, bpanel, cc, ldc, mode);
          } else {
            kern(kc, apanel, bpanel, tmp, NR, 0);
            for (int i = 0; i < rows; i++)
              for (int j = 0; j < cols; j++) cc[i * ldc + j] = mode ? cc[i * ldc + j] + tmp[i * NR + j] : tmp[i * NR + j];
          }
        }
      }
    }
  }
}
}  // namespace

void gemmPacked(bool ta, int m, int n, int k, const float* a, const float* bp, float* c, bool acc, int threads) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!acc) std::fill(c, c + static_cast<long>(m) * n, 0.0f);
    return;
  }
  const long lda = ta ? m : k;
  if (threads > 1 && 2.0 * m * n * k >= PAR_FLOPS) {
    if (m >= 4 * MR * threads) {
      // blocks of rows of C, multiples of MR
      const int size = (m + threads * MR - 1) / (threads * MR) * MR;
      parallel(threads, [&](int t) {
        const int i0 = t * size, mi = std::min(size, m - i0);
        if (mi > 0) gemmBlock(ta, mi, n, k, ta ? a + i0 : a + static_cast<long>(i0) * lda, lda, bp, c + static_cast<long>(i0) * n, n, acc);
      });
      return;
    }
    if (n >= 2 * NR * threads) {
      // a short C: blocks of columns, multiples of NR (whole panels of B)
      const int size = (n + threads * NR - 1) / (threads * NR) * NR;
      parallel(threads, [&](int t) {
        const int j0 = t * size, nj = std::min(size, n - j0);
        if (nj > 0) gemmBlock(ta, m, nj, k, a, lda, bp + static_cast<long>(j0) * k, c + j0, n, acc);
      });
      return;
    }
  }
  gemmBlock(ta, m, n, k, a, lda, bp, c, n, acc);
}

void gemm(bool ta, bool tb, int m, int n, int k, const float* a, const float* b, float* c, bool acc, int threads) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!acc) std::fill(c, c + static_cast<long>(m) * n, 0.0f);
    return;
  }
  // one row of C (sampling at batch 1): op(A) is the vector a[0 … k) whether A is transposed or not
  if (m == 1) {
    if (tb) {
      (useAvx2() ? gemvTAvx2 : gemvTGeneric)(n, k, a, b, c, acc);
    } else {
      if (!acc) std::fill(c, c + n, 0.0f);
      for (int p = 0; p < k; p++) {
        const float ap = a[p];
        const float* bp = b + static_cast<long>(p) * n;
        for (int j = 0; j < n; j++) c[j] += ap * bp[j];
      }
    }
    return;
  }
  const long nb = packedBSize(k, n);
  if (static_cast<long>(bBuf.size()) < nb) bBuf.resize(nb);
  packB(tb, k, n, b, bBuf.data());
  gemmPacked(ta, m, n, k, a, bBuf.data(), c, acc, threads);
}

}  // namespace rnnkit
