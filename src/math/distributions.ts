/**
 * Input distributions on the unit sphere S^(D-1): the uniform measure of the paper's main
 * experiments and the three non-uniform ones of its Figs. 4-6 (piecewise-uniform, a non-isotropic
 * Gaussian and a Gaussian mixture, each normalized onto the sphere).
 *
 * The paper does not give its parameters; {@link DISTRIBUTION_DEFAULTS} holds ours, chosen so that
 * the departure from uniform is plainly visible at D = 10.
 *
 *   const rng = new Prng(seed, 'sample/train');
 *   const dist = DISTRIBUTION_DEFAULTS['piecewise-uniform'](10);
 *   const x = sampleDistribution(rng, dist, 1000, 10);   // row-major 1000 x 10, unit rows
 *   sampleDistribution(rng, { kind: 'uniform' }, n, 10); // same numbers as sampleSphere(rng, n, 10)
 *
 * Pure: randomness comes only from the Prng argument, and a seed fixes the sample bit for bit.
 * Parameters are validated by the spec schema (src/spec/schema.ts), not here.
 *
 * Paper: Cao et al., "Towards Understanding the Spectral Bias of Deep Learning", IJCAI 2021,
 * https://arxiv.org/abs/1912.01198 (Section 5, Figs. 4-6).
 */
import type { Prng } from './prng.js';
import { sampleSphere } from './sphere.js';
import { sphereAreaRatio } from './ntk.js';
import { gaussLegendre } from './quadrature.js';

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/** The uniform probability measure on S^(D-1). */
export interface UniformDistribution {
  kind: 'uniform';
}

/**
 * Uniform within each of two regions, with chosen masses: region A = {x : <u, x> >= threshold}
 * gets probability weights[0] / (weights[0] + weights[1]), region B (the rest) the remainder.
 * u = direction / ||direction||, or e_1 when direction is absent.
 */
export interface PiecewiseUniformDistribution {
  kind: 'piecewise-uniform';
  direction?: number[];
  threshold: number;
  weights: [number, number];
}

/** x = z / ||z|| with z ~ N(0, diag(scales^2)); scales.length must equal D. */
export interface AnisotropicGaussianDistribution {
  kind: 'anisotropic-gaussian';
  scales: number[];
}

/** One component of a {@link GaussianMixtureDistribution}: z ~ N(mean, scale^2 I). */
export interface MixtureComponent {
  weight: number;
  mean: number[];
  scale: number;
}

/** x = z / ||z|| with z drawn from component c with probability weight_c / sum of weights. */
export interface GaussianMixtureDistribution {
  kind: 'gaussian-mixture';
  components: MixtureComponent[];
}

/**
 * Rows of a data file (Parquet, CSV or Arrow IPC), mapped onto the sphere by the spec's
 * `data.normalize`. Not sampled here: src/store/data-file.ts reads it and src/pipeline/samples.ts
 * shuffles and normalizes it.
 */
export interface FileDistribution {
  kind: 'file';
  path: string;
  columns: string[];
}

export type Distribution =
  UniformDistribution | PiecewiseUniformDistribution | AnisotropicGaussianDistribution | GaussianMixtureDistribution | FileDistribution;

export type DistributionKind = Distribution['kind'];

/** The kinds that are sampled (all but `file`, which is read). */
export type SampledDistributionKind = Exclude<DistributionKind, 'file'>;

export const DISTRIBUTION_KINDS: readonly SampledDistributionKind[] = [
  'uniform',
  'piecewise-uniform',
  'anisotropic-gaussian',
  'gaussian-mixture',
];

/** Sampling that cannot go on (a region too small for rejection sampling); `parameter` names the cause, e.g. `piecewise-uniform.threshold`. */
export class DistributionError extends Error {
  override readonly name = 'DistributionError';

