/**
 * Gauss–Legendre quadrature on [-1, 1].
 *
 * An order-n rule integrates polynomials of degree <= 2n - 1 exactly and converges geometrically
 * for analytic integrands, which is why `ntk.ts` integrates the Mercer eigenvalues with it.
 *
 *   const { nodes, weights } = gaussLegendre(64);
 *   let s = 0;
 *   for (let i = 0; i < nodes.length; i++) s += weights[i] * f(nodes[i]);  // ~ integral of f
 *
 * Rules are cached by order and returned frozen-by-convention: do not write into them.
 */

export interface QuadratureRule {
  nodes: Float64Array;
  weights: Float64Array;
}

const cache = new Map<number, QuadratureRule>();

/**
 * Nodes (ascending) and weights of the n-point Gauss–Legendre rule on [-1, 1].
 *
 * Nodes are the roots of the Legendre polynomial L_n, found by Newton's method on the three-term
 * recurrence from the asymptotic guess cos(pi (i + 3/4) / (n + 1/2)); weights are
 * 2 / ((1 - x^2) L_n'(x)^2). Accurate to a few ulps for orders up to the thousands.
 */
export function gaussLegendre(order: number): QuadratureRule {
  if (!Number.isInteger(order) || order < 1) throw new RangeError(`order must be an integer >= 1, got ${order}`);
  const hit = cache.get(order);
  if (hit) return hit;
  const n = order;
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  // Roots are symmetric: compute the positive half and mirror.
  const half = Math.floor((n + 1) / 2);
  for (let i = 0; i < half; i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      const [p, d] = legendreWithDerivative(n, x);
      dp = d;
      const dx = p / d;
      x -= dx;
      if (Math.abs(dx) <= 4e-16) break;
    }
    // One more derivative at the converged root, for the weight.
    dp = legendreWithDerivative(n, x)[1];
    const w = 2 / ((1 - x * x) * dp * dp);
    nodes[n - 1 - i] = x;
    nodes[i] = -x;
    weights[n - 1 - i] = w;
    weights[i] = w;
  }
  if (n % 2 === 1) nodes[half - 1] = 0; // the middle root is exactly 0
  const rule = { nodes, weights };
  cache.set(order, rule);
  return rule;
}

/** L_n(x) and L_n'(x) by Bonnet's recurrence (j+1) L_{j+1} = (2j+1) x L_j - j L_{j-1}. */
function legendreWithDerivative(n: number, x: number): [number, number] {
  let p0 = 1;
  let p1 = x;
  for (let j = 1; j < n; j++) {
    const p2 = ((2 * j + 1) * x * p1 - j * p0) / (j + 1);
    p0 = p1;
    p1 = p2;
  }
  // L_n' = n (x L_n - L_{n-1}) / (x^2 - 1); nodes never reach +-1.
  const d = (n * (x * p1 - p0)) / (x * x - 1);
  return [p1, d];
}

const hermiteCache = new Map<number, QuadratureRule>();

/** The largest Gauss–Hermite order whose Newton iteration is checked to find every root. */
export const MAX_GAUSS_HERMITE_ORDER = 180;

/**
 * Nodes (ascending) and weights of the n-point Gauss–Hermite rule for the standard normal law:
 * sum_i w_i f(x_i) ~ E[f(z)], z ~ N(0, 1), exact for polynomials of degree <= 2n - 1; the
 * weights sum to 1.
 *
 * Nodes are the roots of the orthonormal Hermite functions' polynomial part (weight e^(-x^2)),
 * found by Newton's method from the classical asymptotic guesses, then scaled by sqrt(2).
 * Accurate to a few ulps up to order MAX_GAUSS_HERMITE_ORDER; beyond it the guesses no longer
 * separate the outermost roots, so larger orders are refused.
 */
export function gaussHermite(order: number): QuadratureRule {
  if (!Number.isInteger(order) || order < 1 || order > MAX_GAUSS_HERMITE_ORDER) {
    throw new RangeError(`order must be an integer in [1, ${MAX_GAUSS_HERMITE_ORDER}], got ${order}`);
  }
  const hit = hermiteCache.get(order);
  if (hit) return hit;
  const n = order;
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  const half = Math.floor((n + 1) / 2);
  const roots: number[] = [];
  let z = 0;
  for (let i = 0; i < half; i++) {
    // Largest root first; each guess extrapolates from the previous roots.
    if (i === 0) z = Math.sqrt(2 * n + 1) - 1.85575 * Math.pow(2 * n + 1, -1 / 6);
    else if (i === 1) z -= (1.14 * Math.pow(n, 0.426)) / z;
    else if (i === 2) z = 1.86 * z - 0.86 * roots[0]!;
    else if (i === 3) z = 1.91 * z - 0.91 * roots[1]!;
    else z = 2 * z - roots[i - 2]!;
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      const [p, d] = hermiteWithDerivative(n, z);
      dp = d;
      const dz = p / d;
      z -= dz;
      if (Math.abs(dz) <= 4e-16 * Math.max(1, Math.abs(z))) break;
    }
    dp = hermiteWithDerivative(n, z)[1];
    roots.push(z);
    // Weight for e^(-x^2) is 2 / dp^2; dividing by sqrt(pi) makes it a probability rule.
    const w = 2 / (dp * dp) / Math.sqrt(Math.PI);
    nodes[n - 1 - i] = Math.SQRT2 * z;
    nodes[i] = -Math.SQRT2 * z;
    weights[n - 1 - i] = w;
    weights[i] = w;
  }
  if (n % 2 === 1) nodes[half - 1] = 0;
  const rule = { nodes, weights };
  hermiteCache.set(order, rule);
  return rule;
}

/**
 * The orthonormal Hermite polynomial h_n(z) (weight e^(-z^2)) and its derivative
 * sqrt(2n) h_{n-1}(z), by the three-term recurrence.
 */
function hermiteWithDerivative(n: number, z: number): [number, number] {
  let p1 = Math.pow(Math.PI, -0.25);
  let p2 = 0;
  for (let j = 1; j <= n; j++) {
    const p3 = p2;
    p2 = p1;
    p1 = z * Math.sqrt(2 / j) * p2 - Math.sqrt((j - 1) / j) * p3;
  }
  return [p1, Math.sqrt(2 * n) * p2];
}

/**
 * The trapezoid rule for the standard normal law, sum_i w_i f(x_i) ~ E[f(z)], for f analytic in
 * the strip |Im z| < stripHalfWidth: nodes j h for |j h| <= 8.75, weights h phi(j h). Its error is
 * about e^(-2 pi d / h) (plus e^(-38) from the cut tails), so h = 2 pi d / 38 reaches rounding.
 * Unlike Gauss–Hermite, whose error falls only like e^(-c sqrt(n)) when f has poles near the
 * real axis (tanh), this converges geometrically in the number of nodes.
 */
export function normalTrapezoid(stripHalfWidth: number): QuadratureRule {
  if (!(stripHalfWidth > 0)) throw new RangeError(`stripHalfWidth must be > 0, got ${stripHalfWidth}`);
  const h = (2 * Math.PI * stripHalfWidth) / 38;
  const half = Math.floor(8.75 / h);
  const n = 2 * half + 1;
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let j = -half; j <= half; j++) {
    nodes[j + half] = j * h;
    weights[j + half] = (h * Math.exp(-0.5 * j * j * h * h)) / Math.sqrt(2 * Math.PI);
  }
  return { nodes, weights };
}
