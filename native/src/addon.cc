// specbias_native: the N-API face of the native engine (see src/native/addon.ts for the typed
// wrapper). Everything that can take long runs on a libuv worker thread through Napi::AsyncWorker,
// so the JavaScript event loop (and a Temporal worker's heartbeats) keeps running.
//
//   info()                                   -> { lapack, lapackLibrary, blas, isa, hardwareThreads, chunk }
//   setBlasThreads(threads)                  -> the thread budget BLAS shares with training (0: all)
//   new Trainer({ xTrain, yTrain, nTrain, xTest, yTest, nTest, dim, width, theta, learningRate,
//                 w1, w2, threads, precision: 'f32'|'f64', isa: 'auto'|'avx2'|'baseline' })
//   trainer.run(steps, wantTest)             -> Promise<{ done, finite, sumSqTrain, sumSqTest }>
//   trainer.runLogged(steps, logAt)          -> Promise<{ done, finite, logged, residuals, sumSq }>: the
//                                               residuals (train, then test) at the local steps logAt
//   trainer.residualTrain() / residualTest() -> Float64Array copies
//   trainer.weights()                        -> { w1, w2 } float64 copies
//   trainer.describe()                       -> e.g. "float32 avx2, 2 threads"
//   trainer.close()                          -> stops the worker threads
//   new DeepTrainer({ ...as Trainer but weights (flat, deep_kernel.h), depth, bias, activation,
//                     cSigma; optimizer 'gd'|'sgd' })  -> runLogged / weights() (flat) /
//                                               optimizerState / describe / close, as Trainer
//   gram(x, n, dim)                          -> Float64Array n*n
//   zonalFill(a, n, dim, k)                  -> undefined (P_k in place on n*n inner products; linalg.h)
//   eigh(a, n, wantVectors)                  -> Promise<{ values, vectors|null }> (descending)
//   eighSync(a, n, wantVectors)              -> the same, blocking
//   empiricalNtk(w1, w2, m, dim, xa, na, xb|null, nb, threads)
//                                            -> Promise<Float64Array na*nb> (ntk_gram.h; xb null: xa)
//   matmul(a, b, m, k, n, transA, transB, out?) -> Float64Array m*n = op(a) op(b), row-major (dgemm),
//                                            into out (its first m*n entries) when given
//   reluFeatures(pre, w2, n, m)              -> Float64Array n*m gate = W2_j 1(pre > 0); pre becomes relu(pre) in place
//   empiricalNtkProducts(w1, w2, m, dim, x, rows, p)
//                                            -> Promise<Float64Array rows*p> (ntk_gram.h; float32 BLAS, with LAPACK only)
//   empiricalNtkQuadratics(w1, w2, m, dim, x, n, vs, k, threads)
//                                            -> Float64Array k: vᵀΘv for the rows of vs (k x n) (ntk_gram.h)
#include <napi.h>

#include <stdexcept>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "blas.h"
#include "deep_kernel.h"
#include "linalg.h"
#include "ntk_gram.h"
#include "thread_pool.h"
#include "train_kernel.h"