  constructor(
    /** Dotted name of the offending parameter: `<kind>.<field>`. */
    readonly parameter: string,
    /** What is wrong with it, as the rest of a sentence that starts with the parameter's name. */
    readonly detail: string,
  ) {
    super(`${parameter} ${detail}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Defaults
// ---------------------------------------------------------------------------------------------

/**
 * Our parameters for the paper's non-uniform experiments, as functions of D (the paper's are not
 * known). Each is chosen so that the sample is visibly non-uniform at D = 10:
 *
 * - `piecewise-uniform`: threshold 0 along e_1 (a hemisphere split), weights [0.8, 0.2]. The
 *   density is 4x higher on one hemisphere than the other; both regions have half the sphere's
 *   area, so rejection sampling costs 2 draws per point on average.
 * - `anisotropic-gaussian`: scales geometric from 2 down to 0.5 (s_d = 2 * 4^(-d/(D-1))). The
 *   variance ratio between the first and last axis is 16; at D = 10, E[x_1^2] = 0.236 and
 *   E[x_10^2] = 0.023, against 1/D = 0.1 for every axis under uniform.
 * - `gaussian-mixture`: two components at +-2 e_1 with weights [0.5, 0.5] and scale sqrt(2.5/D)
 *   (0.5 at D = 10). The noise has E||noise||^2 = 2.5 at every D, so the points sit in two caps
 *   around +-e_1 with E<x, e_1>^2 ~ 0.64 at D = 10 (0.62-0.70 at any D; uniform: 1/D). A
 *   fixed scale would drown the means in noise as D grows.
 */
export const DISTRIBUTION_DEFAULTS: {
  readonly uniform: (dim: number) => UniformDistribution;
  readonly 'piecewise-uniform': (dim: number) => PiecewiseUniformDistribution;
  readonly 'anisotropic-gaussian': (dim: number) => AnisotropicGaussianDistribution;
  readonly 'gaussian-mixture': (dim: number) => GaussianMixtureDistribution;
  readonly file: (dim: number) => Partial<FileDistribution>;
} = {
  file: () => ({ kind: 'file' }),
  uniform: () => ({ kind: 'uniform' }),
  'piecewise-uniform': () => ({ kind: 'piecewise-uniform', threshold: 0, weights: [0.8, 0.2] }),
  'anisotropic-gaussian': (dim) => ({
    kind: 'anisotropic-gaussian',
    scales: Array.from({ length: dim }, (_, d) => (dim === 1 ? 2 : 2 * Math.pow(0.25, d / (dim - 1)))),
  }),
  'gaussian-mixture': (dim) => {
    const mean = (sign: number) => Array.from({ length: dim }, (_, d) => (d === 0 ? 2 * sign : 0));
    const scale = Math.sqrt(2.5 / dim);
    return {
      kind: 'gaussian-mixture',
      components: [
        { weight: 0.5, mean: mean(1), scale },
        { weight: 0.5, mean: mean(-1), scale },
      ],
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

/**
 * A region of a piecewise-uniform distribution that carries weight must cover at least this
 * fraction of the sphere: rejection sampling draws ~1 / fraction uniform points per sample.
 * The spec schema (src/spec/schema.ts), which validates every distribution parameter, refuses
 * smaller regions up front.
 */
export const MIN_REGION_FRACTION = 1e-4;

/** Rejection sampling gives up on a point after this many draws (never reached above MIN_REGION_FRACTION). */
export const MAX_REJECTION_ATTEMPTS = 1_000_000;

// ---------------------------------------------------------------------------------------------
// Sampling
// ---------------------------------------------------------------------------------------------

/**
 * `count` points from `dist` on S^(dim-1), row-major count x dim, each row of unit norm.
 * `dist` is taken as valid for `dim` (the spec schema checks every parameter).
 *
 * Stream use, per point (a seed fixes the sample):
 * - uniform: exactly {@link sampleSphere}(rng, count, dim), so uniform runs keep their samples.
 * - piecewise-uniform: one `uniform()` picks the region by the weights, then uniform points
 *   (dim normals each, as sampleSphere) are drawn until one lands in that region. Cost: on
 *   average 1 / |region| draws, |region| the region's share of the sphere's area (2 for the
 *   default hemispheres; at least 1 / MIN_REGION_FRACTION is refused up front).
 * - anisotropic-gaussian: dim normals, z_d = scales[d] * normal.
 * - gaussian-mixture: one `uniform()` picks the component, then dim normals.
 * A z that is exactly 0 (measure zero) is redrawn.
 */
export function sampleDistribution(rng: Prng, dist: Distribution, count: number, dim: number): Float64Array {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be an integer >= 0, got ${count}`);
  switch (dist.kind) {
    case 'uniform':
      return sampleSphere(rng, count, dim);
    case 'piecewise-uniform':
      return samplePiecewiseUniform(rng, dist, count, dim);
    case 'anisotropic-gaussian':
      return sampleAnisotropic(rng, dist.scales, count, dim);
    case 'gaussian-mixture':
      return sampleMixture(rng, dist.components, count, dim);
    case 'file':
      throw new RangeError(`file data is read, not sampled (src/pipeline/samples.ts): ${dist.path}`);
  }
}

function samplePiecewiseUniform(rng: Prng, dist: PiecewiseUniformDistribution, count: number, dim: number): Float64Array {
  const u = new Float64Array(dim);
  if (dist.direction) {
    const inv = 1 / norm(dist.direction);
    for (let d = 0; d < dim; d++) u[d] = dist.direction[d]! * inv;
  } else {
    u[0] = 1;
  }
  const [wA, wB] = dist.weights;
  const pA = wA / (wA + wB);
  const h = dist.threshold;
  const x = new Float64Array(count * dim);
  const row = new Float64Array(dim);
  for (let i = 0; i < count; i++) {
    // uniform() < 1 always and < 0 never, so a zero weight never picks its region.
    const inA = rng.uniform() < pA;
    let attempts = 0;
    for (;;) {
      if (++attempts > MAX_REJECTION_ATTEMPTS) {
        throw new DistributionError(
          'piecewise-uniform.threshold',
          `left no point in region ${inA ? 'A' : 'B'} after ${MAX_REJECTION_ATTEMPTS} uniform draws; the region is too small to sample by rejection`,
        );
      }
      unitGaussianRow(rng, row, dim);
      let t = 0;
      for (let d = 0; d < dim; d++) t += u[d]! * row[d]!;
      if (t >= h === inA) break;
    }
    x.set(row, i * dim);
  }
  return x;
}

function sampleAnisotropic(rng: Prng, scales: number[], count: number, dim: number): Float64Array {
  const x = new Float64Array(count * dim);
  for (let i = 0; i < count; i++) {
    const o = i * dim;
    let norm2 = 0;
    while (norm2 === 0) {
      for (let d = 0; d < dim; d++) {
        const z = scales[d]! * rng.normal();
        x[o + d] = z;
        norm2 += z * z;
      }
    }
    normalizeRow(x, o, dim, norm2);
  }
  return x;
}

function sampleMixture(rng: Prng, components: MixtureComponent[], count: number, dim: number): Float64Array {
  const cumulative = new Float64Array(components.length);
  let total = 0;
  let lastPositive = 0;
  components.forEach((c, j) => {
    total += c.weight;
    cumulative[j] = total;
    if (c.weight > 0) lastPositive = j;
  });
  const x = new Float64Array(count * dim);
  for (let i = 0; i < count; i++) {
    const v = rng.uniform() * total;
    let j = 0;
    while (j < lastPositive && !(v < cumulative[j]!)) j++;
    const { mean, scale } = components[j]!;
    const o = i * dim;
    let norm2 = 0;
    while (norm2 === 0) {
      for (let d = 0; d < dim; d++) {
        const z = mean[d]! + scale * rng.normal();
        x[o + d] = z;
        norm2 += z * z;
      }
    }
    normalizeRow(x, o, dim, norm2);
  }
  return x;
}

/**
 * The share of the sphere's area in the cap {x : <u, x> >= threshold}, i.e. P(<u, x> >= h) for x
 * uniform on S^(dim-1):
 *   (omega_{D-2}/omega_{D-1}) int_0^{arccos h} sin^(D-2) theta d theta,
 * by Gauss–Legendre quadrature in theta (the integrand is entire). 1 for h <= -1, 0 for h >= 1.
 */
export function capFraction(dim: number, threshold: number): number {
  if (!Number.isInteger(dim) || dim < 2) throw new RangeError(`capFraction: dim must be an integer >= 2, got ${dim}`);
  if (threshold <= -1) return 1;
  if (threshold >= 1) return 0;
  const top = Math.acos(threshold);
  const { nodes, weights } = gaussLegendre(64 + dim);
  let s = 0;
  for (let i = 0; i < nodes.length; i++) s += weights[i]! * Math.pow(Math.sin((top / 2) * (1 + nodes[i]!)), dim - 2);
  return sphereAreaRatio(dim) * s * (top / 2);
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** One uniform point on the sphere into `row`, consuming the stream exactly as sampleSphere does. */
function unitGaussianRow(rng: Prng, row: Float64Array, dim: number): void {
  let norm2 = 0;
  while (norm2 === 0) {
    for (let d = 0; d < dim; d++) {
      const z = rng.normal();
      row[d] = z;
      norm2 += z * z;
    }
  }
  normalizeRow(row, 0, dim, norm2);
}

function normalizeRow(x: Float64Array, o: number, dim: number, norm2: number): void {
  const inv = 1 / Math.sqrt(norm2);
  for (let d = 0; d < dim; d++) x[o + d]! *= inv;
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}
