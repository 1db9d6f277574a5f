/**
 * Independent references for the NTK eigenvalues mu_k, used only by the tests.
 *
 * 1. `muClosedForm`: Funk–Hecke applied to the arc-cosine decomposition
 *      kappa(t) = t kappa_0(t) / 2 + kappa_1(t),
 *    kappa_0(<x,x'>) = 2 E_u[1(u.x > 0) 1(u.x' > 0)], kappa_1(<x,x'>) = 2D E_u[relu(u.x) relu(u.x')]
 *    (u uniform on the sphere). If sigma(u.x) = sum_k N_k b_k P_k(u.x), then E_u[...] has
 *    eigenvalues b_k^2, and b_k for the step and the ReLU follow from Rodrigues' formula in closed
 *    form. Multiplying a kernel by t mixes neighbouring degrees through
 *    t P_k = [k P_{k-1} + (k + D - 2) P_{k+1}] / (2k + D - 2). Every term is >= 0: no cancellation.
 *    Nothing here shares code with src/math (no lgamma, no quadrature, its own multiplicity).
 *
 * 2. `muTanhSinh`: the paper's formula integrated in t by double-exponential (tanh-sinh)
 *    quadrature, with the unnormalized Gegenbauer recurrence. Honest, but it sums an oscillating
 *    integrand, so it is only accurate where mu_k is not far below the integrand's size.
 */

/** omega_{D-2}/omega_{D-1} by the recurrence A(D+2) = A(D) D / (D-1), A(2) = 1/pi, A(3) = 1/2. */
export function sphereRatioByRecurrence(dim: number): number {
  let a = dim % 2 === 0 ? 1 / Math.PI : 0.5;
  for (let d = dim % 2 === 0 ? 2 : 3; d < dim; d += 2) a *= d / (d - 1);
  return a;
}

function logPochhammer(x: number, k: number): number {
  let s = 0;
  for (let i = 0; i < k; i++) s += Math.log(x + i);
  return s;
}

function logFactorial(k: number): number {
  let s = 0;
  for (let i = 2; i <= k; i++) s += Math.log(i);
  return s;
}

/** log |C(a, j)| for real a > j - 1. */
function logAbsBinomial(a: number, j: number): number {
  let s = 0;
  for (let i = 0; i < j; i++) s += Math.log((a - i) / (i + 1));
  return s;
}

/** N(D, k) as 2k+D-2 over k times the product form of C(k+D-3, k-1). */
export function multiplicityReference(dim: number, k: number): number {
  if (k === 0) return 1;
  let c = 1;
  for (let i = 1; i <= k - 1; i++) c = (c * (dim - 2 + i)) / i;
  return ((2 * k + dim - 2) / k) * c;
}

/** |b_k| of the step function 1(t > 0): zero for even k >= 2. */
function stepCoefficient(dim: number, k: number): number {
  if (k === 0) return 0.5;
  if (k % 2 === 0) return 0;
  const a = k + (dim - 3) / 2;
  return (
    sphereRatioByRecurrence(dim) *
    Math.exp(logFactorial(k - 1) + logAbsBinomial(a, (k - 1) / 2) - k * Math.LN2 - logPochhammer((dim - 1) / 2, k))
  );
}

/** |b_k| of relu(t): zero for odd k >= 3. */
function reluCoefficient(dim: number, k: number): number {
  if (k === 0) return sphereRatioByRecurrence(dim) / (dim - 1);
  if (k === 1) return 1 / (2 * dim);
  if (k % 2 === 1) return 0;
  const a = k + (dim - 3) / 2;
  return (
    sphereRatioByRecurrence(dim) *
    Math.exp(logFactorial(k - 2) + logAbsBinomial(a, (k - 2) / 2) - k * Math.LN2 - logPochhammer((dim - 1) / 2, k))
  );
}