namespace specbias {
namespace {

bool cpuHasAvx2Fma() {
#if defined(SPECBIAS_HAVE_AVX2_KERNEL) && (defined(__x86_64__) || defined(__i386__))
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

Napi::Float64Array toFloat64Array(Napi::Env env, const double* data, size_t n) {
  Napi::Float64Array out = Napi::Float64Array::New(env, n);
  if (n > 0) std::memcpy(out.Data(), data, n * sizeof(double));
  return out;
}

std::vector<double> float64Field(const Napi::Object& o, const char* name, size_t want) {
  Napi::Value v = o.Get(name);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw Napi::TypeError::New(o.Env(), std::string(name) + " must be a Float64Array");
  Napi::Float64Array a = v.As<Napi::Float64Array>();
  if (a.ElementLength() != want)
    throw Napi::RangeError::New(o.Env(), std::string(name) + " must have " + std::to_string(want) + " entries, got " +
                                             std::to_string(a.ElementLength()));
  return std::vector<double>(a.Data(), a.Data() + want);
}

int intField(const Napi::Object& o, const char* name, int min) {
  Napi::Value v = o.Get(name);
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(d >= min) || d != std::floor(d) || d > 2147483647.0)
    throw Napi::RangeError::New(o.Env(), std::string(name) + " must be an integer >= " + std::to_string(min));
  return static_cast<int>(d);
}

// Argument i of a function `fn` as an integer in [min, max], else a RangeError
// "<fn>: <name> must be an integer >= <min>".
int intArg(const Napi::CallbackInfo& info, int i, const std::string& fn, const char* name, int min, double max = 2147483647.0) {
  const double d = info[i].IsNumber() ? info[i].As<Napi::Number>().DoubleValue() : NAN;
  if (!(d >= min) || d != std::floor(d) || d > max)
    throw Napi::RangeError::New(info.Env(), fn + ": " + name + " must be an integer >= " + std::to_string(min));
  return static_cast<int>(d);
}

// Argument i of `fn` as a Float64Array of at least `want` entries, else a TypeError
// "<fn>: <name> must be a Float64Array" or a RangeError "<fn>: <name> must hold <want> entries".
Napi::Float64Array float64ArrayArg(const Napi::CallbackInfo& info, int i, const std::string& fn, const char* name, size_t want) {
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw Napi::TypeError::New(info.Env(), fn + ": " + name + " must be a Float64Array");
  Napi::Float64Array a = info[i].As<Napi::Float64Array>();
  if (a.ElementLength() < want)
    throw Napi::RangeError::New(info.Env(), fn + ": " + name + " must hold " + std::to_string(want) + " entries");
  return a;
}

double numberField(const Napi::Object& o, const char* name) {
  Napi::Value v = o.Get(name);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(name) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

std::string stringField(const Napi::Object& o, const char* name, const char* fallback) {
  Napi::Value v = o.Get(name);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string(fallback);
}

// ---------------------------------------------------------------------------------------------
// One runLogged call of a trainer (Trainer or DeepTrainer) on a libuv thread; the trainer is busy
// until it settles, and the JS object is held so that it cannot be collected meanwhile.

struct LoggedResult {
  int done = 0;
  bool finite = true;
  int logged = 0;
  std::vector<double> residuals;  // logged x (n + nTest): the train block, then the test block
  std::vector<double> sumSq;      // logged x 2: train, test
};

template <class T>
class LoggedWorker : public Napi::AsyncWorker {
 public:
  LoggedWorker(Napi::Env env, T* t, Napi::Object self, int steps, std::vector<int> logAt, std::vector<int> batches)
      : Napi::AsyncWorker(env, "specbias.train"), deferred_(Napi::Promise::Deferred::New(env)), trainer_(t), steps_(steps),
        logAt_(std::move(logAt)), batches_(std::move(batches)) {
    self_ = Napi::Persistent(self);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      result_ = trainer_->runLogged(steps_, logAt_, batches_);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    trainer_->busy_ = false;
    Napi::Env env = Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("done", result_.done);
    o.Set("finite", result_.finite);
    o.Set("logged", result_.logged);
    o.Set("residuals", toFloat64Array(env, result_.residuals.data(), result_.residuals.size()));
    o.Set("sumSq", toFloat64Array(env, result_.sumSq.data(), result_.sumSq.size()));
    deferred_.Resolve(o);
  }
  void OnError(const Napi::Error& e) override {
    trainer_->busy_ = false;
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  T* trainer_;
  Napi::ObjectReference self_;
  int steps_;
  std::vector<int> logAt_, batches_;
  LoggedResult result_;
};

/** runLogged(steps, logAt[, batches]) of a trainer, checked: the one contract of Trainer and DeepTrainer. */
struct LoggedArgs {
  int steps = 0;
  std::vector<int> logAt, batches;
};

LoggedArgs loggedArgs(const Napi::CallbackInfo& info, bool batchMode, int batchSize, int n, const char* needBatches) {
  Napi::Env env = info.Env();
  const double steps = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!(steps >= 0) || steps != std::floor(steps) || steps > 1e9)
    throw Napi::RangeError::New(env, "runLogged(steps, logAt): steps must be an integer >= 0");
  if (info.Length() < 2 || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(env, "runLogged(steps, logAt): logAt must be an Int32Array");
  LoggedArgs args;
  args.steps = static_cast<int>(steps);
  Napi::Int32Array a = info[1].As<Napi::Int32Array>();
  args.logAt.assign(a.Data(), a.Data() + a.ElementLength());
  for (size_t i = 0; i < args.logAt.size(); ++i)
    if (args.logAt[i] < 0 || args.logAt[i] > steps || (i > 0 && args.logAt[i] <= args.logAt[i - 1]))
      throw Napi::RangeError::New(env, "runLogged(steps, logAt): logAt must ascend strictly within [0, steps]");
  if (batchMode) {
    if (info.Length() < 3 || !info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
      throw Napi::TypeError::New(env, needBatches);
    Napi::Int32Array b = info[2].As<Napi::Int32Array>();
    if (b.ElementLength() != static_cast<size_t>(steps) * batchSize)
      throw Napi::RangeError::New(env, "runLogged: batches must hold steps x batchSize indices");
    args.batches.assign(b.Data(), b.Data() + b.ElementLength());
    for (int i : args.batches)
      if (i < 0 || i >= n) throw Napi::RangeError::New(env, "runLogged: a batch index is outside [0, nTrain)");
  }
  return args;
}

/** Marks the trainer busy and starts its runLogged on a libuv thread; the promise of its result. */
template <class T>
Napi::Promise startLogged(const Napi::CallbackInfo& info, T* trainer, LoggedArgs args) {
  trainer->busy_ = true;
  auto* w = new LoggedWorker<T>(info.Env(), trainer, info.This().As<Napi::Object>(), args.steps, std::move(args.logAt),
                                std::move(args.batches));
  Napi::Promise promise = w->Promise();
  w->Queue();
  return promise;
}

// ---------------------------------------------------------------------------------------------
// What Trainer and DeepTrainer share: the problem's sizes, the batching, the kernel and its
// pool, busy while a run is in flight, and the N-API methods that only read or drop the kernel.

template <class Self, class K>
class TrainerWrap : public Napi::ObjectWrap<Self> {
 public:
  using Napi::ObjectWrap<Self>::ObjectWrap;
  bool busy_ = false;

 protected:
  /** The optimizer state (heavy ball: u; Adam: m, v; GD: empty), float64, for checkpoints. */
  Napi::Value OptimizerState(const Napi::CallbackInfo& info) {
    checkIdle(info.Env());
    std::vector<double> s(kernel_->stateSize());
    kernel_->readState(s.data());
    return toFloat64Array(info.Env(), s.data(), s.size());
  }
  Napi::Value Describe(const Napi::CallbackInfo& info) {
    if (!kernel_) throw Napi::Error::New(info.Env(), std::string(Self::kName) + " is closed");
    std::string s = std::string(kernel_->describe()) + ", " + std::to_string(threads_) + " thread" + (threads_ == 1 ? "" : "s");
    return Napi::String::New(info.Env(), s);
  }
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (busy_) throw Napi::Error::New(info.Env(), std::string(Self::kName) + ".close during run");
    kernel_.reset();
    pool_.reset();
    return info.Env().Undefined();
  }
  void checkIdle(Napi::Env env) const {
    if (!kernel_) throw Napi::Error::New(env, std::string(Self::kName) + " is closed");
    if (busy_) throw Napi::Error::New(env, std::string(Self::kName) + " is running");
  }

  /** Option `isa`: 'auto' (the default), 'avx2' or 'baseline'. */
  static std::string isaOption(Napi::Env env, Napi::Object o) {
    const std::string isa = stringField(o, "isa", "auto");
    if (isa != "auto" && isa != "avx2" && isa != "baseline")
      throw Napi::RangeError::New(env, "isa must be 'auto', 'avx2' or 'baseline'");
    return isa;
  }
  /** The batching of `optimizer` (gd: all n_ points; else option batchSize <= n_), and option momentum in [0, 1). */
  double batching(Napi::Env env, Napi::Object o, const std::string& optimizer) {
    batchMode_ = optimizer != "gd";
    batch_ = batchMode_ ? intField(o, "batchSize", 1) : n_;
    if (batch_ > n_) throw Napi::RangeError::New(env, "batchSize must be <= nTrain");
    const double momentum = o.Has("momentum") ? numberField(o, "momentum") : 0.0;
    if (!(momentum >= 0 && momentum < 1)) throw Napi::RangeError::New(env, "momentum must be in [0, 1)");
    return momentum;
  }
  /** Option `state` (a checkpoint's optimizer state), into the kernel when it keeps one. */
  void loadStateOption(Napi::Object o) {
    if (kernel_->stateSize() > 0 && o.Has("state") && !o.Get("state").IsUndefined()) {
      std::vector<double> state = float64Field(o, "state", kernel_->stateSize());
      kernel_->loadState(state.data());
    }
  }

  int n_ = 0, nTest_ = 0, threads_ = 1;
  bool batchMode_ = false;
  int batch_ = 0;
  // The pool outlives the kernel: the family's kernel runs on it.
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<K> kernel_;
};

// ---------------------------------------------------------------------------------------------
// Trainer

class Trainer : public TrainerWrap<Trainer, Kernel> {
 public:
  static constexpr const char* kName = "Trainer";
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Trainer",
                       {InstanceMethod("run", &Trainer::Run), InstanceMethod("runLogged", &Trainer::RunLogged),
                        InstanceMethod("residualTrain", &Trainer::ResidualTrain),
                        InstanceMethod("residualTest", &Trainer::ResidualTest),
                        InstanceMethod("weights", &Trainer::Weights), InstanceMethod("describe", &Trainer::Describe),
                        InstanceMethod("optimizerState", &Trainer::OptimizerState),
                        InstanceMethod("close", &Trainer::Close)});
  }

  explicit Trainer(const Napi::CallbackInfo& info) : TrainerWrap(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "Trainer expects an options object");
    Napi::Object o = info[0].As<Napi::Object>();
    n_ = intField(o, "nTrain", 1);
    nTest_ = intField(o, "nTest", 0);
    const int dim = intField(o, "dim", 1);
    dim_ = dim;
    m_ = intField(o, "width", 1);
    const double theta = numberField(o, "theta");
    const double lr = numberField(o, "learningRate");
    const int requested = intField(o, "threads", 0);
    const std::string precision = stringField(o, "precision", "f32");
    const std::string isa = isaOption(env, o);
    if (precision != "f32" && precision != "f64") throw Napi::RangeError::New(env, "precision must be 'f32' or 'f64'");

    std::vector<double> xTrain = float64Field(o, "xTrain", static_cast<size_t>(n_) * dim);
    y_ = float64Field(o, "yTrain", n_);
    std::vector<double> xTest = float64Field(o, "xTest", static_cast<size_t>(nTest_) * dim);
    yTest_ = float64Field(o, "yTest", nTest_);
    std::vector<double> w1 = float64Field(o, "w1", static_cast<size_t>(m_) * dim);
    std::vector<double> w2 = float64Field(o, "w2", m_);

    // The optimizer: 'gd' (full batch), 'sgd' (mini-batches of batchSize, heavy ball with
    // momentum > 0) or 'adam' (step adamLearningRate). sgd and adam take each step's batch from
    // runLogged's batches; Adam's step count starts at firstStep.
    const std::string optimizer = stringField(o, "optimizer", "gd");
    if (optimizer != "gd" && optimizer != "sgd" && optimizer != "adam")
      throw Napi::RangeError::New(env, "optimizer must be 'gd', 'sgd' or 'adam'");
    const double momentum = batching(env, o, optimizer);
    stepCount_ = o.Has("firstStep") ? intField(o, "firstStep", 0) : 0;

    // c = theta sqrt(m); the weight step eta = eta' / (m theta^2) times c / B multiplies the sums
    // (B = n for GD: the mean-loss gradient of the batch).
    c_ = theta * std::sqrt(static_cast<double>(m_));
    const double eta = lr / (m_ * theta * theta);
    const int chunks = (m_ + kChunk - 1) / kChunk;
    const int hw = std::max(1u, std::thread::hardware_concurrency());
    threads_ = std::max(1, std::min(requested > 0 ? requested : hw, chunks));

    KernelConfig cfg{n_, nTest_, dim, m_, xTrain.data(), xTest.data(), eta * c_ / batch_, threads_};
    if (optimizer == "sgd" && momentum > 0) cfg.optimizer = kHeavyBall;
    cfg.momentum = momentum;
    if (optimizer == "adam") {
      cfg.optimizer = kAdam;
      cfg.gradScale = c_ / batch_;
      cfg.lr = numberField(o, "adamLearningRate");
      cfg.beta1 = numberField(o, "beta1");
      cfg.beta2 = numberField(o, "beta2");
      cfg.eps = numberField(o, "eps");
      if (!(cfg.lr > 0) || !(cfg.beta1 >= 0 && cfg.beta1 < 1) || !(cfg.beta2 >= 0 && cfg.beta2 < 1) || !(cfg.eps > 0))
        throw Napi::RangeError::New(env, "adam needs adamLearningRate > 0, beta1 and beta2 in [0, 1) and eps > 0");
    }
    const Precision p = precision == "f64" ? Precision::F64 : Precision::F32;
    const bool avx2 = cpuHasAvx2Fma();
    if (isa == "avx2" && !avx2) throw Napi::Error::New(env, "isa 'avx2' requested, but this CPU or build has no AVX2+FMA kernel");
#ifdef SPECBIAS_HAVE_AVX2_KERNEL
    if (avx2 && isa != "baseline") kernel_ = avx2::makeKernel(cfg, p);
#endif
    if (!kernel_) kernel_ = base::makeKernel(cfg, p);
    kernel_->loadWeights(w1.data(), w2.data());
    loadStateOption(o);
    pool_.reset(new ThreadPool(threads_));
    partial_.assign(static_cast<size_t>(kernel_->chunkCount()) * std::max(n_, nTest_), 0.0);
    partialTest_.assign(static_cast<size_t>(kernel_->chunkCount()) * nTest_, 0.0);
    r_.assign(n_, 0.0);
    rTest_.assign(nTest_, 0.0);
  }

