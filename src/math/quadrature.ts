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
