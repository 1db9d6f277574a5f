// The fused GD step (see train_kernel.h), written once with GCC vector extensions and compiled
// once per instruction set: SPECBIAS_KERNEL_NS=base (the compiler's baseline, SSE2 on x86-64)
// and SPECBIAS_KERNEL_NS=avx2 (-mavx2 -mfma -ffp-contract=fast). The addon picks one at run time.
//
// Work per step: two passes of n m D multiply-adds, the least this network needs.
//   forward   h = W1 x with the current weights: y_hat, and the sign bits of h, one bit per
//             (point, neuron), kept for the next gradient (n m / 8 bytes: 0.5 MB at paper size);
//   gradient  G1_j = sum_i s_ij x_i with s_ij = r_i 1(h_ij > 0) rebuilt from those bits, so h is
//             not recomputed; and g2_j = sum_i r_i relu(h_ij) = <W1_j, G1_j> because h is linear
//             in W1_j, which costs D per neuron instead of n.
// A chunk runs gradient -> update -> forward block by block, so its weights are read while hot.
//
// Layout. A block is two vectors of neurons (NB = 16 in float32, 8 in float64), and the vector
// lanes run over neurons, so every product has a broadcast scalar on one side:
//   h  = X_tile W_block^T       4 points x 2 vectors of accumulators, a loop over the D inputs;
//   G1 = S_tile^T X_tile        KC inputs x 2 vectors of accumulators, one pass per KC inputs,
//                               over a tile of s that stays in L1.
// Nothing of size n x m is stored except the sign bits.
//
// Precision. The compute copy of the weights, the inputs, r and the per-tile sums are in T
// (float or double); every sum that crosses a tile (the gradient over all points) or a chunk (the
// prediction over all neurons) is carried in float64, and the master weights are float64.
// Reproducibility: no fast-math and a fixed order of every sum, so a run is bit-identical for the
// same binary, input and instruction set, whatever the number of threads.
#include "train_kernel.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <cstring>
#include <string>
#include <vector>

#ifndef SPECBIAS_KERNEL_NS
#error "SPECBIAS_KERNEL_NS must name the variant (base or avx2)"
#endif

namespace specbias {
namespace SPECBIAS_KERNEL_NS {
namespace {

template <typename T>
struct VecOf;
template <>
struct VecOf<float> {
  typedef float type __attribute__((vector_size(32)));
  typedef int32_t lane;
  typedef lane mask __attribute__((vector_size(32)));
};
template <>
struct VecOf<double> {
  typedef double type __attribute__((vector_size(32)));
  typedef int64_t lane;
  typedef lane mask __attribute__((vector_size(32)));
};
typedef double V4d __attribute__((vector_size(32)));

/** Points per tile of the gradient pass: the s tile (kTile x 2 vectors, 16 KB) stays in L1. */
constexpr int kTile = 256;
/** Most inputs per G1 pass: 2 x KC accumulators plus operands fit in 16 vector registers. */
constexpr int kMaxKC = 6;
/** Points per h micro-tile: kPoints x 2 accumulators cover the multiply-add latency. */
constexpr int kPoints = 4;

#define SB_STR2(x) #x
#define SB_STR(x) SB_STR2(x)

/** a += v in float64, lane by lane (dst holds 32 / sizeof(T) doubles). */
inline void addToF64(double* dst, const VecOf<float>::type& v) {
  typedef float V4f __attribute__((vector_size(16)));
  const V4f lo = __builtin_shufflevector(v, v, 0, 1, 2, 3);
  const V4f hi = __builtin_shufflevector(v, v, 4, 5, 6, 7);
  V4d a, b;
  std::memcpy(&a, dst, sizeof a);
  std::memcpy(&b, dst + 4, sizeof b);
  a += __builtin_convertvector(lo, V4d);
  b += __builtin_convertvector(hi, V4d);
  std::memcpy(dst, &a, sizeof a);
  std::memcpy(dst + 4, &b, sizeof b);
}
inline void addToF64(double* dst, const VecOf<double>::type& v) {
  V4d a;
  std::memcpy(&a, dst, sizeof a);
  a += v;
  std::memcpy(dst, &a, sizeof a);
}

/** Sum of the lanes in float64, in a fixed order: ((0+4)+(2+6)) + ((1+5)+(3+7)), or (0+2)+(1+3). */
inline double lanesSum(const VecOf<float>::type& v) {
  typedef float V4f __attribute__((vector_size(16)));
  const V4d s = __builtin_convertvector((V4f)__builtin_shufflevector(v, v, 0, 1, 2, 3), V4d) +
                __builtin_convertvector((V4f)__builtin_shufflevector(v, v, 4, 5, 6, 7), V4d);
  return (s[0] + s[2]) + (s[1] + s[3]);
}
inline double lanesSum(const VecOf<double>::type& v) { return (v[0] + v[2]) + (v[1] + v[3]); }

/** One bit per lane of (h > 0), lane l in bit l (movmsk reads the all-ones lanes of the compare). */
inline uint8_t signBits(const VecOf<float>::type& h) {
#if defined(__AVX__)
  typedef float V8f __attribute__((vector_size(32)));
  const V8f zero = {};
  return static_cast<uint8_t>(__builtin_ia32_movmskps256((V8f)(h > zero)));
#else
  uint8_t b = 0;
  for (int l = 0; l < 8; ++l) b |= static_cast<uint8_t>(h[l] > 0) << l;
  return b;
#endif
}
inline uint8_t signBits(const VecOf<double>::type& h) {
#if defined(__AVX__)
  const V4d zero = {};
  return static_cast<uint8_t>(__builtin_ia32_movmskpd256((V4d)(h > zero)));
#else
  uint8_t b = 0;
  for (int l = 0; l < 4; ++l) b |= static_cast<uint8_t>(h[l] > 0) << l;
  return b;
#endif
}

template <typename T>
class KernelImpl final : public Kernel {
  using V = typename VecOf<T>::type;
  using VM = typename VecOf<T>::mask;
  using ML = typename VecOf<T>::lane;
  static constexpr int L = 32 / sizeof(T);  // lanes per vector
  static constexpr int NB = 2 * L;          // neurons per block
  static constexpr int kBlocksPerChunk = kChunk / NB;
  static_assert(kChunk % NB == 0, "a chunk holds whole blocks");

