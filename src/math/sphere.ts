/**
 * Points on the unit sphere S^(dim-1) in R^dim, the input domain of the paper's network.
 *
 * A standard Gaussian vector divided by its norm is uniform on the sphere (rotation invariance),
 * so sampling needs nothing beyond {@link Prng.normal}.
 *
 *   const rng = new Prng(0, 'sample/train');
 *   const x = sampleSphere(rng, 1000, 10);  // row-major 1000 x 10, each row of norm 1
 *   const zeta = randomUnitVector(rng, 10);
 *   dot(x, 3 * 10, zeta, 0, 10);            // <x_3, zeta>
 */
import type { Prng } from './prng.js';

/**
 * `count` points uniform on S^(dim-1), row-major count x dim. Consumes exactly dim normals per
 * point from `rng` (plus a redraw in the measure-zero case of a zero vector), so a seed fixes the
 * sample. See {@link randomUnitVector} for one point.
 */
export function sampleSphere(rng: Prng, count: number, dim: number): Float64Array {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be an integer >= 0, got ${count}`);
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be an integer >= 1, got ${dim}`);
  const x = new Float64Array(count * dim);
  for (let i = 0; i < count; i++) {
    const o = i * dim;
    let norm2 = 0;
    while (norm2 === 0) {
      norm2 = 0;
      for (let d = 0; d < dim; d++) {
        const z = rng.normal();
        x[o + d] = z;
        norm2 += z * z;
      }
    }
    const inv = 1 / Math.sqrt(norm2);
    for (let d = 0; d < dim; d++) x[o + d]! *= inv;
  }
  return x;
}

/** One point uniform on S^(dim-1); the single-row case of {@link sampleSphere}. */
export function randomUnitVector(rng: Prng, dim: number): Float64Array {
  return sampleSphere(rng, 1, dim);
}

/** <a[aOffset .. aOffset+dim), b[bOffset .. bOffset+dim)>, for rows of row-major matrices. */
export function dot(a: Float64Array, aOffset: number, b: Float64Array, bOffset: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += a[aOffset + d]! * b[bOffset + d]!;
  return s;
}
