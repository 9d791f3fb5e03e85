// The AVX2 + FMA kernels, compiled in their own unit with -mavx2 -mfma and called only where the CPU
// reports both (gemm.cc checks at run time).
#include "kernels.h"
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace rnnkit {

#if defined(__AVX2__) && defined(__FMA__)

void microAvx2(int kc, const float* a, const float* b, float* c, long ldc, int mode) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 x = _mm256_broadcast_ss(a);
    c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01);
    x = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11);
    x = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21);
    x = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31);
    x = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(x, b0, c40); c41 = _mm256_fmadd_ps(x, b1, c41);
    x = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(x, b0, c50); c51 = _mm256_fmadd_ps(x, b1, c51);
    a += MR;
    b += NR;
  }
  const __m256 rows[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int i = 0; i < MR; i++) {
    float* ci = c + i * ldc;
    __m256 lo = rows[i][0], hi = rows[i][1];
    if (mode) {
      lo = _mm256_add_ps(_mm256_loadu_ps(ci), lo);
      hi = _mm256_add_ps(_mm256_loadu_ps(ci + 8), hi);
    }
    _mm256_storeu_ps(ci, lo);
    _mm256_storeu_ps(ci + 8, hi);
  }
}

// Four rows of b at a time, eight lanes of k each; the lanes' sums are added in a fixed order.
void gemvTAvx2(int n, int k, const float* x, const float* b, float* c, bool acc) {
  const int k8 = k & ~7;
  auto hsum = [](__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
  };
  for (int j = 0; j < n; j++) {
    const float* bj = b + static_cast<long>(j) * k;
    __m256 s8 = _mm256_setzero_ps();
    for (int p = 0; p < k8; p += 8) s8 = _mm256_fmadd_ps(_mm256_loadu_ps(x + p), _mm256_loadu_ps(bj + p), s8);
    float s = hsum(s8);
    for (int p = k8; p < k; p++) s += x[p] * bj[p];
    c[j] = acc ? c[j] + s : s;
  }
}

#else
// Built without AVX2 (another architecture): never chosen at run time, defined for the linker.
void microAvx2(int kc, const float* a, const float* b, float* c, long ldc, int mode) { microGeneric(kc, a, b, c, ldc, mode); }
void gemvTAvx2(int n, int k, const float* x, const float* b, float* c, bool acc) { gemvTGeneric(n, k, x, b, c, acc); }
#endif

}  // namespace rnnkit