  /** One async call: up to `steps` fused steps (stopping at a non-finite loss), then the test residual. */
  struct RunResult {
    int done = 0;
    bool finite = true;
    double sumSqTrain = 0;
    double sumSqTest = 0;
  };

  RunResult runSteps(int steps, bool wantTest) {
    RunResult res;
    if (batchMode_ && steps > 0) throw std::runtime_error("run() trains full-batch GD only; sgd and adam train through runLogged");
    if (!initialized_) {
      forward(false);
      initialized_ = true;
    }
    res.finite = std::isfinite(sumSq_);
    for (int s = 0; s < steps && res.finite; ++s) {
      pool_->run(kernel_->chunkCount(), [this](int chunk, int thread) {
        kernel_->stepChunk(chunk, thread, &partial_[static_cast<size_t>(chunk) * n_], nullptr);
      });
      reduce(false);
      ++res.done;
      res.finite = std::isfinite(sumSq_);
    }
    res.sumSqTrain = sumSq_;
    if (wantTest && res.finite && nTest_ > 0) {
      forward(true);
      res.sumSqTest = sumSqTest_;
    }
    return res;
  }

  /**
   * One async call for several logs: up to `steps` fused steps, and at each local step in `logAt`
   * (ascending, 0 = before this call's first step) the train and test residuals, exactly as
   * run(0, true) there would leave them. Stops at a non-finite training loss (that step is not
   * logged) and right after a log whose test loss is not finite.
   */

