#include "linalg.h"

#include "blas.h"

#include <cmath>
#include <cstddef>
#include <vector>

namespace specbias {

namespace {
const double kPi = 3.14159265358979323846;

double kappa(double t) {
  // Inner products of unit vectors computed in floating point can land just outside [-1, 1].
  const double c = t > 1 ? 1 : t < -1 ? -1 : t;
  return (3 * c * (kPi - std::acos(c)) + 2 * std::sqrt((1 - c) * (1 + c))) / (2 * kPi);
}
}  // namespace

void ntkGram(const double* x, int n, int dim, double* k) {
  const size_t nn = static_cast<size_t>(n);
  for (int i = 0; i < n; ++i) {
    const double* xi = x + static_cast<size_t>(i) * dim;
    // <x_i, x_i> = 1 for unit rows; computing it would give 1 - 1e-16, and kappa's square-root
    // singularity at t = 1 turns that into an error of ~3e-9.
    k[i * nn + i] = 1.5;
    for (int j = i + 1; j < n; ++j) {
      const double* xj = x + static_cast<size_t>(j) * dim;
      double s = 0;
      for (int d = 0; d < dim; ++d) s += xi[d] * xj[d];
      const double v = kappa(s);
      k[i * nn + j] = v;
      k[j * nn + i] = v;
    }
  }
}

void zonalFill(double* a, int n, int dim, int k) {
  const size_t nn = static_cast<size_t>(n);
  // (2j + dim - 2) and (j + dim - 2) as the JS computes them: small integers, exact in double.
  std::vector<double> up(k > 0 ? k : 1), down(k > 0 ? k : 1);
  for (int j = 0; j < k; ++j) {
    up[j] = 2.0 * j + dim - 2;
    down[j] = static_cast<double>(j) + dim - 2;
  }
  for (size_t i = 0; i < nn; ++i) {
    a[i * nn + i] = 1;
    for (size_t j = i + 1; j < nn; ++j) {
      const double t = a[i * nn + j];
      double p = 1;
      if (k > 0) {
        double prev = 1, cur = t;
        for (int r = 1; r < k; ++r) {
          const double next = (up[r] * t * cur - static_cast<double>(r) * prev) / down[r];
          prev = cur;
          cur = next;
        }
        p = cur;
      }
      a[i * nn + j] = p;
      a[j * nn + i] = p;
    }
  }
}

bool haveLapack() {
#ifdef SPECBIAS_HAVE_LAPACK
  return true;
#else
  return false;
#endif
}

std::string symmetricEigenLapack(std::vector<double>& a, int n, bool wantVectors, std::vector<double>& values,
                                 std::vector<double>& vectors) {
#ifdef SPECBIAS_HAVE_LAPACK
  // a is symmetric, so its row-major array is also its column-major array; uplo 'U' of the
  // column-major view reads the lower triangle of the row-major one. The vectors are always
  // computed: with 'N' dsyevd takes another path (dsterf) whose values differ in the last bits,
  // and the values must not depend on whether the caller also wanted the vectors.
  const char jobz = 'V';
  const char uplo = 'U';
  const int lda = n > 0 ? n : 1;
  std::vector<double> w(n);
  int info = 0;
  int lwork = -1, liwork = -1, iworkQuery = 0;
  double workQuery = 0;
  BlasCall call;
  SB_BLAS(dsyevd_)(&jobz, &uplo, &n, a.data(), &lda, w.data(), &workQuery, &lwork, &iworkQuery, &liwork, &info, 1, 1);
  if (info != 0) return "dsyevd workspace query failed with info = " + std::to_string(info);
  lwork = static_cast<int>(workQuery);
  liwork = iworkQuery;
  std::vector<double> work(lwork > 1 ? lwork : 1);
  std::vector<int> iwork(liwork > 1 ? liwork : 1);
  SB_BLAS(dsyevd_)(&jobz, &uplo, &n, a.data(), &lda, w.data(), work.data(), &lwork, iwork.data(), &liwork, &info, 1, 1);
  if (info != 0) return "dsyevd failed with info = " + std::to_string(info);
  // LAPACK returns ascending values and, column-major, vector j in a[j*n .. j*n + n).
  values.resize(n);
  for (int j = 0; j < n; ++j) values[j] = w[n - 1 - j];
  if (wantVectors) {
    const size_t nn = static_cast<size_t>(n);
    vectors.resize(nn * nn);
    // A blocked transpose with the column order reversed: vectors[i][j] = a[n - 1 - j][i].
    const int tile = 32;
    for (int j0 = 0; j0 < n; j0 += tile) {
      for (int i0 = 0; i0 < n; i0 += tile) {
        const int j1 = j0 + tile < n ? j0 + tile : n;
        const int i1 = i0 + tile < n ? i0 + tile : n;
        for (int j = j0; j < j1; ++j) {
          const double* src = &a[(nn - 1 - j) * nn];
          for (int i = i0; i < i1; ++i) vectors[i * nn + j] = src[i];
        }
      }
    }
  }
  return "";
#else
  (void)a, (void)n, (void)wantVectors, (void)values, (void)vectors;
  return "the addon was built without LAPACK";
#endif
}

void matmul(const double* a, const double* b, double* c, int m, int k, int n, bool transA, bool transB) {
  if (m <= 0 || n <= 0) return;
#ifdef SPECBIAS_HAVE_LAPACK
  // Row-major C = op(A) op(B) is column-major Cᵀ = op(B)ᵀ op(A)ᵀ: hand BLAS the operands swapped.
  const char ta = transB ? 'T' : 'N';
  const char tb = transA ? 'T' : 'N';
  const int lda = transB ? (k > 0 ? k : 1) : n;
  const int ldb = transA ? m : (k > 0 ? k : 1);
  const int ldc = n;
  const double one = 1.0, zero = 0.0;
  BlasCall call;
  SB_BLAS(dgemm_)(&ta, &tb, &n, &m, &k, &one, b, &lda, a, &ldb, &zero, c, &ldc, 1, 1);
#else
  const size_t N = static_cast<size_t>(n), M = static_cast<size_t>(m), K = static_cast<size_t>(k);
  for (size_t i = 0; i < M * N; ++i) c[i] = 0.0;
  for (size_t i = 0; i < M; ++i) {
    double* ci = c + i * N;
    for (size_t p = 0; p < K; ++p) {
      const double aip = transA ? a[p * M + i] : a[i * K + p];
      if (transB) {
        for (size_t j = 0; j < N; ++j) ci[j] += aip * b[j * K + p];
      } else {
        const double* bp = b + p * N;
        for (size_t j = 0; j < N; ++j) ci[j] += aip * bp[j];
      }
    }
  }
#endif
}

}  // namespace specbias