 public:
  explicit KernelImpl(const KernelConfig& cfg)
      : n_(cfg.n), nTest_(cfg.nTest), d_(cfg.dim), m_(cfg.width), scale_(cfg.scale), cfg_(cfg) {
    const size_t per = static_cast<size_t>(m_) * d_ + m_;
    if (cfg.optimizer == kHeavyBall) state_.assign(per, 0.0);
    if (cfg.optimizer == kAdam) state_.assign(2 * per, 0.0);
    blocks_ = (m_ + NB - 1) / NB;
    chunks_ = (m_ + kChunk - 1) / kChunk;
    x_.assign(cfg.xTrain, cfg.xTrain + static_cast<size_t>(n_) * d_);
    xTest_.assign(cfg.xTest, cfg.xTest + static_cast<size_t>(nTest_) * d_);
    r_.assign(n_, T(0));
    w1_.assign(static_cast<size_t>(m_) * d_, 0.0);
    w2_.assign(m_, 0.0);
    wT_.assign(static_cast<size_t>(blocks_) * d_ * 2, V{});
    w2T_.assign(static_cast<size_t>(blocks_) * 2, V{});
    signs_.assign(static_cast<size_t>(blocks_) * n_ * 2, 0);
    // G1 passes: as few as possible, with the inputs split evenly among them.
    passes_ = (d_ + kMaxKC - 1) / kMaxKC;
    kc_ = (d_ + passes_ - 1) / passes_;
    for (int l = 0; l < L; ++l) laneBit_[l] = static_cast<ML>(1) << l;
    const int maxPoints = std::max(n_, nTest_);
    scratch_.resize(std::max(1, cfg.threads));
    for (auto& s : scratch_) {
      s.yv.assign(std::max(1, maxPoints), V{});
      s.yvTest.assign(std::max(1, nTest_), V{});
      s.S.assign(kTile * 2, V{});
      s.g1.assign(static_cast<size_t>(NB) * d_, 0.0);
    }
    const std::string isa = SB_STR(SPECBIAS_KERNEL_NS);
    describe_ = std::string(sizeof(T) == 4 ? "float32" : "float64") + " " + (isa == "avx2" ? "avx2+fma" : "baseline");
  }

  int chunkCount() const override { return chunks_; }
  const char* describe() const override { return describe_.c_str(); }

  void loadWeights(const double* w1, const double* w2) override {
    std::memcpy(w1_.data(), w1, sizeof(double) * w1_.size());
    std::memcpy(w2_.data(), w2, sizeof(double) * w2_.size());
    for (int b = 0; b < blocks_; ++b) refreshBlock(b);
  }

  void readWeights(double* w1, double* w2) const override {
    std::memcpy(w1, w1_.data(), sizeof(double) * w1_.size());
    std::memcpy(w2, w2_.data(), sizeof(double) * w2_.size());
  }

