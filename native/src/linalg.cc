#include "linalg.h"

#include "blas.h"

#include <cmath>
#include <cstddef>

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

}  // namespace specbias
