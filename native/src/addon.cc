// The Node-API face of the kernels. Arguments are the caller's own typed arrays: their data pointers
// are used in place, never copied. src/kernels/native/backend.ts checks every size first; the checks
// here repeat the ones a wrong call could turn into an out-of-bounds access, so that even a direct
// call with wrong arguments gets a RangeError or TypeError, never a crash.
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <cstdint>
#include <string>
#include "kernels.h"

namespace {
using namespace rnnkit;

struct Fail {
  bool range;
  std::string msg;
};

class Args {
 public:
  Args(napi_env env, napi_callback_info info, const char* op, size_t want) : env_(env), op_(op) {
    argc_ = 24;
    napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr);
    argc_ = argc_ < 24 ? argc_ : 24;
    if (argc_ < want) fail(false, "expects " + std::to_string(want) + " arguments");
  }

  [[noreturn]] void fail(bool range, const std::string& what) const { throw Fail{range, std::string(op_) + ": " + what}; }

  /** A whole number in [0, 2^31). */
  int count(size_t i, const char* what) const {
    double d;
    if (napi_get_value_double(env_, argv_[i], &d) != napi_ok) fail(false, std::string(what) + " must be a number");
    if (!(d >= 0 && d <= 2147483647.0 && d == static_cast<double>(static_cast<int64_t>(d)))) fail(true, std::string(what) + " must be a whole number ≥ 0");
    return static_cast<int>(d);
  }
  double number(size_t i, const char* what) const {
    double d;
    if (napi_get_value_double(env_, argv_[i], &d) != napi_ok) fail(false, std::string(what) + " must be a number");
    return d;
  }
  int integer(size_t i, const char* what) const {
    double d = number(i, what);
    if (!(d >= -2147483648.0 && d <= 2147483647.0 && d == static_cast<double>(static_cast<int64_t>(d)))) fail(true, std::string(what) + " must be a 32-bit integer");
    return static_cast<int>(d);
  }
  bool flag(size_t i) const {
    bool b = false;
    napi_valuetype t;
    napi_typeof(env_, argv_[i], &t);
    if (t == napi_boolean) napi_get_value_bool(env_, argv_[i], &b);
    else if (t == napi_number) b = number(i, "flag") != 0;
    return b;
  }
  /** The optional thread count at i: 1 where it is not given. */
  int threads(size_t i) const {
    if (i >= argc_ || isNull(i)) return 1;
    const int n = count(i, "threads");
    if (n < 1 || n > 64) fail(true, "threads must be from 1 to 64");
    return n;
  }
  /** Whether an argument other than null or undefined is at i. */
  bool given(size_t i) const { return i < argc_ && !isNull(i); }
  bool isNull(size_t i) const {
    napi_valuetype t;
    napi_typeof(env_, argv_[i], &t);
    return t == napi_null || t == napi_undefined;
  }

  float* f32(size_t i, int64_t need, const char* what) const { return static_cast<float*>(typed(i, need, what, napi_float32_array)); }
  float* f32OrNull(size_t i, int64_t need, const char* what) const { return isNull(i) ? nullptr : f32(i, need, what); }
  int32_t* i32(size_t i, int64_t need, const char* what) const { return static_cast<int32_t*>(typed(i, need, what, napi_int32_array)); }
  /** The length of the typed array at i (after f32/i32 have checked its type). */
  int64_t length(size_t i) const {
    napi_typedarray_type type;
    size_t len = 0;
    napi_get_typedarray_info(env_, argv_[i], &type, &len, nullptr, nullptr, nullptr);
    return static_cast<int64_t>(len);
  }

