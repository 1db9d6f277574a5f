/**
 * The log-gamma function, for ratios of Gamma values that overflow as plain doubles.
 *
 * The sphere-area ratio omega_{D-2}/omega_{D-1} = Gamma(D/2) / (sqrt(pi) Gamma((D-1)/2)) needs
 * Gamma(50) ~ 6e62 at D = 100; differences of `lgamma` keep it finite.
 *
 *   lgamma(0.5);                       // log(sqrt(pi))
 *   Math.exp(lgamma(50) - lgamma(49.5)); // Gamma(50) / Gamma(49.5) without overflow
 */

// Lanczos coefficients for g = 607/128, n = 15 (Godfrey; the set Boost and GSL-style codes use).
// They give |relative error| of Gamma below ~1e-15 for x > 0.
const LANCZOS_G = 607 / 128;
/* eslint-disable no-loss-of-precision -- the published coefficients, with all their digits */
const LANCZOS_C = [
  0.99999999999999709182, 57.156235665862923517, -59.597960355475491248, 14.136097974741747174, -0.49191381609762019978,
  0.33994649984811888699e-4, 0.46523628927048575665e-4, -0.98374475304879564677e-4, 0.15808870322491248884e-3, -0.21026444172410488319e-3,
  0.2174396181152126432e-3, -0.16431810653676389022e-3, 0.84418223983852743293e-4, -0.2619083840158140867e-4, 0.36899182659531622704e-5,
];
const LOG_SQRT_2PI = 0.91893853320467274178;
/* eslint-enable no-loss-of-precision */

/**
 * log |Gamma(x)| for real x that is not a non-positive integer.
 *
 * Lanczos approximation for x >= 0.5, reflection formula below. Absolute error ~1e-14 for
 * arguments up to a few hundred, which is what the sphere ratios need.
 */
export function lgamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0.5) {
    // Reflection: Gamma(x) Gamma(1-x) = pi / sin(pi x).
    const s = Math.sin(Math.PI * x);
    if (s === 0) return Infinity;
    return Math.log(Math.PI / Math.abs(s)) - lgamma(1 - x);
  }
  // Exact small factorials avoid the Lanczos error exactly where lgamma crosses zero (x = 1, 2).
  if (x === 1 || x === 2) return 0;
  const z = x - 1;
  let sum = LANCZOS_C[0]!;
  for (let i = 1; i < LANCZOS_C.length; i++) sum += LANCZOS_C[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return LOG_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}
