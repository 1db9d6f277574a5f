#include "ntk_gram.h"

#include <algorithm>
#include <cstdint>
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

namespace specbias {
namespace {

// Doubles per vector: one SSE2 register, the addon's baseline ISA. A sum over points keeps a
// partial sum per lane (point a in lane a mod kQuadLanes) and adds them in lane order.
constexpr int kQuadLanes = 2;
// Neurons per task: their independent sums over d keep the vector units busy.
constexpr int kQuadNeurons = 8;
// Gated rows per pass over the table: a cache line of each entry, and for two neurons at a time
// 8 vectors of partial sums.
constexpr int kQuadRows = 8;

typedef double Lanes __attribute__((vector_size(kQuadLanes * sizeof(double))));
// What a comparison of Lanes gives: all ones where true, in 64-bit integer lanes.
typedef decltype(Lanes{} > Lanes{}) Mask;
// Loads and stores of any double / 64-bit integer (unaligned, aliasing).
typedef double LanesU __attribute__((vector_size(kQuadLanes * sizeof(double)), aligned(8), may_alias));
typedef std::int64_t MaskU __attribute__((vector_size(kQuadLanes * sizeof(std::int64_t)), aligned(8), may_alias));

inline Lanes load(const double* p) { return *reinterpret_cast<const LanesU*>(p); }
inline void store(double* p, Lanes v) { *reinterpret_cast<LanesU*>(p) = v; }

// What the tasks share: the points padded to np = 4 G (zeros: h = 0 there, off, and v = 0),
// point a in group a mod G, and the table of the gated sums per group and pattern.
struct QuadInputs {
  int dim, k;
  size_t np, groups;
  int rows;             // gated rows k dim, padded to whole kQuadRows
  const double* xt;     // dim x np
  const double* v;      // k x np
  const double* table;  // groups x 16 x rows
};

// Per thread: the task's weights, relu(h) and on/off patterns.
struct QuadScratch {
  std::vector<Lanes> w;       // dim x J, w_jd in every lane
  std::vector<double> relu;   // J x np
  std::vector<std::int64_t> pattern;  // J x groups: bit b for point g + b G of group g
};

// sums[jj * (k + rows) ...] for the task's cj <= J neurons from w1 on: s1_c = sum_a relu(h_a) v_ca,
// then the gated sums s2_r = sum_a 1(h_a > 0) Y_ra.
void quadraticsTask(const QuadInputs& in, const double* w1, int cj, QuadScratch& sc, double* sums) {
  constexpr int L = kQuadLanes, J = kQuadNeurons, R = kQuadRows;
  const size_t np = in.np, groups = in.groups;
  const int dim = in.dim, k = in.k, rows = in.rows, width = k + rows;
  const Lanes zero = {};
  // Missing neurons of the last task: w = 0, so h = 0 (off) and their sums are 0, unused.
  for (int d = 0; d < dim; ++d)
    for (int jj = 0; jj < J; ++jj) sc.w[d * J + jj] = zero + (jj < cj ? w1[static_cast<size_t>(jj) * dim + d] : 0.0);
  double* relu = sc.relu.data();
  std::int64_t* pattern = sc.pattern.data();
  // h = w_j . x_a, the J neurons interleaved; relu(h) and the patterns.
  for (size_t a = 0; a < np; a += L) {
    Lanes h[J];
    for (int jj = 0; jj < J; ++jj) h[jj] = zero;
    for (int d = 0; d < dim; ++d) {
      const Lanes xd = load(in.xt + d * np + a);
      for (int jj = 0; jj < J; ++jj) h[jj] += sc.w[d * J + jj] * xd;
    }
    const size_t bit = a / groups, g = a - bit * groups;
    for (int jj = 0; jj < J; ++jj) {
      const Mask on = h[jj] > zero;
      store(relu + jj * np + a, (Lanes)((Mask)h[jj] & on));
      MaskU& p = *reinterpret_cast<MaskU*>(pattern + jj * groups + g);
      p = (bit == 0 ? MaskU{} : p) | (MaskU)(on & (1LL << bit));
    }
  }
  for (int c = 0; c < k; ++c) {
    const double* v = in.v + c * np;
    Lanes acc[J];
    for (int jj = 0; jj < J; ++jj) acc[jj] = zero;
    for (size_t a = 0; a < np; a += L) {
      const Lanes va = load(v + a);
      for (int jj = 0; jj < J; ++jj) acc[jj] += load(relu + jj * np + a) * va;
    }
    for (int jj = 0; jj < J; ++jj) {
      double s = 0;
      for (int l = 0; l < L; ++l) s += acc[jj][l];
      sums[jj * width + c] = s;
    }
  }
  // s2: one table entry per group, R rows at a time, in group order.
  for (int r0 = 0; r0 < rows; r0 += R)
    for (int jj = 0; jj < J; jj += 2) {
      const std::int64_t* p0 = pattern + jj * groups;
      const std::int64_t* p1 = p0 + groups;
      Lanes acc0[R / L], acc1[R / L];
      for (int i = 0; i < R / L; ++i) acc0[i] = acc1[i] = zero;
      for (size_t g = 0; g < groups; ++g) {
        const double* t = in.table + g * 16 * rows + r0;
        const double* e0 = t + p0[g] * rows;
        const double* e1 = t + p1[g] * rows;
        for (int i = 0; i < R / L; ++i) {
          acc0[i] += load(e0 + i * L);
          acc1[i] += load(e1 + i * L);
        }
      }
      for (int i = 0; i < R / L; ++i) {
        store(sums + jj * width + k + r0 + i * L, acc0[i]);
        store(sums + (jj + 1) * width + k + r0 + i * L, acc1[i]);
      }
    }
}

}  // namespace

void empiricalNtkQuadratics(const double* w1, const double* w2, int m, int dim, const double* x, int n, const double* vs,
                            int k, int threads, double* out) {
  constexpr int L = kQuadLanes, J = kQuadNeurons, R = kQuadRows;
  static_assert(J % 2 == 0 && R % L == 0, "neurons in pairs, rows in whole vectors");
  // 4 G points, G a multiple of L: the loops over points and over groups run in whole vectors.
  const size_t groups = (static_cast<size_t>(n) + 4 * L - 1) / (4 * L) * L, np = 4 * groups;
  const int rows = (k * dim + R - 1) / R * R, width = k + rows;
  // Contiguous over points, so the loops over a vectorize: x transposed and v_c.
  std::vector<double> xt(static_cast<size_t>(dim) * np, 0.0), v(static_cast<size_t>(k) * np, 0.0);
  for (int a = 0; a < n; ++a)
    for (int d = 0; d < dim; ++d) xt[d * np + a] = x[static_cast<size_t>(a) * dim + d];
  for (int c = 0; c < k; ++c)
    for (int a = 0; a < n; ++a) v[c * np + a] = vs[static_cast<size_t>(c) * n + a];
  // The gated sums s2_(c dim + d) = sum_a 1(h_a > 0) v_ca x_ad by table (the "four Russians"):
  // for each group of 4 points and each of the 16 on/off patterns of its points, the sums of
  // v_ca x_ad over the points on (in point order). A neuron's s2 is then one table entry per
  // group: a quarter of the adds of summing point by point, and no multiplies.
  // Entries of whole cache lines: R = 8 rows from a 64-byte boundary.
  std::vector<double> tableStore(groups * 16 * rows + 8, 0.0);
  double* table = tableStore.data() + (8 - reinterpret_cast<uintptr_t>(tableStore.data()) / 8 % 8) % 8;
  for (size_t g = 0; g < groups; ++g) {
    double* t = table + g * 16 * rows;
    for (int p = 1; p < 16; ++p) {
      const int top = p >= 8 ? 3 : p >= 4 ? 2 : p >= 2 ? 1 : 0;
      const size_t a = g + top * groups;
      const double* rest = t + (p ^ (1 << top)) * rows;
      for (int c = 0; c < k; ++c)
        for (int d = 0; d < dim; ++d) {
          const int r = c * dim + d;
          t[p * rows + r] = rest[r] + (a < static_cast<size_t>(n) ? v[c * np + a] * x[a * dim + d] : 0.0);
        }
    }
  }
  const QuadInputs in{dim, k, np, groups, rows, xt.data(), v.data(), table};
  const int tasks = (m + J - 1) / J;
  ThreadPool pool(std::max(1, std::min(threads, tasks)));
  std::vector<QuadScratch> scratch(pool.threads());
  for (QuadScratch& sc : scratch) {
    sc.w.resize(static_cast<size_t>(dim) * J);
    sc.relu.resize(J * np);
    sc.pattern.resize(J * groups);
  }
  std::vector<double> sums(static_cast<size_t>(tasks) * J * width);
  pool.run(tasks, [&](int task, int thread) {
    const int j0 = task * J;
    quadraticsTask(in, w1 + static_cast<size_t>(j0) * dim, std::min(J, m - j0), scratch[thread],
                   sums.data() + static_cast<size_t>(j0) * width);
  });
  // Per neuron s1_c^2 + sum_d (W2_j s2_cd)^2, the neurons in index order: the same bits for any thread count.
  for (int c = 0; c < k; ++c) out[c] = 0;
  for (int j = 0; j < m; ++j) {
    const double* s = sums.data() + static_cast<size_t>(j) * width;
    for (int c = 0; c < k; ++c) {
      double q = s[c] * s[c];
      for (int d = 0; d < dim; ++d) {
        const double t = w2[j] * s[k + c * dim + d];
        q += t * t;
      }
      out[c] += q;
    }
  }
}

}  // namespace specbias
