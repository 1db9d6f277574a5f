/**
 * The neural tangent kernel of the paper's two-layer ReLU network, its Mercer spectrum on the
 * sphere, and the learning rate each eigenvalue predicts.
 *
 * Conventions (docs/science.md): f_W(x) = sqrt(m) W2 relu(W1 x), x on S^(D-1), W1 ~ N(0, 2/m),
 * W2 ~ N(0, 1/m), y_hat = theta f_W(x), loss L = 1/(2n) sum_i (y_i - y_hat_i)^2, and the GD step
 * on the weights is eta = eta' / (m theta^2). Then <grad f(x), grad f(x')> / m -> kappa(<x, x'>).
 *
 *   kappa(1);                     // 1.5
 *   mu(10, 2);                    // 5.668884e-3
 *   ntkSpectrum(10, 8);           // degrees 0..8 with multiplicities, odd k >= 3 flagged
 *   theoryRate(mu(10, 1), 2);     // -ln(1 - 2 * 3/40) per step
 *   ntkGram(x, n, 10);            // n x n matrix kappa(<x_i, x_j>)
 *
 * Paper: Cao et al., "Towards Understanding the Spectral Bias of Deep Learning", IJCAI 2021,
 * https://arxiv.org/abs/1912.01198.
 */
import { gegenbauer, multiplicity } from './gegenbauer.js';
import { lgamma } from './gamma.js';
import { gaussLegendre } from './quadrature.js';

/**
 * The NTK as a function of t = <x, x'> for unit x, x':
 *   kappa(t) = [3 t (pi - arccos t) + 2 sqrt(1 - t^2)] / (2 pi),  kappa(1) = 3/2.
 * It is t kappa_0(t) / 2 + kappa_1(t) with kappa_0, kappa_1 the arc-cosine kernels of orders 0, 1.
 */
export function kappa(t: number): number {
  // Inner products of unit vectors computed in floating point can land just outside [-1, 1];
  // the kernel is only defined there, and arccos / sqrt would return NaN.
  const c = t > 1 ? 1 : t < -1 ? -1 : t;
  return (3 * c * (Math.PI - Math.acos(c)) + 2 * Math.sqrt((1 - c) * (1 + c))) / (2 * Math.PI);
}

/** kappa(cos theta), written through theta so that it is analytic in theta on [0, pi]. */
function kappaOfAngle(theta: number): number {
  return (3 * Math.cos(theta) * (Math.PI - theta) + 2 * Math.sin(theta)) / (2 * Math.PI);
}

/**
 * omega_{D-2} / omega_{D-1} = Gamma(D/2) / (sqrt(pi) Gamma((D-1)/2)), the normalizer that makes
 * (omega_{D-2}/omega_{D-1}) (1 - t^2)^((D-3)/2) dt the law of <x, e> for x uniform on S^(D-1).
 */
export function sphereAreaRatio(dim: number): number {
  return Math.exp(lgamma(dim / 2) - lgamma((dim - 1) / 2) - 0.5 * Math.log(Math.PI));
}

/**
 * The Mercer eigenvalue mu_k of kappa for the uniform measure on S^(D-1), so that
 * kappa(<x, x'>) = sum_k mu_k N(D, k) P_k(<x, x'>):
 *   mu_k = (omega_{D-2}/omega_{D-1}) int_{-1}^{1} kappa(t) P_k(t) (1 - t^2)^((D-3)/2) dt.
 *
 * Computed by Gauss–Legendre quadrature in theta (t = cos theta), where every integrand below is
 * entire, so the rule converges geometrically; the order grows with k + D and is raised until two
 * orders agree at the rounding level.
 *
 * - k = 0, 1: the formula as written, kappa(cos theta) P_k(cos theta) sin^(D-2) theta on [0, pi].
 * - k >= 2: that integrand oscillates and mu_k is far below its size (mu_48 ~ 1e-13 at D = 10
 *   against an integrand of order 1e-6), so summing it loses ~8 digits. Instead we integrate by
 *   parts k times with Rodrigues' formula,
 *     P_k(t) (1-t^2)^((D-3)/2) = (-1)^k / (2^k ((D-1)/2)_k) d^k/dt^k (1-t^2)^(k+(D-3)/2),
 *   which gives
 *     mu_k = (omega ratio) / (2^k ((D-1)/2)_k) int kappa^(k)(t) (1-t^2)^(k+(D-3)/2) dt,
 *   and use kappa''(t) = [3 (1-t^2)^(-1/2) + (1-t^2)^(-3/2)] / (2 pi). The derivatives of
 *   (1-t^2)^(-s) come from a recurrence whose terms all share one sign (see `scaledDerivatives`),
 *   so for even k the integrand is positive and nothing cancels; for odd k >= 3 it is odd about
 *   theta = pi/2 and the result is rounding noise around the exact 0.
 *
 * Accuracy: for k <= 50, D <= 100 the relative error is below ~2e-13 for every k other than the
 * odd k >= 3, however small mu_k is (3e-44 at D = 100, k = 50); the tests check it against the
 * closed form of the arc-cosine kernels. Odd k >= 3 come out at |mu_k| < ~1e-18.
 */
