// Elementwise, softmax, cell, optimizer and whole-sequence kernels: the reference backend's loops
// (src/kernels/reference/*.ts) in C++. Sums and updates the reference makes in double are made in double
// here too, so that those kernels give the reference's bits; softmax's exp runs in double, the cells' sigmoid
// and tanh in float (on eight lanes where the CPU has AVX2 + FMA: cells_avx2.cc).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>
#include "kernels.h"
#include "pool.h"

namespace rnnkit {

namespace {
inline float sigmoidf(float x) {
  if (x >= 0) return 1.0f / (1.0f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.0f + e);
}
}  // namespace

void activate(int kind, const float* x, float* out, long n) {
  if ((kind == TANH || kind == SIGMOID) && useAvx2()) return activateAvx2(kind, x, out, n);
  switch (kind) {
    case TANH: for (long i = 0; i < n; i++) out[i] = std::tanh(x[i]); break;
    case SIGMOID: for (long i = 0; i < n; i++) out[i] = sigmoidf(x[i]); break;
    case RELU: for (long i = 0; i < n; i++) out[i] = x[i] > 0 ? x[i] : 0.0f; break;
    default: if (out != x) std::memmove(out, x, n * sizeof(float));
  }
}

void activateBackward(int kind, const float* y, const float* dy, float* dx, long n, bool acc) {
  for (long i = 0; i < n; i++) {
    const double yi = y[i];
    double d;
    switch (kind) {
      case TANH: d = dy[i] * (1 - yi * yi); break;
      case SIGMOID: d = dy[i] * yi * (1 - yi); break;
      case RELU: d = yi > 0 ? dy[i] : 0; break;
      default: d = dy[i];
    }
    dx[i] = static_cast<float>(acc ? dx[i] + d : d);
  }
}

void addScaled(const float* a, const float* b, double alpha, float* out, long n) {
  for (long i = 0; i < n; i++) out[i] = static_cast<float>(a[i] + alpha * b[i]);
}

void mul(const float* a, const float* b, float* out, long n) {
  for (long i = 0; i < n; i++) out[i] = a[i] * b[i];
}

void scale(float* x, double alpha, long n) {
  for (long i = 0; i < n; i++) x[i] = static_cast<float>(x[i] * alpha);
}

double sumSquares(const float* x, long n) {
  double s = 0;
  for (long i = 0; i < n; i++) s += static_cast<double>(x[i]) * x[i];
  return s;
}

double sum(const float* x, long n) {
  double s = 0;
  for (long i = 0; i < n; i++) s += x[i];
  return s;
}

void addRowVector(float* x, const float* v, long w, long rows) {
  for (long r = 0; r < rows; r++)
    for (long j = 0; j < w; j++) x[r * w + j] += v[j];
}

void sumRows(const float* x, long rows, float* out, long w, bool acc) {
  if (!acc) std::fill(out, out + w, 0.0f);
  for (long r = 0; r < rows; r++)
    for (long j = 0; j < w; j++) out[j] += x[r * w + j];
}

void gatherRows(const float* table, long width, const int32_t* ids, long n, float* out) {
  for (long r = 0; r < n; r++) std::memcpy(out + r * width, table + static_cast<long>(ids[r]) * width, width * sizeof(float));
}

void scatterAddRows(float* table, long width, const int32_t* ids, long n, const float* src) {
  for (long r = 0; r < n; r++) {
    float* t = table + static_cast<long>(ids[r]) * width;
    const float* s = src + r * width;
    for (long j = 0; j < width; j++) t[j] += s[j];
  }
}

void transpose(const float* x, long rows, long cols, float* out) {
  constexpr long TILE = 16;
  for (long r0 = 0; r0 < rows; r0 += TILE) {
    const long r1 = std::min(r0 + TILE, rows);
    for (long c0 = 0; c0 < cols; c0 += TILE) {
      const long c1 = std::min(c0 + TILE, cols);
      for (long r = r0; r < r1; r++)
        for (long c = c0; c < c1; c++) out[c * rows + r] = x[r * cols + c];
    }
  }
}

namespace {
// probs[row] = softmax(x[row]); returns log Σ e^(x − max) + max, the row's log-partition.
double softmaxRow(const float* x, long c, float* out) {
  float max = -INFINITY;
  for (long j = 0; j < c; j++) if (x[j] > max) max = x[j];
  // in double like the reference: x − max rounded to float would cost e^(x − max) up to 4e-6 of its value
  double z = 0;
  for (long j = 0; j < c; j++) {
    const double e = std::exp(static_cast<double>(x[j]) - max);
    out[j] = static_cast<float>(e);
    z += e;
  }
  const double inv = 1 / z;
  for (long j = 0; j < c; j++) out[j] = static_cast<float>(out[j] * inv);
  return std::log(z) + max;
}
}  // namespace

void softmax(const float* x, long n, long c, float* out) {
  for (long r = 0; r < n; r++) softmaxRow(x + r * c, c, out + r * c);
}

double softmaxCrossEntropy(const float* logits, long n, long c, const int32_t* targets, int ignore, float* probs) {
  double loss = 0;
  for (long r = 0; r < n; r++) {
    const double lse = softmaxRow(logits + r * c, c, probs + r * c);
    const int y = targets[r];
    if (y == ignore) continue;
    loss += lse - logits[r * c + y];
  }
  return loss;
}

void softmaxCrossEntropyBackward(const float* probs, long n, long c, const int32_t* targets, int ignore, double scale, float* d) {
  for (long r = 0; r < n; r++) {
    const int t = targets[r];
    if (t == ignore) continue;
    const long o = r * c;
    for (long j = 0; j < c; j++) d[o + j] = static_cast<float>(d[o + j] + scale * probs[o + j]);
    d[o + t] = static_cast<float>(d[o + t] - scale);
  }
}

void lstmForward(long b, long h, float* gates, const float* cPrev, float* c, float* hOut) {
  if (useAvx2()) return lstmForwardAvx2(b, h, gates, cPrev, c, hOut);
  for (long r = 0; r < b; r++) {
    float* g = gates + r * 4 * h;
    for (long j = 0; j < h; j++) {
      const float i = sigmoidf(g[j]), f = sigmoidf(g[h + j]), gg = std::tanh(g[2 * h + j]), o = sigmoidf(g[3 * h + j]);
      g[j] = i; g[h + j] = f; g[2 * h + j] = gg; g[3 * h + j] = o;
      const float ct = f * cPrev[r * h + j] + i * gg;
      c[r * h + j] = ct;
      hOut[r * h + j] = o * std::tanh(ct);
    }
  }
}

void lstmBackward(long b, long h, const float* gates, const float* cPrev, const float* c, const float* dh, float* dc, float* dGates) {
  if (useAvx2()) return lstmBackwardAvx2(b, h, gates, cPrev, c, dh, dc, dGates);
  for (long r = 0; r < b; r++) {
    const float* g = gates + r * 4 * h;
    float* dg = dGates + r * 4 * h;
    for (long j = 0; j < h; j++) {
      const long s = r * h + j;
      const float i = g[j], f = g[h + j], gg = g[2 * h + j], o = g[3 * h + j];
      const float tc = std::tanh(c[s]);
      const float dhj = dh[s];
      const float dct = dc[s] + dhj * o * (1 - tc * tc);
      dg[j] = dct * gg * i * (1 - i);
      dg[h + j] = dct * cPrev[s] * f * (1 - f);
      dg[2 * h + j] = dct * i * (1 - gg * gg);
      dg[3 * h + j] = dhj * tc * o * (1 - o);
      dc[s] = dct * f;
    }
  }
}

void gruForward(long b, long h, float* gi, const float* gh, const float* hPrev, float* hOut) {
  if (useAvx2()) return gruForwardAvx2(b, h, gi, gh, hPrev, hOut);
  for (long row = 0; row < b; row++) {
    float* x = gi + row * 3 * h;
    const float* y = gh + row * 3 * h;
    for (long j = 0; j < h; j++) {
      const float r = sigmoidf(x[j] + y[j]);
      const float z = sigmoidf(x[h + j] + y[h + j]);
      const float n = std::tanh(x[2 * h + j] + r * y[2 * h + j]);
      x[j] = r; x[h + j] = z; x[2 * h + j] = n;
      hOut[row * h + j] = (1 - z) * n + z * hPrev[row * h + j];
    }
  }
}

void gruBackward(long b, long h, const float* gi, const float* gh, const float* hPrev, const float* dh, float* dGi, float* dGh, float* dhPrev) {
  for (long row = 0; row < b; row++) {
    const long go = row * 3 * h, so = row * h;
    for (long j = 0; j < h; j++) {
      const float r = gi[go + j], z = gi[go + h + j], n = gi[go + 2 * h + j];
      const float d = dh[so + j];
      const float dn = d * (1 - z) * (1 - n * n);
      const float dz = d * (hPrev[so + j] - n) * z * (1 - z);
      const float dr = dn * gh[go + 2 * h + j] * r * (1 - r);
      dGi[go + j] = dr; dGi[go + h + j] = dz; dGi[go + 2 * h + j] = dn;
      dGh[go + j] = dr; dGh[go + h + j] = dz; dGh[go + 2 * h + j] = dn * r;
      dhPrev[so + j] = d * z;
    }
  }
}

namespace {
void adamRange(float* p, const float* g, float* m, float* v, long i0, long i1, double beta1, double beta2, double stepSize, double bc2Sqrt,
  double eps, double decay, double l2, bool decoupled) {
  for (long i = i0; i < i1; i++) {
    const float gi = static_cast<float>(g[i] + l2 * p[i]);
    m[i] = static_cast<float>(beta1 * m[i] + (1 - beta1) * gi);
    v[i] = static_cast<float>(beta2 * v[i] + (1 - beta2) * static_cast<double>(gi) * gi);
    const double pi = decoupled ? static_cast<float>(p[i] * decay) : p[i];
    p[i] = static_cast<float>(pi - stepSize * m[i] / (std::sqrt(static_cast<double>(v[i])) / bc2Sqrt + eps));
  }
}
// Adam updates of at least this many parameters are split over the threads (a square root and two
// divisions in double per element pay for the hand-over).
constexpr long PAR_ADAM = 1 << 14;
}  // namespace

// The reference's arithmetic in double, rounded to float where it stores: the same bits.
void adamStep(float* p, const float* g, float* m, float* v, long n, double beta1, double beta2, double stepSize, double bc2Sqrt,
  double eps, double decay, double l2, bool decoupled, int threads) {
  if (threads < 2 || n < PAR_ADAM) return adamRange(p, g, m, v, 0, n, beta1, beta2, stepSize, bc2Sqrt, eps, decay, l2, decoupled);
  const long size = (n + threads - 1) / threads;
  parallel(threads, [&](int t) {
    const long i0 = std::min(n, t * size), i1 = std::min(n, i0 + size);
    adamRange(p, g, m, v, i0, i1, beta1, beta2, stepSize, bc2Sqrt, eps, decay, l2, decoupled);
  });
}

namespace {
int gateCount(int cell) { return cell == LSTM ? 4 : cell == GRU ? 3 : 1; }
thread_local std::vector<float> packed;
// Recurrences of fewer flops per step than this stay on one thread.
constexpr double PAR_STEP_FLOPS = 2e5;

// Rows of the block [b0, b0 + nb) live at step t: all without batchSizes, else clamp(batchSizes[t] − b0, 0, nb).
inline int liveRows(const Sequence& s, int t, int b0, int nb) {
  return s.batchSizes ? std::min(nb, std::max(0, s.batchSizes[t] - b0)) : nb;
}

/**
 * Blocks of batch rows, one per thread where the per-step multiply pays for the split: f(b0, nb). A
 * variable-length batch is split by the rows' step counts (its work), not by rows.
 */
template <typename F>
void overRows(const Sequence& s, int threads, F f) {
  const int G = gateCount(s.cell);
  const int parts = threads > 1 && 2.0 * s.B * G * s.H * s.H >= PAR_STEP_FLOPS ? std::min(threads, s.B) : 1;
  if (parts == 1) return f(0, s.B);
  std::vector<int> start(parts + 1, s.B);
  start[0] = 0;
  if (!s.batchSizes) {
    const int size = (s.B + parts - 1) / parts;
    for (int t = 1; t < parts; t++) start[t] = std::min(s.B, t * size);
  } else {
    // len_r = the steps t with batchSizes[t] > r; before[r] = len_0 + … + len_{r−1}. Each block ends at
    // the row where that total comes nearest its even share, with at least one row per block.
    std::vector<long> atLeast(s.B + 1, 0), before(s.B + 1, 0);
    for (int t = 0; t < s.T; t++) atLeast[s.batchSizes[t]]++;
    for (int r = s.B - 1; r >= 0; r--) atLeast[r] += atLeast[r + 1];  // atLeast[r]: the steps with batchSizes ≥ r
    for (int r = 0; r < s.B; r++) before[r + 1] = before[r] + atLeast[r + 1];
    for (int p = 1; p < parts; p++) {
      const double target = static_cast<double>(before[s.B]) * p / parts;
      int end = start[p - 1] + 1;
      while (end < s.B - (parts - p) && std::abs(before[end + 1] - target) <= std::abs(before[end] - target)) end++;
      start[p] = end;
    }
  }
  parallel(parts, [&](int t) {
    const int b0 = start[t], nb = start[t + 1] - b0;
    if (nb > 0) f(b0, nb);
  });
}

// Rows [b0, b0 + nb) of the step loop of tensor/recurrence.ts, with W_hhᵀ packed in wp. Only the rows live
// at a step run its product and cell; the others carry their state through it.
void forwardRows(const Sequence& s, const float* wp, int b0, int nb) {
  const int G = gateCount(s.cell), H = s.H, B = s.B, T = s.T;
  const long BH = static_cast<long>(B) * H, BG = BH * G, GH = static_cast<long>(G) * H;
  const long oh = static_cast<long>(b0) * H, og = b0 * GH;
  for (int step = 0; step < T; step++) {
    const int t = s.reverse ? T - 1 - step : step;
    const int before = s.reverse ? (t == T - 1 ? -1 : t + 1) : t - 1;
    const int live = liveRows(s, t, b0, nb);
    const float* hPrev = (before < 0 ? s.hInit : s.hs + before * BH) + oh;
    const float* cPrev = s.cell == LSTM ? (before < 0 ? s.cInit : s.cs + before * BH) + oh : nullptr;
    float* g = s.gates + t * BG + og;
    float* h = s.hs + t * BH + oh;
    if (live > 0) {
      if (s.cell == GRU) {
        float* gh = s.ghs + t * BG + og;
        for (int r = 0; r < live; r++) {
          if (s.bHh) std::memcpy(gh + r * GH, s.bHh, sizeof(float) * GH);
          else std::fill(gh + r * GH, gh + (r + 1) * GH, 0.0f);
        }
        gemmPacked(false, live, G * H, H, hPrev, wp, gh, true);
        gruForward(live, H, g, gh, hPrev, h);
      } else {
        gemmPacked(false, live, G * H, H, hPrev, wp, g, true);
        if (s.cell == LSTM) lstmForward(live, H, g, cPrev, s.cs + t * BH + oh, h);
        else activate(s.cell == RNN_RELU ? RELU : TANH, g, h, static_cast<long>(live) * H);
      }
    }
    if (live < nb) {
      const long skip = static_cast<long>(live) * H, n = static_cast<long>(nb - live) * H;
      std::memcpy(h + skip, hPrev + skip, sizeof(float) * n);
      if (s.cell == LSTM) std::memcpy(s.cs + t * BH + oh + skip, cPrev + skip, sizeof(float) * n);
    }
  }
}

// Rows [b0, b0 + nb) of the backward step loop, with W_hh packed in wp; spare: [B, H] for the GRU. Rows that
// are not live at a step get zeros in dG (and dGh) and keep their ∂L/∂h (∂L/∂c).
void backwardRows(const Sequence& s, const float* wp, const float* gOut, float* dG, float* dGh, float* dh, float* dc, bool initGrad,
  float* spareAll, int b0, int nb) {
  const int G = gateCount(s.cell), H = s.H, B = s.B, T = s.T;
  const long BH = static_cast<long>(B) * H, BG = BH * G, GH = static_cast<long>(G) * H;
  const long oh = static_cast<long>(b0) * H, og = b0 * GH, nh = static_cast<long>(nb) * H;
  float* const mine = dh + oh;
  float* cur = mine;
  float* spare = spareAll ? spareAll + oh : nullptr;
  for (int step = T - 1; step >= 0; step--) {
    const int t = s.reverse ? T - 1 - step : step;
    const int before = s.reverse ? (t == T - 1 ? -1 : t + 1) : t - 1;
    const int live = liveRows(s, t, b0, nb);
    const long lh = static_cast<long>(live) * H;
    float* dg = dG + t * BG + og;
    if (live < nb) {
      const long skip = live * GH, n = (nb - live) * GH;
      std::fill(dg + skip, dg + skip + n, 0.0f);
      if (s.cell == GRU) std::fill(dGh + t * BG + og + skip, dGh + t * BG + og + skip + n, 0.0f);
    }
    if (live == 0) continue;
    const float* hPrev = (before < 0 ? s.hInit : s.hs + before * BH) + oh;
    if (gOut) addScaled(cur, gOut + t * BH + oh, 1, cur, lh);
    const float* g = s.gates + t * BG + og;
    const bool wantPrev = step > 0 || initGrad;
    if (s.cell == GRU) {
      float* dgh = dGh + t * BG + og;
      gruBackward(live, H, g, s.ghs + t * BG + og, hPrev, cur, dg, dgh, spare);
      if (wantPrev) gemmPacked(false, live, H, G * H, dgh, wp, spare, true);
      // rows that are not live keep their ∂L/∂h across the swap
      if (live < nb) std::memcpy(spare + lh, cur + lh, sizeof(float) * (nh - lh));
      std::swap(cur, spare);
    } else {
      if (s.cell == LSTM) {
        const float* cPrev = (before < 0 ? s.cInit : s.cs + before * BH) + oh;
        lstmBackward(live, H, g, cPrev, s.cs + t * BH + oh, cur, dc + oh, dg);
      } else {
        activateBackward(s.cell == RNN_RELU ? RELU : TANH, s.hs + t * BH + oh, cur, dg, lh, false);
      }
      if (wantPrev) gemmPacked(false, live, H, G * H, dg, wp, cur, false);
    }
  }
  if (cur != mine) std::memcpy(mine, cur, sizeof(float) * nh);
}
}  // namespace

void recurrenceForward(const Sequence& s, int threads) {
  const int G = gateCount(s.cell);
  const long np = packedBSize(s.H, G * s.H);
  if (static_cast<long>(packed.size()) < np) packed.resize(np);
  packB(true, s.H, G * s.H, s.wHh, packed.data());
  const float* wp = packed.data();
  overRows(s, threads, [&](int b0, int nb) { forwardRows(s, wp, b0, nb); });
}

void recurrenceBackward(const Sequence& s, const float* gOut, float* dG, float* dGh, float* dh, float* dc, bool initGrad, int threads) {
  const int G = gateCount(s.cell);
  const long np = packedBSize(G * s.H, s.H);
  if (static_cast<long>(packed.size()) < np) packed.resize(np);
  packB(false, G * s.H, s.H, s.wHh, packed.data());
  const float* wp = packed.data();
  std::vector<float> spare(s.cell == GRU ? static_cast<size_t>(s.B) * s.H : 0);
  float* sp = s.cell == GRU ? spare.data() : nullptr;
  overRows(s, threads, [&](int b0, int nb) { backwardRows(s, wp, gOut, dG, dGh, dh, dc, initGrad, sp, b0, nb); });
}

}  // namespace rnnkit
