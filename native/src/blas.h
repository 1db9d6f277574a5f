// BLAS and LAPACK as linked by scripts/build-native.mjs: symbol names, what was loaded, and how
// many threads OpenBLAS may use.
#pragma once

#include <string>

// The symbol prefix of the linked library, passed by the build: empty for the system's OpenBLAS
// or LAPACK, scipy_ for PyPI's scipy-openblas32 (scipy_dsyevd_, scipy_sgemm_, scipy_cblas_sgemm).
#ifndef SPECBIAS_BLAS_PREFIX
#define SPECBIAS_BLAS_PREFIX
#endif
#define SB_BLAS_CAT2(a, b) a##b
#define SB_BLAS_CAT(a, b) SB_BLAS_CAT2(a, b)
/** The linked name of a BLAS, CBLAS or LAPACK symbol: SB_BLAS(dsyevd_) is dsyevd_ or scipy_dsyevd_. */
#define SB_BLAS(name) SB_BLAS_CAT(SPECBIAS_BLAS_PREFIX, name)

#ifdef SPECBIAS_HAVE_LAPACK
#include <cstddef>
// Fortran symbols, so that only liblapack (or an OpenBLAS that contains LAPACK) is needed and no
// LAPACKE header. LP64 integers; the trailing size_t are gfortran's hidden string lengths.
extern "C" void SB_BLAS(dsyevd_)(const char* jobz, const char* uplo, const int* n, double* a, const int* lda,
                                 double* w, double* work, const int* lwork, int* iwork, const int* liwork, int* info,
                                 size_t jobzLen, size_t uploLen);
extern "C" void SB_BLAS(dgemm_)(const char* transa, const char* transb, const int* m, const int* n, const int* k,
                                const double* alpha, const double* a, const int* lda, const double* b, const int* ldb,
                                const double* beta, double* c, const int* ldc, size_t transaLen, size_t transbLen);
extern "C" void SB_BLAS(sgemm_)(const char* transa, const char* transb, const int* m, const int* n, const int* k,
                                const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
                                const float* beta, float* c, const int* ldc, size_t transaLen, size_t transbLen);
extern "C" void SB_BLAS(ssyrk_)(const char* uplo, const char* trans, const int* n, const int* k, const float* alpha,
                                const float* a, const int* lda, const float* beta, float* c, const int* ldc,
                                size_t uploLen, size_t transLen);
#endif

namespace specbias {

/** What the process loaded; empty strings and -1 where the library does not say (not OpenBLAS). */
struct BlasInfo {
  std::string library;       // the file that holds dsyevd, e.g. /usr/lib/x86_64-linux-gnu/libopenblas.so.0
  std::string prefix;        // the symbol prefix, "" or "scipy_"
  std::string config;        // openblas_get_config(), e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64"
  std::string corename;      // openblas_get_corename(), the kernel set picked for this CPU, e.g. "Haswell"
  int threads = -1;          // what the next call gets: the budget
  int openblasThreads = -1;  // openblas_get_num_threads() now: what the last call got (before any, OpenBLAS's default)
  int parallel = -1;         // openblas_get_parallel(): 0 sequential, 1 pthreads, 2 OpenMP
  int budget = 0;            // the thread budget (setBlasThreadBudget): the engine's thread setting
};

/** The BLAS/LAPACK this addon was linked against, as loaded; call only when haveLapack(). */
BlasInfo blasInfo();

/** The cores BLAS calls and training runs share; <= 0 means one per hardware thread. */
void setBlasThreadBudget(int threads);

/** Held around every BLAS/LAPACK call: calls run one at a time, each with the budget's threads. */
class BlasCall {
 public:
  BlasCall();
  ~BlasCall();
  BlasCall(const BlasCall&) = delete;
  BlasCall& operator=(const BlasCall&) = delete;
};

}  // namespace specbias