  size_t stateSize() const override { return state_.size(); }
  void loadState(const double* state) override {
    if (!state_.empty()) std::memcpy(state_.data(), state, sizeof(double) * state_.size());
  }
  void readState(double* state) const override {
    if (!state_.empty()) std::memcpy(state, state_.data(), sizeof(double) * state_.size());
  }
  void setStepCount(long long t) override {
    bc1_ = 1.0 - std::pow(cfg_.beta1, static_cast<double>(t));
    bc2_ = 1.0 - std::pow(cfg_.beta2, static_cast<double>(t));
  }

  void setResidual(const double* r) override {
    for (int i = 0; i < n_; ++i) r_[i] = static_cast<T>(r[i]);
  }

  void stepChunk(int chunk, int thread, double* partial, double* partialTest) override {
    Scratch& s = scratch_[thread];
    std::fill(s.yv.begin(), s.yv.begin() + n_, V{});
    const bool test = partialTest != nullptr && nTest_ > 0;
    if (test) std::fill(s.yvTest.begin(), s.yvTest.begin() + nTest_, V{});
    const int b1 = std::min(blocks_, (chunk + 1) * kBlocksPerChunk);
    for (int b = chunk * kBlocksPerChunk; b < b1; ++b) {
      gradientBlock(b, s);
      updateBlock(b, s);
      forwardBlock<true>(b, x_.data(), n_, s.yv.data());
      if (test) forwardBlock<false>(b, xTest_.data(), nTest_, s.yvTest.data());
    }
    for (int p = 0; p < n_; ++p) partial[p] = lanesSum(s.yv[p]);
    if (test)
      for (int p = 0; p < nTest_; ++p) partialTest[p] = lanesSum(s.yvTest[p]);
  }

  void forwardChunk(int chunk, int thread, bool test, double* partial) override {
    Scratch& s = scratch_[thread];
    const int npts = test ? nTest_ : n_;
    std::fill(s.yv.begin(), s.yv.begin() + npts, V{});
    const int b1 = std::min(blocks_, (chunk + 1) * kBlocksPerChunk);
    for (int b = chunk * kBlocksPerChunk; b < b1; ++b) {
      if (test) forwardBlock<false>(b, xTest_.data(), npts, s.yv.data());
      else forwardBlock<true>(b, x_.data(), npts, s.yv.data());
    }
    for (int p = 0; p < npts; ++p) partial[p] = lanesSum(s.yv[p]);
  }

 private:
  struct Scratch {
    std::vector<V> yv;       // per point: the chunk's prediction, lanes not yet summed
    std::vector<V> yvTest;   // the same for the test points, in a step that also predicts them
    std::vector<V> S;        // kTile x 2: s = r 1(h > 0) for one tile
    std::vector<double> g1;  // D x NB: sum_i s_ij x_ik (W2_j not yet applied), [input][neuron]
  };

  /** Rebuilds block b's compute copy (transposed to [input][neuron lanes]) from the master weights. */
  void refreshBlock(int b) {
    V* wb = &wT_[static_cast<size_t>(b) * d_ * 2];
    V* w2b = &w2T_[static_cast<size_t>(b) * 2];
    for (int jj = 0; jj < NB; ++jj) {
      const int j = b * NB + jj;
      const bool real = j < m_;  // the last block is padded with zero neurons
      for (int k = 0; k < d_; ++k) wb[2 * k + jj / L][jj % L] = real ? static_cast<T>(w1_[static_cast<size_t>(j) * d_ + k]) : T(0);
      w2b[jj / L][jj % L] = real ? static_cast<T>(w2_[j]) : T(0);
    }
  }

  /** h for P consecutive points starting at p, against block weights wb; hands each point to f. */
  template <int P, typename F>
  inline void hPoints(const T* x, int p, const V* wb, F& f) const {
    V a[P][2];
    for (int i = 0; i < P; ++i) a[i][0] = a[i][1] = V{};
    const T* xp = x + static_cast<size_t>(p) * d_;
    for (int k = 0; k < d_; ++k) {
      const V w0 = wb[2 * k];
      const V w1 = wb[2 * k + 1];
      for (int i = 0; i < P; ++i) {
        const T xv = xp[i * d_ + k];
        a[i][0] += xv * w0;
        a[i][1] += xv * w1;
      }
    }
    for (int i = 0; i < P; ++i) f(p + i, a[i][0], a[i][1]);
  }

