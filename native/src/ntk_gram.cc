#include "ntk_gram.h"

#include <algorithm>
#include <vector>

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

}  // namespace specbias
