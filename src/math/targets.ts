/**
 * The paper's synthetic targets: sums of zonal harmonics f*(x) = sum_c a_c P_{k_c}(<zeta_c, x>).
 *
 * Each term lies in the degree-k_c harmonic space, i.e. in one NTK eigenspace, which is what makes
 * the per-degree convergence of the residual measurable. PAPER.md uses degrees {1, 2, 4} with
 * a = (1, 1, 1) or (1, 3, 5) and each zeta_c a random unit vector.
 *
 *   const zetas = [1, 2, 4].map(() => randomUnitVector(rng, 10));
 *   const { y, parts } = harmonicsTarget(x, n, 10, [
 *     { degree: 1, amplitude: 1 }, { degree: 2, amplitude: 3 }, { degree: 4, amplitude: 5 },
 *   ], zetas);
 *   // parts[c] is the unscaled vector (P_{k_c}(<zeta_c, x_i>))_i; normalized, it is v_k of PAPER.md.
 *
 * Paper: Cao et al., "Towards Understanding the Spectral Bias of Deep Learning", IJCAI 2021,
 * https://arxiv.org/abs/1912.01198 (Section 5).
 */
import { gegenbauer } from './gegenbauer.js';
import { dot } from './sphere.js';

export interface HarmonicComponent {
  degree: number;
  amplitude: number;
}

/**
 * Evaluate the target on n points x (row-major n x dim, on S^(dim-1)).
 * parts[c][i] = P_{k_c}(<zeta_c, x_i>) (unscaled), y = sum_c amplitude_c parts[c].
 * `zetas[c]` is the direction of component c (length dim, unit norm).
 */
export function harmonicsTarget(
  x: Float64Array,
  n: number,
  dim: number,
  components: HarmonicComponent[],
  zetas: Float64Array[],
): { y: Float64Array; parts: Float64Array[] } {
  if (zetas.length !== components.length) {
    throw new RangeError(`harmonicsTarget: ${components.length} components but ${zetas.length} zetas`);
  }
  if (x.length < n * dim) throw new RangeError(`harmonicsTarget: x has length ${x.length}, need n*dim = ${n * dim}`);
  const y = new Float64Array(n);
  const parts = components.map((comp, c) => {
    const zeta = zetas[c];
    if (zeta.length !== dim) throw new RangeError(`harmonicsTarget: zeta ${c} has length ${zeta.length}, expected ${dim}`);
    const part = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      // Rounding can push <zeta, x_i> a hair past +-1; P_k is a polynomial, so that is harmless.
      part[i] = gegenbauer(dim, comp.degree, dot(zeta, 0, x, i * dim, dim));
      y[i] += comp.amplitude * part[i];
    }
    return part;
  });
  return { y, parts };
}