  /** yv[p] += W2_block relu(h_p) lane-wise for points [0, npts) of x; with Train, keeps the sign bits. */
  template <bool Train>
  void forwardBlock(int b, const T* x, int npts, V* yv) {
    const V* wb = &wT_[static_cast<size_t>(b) * d_ * 2];
    const V w2a = w2T_[static_cast<size_t>(b) * 2];
    const V w2b = w2T_[static_cast<size_t>(b) * 2 + 1];
    uint8_t* signs = Train ? &signs_[static_cast<size_t>(b) * n_ * 2] : nullptr;
    const V zero = {};
    auto f = [&](int p, V h0, V h1) {
      const V a0 = h0 > zero ? h0 : zero;
      const V a1 = h1 > zero ? h1 : zero;
      yv[p] += w2a * a0 + w2b * a1;
      if (Train) {
        signs[2 * p] = signBits(h0);
        signs[2 * p + 1] = signBits(h1);
      }
    };
    int p = 0;
    for (; p + kPoints <= npts; p += kPoints) hPoints<kPoints>(x, p, wb, f);
    for (; p < npts; ++p) hPoints<1>(x, p, wb, f);
  }

  /** g1 (D x NB) of block b from the current residual and the sign bits of the last forward pass. */
  void gradientBlock(int b, Scratch& s) {
    std::fill(s.g1.begin(), s.g1.end(), 0.0);
    const uint8_t* signs = &signs_[static_cast<size_t>(b) * n_ * 2];
    V* S = s.S.data();
    const V zero = {};
    const VM noBits = {};
    for (int p0 = 0; p0 < n_; p0 += kTile) {
      const int p1 = std::min(n_, p0 + kTile);
      for (int p = p0; p < p1; ++p) {
        const V rv = zero + r_[p];
        const VM m0 = (noBits + static_cast<ML>(signs[2 * p])) & laneBit_;
        const VM m1 = (noBits + static_cast<ML>(signs[2 * p + 1])) & laneBit_;
        S[2 * (p - p0)] = m0 != noBits ? rv : zero;
        S[2 * (p - p0) + 1] = m1 != noBits ? rv : zero;
      }
      const T* xt = x_.data() + static_cast<size_t>(p0) * d_;
      for (int k0 = 0; k0 < d_; k0 += kc_) g1Pass(xt, p1 - p0, k0, std::min(kc_, d_ - k0), S, s.g1.data());
    }
  }

  void g1Pass(const T* x, int pt, int k0, int kc, const V* S, double* g1) const {
    switch (kc) {
      case 1: return g1PassK<1>(x, pt, k0, S, g1);
      case 2: return g1PassK<2>(x, pt, k0, S, g1);
      case 3: return g1PassK<3>(x, pt, k0, S, g1);
      case 4: return g1PassK<4>(x, pt, k0, S, g1);
      case 5: return g1PassK<5>(x, pt, k0, S, g1);
      default: return g1PassK<6>(x, pt, k0, S, g1);
    }
  }

  /** g1[k0 + kk][jj] += sum_p S[p][jj] x[p][k0 + kk] over one tile, for kk < KC. */
  template <int KC>
  void g1PassK(const T* x, int pt, int k0, const V* S, double* g1) const {
    static_assert(KC <= kMaxKC, "KC");
    V a[KC][2];
    for (int kk = 0; kk < KC; ++kk) a[kk][0] = a[kk][1] = V{};
    for (int p = 0; p < pt; ++p) {
      const V s0 = S[2 * p];
      const V s1 = S[2 * p + 1];
      const T* xp = x + static_cast<size_t>(p) * d_ + k0;
      for (int kk = 0; kk < KC; ++kk) {
        const T xv = xp[kk];
        a[kk][0] += xv * s0;
        a[kk][1] += xv * s1;
      }
    }
    for (int kk = 0; kk < KC; ++kk) {
      double* row = g1 + static_cast<size_t>(k0 + kk) * NB;
      addToF64(row, a[kk][0]);
      addToF64(row + L, a[kk][1]);
    }
  }

