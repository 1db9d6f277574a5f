// The fused full-batch GD step of the paper's two-layer ReLU network, as per-chunk work items.
//
// Conventions (PAPER.md): f_W(x) = sqrt(m) W2 relu(W1 x), y_hat = theta f_W(x), loss
// L = 1/(2n) sum_i (y_i - y_hat_i)^2, both layers trained with the weight step
// eta = eta' / (m theta^2). With r = y - y_hat, c = theta sqrt(m) and s_ij = r_i 1(h_ij > 0):
//   W2_j  += eta (c/n) sum_i r_i relu(h_ij)
//   W1_jk += eta (c/n) W2_j sum_i s_ij x_ik,
// where h_ij = <W1_j, x_i>. The neurons are cut into fixed chunks of kChunk; a chunk's gradient
// needs only r and its own weights, so chunks are independent work items. A fused step of one
// chunk recomputes h with the old weights (gradient), updates the chunk's float64 master weights,
// recomputes h with the new weights and adds the chunk's part of the next prediction into its own
// float64 partial. The caller sums the partials in chunk order, so the result does not depend on
// how many threads ran the chunks or in which order.
//
// This header is compiled into each ISA variant (train_kernel.cc with SPECBIAS_KERNEL_NS set).
#pragma once

#include <memory>

namespace specbias {

/** Neurons per chunk: the unit of thread work and of the deterministic reduction. */
constexpr int kChunk = 64;

struct KernelConfig {
  int n;       // training points
  int nTest;   // test points (may be 0)
  int dim;     // D
  int width;   // m
  const double* xTrain;  // n x D row-major
  const double* xTest;   // nTest x D row-major
  double scale;          // eta c / B, the factor on the gradient sums (B = n for full-batch GD)
  int threads;           // scratch slots; thread ids passed to the chunk calls are < threads
  // The optimizer (training.optimizer): 0 = GD/SGD (W += scale (...), the gradient over the points
  // whose residual is not zero), 1 = heavy ball (u <- momentum u + scale (...); W += u),
  // 2 = Adam on g = -(c/B) (...) with step lr. The residual of points outside the batch is zero.
  int optimizer = 0;
  double momentum = 0;
  double gradScale = 0;  // c / B: the loss gradient is -gradScale (...)
  double lr = 0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};
enum OptimizerKind { kPlain = 0, kHeavyBall = 1, kAdam = 2 };

/** The arithmetic of one precision and instruction set. Master weights are float64. */
class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual int chunkCount() const = 0;
  /** Copies float64 weights in (w1 m x D row-major, w2 m) and derives the compute copy. */
  virtual void loadWeights(const double* w1, const double* w2) = 0;
  virtual void readWeights(double* w1, double* w2) const = 0;
  /** Optimizer state length in doubles: 0 (GD), m D + m (heavy ball: u) or 2 (m D + m) (Adam: m, v). */
  virtual size_t stateSize() const = 0;
  virtual void loadState(const double* state) = 0;
  virtual void readState(double* state) const = 0;
  /** Adam's step count t (>= 1) for the next step's bias corrections. */
  virtual void setStepCount(long long t) = 0;
  /** The residual r = y - y_hat (n entries) that the next gradient pass uses. */
  virtual void setResidual(const double* r) = 0;
  /**
   * Fused step for one chunk; partial[i] = this chunk's sum_j W2_j relu(h_ij) with new weights.
   * With partialTest, also the test points' partials with the new weights, bit for bit what
   * forwardChunk(chunk, thread, true, partialTest) would then give (one pass over the weights).
   */
  virtual void stepChunk(int chunk, int thread, double* partial, double* partialTest) = 0;
  /** Forward only: partial[i] = sum over the chunk's neurons of W2_j relu(h_ij), train or test points. */
  virtual void forwardChunk(int chunk, int thread, bool test, double* partial) = 0;
  /** e.g. "float32 avx2+fma" or "float64 baseline" */
  virtual const char* describe() const = 0;
};

enum class Precision { F32, F64 };

namespace base {
std::unique_ptr<Kernel> makeKernel(const KernelConfig& cfg, Precision p);
}
#ifdef SPECBIAS_HAVE_AVX2_KERNEL
namespace avx2 {
std::unique_ptr<Kernel> makeKernel(const KernelConfig& cfg, Precision p);
}
#endif

}  // namespace specbias
