// The model family's trainer (see deep_kernel.h), compiled once per instruction set:
// SPECBIAS_KERNEL_NS=base and SPECBIAS_KERNEL_NS=avx2 (-mavx2 -mfma -ffp-contract=fast).
//
// Matrix products: our own blocked sgemm on the engine's thread pool, not BLAS. OpenBLAS's sgemm
// (0.3.34, Haswell kernels) gives different bits for 1, 2, 4 and 7 threads at 333 x 517 x 1001
// (the same bits at 128 x 64 x 128 and at the paper's 4096 x 1000 x 4096): its split of the
// output depends on the thread count. Here C is cut into fixed MC x NC tiles, one thread computes
// a whole tile with a fixed order over K, so the bits do not depend on the thread count.
//
// Precision: operands and products in float32, each KC-long partial sum in float32 registers,
// the sum over KC blocks in float64; master weights, gradients of the hidden layers (sgemm output),
// the output layer, the biases and the update in float64. No fast-math.
#include "deep_kernel.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "thread_pool.h"

#ifndef SPECBIAS_KERNEL_NS
#error "SPECBIAS_KERNEL_NS must name the variant (base or avx2)"
#endif

namespace specbias {
namespace SPECBIAS_KERNEL_NS {
namespace {

typedef float V8 __attribute__((vector_size(32)));
typedef float V4f __attribute__((vector_size(16)));
typedef double V4d __attribute__((vector_size(32)));

// Micro-tile MR x NR (6 x 16: twelve 8-float accumulators), tile MC x NC of C per task, KC-long
// float32 partial sums.
constexpr int MR = 6, NR = 16, MC = 144, NC = 256, KC = 256;
static_assert(MC % MR == 0 && NC % NR == 0, "whole micro-tiles");

#define SB_STR2(x) #x
#define SB_STR(x) SB_STR2(x)

/** Element (i, k) of a matrix at p[i rs + k cs]: a transpose is a swap of strides. */
struct Mat {
  const float* p;
  long rs, cs;
  float at(long i, long k) const { return p[i * rs + k * cs]; }
};

struct GemmScratch {
  std::vector<double> acc;  // MC x NC
};

/** Both operands of a product, packed once into micro-panels (shared by every tile). */
struct Packed {
  std::vector<float> a, b;
};

inline void addRow(double* dst, const V8& v) {
  V4d lo = __builtin_convertvector((V4f)__builtin_shufflevector(v, v, 0, 1, 2, 3), V4d);
  V4d hi = __builtin_convertvector((V4f)__builtin_shufflevector(v, v, 4, 5, 6, 7), V4d);
  V4d a, b;
  std::memcpy(&a, dst, sizeof a);
  std::memcpy(&b, dst + 4, sizeof b);
  a += lo;
  b += hi;
  std::memcpy(dst, &a, sizeof a);
  std::memcpy(dst + 4, &b, sizeof b);
}

/** acc[r][0..NR) += sum_k a[k][r] b[k][0..NR) over kc, the sum in float32. */
inline void micro(int kc, const float* a, const float* b, double* acc, int ldacc) {
  V8 c[MR][2];
  for (int r = 0; r < MR; ++r) c[r][0] = c[r][1] = V8{};
  for (int k = 0; k < kc; ++k) {
    V8 b0, b1;
    std::memcpy(&b0, b + k * NR, sizeof b0);
    std::memcpy(&b1, b + k * NR + 8, sizeof b1);
    const float* ak = a + k * MR;
    for (int r = 0; r < MR; ++r) {
      const float av = ak[r];
      c[r][0] += av * b0;
      c[r][1] += av * b1;
    }
  }
  for (int r = 0; r < MR; ++r) {
    addRow(acc + r * ldacc, c[r][0]);
    addRow(acc + r * ldacc + 8, c[r][1]);
  }
}

/**
 * One micro-panel of A (rows i0 .. i0 + rows, rows <= MR, zero-padded to MR) for k0 .. k0 + kc,
 * as dst[k][r]. The loops follow whichever stride of A is 1.
 */
inline void packA(const Mat& A, int i0, int rows, int k0, int kc, float* dst) {
  if (rows < MR) std::fill(dst, dst + static_cast<size_t>(kc) * MR, 0.f);
  if (A.cs == 1) {
    for (int r = 0; r < rows; ++r) {
      const float* src = A.p + (i0 + r) * A.rs + k0;
      for (int k = 0; k < kc; ++k) dst[k * MR + r] = src[k];
    }
  } else {
    for (int k = 0; k < kc; ++k) {
      const float* src = A.p + (k0 + k) * A.cs + i0 * A.rs;
      for (int r = 0; r < rows; ++r) dst[k * MR + r] = src[r * A.rs];
    }
  }
}

/** One micro-panel of B (columns j0 .. j0 + cols, zero-padded to NR) for k0 .. k0 + kc, as dst[k][c]. */
inline void packB(const Mat& B, int j0, int cols, int k0, int kc, float* dst) {
  if (cols < NR) std::fill(dst, dst + static_cast<size_t>(kc) * NR, 0.f);
  if (B.cs == 1) {
    for (int k = 0; k < kc; ++k) {
      const float* src = B.p + (k0 + k) * B.rs + j0;
      if (cols == NR) std::memcpy(dst + k * NR, src, sizeof(float) * NR);
      else for (int c = 0; c < cols; ++c) dst[k * NR + c] = src[c];
    }
  } else {
    for (int c = 0; c < cols; ++c) {
      const float* src = B.p + (j0 + c) * B.cs + k0 * B.rs;
      for (int k = 0; k < kc; ++k) dst[k * NR + c] = src[k * B.rs];
    }
  }
}

/**
 * C (M x N, row-major, ldc) = alpha A B + colAdd[j] (colAdd may be null), A M x K, B K x N, with
 * Out float or double. Both operands are packed once, k-block by k-block: A's block at k0 holds
 * its MR-row strips (Mpad kc floats, so it starts at Mpad k0), B's its NR-column strips. Then
 * each task computes one MC x NC tile of C over all of K in a fixed order: deterministic, see
 * the file comment.
 */
template <typename Out>
void gemm(ThreadPool& pool, std::vector<GemmScratch>& scratch, Packed& pk, int M, int N, int K, Mat A, Mat B, double alpha,
          const double* colAdd, Out* C, long ldc) {
  const int stripsA = (M + MR - 1) / MR, stripsB = (N + NR - 1) / NR;
  const size_t mPad = static_cast<size_t>(stripsA) * MR, nPad = static_cast<size_t>(stripsB) * NR;
  if (pk.a.size() < mPad * K) pk.a.resize(mPad * K);
  if (pk.b.size() < nPad * K) pk.b.resize(nPad * K);
  pool.run(stripsA + stripsB, [&](int task, int) {
    for (int k0 = 0; k0 < K; k0 += KC) {
      const int kc = std::min(KC, K - k0);
      if (task < stripsA) {
        const int q = task;
        packA(A, q * MR, std::min(MR, M - q * MR), k0, kc, &pk.a[mPad * k0 + static_cast<size_t>(q) * kc * MR]);
      } else {
        const int q = task - stripsA;
        packB(B, q * NR, std::min(NR, N - q * NR), k0, kc, &pk.b[nPad * k0 + static_cast<size_t>(q) * kc * NR]);
      }
    }
  });
  const int tm = (M + MC - 1) / MC, tn = (N + NC - 1) / NC;
  pool.run(tm * tn, [&](int task, int thread) {
    GemmScratch& s = scratch[thread];
    const int i0 = (task / tn) * MC, j0 = (task % tn) * NC;
    const int mc = std::min(MC, M - i0), nc = std::min(NC, N - j0);
    const int sa = (mc + MR - 1) / MR, sb = (nc + NR - 1) / NR;
    std::fill(s.acc.begin(), s.acc.end(), 0.0);
    for (int k0 = 0; k0 < K; k0 += KC) {
      const int kc = std::min(KC, K - k0);
      const float* pa = &pk.a[mPad * k0 + static_cast<size_t>(i0 / MR) * kc * MR];
      const float* pb = &pk.b[nPad * k0 + static_cast<size_t>(j0 / NR) * kc * NR];
      for (int qb = 0; qb < sb; ++qb)
        for (int qa = 0; qa < sa; ++qa)
          micro(kc, pa + static_cast<size_t>(qa) * kc * MR, pb + static_cast<size_t>(qb) * kc * NR,
                &s.acc[static_cast<size_t>(qa) * MR * NC + qb * NR], NC);
    }
    for (int i = 0; i < mc; ++i)
      for (int j = 0; j < nc; ++j) {
        const double v = alpha * s.acc[static_cast<size_t>(i) * NC + j] + (colAdd ? colAdd[j0 + j] : 0.0);
        C[static_cast<long>(i0 + i) * ldc + j0 + j] = static_cast<Out>(v);
      }
  });
}

const double kTwoOverSqrtPi = 1.1283791670955126;
const double kInvSqrt2 = 0.7071067811865476;
const double kInvSqrt2Pi = 0.3989422804014327;

inline double act(int a, double x) {
  switch (a) {
    case kRelu: return x > 0 ? x : 0;
    case kErf: return std::erf(x);
    case kTanh: return std::tanh(x);
    default: return 0.5 * x * (1 + std::erf(x * kInvSqrt2));
  }
}
inline double dact(int a, double x) {
  switch (a) {
    case kRelu: return x > 0 ? 1 : 0;
    case kErf: return kTwoOverSqrtPi * std::exp(-x * x);
    case kTanh: {
      const double c = std::cosh(x);
      return 1 / (c * c);
    }
    default: return 0.5 * (1 + std::erf(x * kInvSqrt2)) + x * std::exp(-0.5 * x * x) * kInvSqrt2Pi;
  }
}

/** Rows per task of the elementwise passes and of the float64 reductions. */
constexpr int kRows = 16;

class DeepImpl final : public DeepKernel {
 public:
  DeepImpl(const DeepConfig& cfg, ThreadPool* pool) : cfg_(cfg), pool_(*pool) {
    const int m = cfg.width, d = cfg.dim, L = cfg.depth;
    scale_ = std::sqrt(cfg.cSigma / m);
    size_t off = 0;
    for (int h = 0; h < L; ++h) {
      const size_t rows = h == L - 1 ? 1 : m, cols = h == 0 ? d : m;
      offA_.push_back(off);
      off += rows * cols;
      offB_.push_back(off);
      off += rows;
    }
    w_.assign(off, 0.0);
    g_.assign(off, 0.0);
    if (cfg.optimizer == 1) u_.assign(off, 0.0);
    af_.resize(L - 1);
    biasAdd_.resize(L - 1);
    for (int h = 0; h < L - 1; ++h) {
      af_[h].assign(static_cast<size_t>(m) * (h == 0 ? d : m), 0.f);
      biasAdd_[h].assign(m, 0.0);
    }
    x_.assign(cfg.xTrain, cfg.xTrain + static_cast<size_t>(cfg.n) * d);
    xTest_.assign(cfg.xTest, cfg.xTest + static_cast<size_t>(cfg.nTest) * d);
    train_.resize(L - 1);
    test_.resize(L - 1);
    for (int h = 0; h < L - 1; ++h) {
      train_[h].g.assign(static_cast<size_t>(cfg.n) * m, 0.f);
      train_[h].s.assign(static_cast<size_t>(cfg.n) * m, 0.f);
      // The test pass needs only the current layer's pre-activations and the previous activations.
      if (h < 2 && cfg.nTest > 0) {
        test_[h].g.assign(static_cast<size_t>(cfg.nTest) * m, 0.f);
        test_[h].s.assign(static_cast<size_t>(cfg.nTest) * m, 0.f);
      }
    }
    delta_.assign(static_cast<size_t>(cfg.n) * m, 0.f);
    delta2_.assign(static_cast<size_t>(cfg.n) * m, 0.f);
    scratch_.resize(pool->threads());
    for (auto& s : scratch_) s.acc.assign(static_cast<size_t>(MC) * NC, 0.0);
    const std::string isa = SB_STR(SPECBIAS_KERNEL_NS);
    describe_ = std::string("float32 ") + (isa == "avx2" ? "avx2+fma" : "baseline") + " sgemm, depth " + std::to_string(L);
  }

