import { describe, expect, it } from 'vitest';
import { Jet } from '../../src/math/jet.js';

const close = (a: Float64Array, b: number[], tol: number) =>
  b.forEach((v, j) => expect(Math.abs(a[j]! - v)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(v))));

describe('Jet', () => {
  it('multiplies, divides and takes square roots as Taylor series do', () => {
    const x = Jet.variable(1, 1, 6); // 1 + e
    close(x.mul(x).c, [1, 2, 1, 0, 0, 0, 0], 0);
    close(Jet.constant(1, 6).div(Jet.variable(1, -1, 6)).c, [1, 1, 1, 1, 1, 1, 1], 1e-15); // 1 / (1 - e)
    // sqrt(1 + e) = sum C(1/2, j) e^j
    const binom = [1, 0.5, -0.125, 0.0625, -0.0390625, 0.02734375, -0.0205078125];
    close(x.sqrt().c, binom, 1e-15);
  });

  it('integral of a derivative rebuilds asin: coefficient j of asin(x0 + e) is asin^(j)(x0) / j!', () => {
    const x0 = 0.3;
    const x = Jet.variable(x0, 1, 4);
    const root = x.mul(x).scale(-1).add(1).sqrt();
    const asin = x.derivative().div(root).integral(Math.asin(x0));
    const s = 1 - x0 * x0;
    // asin' = s^-1/2, asin'' = x s^-3/2, asin''' = (1 + 2x^2) s^-5/2, asin'''' = (9x + 6x^3) s^-7/2
    const expected = [
      Math.asin(x0),
      s ** -0.5,
      (x0 * s ** -1.5) / 2,
      ((1 + 2 * x0 * x0) * s ** -2.5) / 6,
      ((9 * x0 + 6 * x0 ** 3) * s ** -3.5) / 24,
    ];
    close(asin.c, expected, 1e-14);
  });

  it('withValue replaces only the constant term; add and sub accept numbers', () => {
    const x = Jet.variable(2, 3, 2);
    expect(Array.from(x.withValue(5).c)).toEqual([5, 3, 0]);
    expect(Array.from(x.add(1).sub(x).c)).toEqual([1, 0, 0]);
    expect(x.order).toBe(2);
    expect(x.value).toBe(2);
  });
});
