// The native kernels: plain functions over raw float arrays. Every size and index has been checked by
// the caller (src/kernels/native/backend.ts, and again in addon.cc) before a pointer reaches them.
#pragma once
#include <cstdint>

namespace rnnkit {

// Micro-tile of the packed multiply: MR rows of C by NR columns.
constexpr int MR = 6;
constexpr int NR = 16;

// c (MR × NR, row stride ldc) = (mode 1: c +) Σ_p a[p·MR + i] · b[p·NR + j], over p < kc.
using MicroKernel = void (*)(int kc, const float* a, const float* b, float* c, long ldc, int mode);
void microGeneric(int kc, const float* a, const float* b, float* c, long ldc, int mode);
void microAvx2(int kc, const float* a, const float* b, float* c, long ldc, int mode);
// c[j] (+)= Σ_p x[p] · b[j·k + p] for j < n: one row times a transposed matrix.
void gemvTGeneric(int n, int k, const float* x, const float* b, float* c, bool acc);
void gemvTAvx2(int n, int k, const float* x, const float* b, float* c, bool acc);

// The cells and activations on eight lanes (cells_avx2.cc); activateAvx2 takes TANH and SIGMOID only.
void activateAvx2(int kind, const float* x, float* out, long n);
void lstmForwardAvx2(long b, long h, float* gates, const float* cPrev, float* c, float* hOut);
void lstmBackwardAvx2(long b, long h, const float* gates, const float* cPrev, const float* c, const float* dh, float* dc, float* dGates);
void gruForwardAvx2(long b, long h, float* gi, const float* gh, const float* hPrev, float* hOut);
/** Whether the AVX2 + FMA kernels run (the CPU has them and forceGeneric is off). */
bool useAvx2();

/** The instruction set the multiply runs on: "avx2+fma" or "generic". */
const char* isa();
/** Forces the generic path (tests compare the two); returns the previous setting. */
bool forceGeneric(bool on);

/** Floats packB writes for op(B) of k × n. */
long packedBSize(int k, int n);
/** op(B) (k × n; stored n × k when tb) into panels of NR columns, each k × NR, zero-padded. */
void packB(bool tb, int k, int n, const float* b, float* out);
/** C (+)= op(A) · B with B packed by packB, split over up to `threads` threads where it is big enough. */
void gemmPacked(bool ta, int m, int n, int k, const float* a, const float* bp, float* c, bool acc, int threads = 1);
/** C (+)= op(A) · op(B), row-major, contiguous. */
void gemm(bool ta, bool tb, int m, int n, int k, const float* a, const float* b, float* c, bool acc, int threads = 1);

enum Act { TANH = 0, SIGMOID = 1, RELU = 2, IDENTITY = 3 };
void activate(int kind, const float* x, float* out, long n);
void activateBackward(int kind, const float* y, const float* dy, float* dx, long n, bool acc);
void addScaled(const float* a, const float* b, double alpha, float* out, long n);
void mul(const float* a, const float* b, float* out, long n);
void scale(float* x, double alpha, long n);
double sumSquares(const float* x, long n);
double sum(const float* x, long n);
void addRowVector(float* x, const float* v, long w, long rows);
void sumRows(const float* x, long rows, float* out, long w, bool acc);
void gatherRows(const float* table, long width, const int32_t* ids, long n, float* out);
void scatterAddRows(float* table, long width, const int32_t* ids, long n, const float* src);
void transpose(const float* x, long rows, long cols, float* out);
void softmax(const float* x, long n, long c, float* out);
double softmaxCrossEntropy(const float* logits, long n, long c, const int32_t* targets, int ignore, float* probs);
void softmaxCrossEntropyBackward(const float* probs, long n, long c, const int32_t* targets, int ignore, double scale, float* d);
void lstmForward(long b, long h, float* gates, const float* cPrev, float* c, float* hOut);
void lstmBackward(long b, long h, const float* gates, const float* cPrev, const float* c, const float* dh, float* dc, float* dGates);
void gruForward(long b, long h, float* gi, const float* gh, const float* hPrev, float* hOut);
void gruBackward(long b, long h, const float* gi, const float* gh, const float* hPrev, const float* dh, float* dGi, float* dGh, float* dhPrev);
void adamStep(float* p, const float* g, float* m, float* v, long n, double beta1, double beta2, double stepSize, double bc2Sqrt,
  double eps, double decay, double l2, bool decoupled, int threads = 1);

// Cells of the whole-sequence kernels (the order of SequenceCell's values in backend.ts).
enum Cell { RNN_TANH = 0, RNN_RELU = 1, LSTM = 2, GRU = 3 };
struct Sequence {
  int cell, T, B, H;
  bool reverse;
  float* gates; const float* wHh; const float* bHh;
  const float* hInit; const float* cInit;
  float* hs; float* cs; float* ghs;
  // Variable-length batches (SequenceArgs.batchSizes in src/kernels/backend.ts), or null: rows
  // 0 … batchSizes[t]−1 are live at step t; [T] values, batchSizes[0] = B, each in 0 … B, never growing.
  const int32_t* batchSizes;
};
// Split over up to `threads` threads by blocks of batch rows, which never meet inside a recurrence.
void recurrenceForward(const Sequence& s, int threads = 1);
void recurrenceBackward(const Sequence& s, const float* gOut, float* dG, float* dGh, float* dh, float* dc, bool initGrad, int threads = 1);

}  // namespace rnnkit
