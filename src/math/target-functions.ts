/**
 * Zonal targets with every frequency present (the paper's Fig. 3): f*(x) = g(<zeta, x>) for
 * g(t) = cos(omega t) or an even polynomial, and the per-degree split of such a target.
 *
 * A zonal function expands as g(<zeta, x>) = sum_k c_k P_k(<zeta, x>) (Funk–Hecke), and the term
 * c_k P_k(<zeta, x>) lies in the degree-k harmonic space, i.e. in one NTK eigenspace. Recording
 * these terms per degree makes the per-degree convergence measurable as for `harmonicsTarget`.
 *
 *   const zeta = randomUnitVector(rng, 10);
 *   const y = cosineTarget(x, n, 10, zeta, 3);                       // cos(3 <zeta, x_i>)
 *   const c = zonalDegreeCoefficients((t) => Math.cos(3 * t), 10, 30);
 *   const parts = zonalDegreeParts(x, n, 10, zeta, c);               // parts[k][i] = c_k P_k(<zeta, x_i>)
 *
 * Paper: Cao et al., "Towards Understanding the Spectral Bias of Deep Learning", IJCAI 2021,
 * https://arxiv.org/abs/1912.01198 (Section 5, Fig. 3).
 */
import { gegenbauerAll, multiplicity } from './gegenbauer.js';
import { sphereAreaRatio } from './ntk.js';
import { gaussLegendre } from './quadrature.js';
import { dot } from './sphere.js';

/** cos(omega <zeta, x_i>) for n points x (row-major n x dim). */
export function cosineTarget(x: Float64Array, n: number, dim: number, zeta: Float64Array, omega: number): Float64Array {
  checkPoints('cosineTarget', x, n, dim, zeta);
  if (!Number.isFinite(omega)) throw new RangeError(`cosineTarget: omega must be finite, got ${omega}`);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = Math.cos(omega * dot(zeta, 0, x, i * dim, dim));
  return y;
}

/**
 * sum_j coefficients[j] <zeta, x_i>^(2j) for n points x (row-major n x dim): coefficients[j]
 * multiplies t^(2j), so [1, 0, 2] is 1 + 2 t^4. Only even degrees, so every odd-degree
 * coefficient of the expansion is 0 (and the NTK's missing odd eigenvalues do not matter).
 */
export function evenPolyTarget(x: Float64Array, n: number, dim: number, zeta: Float64Array, coefficients: number[]): Float64Array {
  checkPoints('evenPolyTarget', x, n, dim, zeta);
  if (coefficients.length === 0 || !coefficients.every(Number.isFinite)) {
    throw new RangeError(`evenPolyTarget: coefficients must be a non-empty list of finite numbers, got [${coefficients.join(', ')}]`);
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = dot(zeta, 0, x, i * dim, dim);
    const t2 = t * t;
    // Horner in t^2.
    let s = 0;
    for (let j = coefficients.length - 1; j >= 0; j--) s = s * t2 + coefficients[j]!;
    y[i] = s;
  }
  return y;
}

/**
 * The coefficients c_0 .. c_maxDegree of the zonal expansion g(<zeta, x>) = sum_k c_k P_k(<zeta, x>)
 * on S^(dim-1), P_k normalized so that P_k(1) = 1 (see `gegenbauer`).
 *
 * Normalization: under x uniform on the sphere, E[P_j(<zeta,x>) P_k(<zeta,x>)] = delta_jk / N(D,k),
 * and <zeta, x> has density (omega_{D-2}/omega_{D-1}) (1 - t^2)^((D-3)/2) on [-1, 1], so
 *   c_k = N(D,k) (omega_{D-2}/omega_{D-1}) int_{-1}^{1} g(t) P_k(t) (1 - t^2)^((D-3)/2) dt.
 * Then c_k P_k(<zeta, x>) is the degree-k part of the target, with mean square c_k^2 / N(D,k).
 * (For g = kappa this gives c_k = N(D,k) mu_k, the Mercer expansion of `ntk.ts`.)
 *
 * Computed by Gauss–Legendre quadrature in theta (t = cos theta), where the integrand
 * g(cos theta) P_k(cos theta) sin^(D-2) theta has no endpoint singularity. The order starts at
 * 2 maxDegree + dim + 64 and doubles until every c_k agrees with the previous order to 1e-12 of
 * its rounding scale N(D,k) (omega ratio) int |g P_k| (1-t^2)^((D-3)/2) dt, up to order 8192.
 * For g analytic on [-1, 1] (cos, even polynomials, kappa in theta) this converges geometrically
 * and the result sits at the rounding level; for g with a kink it returns the last order's value.
 */
