/**
 * Student's t distribution: the CDF through the regularized incomplete beta function, and the
 * quantile by bisection on it; enough for 95% intervals of a mean over a few replicates or of a
 * least-squares slope.
 *
 *   studentTQuantile(0.975, 2);        // 4.302652729...
 *   tInterval([0.15, 0.16, 0.14]);     // { mean: 0.15, lo, hi, n: 3 }
 */
import { lgamma } from './gamma.js';

/** I_x(a, b), the regularized incomplete beta function (Lentz's continued fraction, Numerical Recipes 6.4). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  if (x > (a + 1) / (a + b + 2)) return 1 - regularizedBeta(1 - x, b, a);
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let f = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    f *= d * c;
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return (front * f) / a;
}

/** P(T <= t) for T ~ Student t with nu > 0 degrees of freedom. */
export function studentTCdf(t: number, nu: number): number {
  const tail = 0.5 * regularizedBeta(nu / (nu + t * t), nu / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with nu > 0 degrees of freedom (0 < p < 1), to ~1e-12. */
export function studentTQuantile(p: number, nu: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (!(nu > 0)) throw new RangeError(`studentTQuantile: nu must be > 0, got ${nu}`);
  if (p < 0.5) return -studentTQuantile(1 - p, nu);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, nu) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, nu) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface TInterval {
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

/** The mean of the values and its 95% t-interval, mean ± t_{0.975, n-1} s / sqrt(n); null below 2 values. */
export function tInterval(values: number[], level = 0.95): TInterval | null {
  const n = values.length;
  if (n < 2) return null;
  const mean = values.reduce((a, v) => a + v, 0) / n;
  const s = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  const half = studentTQuantile(0.5 + level / 2, n - 1) * (s / Math.sqrt(n));
  return { mean, lo: mean - half, hi: mean + half, n };
}

/** A least-squares slope's 95% interval from its standard error over n points (n - 2 degrees of freedom). */
export function slopeInterval(slope: number, stderr: number, nPoints: number, level = 0.95): [number, number] | null {
  if (!(nPoints > 2) || !Number.isFinite(stderr) || !Number.isFinite(slope)) return null;
  const half = studentTQuantile(0.5 + level / 2, nPoints - 2) * stderr;
  return [slope - half, slope + half];
}