/** mu_k in closed form (see the module comment). Exactly 0 for odd k >= 3. */
export function muClosedForm(dim: number, k: number): number {
  const step = (j: number) => 2 * stepCoefficient(dim, j) ** 2; // eigenvalues of kappa_0
  const relu = (j: number) => 2 * dim * reluCoefficient(dim, j) ** 2; // eigenvalues of kappa_1
  const down = (j: number) => j / (2 * j + dim - 2); // t P_j -> P_{j-1}
  const up = (j: number) => (j === 0 ? 1 : (j + dim - 2) / (2 * j + dim - 2)); // t P_j -> P_{j+1}
  let tKappa0 = step(k + 1) * multiplicityReference(dim, k + 1) * down(k + 1);
  if (k >= 1) tKappa0 += step(k - 1) * multiplicityReference(dim, k - 1) * up(k - 1);
  tKappa0 /= multiplicityReference(dim, k);
  return 0.5 * tKappa0 + relu(k);
}

/** The paper's kappa, written from its two-term form in docs/science.md. */
function kappaTwoTerm(t: number, oneMinusT2: number): number {
  const angle = Math.acos(Math.max(-1, Math.min(1, t)));
  return (t * (Math.PI - angle)) / (2 * Math.PI) + (Math.sqrt(oneMinusT2) + t * (Math.PI - angle)) / Math.PI;
}

/** P_k(t) = C_k^lambda(t) / C_k^lambda(1) from the unnormalized recurrence (dim >= 3). */
function gegenbauerUnnormalized(dim: number, k: number, t: number): number {
  const lambda = (dim - 2) / 2;
  let p0 = 1;
  let p1 = 2 * lambda * t;
  let c0 = 1;
  let c1 = 2 * lambda;
  if (k === 0) return 1;
  for (let j = 1; j < k; j++) {
    const p2 = (2 * (j + lambda) * t * p1 - (j + 2 * lambda - 1) * p0) / (j + 1);
    const c2 = (2 * (j + lambda) * c1 - (j + 2 * lambda - 1) * c0) / (j + 1);
    p0 = p1;
    p1 = p2;
    c0 = c1;
    c1 = c2;
  }
  return p1 / c1;
}

/**
 * mu_k from the paper's formula in t by tanh-sinh quadrature with step h, halved until two
 * levels agree to 1e-15 relative to int |f| (dim >= 3).
 */
export function muTanhSinh(dim: number, k: number): number {
  return muTanhSinhOf(dim, k, kappaTwoTerm);
}

/**
 * The same tanh-sinh rule for any zonal kernel, given as kernel(t, 1 - t^2) (1 - t^2 passed
 * without cancellation, for kernels with a sqrt(1 - t^2) term).
 */
export function muTanhSinhOf(dim: number, k: number, kernel: (t: number, oneMinusT2: number) => number): number {
  const kappaTwoTerm = kernel;
  const integrate = (h: number) => {
    let sum = 0;
    let abs = 0;
    const maxU = 4;
    for (let u = -maxU; u <= maxU + 1e-12; u += h) {
      const s = (Math.PI / 2) * Math.sinh(u);
      const t = Math.tanh(s);
      const sech2 = 1 / Math.cosh(s) ** 2; // 1 - t^2 without cancellation
      const w = (Math.PI / 2) * Math.cosh(u) * sech2;
      if (sech2 === 0) continue;
      const f = kappaTwoTerm(t, sech2) * gegenbauerUnnormalized(dim, k, t) * Math.pow(sech2, (dim - 3) / 2);
      sum += w * f * h;
      abs += Math.abs(w * f * h);
    }
    return { sum, abs };
  };
  let h = 1 / 16;
  let prev = integrate(h);
  for (let level = 0; level < 6; level++) {
    h /= 2;
    const next = integrate(h);
    if (Math.abs(next.sum - prev.sum) <= 1e-15 * next.abs) {
      prev = next;
      break;
    }
    prev = next;
  }
  return sphereRatioByRecurrence(dim) * prev.sum;
}
