/**
 * Zonal harmonics of the sphere S^(D-1): the Gegenbauer polynomials P_k normalized so P_k(1) = 1,
 * and the dimension N(D, k) of the degree-k harmonic space.
 *
 * With the addition theorem sum_j Y_kj(x) Y_kj(x') = N(D,k) P_k(<x,x'>) (Y orthonormal under the
 * uniform probability measure), these are the pieces of every Mercer expansion of a dot-product
 * kernel on the sphere, including the NTK in `ntk.ts`.
 *
 *   gegenbauer(3, 2, t);        // Legendre (3t^2 - 1) / 2
 *   gegenbauer(2, k, t);        // Chebyshev cos(k arccos t)
 *   gegenbauerAll(10, 8, 0.3);  // P_0 .. P_8 on S^9 at t = 0.3
 *   multiplicity(10, 2);        // 54
 *
 * Paper: Cao et al., "Towards Understanding the Spectral Bias of Deep Learning", IJCAI 2021,
 * https://arxiv.org/abs/1912.01198.
 */

/**
 * P_k(t) for the sphere S^(dim-1): C_k^((dim-2)/2)(t) / C_k^((dim-2)/2)(1).
 *
 * Recurrence of the normalized polynomials (alpha = (dim-2)/2):
 *   (k + 2 alpha) P_{k+1}(t) = 2 (k + alpha) t P_k(t) - k P_{k-1}(t),  P_0 = 1, P_1 = t.
 * It holds for every dim >= 2; at dim = 2 (alpha = 0) it is Chebyshev's T_{k+1} = 2 t T_k - T_{k-1},
 * which the unnormalized C_k^0 (identically zero) cannot give. Each P_k is bounded by 1 on [-1, 1],
 * so the forward recurrence is stable there.
 *
 * See {@link gegenbauerAll} for all degrees at once.
 */
export function gegenbauer(dim: number, k: number, t: number): number {
  checkArgs(dim, k);
  if (k === 0) return 1;
  let prev = 1;
  let cur = t;
  for (let j = 1; j < k; j++) {
    const next = ((2 * j + dim - 2) * t * cur - j * prev) / (j + dim - 2);
    prev = cur;
    cur = next;
  }
  return cur;
}

/**
 * {@link gegenbauer} for one (dim, k), checked once: the same recurrence with its integer
 * coefficients computed up front, so the same bits at a fraction of the cost in an n x n loop.
 */
export function gegenbauerOf(dim: number, k: number): (t: number) => number {
  checkArgs(dim, k);
  if (k === 0) return () => 1;
  const a = Float64Array.from({ length: k }, (_, j) => 2 * j + dim - 2);
  const c = Float64Array.from({ length: k }, (_, j) => j + dim - 2);
  return (t: number) => {
    let prev = 1;
    let cur = t;
    for (let j = 1; j < k; j++) {
      const next = (a[j]! * t * cur - j * prev) / c[j]!;
      prev = cur;
      cur = next;
    }
    return cur;
  };
}

/**
 * P_0(t) .. P_maxK(t) for S^(dim-1), by the same recurrence as {@link gegenbauer}.
 * Writes into `out` (length >= maxK + 1) when given, so hot loops need not allocate.
 */
export function gegenbauerAll(dim: number, maxK: number, t: number, out?: Float64Array): Float64Array {
  checkArgs(dim, maxK);
  const p = out ?? new Float64Array(maxK + 1);
  if (p.length < maxK + 1) throw new RangeError(`gegenbauerAll: out has length ${p.length}, need ${maxK + 1}`);
  p[0] = 1;
  if (maxK >= 1) p[1] = t;
  for (let j = 1; j < maxK; j++) {
    p[j + 1] = ((2 * j + dim - 2) * t * p[j]! - j * p[j - 1]!) / (j + dim - 2);
  }
  return p;
}

/**
 * N(D, k), the number of linearly independent degree-k spherical harmonics on S^(D-1):
 *   N(D, 0) = 1,  N(D, k) = (2k + D - 2) / k * C(k + D - 3, D - 2)  for k >= 1  (N(2, k) = 2).
 *
 * Returned as a double. The binomial is a running product of exact integers, so the value is exact
 * while it stays below 2^53 and correctly rounded to ~1e-15 beyond (N(100, 50) ~ 4e39).
 */
export function multiplicity(dim: number, k: number): number {
  checkArgs(dim, k);
  if (k === 0) return 1;
  // Multiply before dividing: the quotient is an integer, so it stays exact below 2^53.
  return ((2 * k + dim - 2) * binomial(k + dim - 3, dim - 2)) / k;
}

/** C(n, r) for integers 0 <= r <= n, as a product whose partial values are themselves binomials. */
function binomial(n: number, r: number): number {
  const s = Math.min(r, n - r);
  let c = 1;
  // After step i, c = C(n - s + i, i), an integer: the division is exact until c passes 2^53.
  for (let i = 1; i <= s; i++) c = (c * (n - s + i)) / i;
  return c;
}

function checkArgs(dim: number, k: number): void {
  if (!Number.isInteger(dim) || dim < 2) throw new RangeError(`dim must be an integer >= 2, got ${dim}`);
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`degree must be an integer >= 0, got ${k}`);
}