  size_t paramCount() const override { return w_.size(); }
  void loadWeights(const double* w) override {
    std::memcpy(w_.data(), w, sizeof(double) * w_.size());
    refresh();
  }
  void readWeights(double* w) const override { std::memcpy(w, w_.data(), sizeof(double) * w_.size()); }
  size_t stateSize() const override { return u_.size(); }
  void loadState(const double* s) override {
    if (!u_.empty()) std::memcpy(u_.data(), s, sizeof(double) * u_.size());
  }
  void readState(double* s) const override {
    if (!u_.empty()) std::memcpy(s, u_.data(), sizeof(double) * u_.size());
  }
  const char* describe() const override { return describe_.c_str(); }

  void forward(bool test, double* out) override {
    const int P = test ? cfg_.nTest : cfg_.n;
    if (P == 0) return;
    const int m = cfg_.width, d = cfg_.dim, L = cfg_.depth;
    const std::vector<float>& x = test ? xTest_ : x_;
    std::vector<Layer>& lay = test ? test_ : train_;
    const int a = cfg_.activation;
    // Test points keep two layers and alternate between them; train points keep every layer.
    auto at = [&](int h) -> Layer& { return test ? lay[h % 2] : lay[h]; };
    for (int h = 0; h < L - 1; ++h) {
      Layer& cur = at(h);
      if (h == 0)
        gemm<float>(pool_, scratch_, packed_, P, m, d, Mat{x.data(), d, 1}, Mat{af_[0].data(), 1, d}, 1.0, biasAdd_[0].data(),
                    cur.g.data(), m);
      else
        gemm<float>(pool_, scratch_, packed_, P, m, m, Mat{at(h - 1).s.data(), m, 1}, Mat{af_[h].data(), 1, m}, scale_,
                    biasAdd_[h].data(), cur.g.data(), m);
      elementwise(P, [&](size_t i) { cur.s[i] = static_cast<float>(act(a, cur.g[i])); });
    }
    // Output layer in float64: f_i = scale <A_L, s_i> + beta b_L.
    const float* s = at(L - 2).s.data();
    const double* aL = &w_[offA_[L - 1]];
    const double bL = cfg_.bias * w_[offB_[L - 1]];
    rows(P, [&](int i) {
      const float* si = s + static_cast<size_t>(i) * m;
      double sum = 0;
      for (int k = 0; k < m; ++k) sum += aL[k] * si[k];
      out[i] = scale_ * sum + bL;
    });
  }