 private:
  void* typed(size_t i, int64_t need, const char* what, napi_typedarray_type want) const {
    bool is = false;
    napi_is_typedarray(env_, argv_[i], &is);
    const char* name = want == napi_float32_array ? "a Float32Array" : "an Int32Array";
    if (!is) fail(false, std::string(what) + " must be " + name);
    napi_typedarray_type type;
    size_t len = 0;
    void* data = nullptr;
    napi_get_typedarray_info(env_, argv_[i], &type, &len, &data, nullptr, nullptr);
    if (type != want) fail(false, std::string(what) + " must be " + name);
    if (need < 0) fail(true, std::string(what) + ": the sizes overflow");
    if (static_cast<int64_t>(len) < need)
      fail(true, std::string(what) + " has " + std::to_string(len) + " values, needs " + std::to_string(need));
    return data;
  }

  napi_env env_;
  const char* op_;
  size_t argc_;
  napi_value argv_[24];
};

/** a · b · …, or −1 where the product leaves int64. */
int64_t prod(std::initializer_list<int64_t> xs) {
  int64_t r = 1;
  for (int64_t x : xs)
    if (__builtin_mul_overflow(r, x, &r)) return -1;
  return r;
}

napi_value num(napi_env env, double x) {
  napi_value v;
  napi_create_double(env, x, &v);
  return v;
}

template <typename F>
napi_value guarded(napi_env env, F f) {
  try {
    return f();
  } catch (const Fail& e) {
    if (e.range) napi_throw_range_error(env, nullptr, e.msg.c_str());
    else napi_throw_type_error(env, nullptr, e.msg.c_str());
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, (std::string("native kernels: ") + e.what()).c_str());
  }
  return nullptr;
}

#define FN(name) napi_value name(napi_env env, napi_callback_info info)

FN(Gemm) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "gemm", 9);
    const bool ta = a.flag(0), tb = a.flag(1);
    const int m = a.count(2, "m"), n = a.count(3, "n"), k = a.count(4, "k");
    const float* A = a.f32(5, prod({m, k}), "a");
    const float* B = a.f32(6, prod({k, n}), "b");
    float* C = a.f32(7, prod({m, n}), "c");
    gemm(ta, tb, m, n, k, A, B, C, a.flag(8), a.threads(9));
    return nullptr;
  });
}

FN(Activate) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "activate", 4);
    const int kind = a.count(0, "kind"), n = a.count(3, "n");
    if (kind > IDENTITY) a.fail(true, "unknown activation");
    activate(kind, a.f32(1, n, "x"), a.f32(2, n, "out"), n);
    return nullptr;
  });
}

FN(ActivateBackward) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "activateBackward", 6);
    const int kind = a.count(0, "kind"), n = a.count(4, "n");
    if (kind > IDENTITY) a.fail(true, "unknown activation");
    activateBackward(kind, a.f32(1, n, "y"), a.f32(2, n, "dy"), a.f32(3, n, "dx"), n, a.flag(5));
    return nullptr;
  });
}

FN(AddScaled) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "addScaled", 5);
    const int n = a.count(4, "n");
    addScaled(a.f32(0, n, "a"), a.f32(1, n, "b"), a.number(2, "alpha"), a.f32(3, n, "out"), n);
    return nullptr;
  });
}

FN(Mul) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "mul", 4);
    const int n = a.count(3, "n");
    mul(a.f32(0, n, "a"), a.f32(1, n, "b"), a.f32(2, n, "out"), n);
    return nullptr;
  });
}

FN(Scale) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "scale", 3);
    const int n = a.count(2, "n");
    scale(a.f32(0, n, "x"), a.number(1, "alpha"), n);
    return nullptr;
  });
}

FN(SumSquares) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "sumSquares", 2);
    const int n = a.count(1, "n");
    return num(env, sumSquares(a.f32(0, n, "x"), n));
  });
}

FN(Sum) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "sum", 2);
    const int n = a.count(1, "n");
    return num(env, sum(a.f32(0, n, "x"), n));
  });
}

FN(AddRowVector) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "addRowVector", 4);
    const int w = a.count(2, "width"), rows = a.count(3, "rows");
    addRowVector(a.f32(0, prod({rows, w}), "x"), a.f32(1, w, "v"), w, rows);
    return nullptr;
  });
}

