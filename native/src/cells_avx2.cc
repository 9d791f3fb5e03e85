// The cells' and activations' loops on eight lanes (AVX2 + FMA), compiled in their own unit with -mavx2
// -mfma and called only where the CPU reports both (kernels.cc checks at run time). exp, sigmoid and tanh
// follow Cephes (expf, tanhf), accurate to a few ulp, subnormal results included, as the WebAssembly
// kernels do (asm/math.ts).
#include "kernels.h"
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace rnnkit {

#if defined(__AVX2__) && defined(__FMA__)

namespace {
inline __m256 k(float x) { return _mm256_set1_ps(x); }

// e^x for x ≤ 0 (0 below −104; NaN stays NaN)
inline __m256 expNeg(__m256 x) {
  x = _mm256_max_ps(k(-104.0f), x);  // x second: a NaN in x passes through
  const __m256 magic = k(12582912.0f);  // 1.5·2^23: adding it rounds to an integer, left in the low mantissa bits
  const __m256 t = _mm256_add_ps(_mm256_mul_ps(x, k(1.44269504088896341f)), magic);
  const __m256 n = _mm256_sub_ps(t, magic);
  __m256 r = _mm256_sub_ps(x, _mm256_mul_ps(n, k(0.693359375f)));
  r = _mm256_sub_ps(r, _mm256_mul_ps(n, k(-2.12194440e-4f)));
  __m256 p = _mm256_fmadd_ps(k(1.9875691500e-4f), r, k(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, k(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, k(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, k(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, k(5.0000001201e-1f));
  const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), k(1.0f));
  // 2^n as 2^(n+64) · 2^−64: for n in [−150, 0] the first factor is a normal float, so the one rounding is the last product's
  const __m256i s = _mm256_add_epi32(_mm256_slli_epi32(_mm256_castps_si256(t), 23), _mm256_castps_si256(k(1.8446744073709552e19f)));
  return _mm256_mul_ps(_mm256_mul_ps(y, _mm256_castsi256_ps(s)), k(5.421010862427522e-20f));
}

inline __m256 absv(__m256 x) { return _mm256_andnot_ps(k(-0.0f), x); }

inline __m256 sigmoid8(__m256 x) {
  const __m256 e = expNeg(_mm256_or_ps(x, k(-0.0f)));  // e^−|x|
  const __m256 d = _mm256_add_ps(k(1.0f), e);
  const __m256 pos = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
  return _mm256_div_ps(_mm256_blendv_ps(e, k(1.0f), pos), d);
}

inline __m256 tanh8(__m256 x) {
  const __m256 ax = absv(x);
  // |x| < 0.625: x + x·z·P(z), z = x²
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 p = _mm256_fmadd_ps(k(-5.70498872745e-3f), z, k(2.06390887954e-2f));
  p = _mm256_fmadd_ps(p, z, k(-5.37397155531e-2f));
  p = _mm256_fmadd_ps(p, z, k(1.33314422036e-1f));
  p = _mm256_fmadd_ps(p, z, k(-3.33332819422e-1f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
  // otherwise (1 − e^−2|x|) / (1 + e^−2|x|), with x's sign
  const __m256 e = expNeg(_mm256_mul_ps(ax, k(-2.0f)));
  const __m256 big = _mm256_or_ps(_mm256_div_ps(_mm256_sub_ps(k(1.0f), e), _mm256_add_ps(k(1.0f), e)), _mm256_and_ps(x, k(-0.0f)));
  return _mm256_blendv_ps(big, small, _mm256_cmp_ps(ax, k(0.625f), _CMP_LT_OQ));
}

// lanes [j, j + 8) of a row, the last block masked to the row's end
struct Lanes {
  __m256i mask;
  bool full;
  Lanes(long j, long h) : full(j + 8 <= h) {
    const long left = h - j;
    mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(left < 8 ? left : 8)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  __m256 load(const float* p) const { return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask); }
  void store(float* p, __m256 v) const {
    if (full) _mm256_storeu_ps(p, v);
    else _mm256_maskstore_ps(p, mask, v);
  }
};
}  // namespace

void activateAvx2(int kind, const float* x, float* out, long n) {
  for (long i = 0; i < n; i += 8) {
    const Lanes l(i, n);
    const __m256 v = l.load(x + i);
    l.store(out + i, kind == TANH ? tanh8(v) : sigmoid8(v));
  }
}

void lstmForwardAvx2(long b, long h, float* gates, const float* cPrev, float* c, float* hOut) {
  for (long r = 0; r < b; r++) {
    float* g = gates + r * 4 * h;
    for (long j = 0; j < h; j += 8) {
      const Lanes l(j, h);
      const __m256 i = sigmoid8(l.load(g + j)), f = sigmoid8(l.load(g + h + j));
      const __m256 gg = tanh8(l.load(g + 2 * h + j)), o = sigmoid8(l.load(g + 3 * h + j));
      l.store(g + j, i); l.store(g + h + j, f); l.store(g + 2 * h + j, gg); l.store(g + 3 * h + j, o);
      const __m256 ct = _mm256_add_ps(_mm256_mul_ps(f, l.load(cPrev + r * h + j)), _mm256_mul_ps(i, gg));
      l.store(c + r * h + j, ct);
      l.store(hOut + r * h + j, _mm256_mul_ps(o, tanh8(ct)));
    }
  }
}

void lstmBackwardAvx2(long b, long h, const float* gates, const float* cPrev, const float* c, const float* dh, float* dc, float* dGates) {
  const __m256 one = k(1.0f);
  for (long r = 0; r < b; r++) {
    const float* g = gates + r * 4 * h;
    float* dg = dGates + r * 4 * h;
    for (long j = 0; j < h; j += 8) {
      const Lanes l(j, h);
      const long s = r * h + j;
      const __m256 i = l.load(g + j), f = l.load(g + h + j), gg = l.load(g + 2 * h + j), o = l.load(g + 3 * h + j);
      const __m256 tc = tanh8(l.load(c + s));
      const __m256 dhj = l.load(dh + s);
      const __m256 dct = _mm256_add_ps(l.load(dc + s), _mm256_mul_ps(_mm256_mul_ps(dhj, o), _mm256_sub_ps(one, _mm256_mul_ps(tc, tc))));
      l.store(dg + j, _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(dct, gg), i), _mm256_sub_ps(one, i)));
      l.store(dg + h + j, _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(dct, l.load(cPrev + s)), f), _mm256_sub_ps(one, f)));
      l.store(dg + 2 * h + j, _mm256_mul_ps(_mm256_mul_ps(dct, i), _mm256_sub_ps(one, _mm256_mul_ps(gg, gg))));
      l.store(dg + 3 * h + j, _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(dhj, tc), o), _mm256_sub_ps(one, o)));
      l.store(dc + s, _mm256_mul_ps(dct, f));
    }
  }
}

