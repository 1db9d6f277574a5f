import { describe, it, expect } from 'vitest';
import { slopeInterval, studentTCdf, studentTQuantile, tInterval } from '../../src/math/index.js';

describe("Student's t", () => {
  it('t_{0.975, nu} matches the published table (and tends to the normal 1.959964)', () => {
    // Two-sided 95% critical values (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2), and closed forms for nu = 1, 2.
    const table: [number, number][] = [
      [1, 12.706204736174698], // tan(0.475 pi)
      [2, 4.302652729749464],
      [3, 3.182446305284263],
      [4, 2.776445105197793],
      [5, 2.570581835636314],
      [10, 2.228138851986274],
      [30, 2.042272456301238],
      [1000, 1.962339],
    ];
    for (const [nu, t] of table) expect(studentTQuantile(0.975, nu)).toBeCloseTo(t, nu === 1000 ? 6 : 9);
    // closed forms: nu = 1 is Cauchy, t = tan(pi (p - 1/2)); nu = 2: t = (2p - 1) sqrt(2 / (4 p (1 - p)))
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(Math.tan(Math.PI * 0.475), 10);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(0.95 * Math.sqrt(2 / (4 * 0.975 * 0.025)), 10);
    expect(studentTQuantile(0.975, 1e7)).toBeCloseTo(1.959963984540054, 5);
    expect(studentTQuantile(0.025, 5)).toBeCloseTo(-2.570581835636314, 9);
    expect(studentTCdf(0, 3)).toBeCloseTo(0.5, 15);
  });

  it('tInterval is mean ± t s / sqrt(n); slopeInterval uses n - 2 degrees of freedom', () => {
    const ci = tInterval([0.15, 0.16, 0.14])!;
    expect(ci.mean).toBeCloseTo(0.15, 15);
    // s = 0.01, n = 3: half-width 4.302652729749464 * 0.01 / sqrt(3)
    expect(ci.hi - ci.mean).toBeCloseTo((4.302652729749464 * 0.01) / Math.sqrt(3), 12);
    expect(ci.mean - ci.lo).toBeCloseTo((4.302652729749464 * 0.01) / Math.sqrt(3), 12);
    expect(tInterval([1])).toBeNull();
    const [lo, hi] = slopeInterval(0.1, 0.002, 7)!;
    expect(hi - 0.1).toBeCloseTo(2.570581835636314 * 0.002, 12);
    expect(0.1 - lo).toBeCloseTo(2.570581835636314 * 0.002, 12);
  });
});