  void step(const double* e) override {
    const int n = cfg_.n, m = cfg_.width, d = cfg_.dim, L = cfg_.depth;
    const int a = cfg_.activation;
    const double beta = cfg_.bias;
    // Output layer: dA_L[k] = scale sum_i e_i s_ik, db_L = beta sum_i e_i.
    const float* sLast = train_[L - 2].s.data();
    const double* aL = &w_[offA_[L - 1]];
    double* gAL = &g_[offA_[L - 1]];
    cols(m, [&](int k0, int k1) {
      for (int k = k0; k < k1; ++k) gAL[k] = 0;
      for (int i = 0; i < n; ++i) {
        const float* si = sLast + static_cast<size_t>(i) * m;
        for (int k = k0; k < k1; ++k) gAL[k] += e[i] * si[k];
      }
      for (int k = k0; k < k1; ++k) gAL[k] *= scale_;
    });
    double se = 0;
    for (int i = 0; i < n; ++i) se += e[i];
    g_[offB_[L - 1]] = beta * se;
    // delta = d(sum e_i f_i)/d g_(L-1) = e_i scale A_L s'(g).
    const std::vector<float>& gLast = train_[L - 2].g;
    rows(n, [&](int i) {
      const size_t o = static_cast<size_t>(i) * m;
      for (int k = 0; k < m; ++k) delta_[o + k] = static_cast<float>(e[i] * scale_ * aL[k] * dact(a, gLast[o + k]));
    });
    for (int h = L - 2; h >= 1; --h) {
      // dA_h = scale delta^T s_(h-1) (m x m, summed over the points), db_h = beta colsum(delta).
      gemm<double>(pool_, scratch_, packed_, m, m, n, Mat{delta_.data(), 1, m}, Mat{train_[h - 1].s.data(), m, 1}, scale_, nullptr,
                   &g_[offA_[h]], m);
      biasGradient(h);
      // delta_(h-1) = scale (delta A_h) .* s'(g_(h-1)).
      gemm<float>(pool_, scratch_, packed_, n, m, m, Mat{delta_.data(), m, 1}, Mat{af_[h].data(), m, 1}, scale_, nullptr,
                  delta2_.data(), m);
      const std::vector<float>& gPrev = train_[h - 1].g;
      elementwise(n, [&](size_t i) { delta2_[i] = static_cast<float>(delta2_[i] * dact(a, gPrev[i])); });
      delta_.swap(delta2_);
    }
    gemm<double>(pool_, scratch_, packed_, m, d, n, Mat{delta_.data(), 1, m}, Mat{x_.data(), d, 1}, 1.0, nullptr, &g_[offA_[0]], d);
    biasGradient(0);
    update();
  }