void gruForwardAvx2(long b, long h, float* gi, const float* gh, const float* hPrev, float* hOut) {
  const __m256 one = k(1.0f);
  for (long row = 0; row < b; row++) {
    float* x = gi + row * 3 * h;
    const float* y = gh + row * 3 * h;
    for (long j = 0; j < h; j += 8) {
      const Lanes l(j, h);
      const __m256 r = sigmoid8(_mm256_add_ps(l.load(x + j), l.load(y + j)));
      const __m256 z = sigmoid8(_mm256_add_ps(l.load(x + h + j), l.load(y + h + j)));
      const __m256 n = tanh8(_mm256_add_ps(l.load(x + 2 * h + j), _mm256_mul_ps(r, l.load(y + 2 * h + j))));
      l.store(x + j, r); l.store(x + h + j, z); l.store(x + 2 * h + j, n);
      l.store(hOut + row * h + j, _mm256_add_ps(_mm256_mul_ps(_mm256_sub_ps(one, z), n), _mm256_mul_ps(z, l.load(hPrev + row * h + j))));
    }
  }
}

#else
// Built without AVX2 (another architecture): never chosen at run time, defined for the linker.
void activateAvx2(int, const float*, float*, long) {}
void lstmForwardAvx2(long, long, float*, const float*, float*, float*) {}
void lstmBackwardAvx2(long, long, const float*, const float*, const float*, const float*, float*, float*) {}
void gruForwardAvx2(long, long, float*, const float*, const float*, float*) {}
#endif

}  // namespace rnnkit
