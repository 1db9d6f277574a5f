// The empirical NTK Gram of the paper's two-layer ReLU network at given weights (both layers),
// the finite-width kernel that the network trained by GD follows near its initialization.
#pragma once

namespace specbias {

/**
 * out[a * nb + b] = sum_j relu(w_j . xa_a) relu(w_j . xb_b)
 *                 + <xa_a, xb_b> sum_j W2_j^2 1(w_j . xa_a > 0) 1(w_j . xb_b > 0),
 * i.e. (1/m) <grad f(xa_a), grad f(xb_b)> for f = sqrt(m) W2 relu(W1 x), the same formula and
 * summation order as empiricalNtk in src/math/empirical-ntk.ts. w1 is m x dim row-major, w2 has m
 * entries, xa / xb are na x dim / nb x dim. When xa == xb and na == nb only the upper triangle is
 * computed and mirrored. Rows of the output are split over `threads` threads; each entry is
 * summed by one thread in a fixed order, so the result does not depend on the thread count.
 */
void empiricalNtkGram(const double* w1, const double* w2, int m, int dim, const double* xa, int na, const double* xb,
                      int nb, int threads, double* out);

/**
 * The same kernel by float32 BLAS products, for the finite-width twin: out (rows x p, row-major)
 * holds the kernel between each of the `rows` points of x and its first p points (the training
 * points; the rest are test points). Per chunk of neurons the features act and gate are rounded
 * to float32; ssyrk gives the p x p block, sgemm the rest; each chunk's sums (at most `chunk`
 * non-negative terms) are added into float64. So entries are within about 1e-6 relative of the
 * float64 sum (docs/performance.md), at a third of the float64 cost. Needs LAPACK (BLAS).
 * out must be zero on entry.
 */
void empiricalNtkProductsF32(const double* w1, const double* w2, int m, int dim, const double* x, int rows, int p,
                             double* out);

/**
 * vᵀ Θ v for each of the k vectors v_c (vs, k x n row-major) and the kernel above on the n points
 * x, without forming Θ or the n x m features: per neuron j, with h_a = w_j . x_a,
 *   s1_c = sum_a relu(h_a) v_ca,   s2_cd = sum_a 1(h_a > 0) v_ca x_ad,
 *   out[c] = sum_j (s1_c^2 + sum_d (W2_j s2_cd)^2),
 * as empiricalNtkQuadratics in src/math/empirical-ntk.ts (float64, to rounding). Neurons are split
 * over `threads` threads; each neuron's terms are summed in a fixed order and the neurons in
 * index order, so the result does not depend on the thread count.
 */
void empiricalNtkQuadratics(const double* w1, const double* w2, int m, int dim, const double* x, int n, const double* vs,
                            int k, int threads, double* out);

}  // namespace specbias
