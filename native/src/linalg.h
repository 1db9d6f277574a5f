// The NTK Gram matrix and the symmetric eigensolver (LAPACK dsyevd when the build found it).
#pragma once

#include <string>
#include <vector>

namespace specbias {

/**
 * K_ij = kappa(<x_i, x_j>) for n unit rows of x (n x dim, row-major), with
 *   kappa(t) = [3 t (pi - arccos t) + 2 sqrt(1 - t^2)] / (2 pi),
 * t clamped to [-1, 1] and the diagonal exactly kappa(1) = 3/2. The same operations in the same
 * order as ntkGram in src/math/ntk.ts (this file is built with -ffp-contract=off).
 */
void ntkGram(const double* x, int n, int dim, double* k);

/**
 * The zonal kernel P_k(t) in place on an n x n row-major matrix of inner products t: each entry
 * above the diagonal becomes P_k (the Gegenbauer polynomial of S^(dim-1), P_k(1) = 1) and is
 * mirrored below; the diagonal becomes 1. The recurrence of gegenbauer in src/math/gegenbauer.ts,
 * operation for operation (no fused multiply-add), so the same bits. k >= 0, dim >= 2.
 */
void zonalFill(double* a, int n, int dim, int k);

/** True when the addon was linked against a LAPACK with dsyevd. */
bool haveLapack();

/**
 * Eigenvalues (descending) and optionally eigenvectors of the symmetric n x n matrix a (row-major;
 * only one triangle is read). vectors, when wanted, is row-major with column j the unit eigenvector
 * of values[j], the layout of symmetricEigen in src/math/eigen.ts. a is overwritten.
 * Returns "" on success, else an error message.
 */
std::string symmetricEigenLapack(std::vector<double>& a, int n, bool wantVectors, std::vector<double>& values,
                                 std::vector<double>& vectors);

/**
 * C = op(A) op(B), all row-major: op(A) is m x k (A stored k x m when transA), op(B) is k x n (B
 * stored n x k when transB), C is m x n. BLAS dgemm where the build linked one (threads from the
 * shared budget, blas.h), else plain loops.
 */
void matmul(const double* a, const double* b, double* c, int m, int k, int n, bool transA, bool transB);

}  // namespace specbias
