/**
 * The paper's synthetic targets: sums of zonal harmonics f*(x) = sum_c a_c P_{k_c}(<zeta_c, x>).
 *
 * Each term lies in the degree-k_c harmonic space, i.e. in one NTK eigenspace, which is what makes
 * the per-degree convergence of the residual measurable. The paper uses degrees {1, 2, 4} with
 * a = (1, 1, 1) or (1, 3, 5) and each zeta_c a random unit vector.
 *
 *   const zetas = [1, 2, 4].map(() => randomUnitVector(rng, 10));
 *   const { y, parts } = harmonicsTarget(x, n, 10, [
 *     { degree: 1, amplitude: 1 }, { degree: 2, amplitude: 3 }, { degree: 4, amplitude: 5 },
 *   ], zetas);
 *   // parts[c] is the unscaled vector (P_{k_c}(<zeta_c, x_i>))_i; normalized, it is v_k of docs/science.md.
 *
 * Paper: Cao et al., "Towards Understanding the Spectral Bias of Deep Learning", IJCAI 2021,
 * https://arxiv.org/abs/1912.01198 (Section 5).
 */
import { gegenbauer } from './gegenbauer.js';
import type { Prng } from './prng.js';
import { dot, randomUnitVector } from './sphere.js';
import { cosineTarget, evenPolyTarget, zonalDegreeCoefficients, zonalDegreeParts } from './target-functions.js';

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
    const zeta = zetas[c]!;
    if (zeta.length !== dim) throw new RangeError(`harmonicsTarget: zeta ${c} has length ${zeta.length}, expected ${dim}`);
    const part = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      // Rounding can push <zeta, x_i> a hair past +-1; P_k is a polynomial, so that is harmless.
      part[i] = gegenbauer(dim, comp.degree, dot(zeta, 0, x, i * dim, dim));
      y[i]! += comp.amplitude * part[i]!;
    }
    return part;
  });
  return { y, parts };
}

// ---- Every target kind of the spec -----------------------------------------------------------

/** The spec's target (docs/spec.md): harmonics, cosine or even-poly, each zonal around its zeta. */
export type TargetDefinition =
  | { kind: 'harmonics'; components: { degree: number; amplitude: number; zeta?: number[] }[] }
  | { kind: 'cosine'; omega: number; zeta?: number[] }
  | { kind: 'even-poly'; coefficients: number[]; zeta?: number[] }
  | { kind: 'column'; name: string };

export interface EvaluatedTarget {
  y: Float64Array;
  /** The degrees with a component; parts[j] is the degree-degrees[j] part of y on the points. */
  degrees: number[];
  parts: Float64Array[];
}

/**
 * The target's directions: one per harmonic component, or one for cosine and even-poly. A zeta
 * given in the spec is normalized; otherwise it is random from `rng`, which is drawn from the
 * same number of times either way, so giving one zeta does not move the others.
 */
export function targetDirections(target: TargetDefinition, dim: number, rng: Prng): Float64Array[] {
  if (target.kind === 'column') return [];
  const given = target.kind === 'harmonics' ? target.components.map((c) => c.zeta) : [target.zeta];
  return given.map((z) => {
    const random = randomUnitVector(rng, dim);
    if (!z) return random;
    const norm = Math.hypot(...z);
    return Float64Array.from(z, (v) => v / norm);
  });
}

/** Below this fraction of the largest |c_k|, a zonal coefficient counts as absent (odd k of even g). */
const ABSENT_DEGREE = 1e-10;

/**
 * Evaluate a target on n points and split it into degree parts. Harmonic targets are their
 * parts; cosine and even-poly are expanded in Gegenbauer polynomials up to `maxDegree`
 * ({@link zonalDegreeCoefficients}), and y is the exact function, not the truncated sum.
 */
export function evaluateTarget(
  target: TargetDefinition,
  x: Float64Array,
  n: number,
  dim: number,
  zetas: Float64Array[],
  maxDegree: number,
): EvaluatedTarget {
  if (target.kind === 'harmonics') {
    const { y, parts } = harmonicsTarget(x, n, dim, target.components, zetas);
    return { y, degrees: target.components.map((c) => c.degree), parts };
  }
  if (target.kind === 'column') throw new RangeError(`a column target is read from the data file, not evaluated: ${target.name}`);
  const zeta = zetas[0]!;
  const g = target.kind === 'cosine' ? (t: number) => Math.cos(target.omega * t) : (t: number) => evenPoly(target.coefficients, t);
  const y = target.kind === 'cosine' ? cosineTarget(x, n, dim, zeta, target.omega) : evenPolyTarget(x, n, dim, zeta, target.coefficients);
  const coefficients = zonalDegreeCoefficients(g, dim, maxDegree);
  const largest = Math.max(...Array.from(coefficients, Math.abs));
  const all = zonalDegreeParts(x, n, dim, zeta, coefficients);
  const degrees = [...coefficients.keys()].filter((k) => Math.abs(coefficients[k]!) > ABSENT_DEGREE * largest);
  return { y, degrees, parts: degrees.map((k) => all[k]!) };
}

function evenPoly(coefficients: number[], t: number): number {
  let s = 0;
  for (let j = coefficients.length - 1; j >= 0; j--) s = s * t * t + coefficients[j]!;
  return s;
}
