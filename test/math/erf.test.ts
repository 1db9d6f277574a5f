import { describe, expect, it } from 'vitest';
import { erf, erfc, gaussLegendre } from '../../src/math/index.js';

/** erf(x) = (2/sqrt(pi)) int_0^x e^(-s^2) ds by 64-point Gauss–Legendre on [0, x]. */
function erfByQuadrature(x: number): number {
  const { nodes, weights } = gaussLegendre(64);
  let s = 0;
  for (let i = 0; i < nodes.length; i++) {
    const u = (x / 2) * (1 + nodes[i]!);
    s += weights[i]! * Math.exp(-u * u);
  }
  return (x / 2) * s * (2 / Math.sqrt(Math.PI));
}

describe('erf', () => {
  it('matches the integral of the Gaussian to a few ulps on [-6, 6], and is odd', () => {
    for (let x = -6; x <= 6; x += 0.125) {
      expect(Math.abs(erf(x) - erfByQuadrature(x))).toBeLessThan(2e-15);
      expect(erf(-x)).toBe(-erf(x));
    }
  });

  it('erfc keeps its relative accuracy in the tail, where 1 - erf would cancel', () => {
    // Tabulated: erfc(4) = 1.541725790028002e-8, erfc(6) = 2.151973671249891e-17.
    expect(Math.abs(erfc(4) / 1.541725790028002e-8 - 1)).toBeLessThan(1e-14);
    expect(Math.abs(erfc(6) / 2.151973671249891e-17 - 1)).toBeLessThan(1e-14);
    expect(Math.abs(erfc(-4) - (2 - 1.541725790028002e-8))).toBeLessThan(1e-15);
    expect(Math.abs(erfc(0.5) - (1 - erfByQuadrature(0.5)))).toBeLessThan(1e-15);
    expect(Number.isNaN(erf(NaN))).toBe(true);
  });
});
