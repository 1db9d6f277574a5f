/* eslint-disable no-loss-of-precision -- reference values written with all their published digits */
import { describe, it, expect } from 'vitest';
import { lgamma } from '../../src/math/index.js';

describe('lgamma', () => {
  it('lgamma matches log-factorials at the integers up to 170', () => {
    let logFactorial = 0; // log((n-1)!)
    for (let n = 1; n <= 170; n++) {
      if (n > 1) logFactorial += Math.log(n - 1);
      expect(Math.abs(lgamma(n) - logFactorial)).toBeLessThanOrEqual(1e-14 * Math.max(1, logFactorial));
    }
  });

  it('lgamma matches Gamma(n + 1/2) = sqrt(pi) (2n)! / (4^n n!) at the half-integers', () => {
    let logGamma = 0.5 * Math.log(Math.PI);
    for (let n = 0; n < 150; n++) {
      const x = n + 0.5;
      expect(Math.abs(lgamma(x) - logGamma)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(logGamma)));
      logGamma += Math.log(x);
    }
  });

  it('lgamma uses the reflection formula below 1/2', () => {
    // Gamma(1/4) = 3.625609908221908311930685155867672002995...
    expect(lgamma(0.25)).toBeCloseTo(Math.log(3.6256099082219083), 14);
    // Gamma(-1/2) = -2 sqrt(pi): lgamma is log |Gamma|.
    expect(lgamma(-0.5)).toBeCloseTo(Math.log(2 * Math.sqrt(Math.PI)), 14);
    expect(lgamma(0)).toBe(Infinity);
  });
});
