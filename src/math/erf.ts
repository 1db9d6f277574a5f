/**
 * The error function and its complement in double precision, for the Gaussian expectations of
 * GELU (x Phi(x)) in `ntk-family.ts`; JavaScript's Math has neither.
 *
 *   erf(0.5);     // 0.5204998778130465
 *   erfc(6);      // 2.1519736712498913e-17, no cancellation against 1
 */

/**
 * erf(x). For |x| <= 3 the series erf x = (2/sqrt(pi)) e^(-x^2) sum_n 2^n x^(2n+1) / (2n+1)!!,
 * whose terms are all positive (no cancellation, ~1 ulp); beyond, 1 - erfc(|x|) with the sign.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  // erfc(6) = 2e-17 is below half an ulp of 1.
  if (a >= 6) return Math.sign(x);
  if (a > 3) return Math.sign(x) * (1 - erfcContinuedFraction(a));
  return erfSeries(x);
}

/** erfc(x) = 1 - erf(x), accurate to ~1e-15 relative for x > 3 where 1 - erf(x) would cancel. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x > 3) return erfcContinuedFraction(x);
  if (x < -3) return 2 - erfcContinuedFraction(-x);
  return 1 - erfSeries(x);
}

function erfSeries(x: number): number {
  const x2 = x * x;
  const a = Math.abs(x);
  let term = a;
  let sum = a;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
}

/**
 * erfc(x) for x > 3 by Laplace's continued fraction
 *   erfc x = (e^(-x^2) / sqrt(pi)) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + 2 / (x + ...))))),
 * evaluated backwards from a depth that is converged to rounding for x > 3.
 */
function erfcContinuedFraction(x: number): number {
  let f = x;
  // Depths measured to reach rounding: 30 terms at x = 3 .. 4.5, 15 beyond 5; twice that is used.
  for (let n = x < 5 ? 60 : 30; n >= 1; n--) f = x + n / 2 / f;
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}