export function zonalDegreeCoefficients(g: (t: number) => number, dim: number, maxDegree: number): Float64Array {
  if (!Number.isInteger(dim) || dim < 2) throw new RangeError(`dim must be an integer >= 2, got ${dim}`);
  if (!Number.isInteger(maxDegree) || maxDegree < 0) throw new RangeError(`maxDegree must be an integer >= 0, got ${maxDegree}`);
  let order = 2 * maxDegree + dim + 64;
  let prev = coefficientsByRule(g, dim, maxDegree, order);
  while (order < MAX_ORDER) {
    order *= 2;
    const next = coefficientsByRule(g, dim, maxDegree, order);
    let converged = true;
    for (let k = 0; k <= maxDegree; k++) {
      if (!(Math.abs(next.values[k]! - prev.values[k]!) <= 1e-12 * next.absValues[k]!)) converged = false;
    }
    prev = next;
    if (converged) break;
  }
  return prev.values;
}

/** The largest Gauss–Legendre order {@link zonalDegreeCoefficients} tries. */
const MAX_ORDER = 8192;

/**
 * c_k by one rule, and alongside the same sum over |terms|: the scale of its rounding error
 * (N(D,k) grows like k^(D-2), so a fixed tolerance relative to max |c_k| could never be met).
 */
function coefficientsByRule(
  g: (t: number) => number,
  dim: number,
  maxDegree: number,
  order: number,
): { values: Float64Array; absValues: Float64Array } {
  const { nodes, weights } = gaussLegendre(order);
  const half = Math.PI / 2; // theta = (pi/2)(1 + node) maps [-1, 1] onto [0, pi]
  const values = new Float64Array(maxDegree + 1);
  const absValues = new Float64Array(maxDegree + 1);
  const p = new Float64Array(maxDegree + 1);
  for (let i = 0; i < order; i++) {
    const theta = half * (1 + nodes[i]!);
    const t = Math.cos(theta);
    const w = weights[i]! * g(t) * Math.pow(Math.sin(theta), dim - 2);
    gegenbauerAll(dim, maxDegree, t, p);
    for (let k = 0; k <= maxDegree; k++) {
      values[k]! += w * p[k]!;
      absValues[k]! += Math.abs(w * p[k]!);
    }
  }
  const ratio = sphereAreaRatio(dim) * half;
  for (let k = 0; k <= maxDegree; k++) {
    const scale = multiplicity(dim, k) * ratio;
    values[k]! *= scale;
    absValues[k]! *= scale;
  }
  return { values, absValues };
}

/**
 * The per-degree parts of a zonal target: parts[k][i] = coefficients[k] P_k(<zeta, x_i>), for
 * k = 0 .. coefficients.length - 1 (coefficients from {@link zonalDegreeCoefficients}). Their sum
 * reconstructs g(<zeta, x_i>) up to the truncation at the last degree.
 */
export function zonalDegreeParts(x: Float64Array, n: number, dim: number, zeta: Float64Array, coefficients: Float64Array): Float64Array[] {
  checkPoints('zonalDegreeParts', x, n, dim, zeta);
  const maxDegree = coefficients.length - 1;
  if (maxDegree < 0) throw new RangeError('zonalDegreeParts: coefficients is empty');
  const parts = Array.from({ length: maxDegree + 1 }, () => new Float64Array(n));
  const p = new Float64Array(maxDegree + 1);
  for (let i = 0; i < n; i++) {
    gegenbauerAll(dim, maxDegree, dot(zeta, 0, x, i * dim, dim), p);
    for (let k = 0; k <= maxDegree; k++) parts[k]![i] = coefficients[k]! * p[k]!;
  }
  return parts;
}

function checkPoints(fn: string, x: Float64Array, n: number, dim: number, zeta: Float64Array): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${fn}: n must be an integer >= 0, got ${n}`);
  if (x.length < n * dim) throw new RangeError(`${fn}: x has length ${x.length}, need n*dim = ${n * dim}`);
  if (zeta.length !== dim) throw new RangeError(`${fn}: zeta has length ${zeta.length}, expected ${dim}`);
}