  LoggedResult runLogged(int steps, const std::vector<int>& logAt, const std::vector<int>& batches) {
    LoggedResult res;
    if (!initialized_) {
      forward(false);
      initialized_ = true;
    }
    const size_t per = static_cast<size_t>(n_) + nTest_;
    res.residuals.reserve(logAt.size() * per);
    res.sumSq.reserve(logAt.size() * 2);
    res.finite = std::isfinite(sumSq_);
    size_t next = 0;
    bool haveTest = false;  // the last step also predicted the test points
    for (int t = 0; res.finite; ++t) {
      if (next < logAt.size() && logAt[next] == t) {
        ++next;
        double ssTest = 0;
        if (nTest_ > 0) {
          if (!haveTest) forward(true);
          ssTest = sumSqTest_;
        }
        res.residuals.insert(res.residuals.end(), r_.begin(), r_.end());
        res.residuals.insert(res.residuals.end(), rTest_.begin(), rTest_.end());
        res.sumSq.push_back(sumSq_);
        res.sumSq.push_back(ssTest);
        ++res.logged;
        if (!std::isfinite(ssTest)) break;
      }
      if (t >= steps) break;
      // A step before a log also predicts the test points, while it has each block's new weights.
      haveTest = nTest_ > 0 && next < logAt.size() && logAt[next] == t + 1;
      double* test = haveTest ? partialTest_.data() : nullptr;
      if (batchMode_) {
        // The step's mini-batch: the residual of every other point is zero, so the fused gradient
        // pass sums over the batch only (in point order), and the kernel's scale divides by B.
        rBatch_.assign(n_, 0.0);
        const int* idx = &batches[static_cast<size_t>(t) * batch_];
        for (int i = 0; i < batch_; ++i) rBatch_[idx[i]] = r_[idx[i]];
        kernel_->setResidual(rBatch_.data());
        kernel_->setStepCount(++stepCount_);
      }
      pool_->run(kernel_->chunkCount(), [this, test](int chunk, int thread) {
        kernel_->stepChunk(chunk, thread, &partial_[static_cast<size_t>(chunk) * n_],
                           test ? test + static_cast<size_t>(chunk) * nTest_ : nullptr);
      });
      reduce(false);
      if (haveTest) reduce(true, partialTest_.data());
      ++res.done;
      res.finite = std::isfinite(sumSq_);
    }
    return res;
  }

 private:
  class RunWorker : public Napi::AsyncWorker {
   public:
    RunWorker(Napi::Env env, Trainer* t, Napi::Object self, int steps, bool wantTest)
        : Napi::AsyncWorker(env, "specbias.train"), deferred_(Napi::Promise::Deferred::New(env)), trainer_(t),
          steps_(steps), wantTest_(wantTest) {
      self_ = Napi::Persistent(self);  // keeps the Trainer alive while the worker runs
    }
    Napi::Promise Promise() { return deferred_.Promise(); }
    void Execute() override {
      try {
        result_ = trainer_->runSteps(steps_, wantTest_);
      } catch (const std::exception& e) {
        SetError(e.what());
      }
    }
    void OnOK() override {
      trainer_->busy_ = false;
      Napi::Env env = Env();
      Napi::Object o = Napi::Object::New(env);
      o.Set("done", result_.done);
      o.Set("finite", result_.finite);
      o.Set("sumSqTrain", result_.sumSqTrain);
      o.Set("sumSqTest", result_.sumSqTest);
      deferred_.Resolve(o);
    }
    void OnError(const Napi::Error& e) override {
      trainer_->busy_ = false;
      deferred_.Reject(e.Value());
    }

   private:
    Napi::Promise::Deferred deferred_;
    Trainer* trainer_;
    Napi::ObjectReference self_;
    int steps_;
    bool wantTest_;
    RunResult result_;
  };

  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!kernel_) throw Napi::Error::New(env, "Trainer is closed");
    if (busy_) throw Napi::Error::New(env, "Trainer.run is already in progress");
    const double steps = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
    if (!(steps >= 0) || steps != std::floor(steps) || steps > 1e9)
      throw Napi::RangeError::New(env, "run(steps): steps must be an integer >= 0");
    const bool wantTest = info.Length() > 1 && info[1].ToBoolean().Value();
    busy_ = true;
    auto* w = new RunWorker(env, this, info.This().As<Napi::Object>(), static_cast<int>(steps), wantTest);
    Napi::Promise promise = w->Promise();
    w->Queue();
    return promise;
  }

  Napi::Value RunLogged(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!kernel_) throw Napi::Error::New(env, "Trainer is closed");
    if (busy_) throw Napi::Error::New(env, "Trainer.run is already in progress");
    const char* need = "runLogged(steps, logAt, batches): sgd and adam need batches, an Int32Array";
    return startLogged(info, this, loggedArgs(info, batchMode_, batch_, n_, need));
  }

  Napi::Value ResidualTrain(const Napi::CallbackInfo& info) {
    checkIdle(info.Env());
    return toFloat64Array(info.Env(), r_.data(), r_.size());
  }
  Napi::Value ResidualTest(const Napi::CallbackInfo& info) {
    checkIdle(info.Env());
    return toFloat64Array(info.Env(), rTest_.data(), rTest_.size());
  }
  Napi::Value Weights(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    checkIdle(env);
    const size_t d = static_cast<size_t>(dim_);
    std::vector<double> w1(static_cast<size_t>(m_) * d), w2(m_);
    kernel_->readWeights(w1.data(), w2.data());
    Napi::Object o = Napi::Object::New(env);
    o.Set("w1", toFloat64Array(env, w1.data(), w1.size()));
    o.Set("w2", toFloat64Array(env, w2.data(), w2.size()));
    return o;
  }
  /** Forward pass on train (also sets the gradient residual) or test points. */
  void forward(bool test) {
    const int npts = test ? nTest_ : n_;
    pool_->run(kernel_->chunkCount(), [this, test, npts](int chunk, int thread) {
      kernel_->forwardChunk(chunk, thread, test, &partial_[static_cast<size_t>(chunk) * npts]);
    });
    reduce(test);
  }

  /** y_hat = c * sum over chunks (in chunk order) of the partials; r = y - y_hat; sum of r^2. */
  void reduce(bool test) { reduce(test, partial_.data()); }
  void reduce(bool test, const double* partial) {
    const int npts = test ? nTest_ : n_;
    std::vector<double>& r = test ? rTest_ : r_;
    const std::vector<double>& y = test ? yTest_ : y_;
    std::fill(r.begin(), r.end(), 0.0);
    const int chunks = kernel_->chunkCount();
    for (int c = 0; c < chunks; ++c) {
      const double* p = &partial[static_cast<size_t>(c) * npts];
      for (int i = 0; i < npts; ++i) r[i] += p[i];
    }
    double ss = 0;
    for (int i = 0; i < npts; ++i) {
      r[i] = y[i] - c_ * r[i];
      ss += r[i] * r[i];
    }
    if (test) {
      sumSqTest_ = ss;
    } else {
      sumSq_ = ss;
      kernel_->setResidual(r.data());
    }
  }

  int m_ = 0;
  long long stepCount_ = 0;
  std::vector<double> rBatch_;
  int dim_ = 0;
  double c_ = 1;
  bool initialized_ = false;
  double sumSq_ = 0, sumSqTest_ = 0;
  std::vector<double> y_, yTest_, r_, rTest_, partial_, partialTest_;
};