FN(SumRows) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "sumRows", 5);
    const int rows = a.count(1, "rows"), w = a.count(3, "width");
    sumRows(a.f32(0, prod({rows, w}), "x"), rows, a.f32(2, w, "out"), w, a.flag(4));
    return nullptr;
  });
}

// ids checked against the table's rows here: a wrong one would read or write outside it
const int32_t* checkedIds(const Args& a, size_t tableArg, size_t idsArg, int width, int n) {
  const int32_t* ids = a.i32(idsArg, n, "ids");
  const int64_t rows = width > 0 ? a.length(tableArg) / width : 0;
  for (int r = 0; r < n; r++)
    if (ids[r] < 0 || ids[r] >= rows) a.fail(true, "index " + std::to_string(ids[r]) + " out of range for " + std::to_string(rows) + " rows");
  return ids;
}

FN(GatherRows) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "gatherRows", 5);
    const int width = a.count(1, "width"), n = a.count(3, "n");
    const float* table = a.f32(0, 0, "table");
    const int32_t* ids = checkedIds(a, 0, 2, width, n);
    gatherRows(table, width, ids, n, a.f32(4, prod({n, width}), "out"));
    return nullptr;
  });
}

FN(ScatterAddRows) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "scatterAddRows", 5);
    const int width = a.count(1, "width"), n = a.count(3, "n");
    float* table = a.f32(0, 0, "table");
    const int32_t* ids = checkedIds(a, 0, 2, width, n);
    scatterAddRows(table, width, ids, n, a.f32(4, prod({n, width}), "src"));
    return nullptr;
  });
}

FN(Transpose) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "transpose", 4);
    const int rows = a.count(1, "rows"), cols = a.count(2, "cols");
    transpose(a.f32(0, prod({rows, cols}), "x"), rows, cols, a.f32(3, prod({rows, cols}), "out"));
    return nullptr;
  });
}

FN(Softmax) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "softmax", 4);
    const int n = a.count(1, "n"), c = a.count(2, "c");
    softmax(a.f32(0, prod({n, c}), "x"), n, c, a.f32(3, prod({n, c}), "out"));
    return nullptr;
  });
}

const int32_t* checkedTargets(const Args& a, size_t i, int n, int c, int ignore) {
  const int32_t* t = a.i32(i, n, "targets");
  for (int r = 0; r < n; r++)
    if (t[r] != ignore && !(t[r] >= 0 && t[r] < c)) a.fail(true, "target " + std::to_string(t[r]) + " out of range for " + std::to_string(c) + " classes");
  return t;
}

FN(SoftmaxCrossEntropy) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "softmaxCrossEntropy", 6);
    const int n = a.count(1, "n"), c = a.count(2, "c"), ignore = a.integer(4, "ignoreIndex");
    const float* logits = a.f32(0, prod({n, c}), "logits");
    const int32_t* t = checkedTargets(a, 3, n, c, ignore);
    return num(env, softmaxCrossEntropy(logits, n, c, t, ignore, a.f32(5, prod({n, c}), "probs")));
  });
}

FN(SoftmaxCrossEntropyBackward) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "softmaxCrossEntropyBackward", 7);
    const int n = a.count(1, "n"), c = a.count(2, "c"), ignore = a.integer(4, "ignoreIndex");
    const float* probs = a.f32(0, prod({n, c}), "probs");
    const int32_t* t = checkedTargets(a, 3, n, c, ignore);
    softmaxCrossEntropyBackward(probs, n, c, t, ignore, a.number(5, "scale"), a.f32(6, prod({n, c}), "dLogits"));
    return nullptr;
  });
}

