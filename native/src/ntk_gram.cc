#include "ntk_gram.h"

#include <algorithm>
#include <vector>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "blas.h"
#include "linalg.h"
#include "thread_pool.h"

namespace specbias {
namespace {

// Per point: the relu features act_j = relu(w_j . x) and the gated output weights gate_j = W2_j 1(w_j . x > 0).
void features(const double* w1, const double* w2, int m, int dim, const double* x, int n, ThreadPool& pool,
              std::vector<double>& act, std::vector<double>& gate) {
  act.assign(static_cast<size_t>(n) * m, 0.0);
  gate.assign(static_cast<size_t>(n) * m, 0.0);
  pool.run(n, [&](int a, int) {
    const double* xa = x + static_cast<size_t>(a) * dim;
    double* actA = act.data() + static_cast<size_t>(a) * m;
    double* gateA = gate.data() + static_cast<size_t>(a) * m;
    for (int j = 0; j < m; ++j) {
      const double* wj = w1 + static_cast<size_t>(j) * dim;
      double h = 0;
      for (int d = 0; d < dim; ++d) h += wj[d] * xa[d];
      if (h > 0) {
        actA[j] = h;
        gateA[j] = w2[j];
      }
    }
  });
}

#ifdef SPECBIAS_HAVE_LAPACK
// One point's float32 features of a neuron chunk from its pre-activations h: act_j = relu(h_j),
// gate_j = W2_j 1(h_j > 0). The same values as the scalar expressions below, four at a time
// (the compiler does not vectorize the conditional conversions): max(h, 0) is h when h > 0, else
// +0 (also for -0 and NaN), and the compare mask keeps W2_j or gives +0.
void reluAndGate(const double* h, const double* w2, int count, float* act, float* gate) {
  int j = 0;
#ifdef __SSE2__
  const __m128d zero = _mm_setzero_pd();
  for (; j + 4 <= count; j += 4) {
    const __m128d h0 = _mm_loadu_pd(h + j), h1 = _mm_loadu_pd(h + j + 2);
    _mm_storeu_ps(act + j, _mm_movelh_ps(_mm_cvtpd_ps(_mm_max_pd(h0, zero)), _mm_cvtpd_ps(_mm_max_pd(h1, zero))));
    const __m128d g0 = _mm_and_pd(_mm_cmpgt_pd(h0, zero), _mm_loadu_pd(w2 + j));
    const __m128d g1 = _mm_and_pd(_mm_cmpgt_pd(h1, zero), _mm_loadu_pd(w2 + j + 2));
    _mm_storeu_ps(gate + j, _mm_movelh_ps(_mm_cvtpd_ps(g0), _mm_cvtpd_ps(g1)));
  }
#endif
  for (; j < count; ++j) {
    act[j] = h[j] > 0 ? static_cast<float>(h[j]) : 0.0f;
    gate[j] = h[j] > 0 ? static_cast<float>(w2[j]) : 0.0f;
  }
}
#endif

}  // namespace

void empiricalNtkGram(const double* w1, const double* w2, int m, int dim, const double* xa, int na, const double* xb,
                      int nb, int threads, double* out) {
  const bool symmetric = xa == xb && na == nb;
  ThreadPool pool(std::max(1, threads));
  std::vector<double> actA, gateA, actB, gateB;
  features(w1, w2, m, dim, xa, na, pool, actA, gateA);
  if (!symmetric) features(w1, w2, m, dim, xb, nb, pool, actB, gateB);
  const std::vector<double>& aB = symmetric ? actA : actB;
  const std::vector<double>& gB = symmetric ? gateA : gateB;
  // One task per row of the output; each (a, b) entry is one thread's two dot products over j.
  pool.run(na, [&](int a, int) {
    const double* actRow = actA.data() + static_cast<size_t>(a) * m;
    const double* gateRow = gateA.data() + static_cast<size_t>(a) * m;
    const double* x1 = xa + static_cast<size_t>(a) * dim;
    for (int b = symmetric ? a : 0; b < nb; ++b) {
      const double* actCol = aB.data() + static_cast<size_t>(b) * m;
      const double* gateCol = gB.data() + static_cast<size_t>(b) * m;
      double first = 0, second = 0;
      for (int j = 0; j < m; ++j) {
        first += actRow[j] * actCol[j];
        second += gateRow[j] * gateCol[j];
      }
      const double* x2 = xb + static_cast<size_t>(b) * dim;
      double xx = 0;
      for (int d = 0; d < dim; ++d) xx += x1[d] * x2[d];
      const double v = first + xx * second;
      out[static_cast<size_t>(a) * nb + b] = v;
      if (symmetric) out[static_cast<size_t>(b) * nb + a] = v;
    }
  });
}

#ifdef SPECBIAS_HAVE_LAPACK
void empiricalNtkProductsF32(const double* w1, const double* w2, int m, int dim, const double* x, int rows, int p,
                             double* out) {
  const size_t R = static_cast<size_t>(rows), P = static_cast<size_t>(p);
  const int q = rows - p;
  constexpr int kChunk = 1024;
  const int c = std::min(m, kChunk);
  // Features column-major per point (c floats each): BLAS reads them as a c x rows matrix.
  std::vector<float> act(R * c), gate(R * c);
  // Per chunk, float32: the p x p block (lower triangle, column-major = upper, row-major) and the
  // q x p block (column-major p x q = row-major q x p); then added into the float64 sums.
  std::vector<float> sumAct(P * P + static_cast<size_t>(q) * P), sumGate(sumAct.size());
  // The relu term is summed straight into `out` (zero on entry), the gate term beside it.
  double* first = out;
  std::vector<double> second(R * P, 0.0);
  std::vector<double> pre(R * c);
  for (int j0 = 0; j0 < m; j0 += c) {
    const int cj = std::min(c, m - j0);
    // The pre-activations X W1ᵀ of the chunk as one float64 product, then the features.
    matmul(x, w1 + static_cast<size_t>(j0) * dim, pre.data(), rows, dim, cj, false, true);
    for (size_t a = 0; a < R; ++a) reluAndGate(pre.data() + a * cj, w2 + j0, cj, act.data() + a * cj, gate.data() + a * cj);
    const float one = 1.0f, zero = 0.0f;
    const char lower = 'L', trans = 'T', no = 'N';
    for (int f = 0; f < 2; ++f) {
      const float* feat = f == 0 ? act.data() : gate.data();
      float* sum = f == 0 ? sumAct.data() : sumGate.data();
      {
        BlasCall call;
        SB_BLAS(ssyrk_)(&lower, &trans, &p, &cj, &one, feat, &cj, &zero, sum, &p, 1, 1);
        if (q > 0)
          SB_BLAS(sgemm_)(&trans, &no, &p, &q, &cj, &one, feat, &cj, feat + P * cj, &cj, &zero, sum + P * P, &p, 1, 1);
      }
      double* total = f == 0 ? first : second.data();
      // Row-major row i of the p x p block is column-major column i: entries j >= i of the lower part.
      for (size_t i = 0; i < P; ++i)
        for (size_t jj = i; jj < P; ++jj) total[i * P + jj] += sum[i * P + jj];
      for (size_t i = 0; i < static_cast<size_t>(q) * P; ++i) total[P * P + i] += sum[P * P + i];
    }
  }
  for (size_t a = 0; a < R; ++a) {
    const double* xa = x + a * dim;
    for (size_t b = a < P ? a : 0; b < P; ++b) {
      const double* xb = x + b * dim;
      double t = 0;
      for (int d = 0; d < dim; ++d) t += xa[d] * xb[d];
      out[a * P + b] = first[a * P + b] + t * second[a * P + b];
    }
  }
  for (size_t a = 0; a < P; ++a)
    for (size_t b = 0; b < a; ++b) out[a * P + b] = out[b * P + a];
}
#endif

}  // namespace specbias