// ---------------------------------------------------------------------------------------------
// DeepTrainer: the model family (deep_kernel.h), with Trainer's runLogged contract

class DeepTrainer : public TrainerWrap<DeepTrainer, DeepKernel> {
 public:
  static constexpr const char* kName = "DeepTrainer";
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "DeepTrainer",
                       {InstanceMethod("runLogged", &DeepTrainer::RunLogged), InstanceMethod("weights", &DeepTrainer::Weights),
                        InstanceMethod("optimizerState", &DeepTrainer::OptimizerState),
                        InstanceMethod("describe", &DeepTrainer::Describe), InstanceMethod("close", &DeepTrainer::Close)});
  }

  explicit DeepTrainer(const Napi::CallbackInfo& info) : TrainerWrap(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "DeepTrainer expects an options object");
    Napi::Object o = info[0].As<Napi::Object>();
    n_ = intField(o, "nTrain", 1);
    nTest_ = intField(o, "nTest", 0);
    const int dim = intField(o, "dim", 1);
    const int m = intField(o, "width", 1);
    const int depth = intField(o, "depth", 2);
    theta_ = numberField(o, "theta");
    const double lr = numberField(o, "learningRate");
    const double bias = numberField(o, "bias");
    const double cSigma = numberField(o, "cSigma");
    if (!(bias >= 0) || !std::isfinite(bias)) throw Napi::RangeError::New(env, "bias must be finite and >= 0");
    const std::string activation = stringField(o, "activation", "");
    const int act = activation == "relu" ? kRelu : activation == "erf" ? kErf : activation == "tanh" ? kTanh : activation == "gelu" ? kGelu : -1;
    if (act < 0) throw Napi::RangeError::New(env, "activation must be 'relu', 'erf', 'tanh' or 'gelu'");
    const int requested = intField(o, "threads", 0);
    const std::string isa = isaOption(env, o);
    std::vector<double> xTrain = float64Field(o, "xTrain", static_cast<size_t>(n_) * dim);
    y_ = float64Field(o, "yTrain", n_);
    std::vector<double> xTest = float64Field(o, "xTest", static_cast<size_t>(nTest_) * dim);
    yTest_ = float64Field(o, "yTest", nTest_);
    const std::string optimizer = stringField(o, "optimizer", "gd");
    if (optimizer != "gd" && optimizer != "sgd") throw Napi::RangeError::New(env, "optimizer must be 'gd' or 'sgd' for the model family");
    const double momentum = batching(env, o, optimizer);

    const int hw = std::max(1u, std::thread::hardware_concurrency());
    threads_ = std::max(1, requested > 0 ? requested : hw);
    pool_.reset(new ThreadPool(threads_));
    DeepConfig cfg{n_, nTest_, dim, m, depth, bias, act, cSigma, theta_, lr, xTrain.data(), xTest.data()};
    cfg.optimizer = batchMode_ && momentum > 0 ? 1 : 0;
    cfg.momentum = momentum;
    const bool avx2 = cpuHasAvx2Fma();
    if (isa == "avx2" && !avx2) throw Napi::Error::New(env, "isa 'avx2' requested, but this CPU or build has no AVX2+FMA kernel");
#ifdef SPECBIAS_HAVE_AVX2_KERNEL
    if (avx2 && isa != "baseline") kernel_ = avx2::makeDeepKernel(cfg, pool_.get());
