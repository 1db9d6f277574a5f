/**
 * The analytic NTK Gram matrices of a member of the model family (`ntk-family.ts`) on points of
 * the unit sphere: K_ij = kappa(<x_i, x_j>) on one sample, the cross block between two, and the
 * quadratic forms vᵀ K v without K. The paper's network (isPaperModel) goes to `ntk.ts` and
 * `kernel-regime.ts` unchanged, so its Grams keep their bits.
 *
 *   const k = familyGram(model, x, n, dim);                 // n x n, diagonal kappa(1)
 *   const kx = familyCross(model, xTest, nTest, x, n, dim); // nTest x n
 *
 * kappa per pair comes from `familyKernelFunction`: the closed-form recursion for relu and erf,
 * the Chebyshev interpolant for tanh and gelu (docs/science.md, "The model family").
 */
import { kernelCross, ntkCross } from './kernel-regime.js';
import { familyKernelAtOne, familyKernelFunction, isPaperModel, type ModelFamily } from './ntk-family.js';
import { kernelGram, kernelQuadratics, ntkGram, ntkQuadratics } from './ntk.js';

/**
 * K_ij = kappa(<x_i, x_j>), n x n row-major, not divided by n. As in `ntkGram` the diagonal is
 * kappa(1) exactly: the rounded <x_i, x_i> = 1 - 1e-16 would cost relu's sqrt(1 - t) ~1e-8 there.
 */
export function familyGram(model: ModelFamily, x: Float64Array, n: number, dim: number): Float64Array {
  if (isPaperModel(model)) return ntkGram(x, n, dim);
  return kernelGram(familyKernelFunction(model), familyKernelAtOne(model), x, n, dim, 'familyGram');
}

/** kappa(<a_i, b_j>), nA x nB row-major, as `ntkCross` (no diagonal is special-cased). */
export function familyCross(model: ModelFamily, xA: Float64Array, nA: number, xB: Float64Array, nB: number, dim: number): Float64Array {
  if (isPaperModel(model)) return ntkCross(xA, nA, xB, nB, dim);
  return kernelCross(familyKernelFunction(model), xA, nA, xB, nB, dim, 'familyCross');
}

/** vᵀ K v for each v of `vs` without forming K, as `ntkQuadratics`: O(n^2 (dim + |vs|)) time, O(n) memory. */
export function familyQuadratics(model: ModelFamily, x: Float64Array, n: number, dim: number, vs: Float64Array[]): number[] {
  if (isPaperModel(model)) return ntkQuadratics(x, n, dim, vs);
  return kernelQuadratics(familyKernelFunction(model), familyKernelAtOne(model), x, n, dim, vs, 'familyQuadratics');
}