FN(LstmForward) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "lstmForward", 6);
    const int b = a.count(0, "b"), h = a.count(1, "h");
    const int64_t bh = prod({b, h});
    lstmForward(b, h, a.f32(2, prod({4, b, h}), "gates"), a.f32(3, bh, "cPrev"), a.f32(4, bh, "c"), a.f32(5, bh, "h"));
    return nullptr;
  });
}

FN(LstmBackward) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "lstmBackward", 8);
    const int b = a.count(0, "b"), h = a.count(1, "h");
    const int64_t bh = prod({b, h}), g = prod({4, b, h});
    lstmBackward(b, h, a.f32(2, g, "gates"), a.f32(3, bh, "cPrev"), a.f32(4, bh, "c"), a.f32(5, bh, "dh"), a.f32(6, bh, "dc"),
      a.f32(7, g, "dGates"));
    return nullptr;
  });
}

FN(GruForward) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "gruForward", 6);
    const int b = a.count(0, "b"), h = a.count(1, "h");
    const int64_t bh = prod({b, h}), g = prod({3, b, h});
    gruForward(b, h, a.f32(2, g, "gi"), a.f32(3, g, "gh"), a.f32(4, bh, "hPrev"), a.f32(5, bh, "h"));
    return nullptr;
  });
}

FN(GruBackward) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "gruBackward", 9);
    const int b = a.count(0, "b"), h = a.count(1, "h");
    const int64_t bh = prod({b, h}), g = prod({3, b, h});
    gruBackward(b, h, a.f32(2, g, "gi"), a.f32(3, g, "gh"), a.f32(4, bh, "hPrev"), a.f32(5, bh, "dh"), a.f32(6, g, "dGi"),
      a.f32(7, g, "dGh"), a.f32(8, bh, "dhPrev"));
    return nullptr;
  });
}

FN(AdamStep) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "adamStep", 13);
    const int n = a.count(4, "n");
    adamStep(a.f32(0, n, "param"), a.f32(1, n, "grad"), a.f32(2, n, "m"), a.f32(3, n, "v"), n, a.number(5, "beta1"), a.number(6, "beta2"),
      a.number(7, "stepSize"), a.number(8, "bc2Sqrt"), a.number(9, "eps"), a.number(10, "decay"), a.number(11, "l2"), a.flag(12), a.threads(13));
    return nullptr;
  });
}

// cell, T, B, H, reverse, gates, wHh, hInit, cInit, hs, cs, ghs at 0 … 11
Sequence sequenceArgs(const Args& a) {
  Sequence s{};
  s.cell = a.count(0, "cell");
  if (s.cell > GRU) a.fail(true, "unknown cell");
  s.T = a.count(1, "T"); s.B = a.count(2, "B"); s.H = a.count(3, "H");
  s.reverse = a.flag(4);
  const int G = s.cell == LSTM ? 4 : s.cell == GRU ? 3 : 1;
  const int64_t bh = prod({s.B, s.H}), tbh = prod({s.T, s.B, s.H}), tbg = prod({s.T, s.B, G, s.H});
  s.gates = a.f32(5, tbg, "gates");
  s.wHh = a.f32(6, prod({G, s.H, s.H}), "W_hh");
  s.hInit = a.f32(7, bh, "h0");
  s.cInit = s.cell == LSTM ? a.f32(8, bh, "c0") : nullptr;
  s.hs = a.f32(9, tbh, "hs");
  s.cs = s.cell == LSTM ? a.f32(10, tbh, "cs") : nullptr;
  s.ghs = s.cell == GRU ? a.f32(11, tbg, "ghs") : nullptr;
  return s;
}