#endif
    if (!kernel_) kernel_ = base::makeDeepKernel(cfg, pool_.get());
    std::vector<double> w = float64Field(o, "weights", kernel_->paramCount());
    kernel_->loadWeights(w.data());
    loadStateOption(o);
    r_.assign(n_, 0.0);
    rTest_.assign(nTest_, 0.0);
    e_.assign(n_, 0.0);
  }

  /** As Trainer::runLogged; the test residual is computed by a forward pass at each log. */
  LoggedResult runLogged(int steps, const std::vector<int>& logAt, const std::vector<int>& batches) {
    LoggedResult res;
    if (!initialized_) {
      forward(false);
      initialized_ = true;
    }
    const size_t per = static_cast<size_t>(n_) + nTest_;
    res.residuals.reserve(logAt.size() * per);
    res.sumSq.reserve(logAt.size() * 2);
    res.finite = std::isfinite(sumSq_);
    size_t next = 0;
    for (int t = 0; res.finite; ++t) {
      if (next < logAt.size() && logAt[next] == t) {
        ++next;
        double ssTest = 0;
        if (nTest_ > 0) ssTest = forward(true);
        res.residuals.insert(res.residuals.end(), r_.begin(), r_.end());
        res.residuals.insert(res.residuals.end(), rTest_.begin(), rTest_.end());
        res.sumSq.push_back(sumSq_);
        res.sumSq.push_back(ssTest);
        ++res.logged;
        if (!std::isfinite(ssTest)) break;
      }
      if (t >= steps) break;
      // e_i = dLoss/df_i: -theta r_i / B on the step's batch (every point for GD), 0 elsewhere.
      if (batchMode_) {
        std::fill(e_.begin(), e_.end(), 0.0);
        const int* idx = &batches[static_cast<size_t>(t) * batch_];
        for (int i = 0; i < batch_; ++i) e_[idx[i]] = -theta_ * r_[idx[i]] / batch_;
      } else {
        for (int i = 0; i < n_; ++i) e_[i] = -theta_ * r_[i] / n_;
      }
      kernel_->step(e_.data());
      forward(false);
      ++res.done;
      res.finite = std::isfinite(sumSq_);
    }
    return res;
  }

 private:
  Napi::Value RunLogged(const Napi::CallbackInfo& info) {
    checkIdle(info.Env());
    const char* need = "runLogged(steps, logAt, batches): sgd needs batches, an Int32Array";
    return startLogged(info, this, loggedArgs(info, batchMode_, batch_, n_, need));
  }
  Napi::Value Weights(const Napi::CallbackInfo& info) {
    checkIdle(info.Env());
    std::vector<double> w(kernel_->paramCount());
    kernel_->readWeights(w.data());
    return toFloat64Array(info.Env(), w.data(), w.size());
  }

  /** Residuals y - theta f on train (r_, sumSq_) or test (rTest_); returns the sum of squares. */
  double forward(bool test) {
    std::vector<double>& r = test ? rTest_ : r_;
    const std::vector<double>& y = test ? yTest_ : y_;
    kernel_->forward(test, r.data());
    double ss = 0;
    for (size_t i = 0; i < r.size(); ++i) {
      r[i] = y[i] - theta_ * r[i];
      ss += r[i] * r[i];
    }
    if (!test) sumSq_ = ss;
    return ss;
  }

  double theta_ = 1;
  bool initialized_ = false;
  double sumSq_ = 0;
  std::vector<double> y_, yTest_, r_, rTest_, e_;
};

// ---------------------------------------------------------------------------------------------
// Gram matrix and eigensolver

// zonalFill(a, n, dim, k): P_k in place on the n x n inner products a (linalg.h), the same bits
// as the JS recurrence.
Napi::Value ZonalFill(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsTypedArray()) throw Napi::TypeError::New(env, "zonalFill(a: Float64Array, n, dim, k)");
  Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_float64_array) throw Napi::TypeError::New(env, "zonalFill: a must be a Float64Array");
  // n * n must fit in an int's range of entries.
  const int n = intArg(info, 1, "zonalFill", "n", 0, 46340.0), dim = intArg(info, 2, "zonalFill", "dim", 2, 46340.0),
            k = intArg(info, 3, "zonalFill", "k", 0, 46340.0);
  Napi::Float64Array a = ta.As<Napi::Float64Array>();
  if (a.ElementLength() < static_cast<size_t>(n) * n) throw Napi::RangeError::New(env, "zonalFill: a must hold n * n entries");
  zonalFill(a.Data(), n, dim, k);
  return env.Undefined();
}

Napi::Value Gram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsNumber() || !info[2].IsNumber())
    throw Napi::TypeError::New(env, "gram(x: Float64Array, n, dim)");
  Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_float64_array) throw Napi::TypeError::New(env, "gram: x must be a Float64Array");
  const int n = info[1].As<Napi::Number>().Int32Value();
  const int dim = info[2].As<Napi::Number>().Int32Value();
  Napi::Float64Array x = ta.As<Napi::Float64Array>();
  if (n < 1 || dim < 1 || x.ElementLength() < static_cast<size_t>(n) * dim)
    throw Napi::RangeError::New(env, "gram: x must hold n * dim entries");
  Napi::Float64Array k = Napi::Float64Array::New(env, static_cast<size_t>(n) * n);
  ntkGram(x.Data(), n, dim, k.Data());
  return k;
}

struct EighArgs {
  std::vector<double> a;
  int n = 0;
  bool wantVectors = false;
};

EighArgs eighArgs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!haveLapack()) throw Napi::Error::New(env, "eigh: the addon was built without LAPACK");
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsNumber())
    throw Napi::TypeError::New(env, "eigh(a: Float64Array, n, wantVectors)");
  Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_float64_array) throw Napi::TypeError::New(env, "eigh: a must be a Float64Array");
  EighArgs out;
  out.n = info[1].As<Napi::Number>().Int32Value();
  out.wantVectors = info.Length() > 2 && info[2].ToBoolean().Value();
  Napi::Float64Array a = ta.As<Napi::Float64Array>();
  const size_t nn = static_cast<size_t>(out.n) * out.n;
  if (out.n < 1 || a.ElementLength() < nn) throw Napi::RangeError::New(env, "eigh: a must hold n * n entries");
  out.a.assign(a.Data(), a.Data() + nn);
  return out;
}

Napi::Object eighResult(Napi::Env env, const std::vector<double>& values, const std::vector<double>& vectors, bool wantVectors) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("values", toFloat64Array(env, values.data(), values.size()));
  o.Set("vectors", wantVectors ? Napi::Value(toFloat64Array(env, vectors.data(), vectors.size())) : env.Null());
  return o;
}

