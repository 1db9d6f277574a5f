// The model family's network (docs/science.md, "The model family"): depth L, bias scale beta,
// activation relu | erf | tanh | gelu, raw N(0, 1) weights A_h, b_h, layer scale sqrt(c_sigma/m),
// full-batch GD (or SGD with heavy-ball momentum) with the step eta'/theta^2 on the output layer
// and eta'/(2 theta^2) on every earlier layer. The float64 reference is src/model/reference-deep.ts.
//
// The paper's network (L = 2, beta = 0, relu) keeps its fused kernel (train_kernel.h); this one is
// built from matrix products: the m x m hidden layers, the first layer and their gradients are
// products of the deterministic blocked sgemm in deep_kernel.cc, the output layer and the biases
// are float64 sums. Compiled once per instruction set like train_kernel.cc.
#pragma once

#include <cstddef>
#include <memory>

namespace specbias {

class ThreadPool;

enum DeepActivation { kRelu = 0, kErf = 1, kTanh = 2, kGelu = 3 };

struct DeepConfig {
  int n;      // training points
  int nTest;  // test points (may be 0)
  int dim;    // D
  int width;  // m
  int depth;  // L >= 2 weight layers
  double bias;            // beta
  int activation;         // DeepActivation
  double cSigma;          // c_sigma: the layer scale is sqrt(cSigma / m)
  double theta;           // y_hat = theta f
  double learningRate;    // eta'
  const double* xTrain;   // n x D row-major
  const double* xTest;    // nTest x D row-major
  int optimizer = 0;      // 0: w -= step g (GD, SGD); 1: heavy ball u <- momentum u - step g, w += u
  double momentum = 0;
};

/**
 * The weights travel as one float64 vector, layer by layer: A_1 (m x D), b_1 (m), A_2 (m x m),
 * b_2, ..., A_L (1 x m), b_L (1), each A row-major. The heavy-ball velocity has the same layout.
 */
class DeepKernel {
 public:
  virtual ~DeepKernel() = default;
  virtual size_t paramCount() const = 0;
  virtual void loadWeights(const double* w) = 0;
  virtual void readWeights(double* w) const = 0;
  /** 0 for GD and plain SGD, paramCount() for heavy ball. */
  virtual size_t stateSize() const = 0;
  virtual void loadState(const double* s) = 0;
  virtual void readState(double* s) const = 0;
  /**
   * y_hat = theta f on the train or test points with the current weights; writes out[i] = f(x_i)
   * (before theta). A train pass keeps every layer's pre-activations for the next step.
   */
  virtual void forward(bool test, double* out) = 0;
  /**
   * One step from the last train forward pass: e[i] = dLoss/dy_hat_i * theta (= -theta r_i / B
   * for the points of the batch, 0 for the others), gradients by backpropagation, then the update.
   */
  virtual void step(const double* e) = 0;
  virtual const char* describe() const = 0;
};

namespace base {
std::unique_ptr<DeepKernel> makeDeepKernel(const DeepConfig& cfg, ThreadPool* pool);
}
#ifdef SPECBIAS_HAVE_AVX2_KERNEL
namespace avx2 {
std::unique_ptr<DeepKernel> makeDeepKernel(const DeepConfig& cfg, ThreadPool* pool);
}
#endif

}  // namespace specbias