// The optional batchSizes at i (absent or null: every row runs all T steps): an Int32Array of T values,
// batchSizes[0] = B, each in 0 … B, never growing, as the kernels index rows by them.
const int32_t* batchSizesArg(const Args& a, size_t i, const Sequence& s) {
  if (!a.given(i)) return nullptr;
  const int32_t* bs = a.i32(i, 0, "batchSizes");
  if (a.length(i) != s.T) a.fail(true, "batchSizes has " + std::to_string(a.length(i)) + " values, needs T = " + std::to_string(s.T));
  if (s.T > 0 && bs[0] != s.B) a.fail(true, "batchSizes[0] must be the batch size " + std::to_string(s.B) + ", got " + std::to_string(bs[0]));
  for (int t = 1; t < s.T; t++) {
    if (!(bs[t] >= 0 && bs[t] <= bs[t - 1])) {
      a.fail(true, "batchSizes[" + std::to_string(t) + "] = " + std::to_string(bs[t]) + " must be from 0 to batchSizes[" +
        std::to_string(t - 1) + "] = " + std::to_string(bs[t - 1]) + " (sort the batch longest first)");
    }
  }
  return bs;
}

// … then bHh, threads, batchSizes at 12, 13, 14
FN(RecurrenceForward) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "recurrenceForward", 13);
    Sequence s = sequenceArgs(a);
    s.batchSizes = batchSizesArg(a, 14, s);
    s.bHh = s.cell == GRU ? a.f32OrNull(12, prod({3, s.H}), "b_hh") : nullptr;
    recurrenceForward(s, a.threads(13));
    return nullptr;
  });
}

// … then gOut, dG, dGh, dh, dc, initGrad, threads, batchSizes at 12 … 19
FN(RecurrenceBackward) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "recurrenceBackward", 18);
    Sequence s = sequenceArgs(a);
    s.batchSizes = batchSizesArg(a, 19, s);
    const int G = s.cell == LSTM ? 4 : s.cell == GRU ? 3 : 1;
    const int64_t bh = prod({s.B, s.H}), tbg = prod({s.T, s.B, G, s.H});
    const float* gOut = a.f32OrNull(12, prod({s.T, s.B, s.H}), "gOut");
    float* dG = a.f32(13, tbg, "dG");
    float* dGh = s.cell == GRU ? a.f32(14, tbg, "dGh") : nullptr;
    float* dh = a.f32(15, bh, "dh");
    float* dc = s.cell == LSTM ? a.f32(16, bh, "dc") : nullptr;
    recurrenceBackward(s, gOut, dG, dGh, dh, dc, a.flag(17), a.threads(18));
    return nullptr;
  });
}

FN(Isa) {
  napi_value v;
  napi_create_string_utf8(env, isa(), NAPI_AUTO_LENGTH, &v);
  return v;
}

FN(ForceGeneric) {
  return guarded(env, [&]() -> napi_value {
    Args a(env, info, "forceGeneric", 1);
    napi_value v;
    napi_get_boolean(env, forceGeneric(a.flag(0)), &v);
    return v;
  });
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor fns[] = {
#define P(js, c) {js, nullptr, c, nullptr, nullptr, nullptr, napi_enumerable, nullptr}
    P("gemm", Gemm), P("activate", Activate), P("activateBackward", ActivateBackward), P("addScaled", AddScaled), P("mul", Mul),
    P("scale", Scale), P("sumSquares", SumSquares), P("sum", Sum), P("addRowVector", AddRowVector), P("sumRows", SumRows),
    P("gatherRows", GatherRows), P("scatterAddRows", ScatterAddRows), P("transpose", Transpose), P("softmax", Softmax),
    P("softmaxCrossEntropy", SoftmaxCrossEntropy), P("softmaxCrossEntropyBackward", SoftmaxCrossEntropyBackward),
    P("lstmForward", LstmForward), P("lstmBackward", LstmBackward), P("gruForward", GruForward), P("gruBackward", GruBackward),
    P("adamStep", AdamStep), P("recurrenceForward", RecurrenceForward), P("recurrenceBackward", RecurrenceBackward),
    P("isa", Isa), P("forceGeneric", ForceGeneric),
#undef P
  };
  napi_define_properties(env, exports, sizeof(fns) / sizeof(fns[0]), fns);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