class EighWorker : public Napi::AsyncWorker {
 public:
  EighWorker(Napi::Env env, EighArgs args)
      : Napi::AsyncWorker(env, "specbias.eigh"), deferred_(Napi::Promise::Deferred::New(env)), args_(std::move(args)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    const std::string err = symmetricEigenLapack(args_.a, args_.n, args_.wantVectors, values_, vectors_);
    if (!err.empty()) SetError(err);
    std::vector<double>().swap(args_.a);
  }
  void OnOK() override { deferred_.Resolve(eighResult(Env(), values_, vectors_, args_.wantVectors)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  EighArgs args_;
  std::vector<double> values_, vectors_;
};

Napi::Value Eigh(const Napi::CallbackInfo& info) {
  auto* w = new EighWorker(info.Env(), eighArgs(info));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value EighSync(const Napi::CallbackInfo& info) {
  EighArgs args = eighArgs(info);
  std::vector<double> values, vectors;
  const std::string err = symmetricEigenLapack(args.a, args.n, args.wantVectors, values, vectors);
  if (!err.empty()) throw Napi::Error::New(info.Env(), err);
  return eighResult(info.Env(), values, vectors, args.wantVectors);
}

// ---------------------------------------------------------------------------------------------
// Matrix product (linalg.h): blocking, for the projections' products of a few hundred ms at most

Napi::Value Matmul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5) throw Napi::TypeError::New(env, "matmul(a, b, m, k, n, transA, transB, out?)");
  const int m = intArg(info, 2, "matmul", "m", 0), k = intArg(info, 3, "matmul", "k", 0), n = intArg(info, 4, "matmul", "n", 0);
  const bool transA = info.Length() > 5 && info[5].ToBoolean().Value();
  const bool transB = info.Length() > 6 && info[6].ToBoolean().Value();
  Napi::Float64Array a = float64ArrayArg(info, 0, "matmul", "a", static_cast<size_t>(m) * k);
  Napi::Float64Array b = float64ArrayArg(info, 1, "matmul", "b", static_cast<size_t>(k) * n);
  const size_t size = static_cast<size_t>(m) * n;
  // An optional caller's buffer for C (a scratch reused across products spares the allocation).
  const bool into = info.Length() > 7 && !info[7].IsUndefined();
  Napi::Float64Array c = into ? float64ArrayArg(info, 7, "matmul", "out", size) : Napi::Float64Array::New(env, size);
  if (into) {
    auto overlaps = [&](const Napi::Float64Array& x, size_t entries) {
      const double* lo = x.Data();
      return c.Data() < lo + entries && lo < c.Data() + size;
    };
    if (overlaps(a, static_cast<size_t>(m) * k) || overlaps(b, static_cast<size_t>(k) * n))
      throw Napi::RangeError::New(env, "matmul: out must not overlap a or b");
  }
  matmul(a.Data(), b.Data(), c.Data(), m, k, n, transA, transB);
  return c;
}

// relu(pre) in place and the gates W2_j 1(pre_aj > 0), n x m row-major: the loop the JS
// empirical-NTK products spend most of their time in (src/math/empirical-ntk.ts).
Napi::Value ReluFeatures(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4) throw Napi::TypeError::New(env, "reluFeatures(pre, w2, n, m)");
  // Their lengths are checked against n and m below, in one message.
  Napi::Float64Array pre = float64ArrayArg(info, 0, "reluFeatures", "pre", 0), w2 = float64ArrayArg(info, 1, "reluFeatures", "w2", 0);
  const double nd = info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : NAN;
  const double md = info[3].IsNumber() ? info[3].As<Napi::Number>().DoubleValue() : NAN;
  if (!(nd >= 0) || !(md >= 0) || nd != std::floor(nd) || md != std::floor(md) || nd * md > 9e15)
    throw Napi::RangeError::New(env, "reluFeatures: n and m must be integers >= 0");
  const size_t n = static_cast<size_t>(nd), m = static_cast<size_t>(md);
  if (pre.ElementLength() < n * m || w2.ElementLength() < m)
    throw Napi::RangeError::New(env, "reluFeatures: pre must hold n*m entries and w2 m");
  Napi::Float64Array gate = Napi::Float64Array::New(env, n * m);
  double* h = pre.Data();
  const double* w = w2.Data();
  double* g = gate.Data();
  for (size_t a = 0; a < n; ++a) {
    double* ha = h + a * m;
    double* ga = g + a * m;
    for (size_t j = 0; j < m; ++j) {
      const bool on = ha[j] > 0;
      ga[j] = on ? w[j] : 0.0;
      ha[j] = on ? ha[j] : 0.0;
    }
  }
  return gate;
}

// ---------------------------------------------------------------------------------------------
// Empirical NTK Gram at given weights (ntk_gram.h), off the JS thread

// A copy of float64ArrayArg's first `want` entries, for the workers that run off the JS thread.
std::vector<double> float64Arg(const Napi::CallbackInfo& info, int i, const char* name, size_t want) {
  const Napi::Float64Array a = float64ArrayArg(info, i, "empiricalNtk", name, want);
  return std::vector<double>(a.Data(), a.Data() + want);
}

class EmpiricalNtkWorker : public Napi::AsyncWorker {
 public:
  EmpiricalNtkWorker(Napi::Env env)
      : Napi::AsyncWorker(env, "specbias.empiricalNtk"), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    out_.assign(static_cast<size_t>(na_) * nb_, 0.0);
    const double* xb = symmetric_ ? xa_.data() : xb_.data();
    empiricalNtkGram(w1_.data(), w2_.data(), m_, dim_, xa_.data(), na_, xb, nb_, threads_, out_.data());
  }
  void OnOK() override { deferred_.Resolve(toFloat64Array(Env(), out_.data(), out_.size())); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

  std::vector<double> w1_, w2_, xa_, xb_, out_;
  int m_ = 0, dim_ = 0, na_ = 0, nb_ = 0, threads_ = 1;
  bool symmetric_ = true;

 private:
  Napi::Promise::Deferred deferred_;
};

Napi::Value EmpiricalNtk(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 9) throw Napi::TypeError::New(env, "empiricalNtk(w1, w2, m, dim, xa, na, xb|null, nb, threads)");
  auto* w = new EmpiricalNtkWorker(env);
  try {
    w->m_ = intArg(info, 2, "empiricalNtk", "m", 1);
    w->dim_ = intArg(info, 3, "empiricalNtk", "dim", 1);
    w->na_ = intArg(info, 5, "empiricalNtk", "na", 1);
    w->nb_ = intArg(info, 7, "empiricalNtk", "nb", 1);
    w->threads_ = intArg(info, 8, "empiricalNtk", "threads", 1);
    w->w1_ = float64Arg(info, 0, "w1", static_cast<size_t>(w->m_) * w->dim_);
    w->w2_ = float64Arg(info, 1, "w2", static_cast<size_t>(w->m_));
    w->xa_ = float64Arg(info, 4, "xa", static_cast<size_t>(w->na_) * w->dim_);
    w->symmetric_ = info[6].IsNull() || info[6].IsUndefined();
    if (w->symmetric_) {
      if (w->nb_ != w->na_) throw Napi::RangeError::New(env, "empiricalNtk: nb must equal na when xb is null");
    } else {
      w->xb_ = float64Arg(info, 6, "xb", static_cast<size_t>(w->nb_) * w->dim_);
    }
  } catch (...) {
    delete w;
    throw;
  }
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