export function mu(dim: number, k: number): number {
  if (!Number.isInteger(dim) || dim < 2) throw new RangeError(`dim must be an integer >= 2, got ${dim}`);
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`degree must be an integer >= 0, got ${k}`);
  if (k <= 1) return sphereAreaRatio(dim) * integrateInAngle(k + dim, (theta) => directIntegrand(dim, k, theta));

  // mu_k = sum_s c_s int_0^pi G^(s)_{k-2}(cos theta) sin^(D + 2 - 2s) theta d theta, s in {1/2, 3/2},
  // with the Gamma factors collected in log space (Gamma(61.5) alone is ~1e83).
  const m = k - 2;
  const common = lgamma(dim / 2) - lgamma((dim - 1) / 2 + k) - 1.5 * Math.log(Math.PI) - Math.log(8);
  const c1 = 3 * Math.exp(common + lgamma(0.5 + m) - lgamma(0.5));
  const c3 = Math.exp(common + lgamma(1.5 + m) - lgamma(1.5));
  const work = new Float64Array(m + 1);
  return integrateInAngle(k + dim, (theta) => {
    const t = Math.cos(theta);
    const sin = Math.sin(theta);
    const g1 = scaledDerivatives(0.5, m, t, sin * sin, work)[m]!;
    const g3 = scaledDerivatives(1.5, m, t, sin * sin, work)[m]!;
    const sinPow = Math.pow(sin, dim - 1); // sin^(D-1); D >= 2 keeps the exponent >= 1
    return c1 * g1 * sinPow * sin * sin + c3 * g3 * sinPow;
  });
}

/** kappa(cos theta) P_k(cos theta) sin^(D-2) theta, the eigenvalue integrand as the paper writes it. */
function directIntegrand(dim: number, k: number, theta: number): number {
  return kappaOfAngle(theta) * gegenbauer(dim, k, Math.cos(theta)) * Math.pow(Math.sin(theta), dim - 2);
}

/**
 * G_0 .. G_m at t, where d^j/dt^j (1-t^2)^(-s) = 2^j (s)_j G_j(t) (1-t^2)^(-s-j).
 *
 * Differentiating (1-t^2) h' = 2 s t h (h = (1-t^2)^(-s)) j times gives
 *   G_{j+1} = t G_j + j (2s + j - 1) / (4 (s+j-1)(s+j)) (1-t^2) G_{j-1},  G_0 = 1, G_1 = t.
 * For t >= 0 both terms are >= 0, and G_j(-t) = (-1)^j G_j(t) keeps the two terms of one sign for
 * t < 0 too: the recurrence never cancels. G_j(1) = 1. Overwrites and returns `work`.
 * `u` is 1 - t^2, passed as sin^2 theta because 1 - cos^2 theta loses digits near theta = 0, pi.
 */
function scaledDerivatives(s: number, m: number, t: number, u: number, work: Float64Array): Float64Array {
  work[0] = 1;
  if (m >= 1) work[1] = t;
  for (let j = 1; j < m; j++) {
    work[j + 1] = t * work[j]! + ((j * (2 * s + j - 1)) / (4 * (s + j - 1) * (s + j))) * u * work[j - 1]!;
  }
  return work;
}

/**
 * int_0^pi f(theta) d theta for an entire integrand of "frequency" about `bandwidth`, by
 * Gauss–Legendre rules of growing order until two successive ones agree to 1e-14 relative to
 * int |f|, which is the rounding level of the sum.
 */