 private:
  struct Layer {
    std::vector<float> g, s;  // P x m pre-activations and activations
  };

  void biasGradient(int h) {
    const int n = cfg_.n, m = cfg_.width;
    double* gb = &g_[offB_[h]];
    cols(m, [&](int k0, int k1) {
      for (int k = k0; k < k1; ++k) gb[k] = 0;
      for (int i = 0; i < n; ++i) {
        const float* di = &delta_[static_cast<size_t>(i) * m];
        for (int k = k0; k < k1; ++k) gb[k] += di[k];
      }
      for (int k = k0; k < k1; ++k) gb[k] *= cfg_.bias;
    });
  }

  /** w -= step_h g (or heavy ball), layer by layer, then the float32 copies. */
  void update() {
    const int L = cfg_.depth;
    const double base = cfg_.learningRate / (cfg_.theta * cfg_.theta);
    const size_t total = w_.size();
    const size_t per = 1 << 16;
    const int tasks = static_cast<int>((total + per - 1) / per);
    pool_.run(tasks, [&](int t, int) {
      const size_t i0 = t * per, i1 = std::min(total, i0 + per);
      // The layer of index i: the output layer (A_L, b_L) takes the full step.
      const size_t outStart = offA_[L - 1];
      for (size_t i = i0; i < i1; ++i) {
        const double stepSize = (i >= outStart ? 1.0 : 0.5) * base;
        if (u_.empty()) {
          w_[i] -= stepSize * g_[i];
        } else {
          u_[i] = cfg_.momentum * u_[i] - stepSize * g_[i];
          w_[i] += u_[i];
        }
      }
    });
    refresh();
  }