  /**
   * W <- W + eta (c/n) (...) on block b's master weights, in float64, both from the old weights:
   * dW1_j = scale W2_j G1_j and dW2_j = scale g2_j with g2_j = sum_i r_i relu(h_ij) = <W1_j, G1_j>.
   */
  void updateBlock(int b, const Scratch& s) {
    if (cfg_.optimizer == kHeavyBall) return updateBlockHeavyBall(b, s);
    if (cfg_.optimizer == kAdam) return updateBlockAdam(b, s);
    for (int jj = 0; jj < NB; ++jj) {
      const int j = b * NB + jj;
      if (j >= m_) break;
      double* w1 = &w1_[static_cast<size_t>(j) * d_];
      double g2 = 0;
      for (int k = 0; k < d_; ++k) g2 += w1[k] * s.g1[static_cast<size_t>(k) * NB + jj];
      const double a = scale_ * w2_[j];
      for (int k = 0; k < d_; ++k) w1[k] += a * s.g1[static_cast<size_t>(k) * NB + jj];
      w2_[j] += scale_ * g2;
    }
    refreshBlock(b);
  }

  /** Heavy ball: u <- momentum u + scale (...) (the GD step), W += u; u for W1 then W2 in state_. */
  void updateBlockHeavyBall(int b, const Scratch& s) {
    const double mu = cfg_.momentum;
    double* u2 = state_.data() + static_cast<size_t>(m_) * d_;
    for (int jj = 0; jj < NB; ++jj) {
      const int j = b * NB + jj;
      if (j >= m_) break;
      double* w1 = &w1_[static_cast<size_t>(j) * d_];
      double* u1 = &state_[static_cast<size_t>(j) * d_];
      double g2 = 0;
      for (int k = 0; k < d_; ++k) g2 += w1[k] * s.g1[static_cast<size_t>(k) * NB + jj];
      const double a = scale_ * w2_[j];
      for (int k = 0; k < d_; ++k) {
        u1[k] = mu * u1[k] + a * s.g1[static_cast<size_t>(k) * NB + jj];
        w1[k] += u1[k];
      }
      u2[j] = mu * u2[j] + scale_ * g2;
      w2_[j] += u2[j];
    }
    refreshBlock(b);
  }

  /** One Adam moment update and step of a weight with loss gradient g. */
  inline void adam(double& w, double& m, double& v, double g) const {
    m = cfg_.beta1 * m + (1 - cfg_.beta1) * g;
    v = cfg_.beta2 * v + (1 - cfg_.beta2) * g * g;
    w -= cfg_.lr * (m / bc1_) / (std::sqrt(v / bc2_) + cfg_.eps);
  }

  /** Adam on the loss gradient g = -(c/B) (...); first moments (W1, W2), then second moments in state_. */
  void updateBlockAdam(int b, const Scratch& s) {
    const size_t per = static_cast<size_t>(m_) * d_ + m_;
    double* m1 = state_.data();
    double* v1 = state_.data() + per;
    const size_t o2 = static_cast<size_t>(m_) * d_;
    const double gs = cfg_.gradScale;
    for (int jj = 0; jj < NB; ++jj) {
      const int j = b * NB + jj;
      if (j >= m_) break;
      double* w1 = &w1_[static_cast<size_t>(j) * d_];
      double g2 = 0;
      for (int k = 0; k < d_; ++k) g2 += w1[k] * s.g1[static_cast<size_t>(k) * NB + jj];
      const double a = -gs * w2_[j];
      for (int k = 0; k < d_; ++k) {
        const size_t i = static_cast<size_t>(j) * d_ + k;
        adam(w1[k], m1[i], v1[i], a * s.g1[static_cast<size_t>(k) * NB + jj]);
      }
      adam(w2_[j], m1[o2 + j], v1[o2 + j], -gs * g2);
    }
    refreshBlock(b);
  }

  int n_, nTest_, d_, m_;
  double scale_;
  KernelConfig cfg_;
  std::vector<double> state_;  // optimizer state (see stateSize)
  double bc1_ = 1, bc2_ = 1;   // Adam's bias corrections 1 - beta^t
  int blocks_ = 0, chunks_ = 0, passes_ = 1, kc_ = 1;
  VM laneBit_ = {};
  std::vector<T> x_, xTest_, r_;
  std::vector<double> w1_, w2_;  // float64 master weights
  std::vector<V> wT_;            // blocks x D x 2 vectors
  std::vector<V> w2T_;           // blocks x 2 vectors
  std::vector<uint8_t> signs_;   // blocks x n x 2: bits of h > 0 from the last training forward pass
  std::vector<Scratch> scratch_;
  std::string describe_;
};

}  // namespace

std::unique_ptr<Kernel> makeKernel(const KernelConfig& cfg, Precision p) {
  if (p == Precision::F64) return std::unique_ptr<Kernel>(new KernelImpl<double>(cfg));
  return std::unique_ptr<Kernel>(new KernelImpl<float>(cfg));
}

}  // namespace SPECBIAS_KERNEL_NS
}  // namespace specbias