function integrateInAngle(bandwidth: number, f: (theta: number) => number): number {
  let order = Math.ceil(0.6 * bandwidth) + 16;
  let prev = ruleInAngle(order, f);
  for (let attempt = 0; attempt < 8; attempt++) {
    order = Math.ceil(order * 1.5);
    const next = ruleInAngle(order, f);
    if (Math.abs(next.value - prev.value) <= 1e-14 * next.absValue) return next.value;
    prev = next;
  }
  return prev.value;
}

/**
 * int_0^pi f_k(theta) d theta for k = 0 .. maxDegree at once, f filling `out` with every f_k at
 * one theta (so an expensive kernel is evaluated once per node for all degrees). Orders grow as in
 * {@link integrateInAngle} until every degree's two successive rules agree to 1e-14 relative to
 * int |f_k|, or their difference stops falling below 1e-12 (the rounding floor of large D);
 * `errors` are the last differences, an estimate of each value's quadrature error.
 */
export function integrateDegreesInAngle(
  bandwidth: number,
  maxDegree: number,
  f: (theta: number, out: Float64Array) => void,
): { values: Float64Array; absValues: Float64Array; errors: Float64Array } {
  const rule = (order: number) => {
    const { nodes, weights } = gaussLegendre(order);
    const half = Math.PI / 2;
    const values = new Float64Array(maxDegree + 1);
    const absValues = new Float64Array(maxDegree + 1);
    const out = new Float64Array(maxDegree + 1);
    for (let i = 0; i < order; i++) {
      f(half * (1 + nodes[i]!), out);
      for (let k = 0; k <= maxDegree; k++) {
        const y = weights[i]! * out[k]! * half;
        values[k]! += y;
        absValues[k]! += Math.abs(y);
      }
    }
    return { values, absValues };
  };
  let order = Math.ceil(0.6 * bandwidth) + 16;
  let prev = rule(order);
  const errors = new Float64Array(maxDegree + 1).fill(Infinity);
  for (let attempt = 0; attempt < 8; attempt++) {
    order = Math.ceil(order * 1.5);
    const next = rule(order);
    let converged = true;
    for (let k = 0; k <= maxDegree; k++) {
      const last = errors[k]!;
      const error = Math.abs(next.values[k]! - prev.values[k]!);
      errors[k] = error;
      // Converged, or at the rounding floor (a few 1e-14 at D ~ 1000): the difference stopped falling.
      const floor = error <= 1e-12 * next.absValues[k]! && error >= last / 2;
      if (!(error <= 1e-14 * next.absValues[k]! || floor)) converged = false;
    }
    prev = next;
    if (converged) break;
  }
  return { ...prev, errors };
}

function ruleInAngle(order: number, f: (theta: number) => number): { value: number; absValue: number } {
  const { nodes, weights } = gaussLegendre(order);
  const half = Math.PI / 2; // theta = (pi/2)(1 + x) maps [-1, 1] onto [0, pi]
  let value = 0;
  let absValue = 0;
  for (let i = 0; i < order; i++) {
    const y = weights[i]! * f(half * (1 + nodes[i]!));
    value += y;
    absValue += Math.abs(y);
  }
  return { value: value * half, absValue: absValue * half };
}

export interface SpectrumEntry {
  degree: number;
  mu: number;
  multiplicity: number;
  numericalZero: boolean;
}

/** Odd degrees >= 3 with |mu_k| below this multiple of mu_0 are flagged as numerical zeros. */
export const NUMERICAL_ZERO_TOLERANCE = 1e-12;

/**
 * mu_k and N(D, k) for k = 0 .. maxDegree.
 *
 * Without a bias, mu_k = 0 exactly for odd k >= 3 (docs/science.md); quadrature returns rounding noise
 * there. Such a degree gets `numericalZero: true` when |mu_k| < NUMERICAL_ZERO_TOLERANCE * mu_0,
 * but `mu` still holds the computed value, not 0, so callers see the noise level. Even k and
 * k = 0, 1 are never flagged, however small (even k decays like k^-D).
 */
export function ntkSpectrum(dim: number, maxDegree: number): SpectrumEntry[] {
  const out: SpectrumEntry[] = [];
  let mu0 = 0;
  for (let k = 0; k <= maxDegree; k++) {
    const m = mu(dim, k);
    if (k === 0) mu0 = m;
    const numericalZero = k >= 3 && k % 2 === 1 && Math.abs(m) < NUMERICAL_ZERO_TOLERANCE * mu0;
    out.push({ degree: k, mu: m, multiplicity: multiplicity(dim, k), numericalZero });
  }
  return out;
}