  void refresh() {
    const int L = cfg_.depth, m = cfg_.width;
    for (int h = 0; h < L - 1; ++h) {
      const double* a = &w_[offA_[h]];
      std::vector<float>& f = af_[h];
      for (size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(a[i]);
      const double* b = &w_[offB_[h]];
      for (int j = 0; j < m; ++j) biasAdd_[h][j] = cfg_.bias * b[j];
    }
  }

  /** fn(i) for every entry of a P x m array, in row blocks on the pool. */
  template <typename F>
  void elementwise(int P, F fn) {
    const size_t m = cfg_.width;
    pool_.run((P + kRows - 1) / kRows, [&](int t, int) {
      const size_t i1 = std::min<size_t>(P, static_cast<size_t>(t + 1) * kRows) * m;
      for (size_t i = static_cast<size_t>(t) * kRows * m; i < i1; ++i) fn(i);
    });
  }
  template <typename F>
  void rows(int P, F fn) {
    pool_.run((P + kRows - 1) / kRows, [&](int t, int) {
      const int i1 = std::min(P, (t + 1) * kRows);
      for (int i = t * kRows; i < i1; ++i) fn(i);
    });
  }
  /** fn(k0, k1) over column blocks of 256: each block sums over the points in order. */
  template <typename F>
  void cols(int m, F fn) {
    constexpr int kCols = 256;
    pool_.run((m + kCols - 1) / kCols, [&](int t, int) { fn(t * kCols, std::min(m, (t + 1) * kCols)); });
  }

  DeepConfig cfg_;
  ThreadPool& pool_;
  double scale_ = 1;
  std::vector<size_t> offA_, offB_;
  std::vector<double> w_, g_, u_;             // master weights, gradients, heavy-ball velocity
  std::vector<std::vector<float>> af_;        // float32 copies of A_1 .. A_(L-1)
  std::vector<std::vector<double>> biasAdd_;  // beta b_h, h < L
  std::vector<float> x_, xTest_;
  std::vector<Layer> train_, test_;
  std::vector<float> delta_, delta2_;
  std::vector<GemmScratch> scratch_;
  Packed packed_;
  std::string describe_;
};

}  // namespace

std::unique_ptr<DeepKernel> makeDeepKernel(const DeepConfig& cfg, ThreadPool* pool) {
  return std::unique_ptr<DeepKernel>(new DeepImpl(cfg, pool));
}

}  // namespace SPECBIAS_KERNEL_NS
}  // namespace specbias