#ifdef SPECBIAS_HAVE_LAPACK
class NtkProductsWorker : public Napi::AsyncWorker {
 public:
  explicit NtkProductsWorker(Napi::Env env)
      : Napi::AsyncWorker(env, "specbias.empiricalNtkProducts"), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    out_.assign(static_cast<size_t>(rows_) * p_, 0.0);
    empiricalNtkProductsF32(w1_.data(), w2_.data(), m_, dim_, x_.data(), rows_, p_, out_.data());
  }
  void OnOK() override { deferred_.Resolve(toFloat64Array(Env(), out_.data(), out_.size())); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

  std::vector<double> w1_, w2_, x_, out_;
  int m_ = 0, dim_ = 0, rows_ = 0, p_ = 0;

 private:
  Napi::Promise::Deferred deferred_;
};

// empiricalNtkProducts(w1, w2, m, dim, x, rows, p) -> Promise<Float64Array rows*p> (ntk_gram.h)
Napi::Value EmpiricalNtkProducts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 7) throw Napi::TypeError::New(env, "empiricalNtkProducts(w1, w2, m, dim, x, rows, p)");
  auto* w = new NtkProductsWorker(env);
  try {
    w->m_ = intArg(info, 2, "empiricalNtkProducts", "m", 1);
    w->dim_ = intArg(info, 3, "empiricalNtkProducts", "dim", 1);
    w->rows_ = intArg(info, 5, "empiricalNtkProducts", "rows", 1);
    w->p_ = intArg(info, 6, "empiricalNtkProducts", "p", 1);
    if (w->p_ > w->rows_) throw Napi::RangeError::New(env, "empiricalNtkProducts: p must be <= rows");
    w->w1_ = float64Arg(info, 0, "w1", static_cast<size_t>(w->m_) * w->dim_);
    w->w2_ = float64Arg(info, 1, "w2", static_cast<size_t>(w->m_));
    w->x_ = float64Arg(info, 4, "x", static_cast<size_t>(w->rows_) * w->dim_);
  } catch (...) {
    delete w;
    throw;
  }
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}
#endif

// empiricalNtkQuadratics(w1, w2, m, dim, x, n, vs, k, threads) -> Float64Array k (ntk_gram.h).
// Synchronous, like the JS it replaces: about 8 ms at paper size on 2 threads.
Napi::Value EmpiricalNtkQuadratics(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string name = "empiricalNtkQuadratics";
  if (info.Length() < 9) throw Napi::TypeError::New(env, name + "(w1, w2, m, dim, x, n, vs, k, threads)");
  const int m = intArg(info, 2, name, "m", 0), dim = intArg(info, 3, name, "dim", 0), n = intArg(info, 5, name, "n", 0),
            k = intArg(info, 7, name, "k", 0);
  const int threads = intArg(info, 8, name, "threads", 1);
  const double* w1 = float64ArrayArg(info, 0, name, "w1", static_cast<size_t>(m) * dim).Data();
  const double* w2 = float64ArrayArg(info, 1, name, "w2", static_cast<size_t>(m)).Data();
  const double* x = float64ArrayArg(info, 4, name, "x", static_cast<size_t>(n) * dim).Data();
  const double* vs = float64ArrayArg(info, 6, name, "vs", static_cast<size_t>(k) * n).Data();
  Napi::Float64Array out = Napi::Float64Array::New(env, static_cast<size_t>(k));
  empiricalNtkQuadratics(w1, w2, m, dim, x, n, vs, k, threads, out.Data());
  return out;
}

/** The loaded BLAS/LAPACK, or null without; fields OpenBLAS alone reports are null elsewhere. */
Napi::Value BlasObject(Napi::Env env) {
  if (!haveLapack()) return env.Null();
  const BlasInfo b = blasInfo();
  auto text = [&](const std::string& s) { return s.empty() ? env.Null() : Napi::Value(Napi::String::New(env, s)); };
  auto count = [&](int v) { return v < 0 ? env.Null() : Napi::Value(Napi::Number::New(env, v)); };
  Napi::Object o = Napi::Object::New(env);
  o.Set("library", b.library);
  o.Set("prefix", b.prefix);
  o.Set("config", text(b.config));
  o.Set("corename", text(b.corename));
  o.Set("threads", count(b.threads));
  o.Set("openblasThreads", count(b.openblasThreads));
  o.Set("parallel", count(b.parallel));
  o.Set("budget", b.budget);
  return o;
}

Napi::Value SetBlasThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double d = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 0) || d != std::floor(d) || d > 4096) throw Napi::RangeError::New(env, "setBlasThreads(threads): threads must be an integer >= 0");
  setBlasThreadBudget(static_cast<int>(d));
  return env.Undefined();
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("lapack", haveLapack());
  o.Set("lapackLibrary", haveLapack() ? blasInfo().library : std::string());
  o.Set("blas", BlasObject(env));
  o.Set("isa", cpuHasAvx2Fma() ? "avx2" : "baseline");
  o.Set("hardwareThreads", static_cast<double>(std::max(1u, std::thread::hardware_concurrency())));
  o.Set("chunk", kChunk);
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Trainer", Trainer::Define(env));
  exports.Set("DeepTrainer", DeepTrainer::Define(env));
  exports.Set("gram", Napi::Function::New(env, Gram));
  exports.Set("zonalFill", Napi::Function::New(env, ZonalFill));
  exports.Set("eigh", Napi::Function::New(env, Eigh));
  exports.Set("eighSync", Napi::Function::New(env, EighSync));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("empiricalNtk", Napi::Function::New(env, EmpiricalNtk));
  exports.Set("matmul", Napi::Function::New(env, Matmul));
  exports.Set("reluFeatures", Napi::Function::New(env, ReluFeatures));
#ifdef SPECBIAS_HAVE_LAPACK
  exports.Set("empiricalNtkProducts", Napi::Function::New(env, EmpiricalNtkProducts));
#endif
  exports.Set("empiricalNtkQuadratics", Napi::Function::New(env, EmpiricalNtkQuadratics));
  exports.Set("setBlasThreads", Napi::Function::New(env, SetBlasThreads));
  return exports;
}

}  // namespace
}  // namespace specbias

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return specbias::Init(env, exports); }

NODE_API_MODULE(specbias_native, InitModule)