/**
 * The per-step decay rate of the linearized residual along an NTK eigendirection:
 *   rate = -ln(1 - eta' mu).
 *
 * Conventions: loss 1/(2n) sum (y - y_hat)^2 and GD step on the weights eta = eta' / (m theta^2).
 * In the kernel regime the residual component along an eigendirection with eigenvalue mu (of K/n)
 * shrinks by (1 - eta' mu) each step, so it decays like exp(-rate * step).
 * Returns NaN when eta' mu >= 1, where GD no longer contracts that direction monotonically.
 */
export function theoryRate(mu: number, learningRate: number): number {
  const a = learningRate * mu;
  if (!(a < 1)) return NaN;
  return -Math.log1p(-a);
}

/**
 * The NTK Gram matrix K_ij = kappa(<x_i, x_j>) of n points on S^(dim-1) (x row-major n x dim),
 * as a row-major n x n Float64Array. Not divided by n: the eigenvalues of K / n approximate mu_k.
 * The rows of x must have unit norm; the diagonal is set to kappa(1) = 3/2 rather than computed.
 */
/**
 * vᵀ K v for each v of `vs`, for the NTK Gram K_ij = kappa(<x_i, x_j>) of {@link ntkGram}, without
 * forming K: one pass over the pairs, O(n^2 (dim + |vs|)) time and O(n) memory, for samples too
 * large for an n x n matrix.
 */
export function ntkQuadratics(x: Float64Array, n: number, dim: number, vs: Float64Array[]): number[] {
  return kernelQuadratics(kappa, kappa(1), x, n, dim, vs, 'ntkQuadratics');
}

/**
 * vᵀ K v for each v of `vs`, K_ij = kernel(<x_i, x_j>) off the diagonal and `atOne` on it: the
 * pass of {@link ntkQuadratics} for any zonal kernel (the model family's too).
 */
export function kernelQuadratics(
  kernel: (t: number) => number,
  atOne: number,
  x: Float64Array,
  n: number,
  dim: number,
  vs: Float64Array[],
  caller = 'kernelQuadratics',
): number[] {
  if (x.length < n * dim || vs.some((v) => v.length !== n))
    throw new RangeError(`${caller}: x must hold n*dim entries and each v n (n = ${n})`);
  const k = vs.length;
  const off = new Float64Array(k);
  const diag = new Float64Array(k);
  const row = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const oi = i * dim;
    row.fill(0);
    for (let j = i + 1; j < n; j++) {
      const oj = j * dim;
      let s = 0;
      for (let d = 0; d < dim; d++) s += x[oi + d]! * x[oj + d]!;
      const kij = kernel(s);
      for (let c = 0; c < k; c++) row[c]! += kij * vs[c]![j]!;
    }
    for (let c = 0; c < k; c++) {
      const vi = vs[c]![i]!;
      diag[c]! += vi * vi;
      off[c]! += vi * row[c]!;
    }
  }
  return Array.from({ length: k }, (_, c) => atOne * diag[c]! + 2 * off[c]!);
}

export function ntkGram(x: Float64Array, n: number, dim: number): Float64Array {
  // The points are unit vectors, so <x_i, x_i> = 1 and the diagonal is kappa(1) = 3/2 exactly.
  // Computing it would give 1 - 1e-16, and kappa's sqrt singularity at t = 1 turns that into an
  // error of ~3e-9 on every diagonal entry.
  return kernelGram(kappa, kappa(1), x, n, dim, 'ntkGram');
}

/**
 * K_ij = kernel(<x_i, x_j>) off the diagonal and `atOne` on it, n x n row-major: {@link ntkGram}
 * for any zonal kernel (the model family's too), each pair computed once and mirrored.
 */
export function kernelGram(
  kernel: (t: number) => number,
  atOne: number,
  x: Float64Array,
  n: number,
  dim: number,
  caller = 'kernelGram',
): Float64Array {
  if (x.length < n * dim) throw new RangeError(`${caller}: x has length ${x.length}, need n*dim = ${n * dim}`);
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const oi = i * dim;
    k[i * n + i] = atOne;
    for (let j = i + 1; j < n; j++) {
      const oj = j * dim;
      let s = 0;
      for (let d = 0; d < dim; d++) s += x[oi + d]! * x[oj + d]!;
      const v = kernel(s);
      k[i * n + j] = v;
      k[j * n + i] = v;
    }
  }
  return k;
}
