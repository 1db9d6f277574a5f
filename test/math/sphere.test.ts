import { describe, it, expect } from 'vitest';
import { dot, Prng, randomUnitVector, sampleSphere } from '../../src/math/index.js';

describe('sampleSphere', () => {
  it('sampleSphere returns points of unit norm', () => {
    const dim = 10;
    const x = sampleSphere(new Prng(0, 'test/sphere'), 500, dim);
    expect(x.length).toBe(500 * dim);
    for (let i = 0; i < 500; i++) expect(Math.abs(dot(x, i * dim, x, i * dim, dim) - 1)).toBeLessThan(1e-14);
  });

  it('sampleSphere gives identical output for the same seed and stream, and different for another', () => {
    const a = sampleSphere(new Prng(42, 'test/sphere'), 100, 5);
    const b = sampleSphere(new Prng(42, 'test/sphere'), 100, 5);
    const c = sampleSphere(new Prng(42, 'test/other'), 100, 5);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('sampleSphere has mean ~0 and second moments 1/D per coordinate, within 4 standard errors', () => {
    const dim = 5;
    const count = 20000;
    const x = sampleSphere(new Prng(1, 'test/sphere-moments'), count, dim);
    for (let d = 0; d < dim; d++) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < count; i++) {
        s += x[i * dim + d]!;
        s2 += x[i * dim + d]! ** 2;
      }
      // Var(x_d) = 1/D; Var(x_d^2) = E[x_d^4] - 1/D^2 = 3/(D(D+2)) - 1/D^2.
      expect(Math.abs(s / count)).toBeLessThan(4 * Math.sqrt(1 / dim / count));
      expect(Math.abs(s2 / count - 1 / dim)).toBeLessThan(4 * Math.sqrt((3 / (dim * (dim + 2)) - 1 / dim ** 2) / count));
    }
  });

  it('randomUnitVector is one sampled point of length dim', () => {
    const v = randomUnitVector(new Prng(5, 'test/zeta'), 7);
    expect(v.length).toBe(7);
    expect(dot(v, 0, v, 0, 7)).toBeCloseTo(1, 14);
    expect(Array.from(v)).toEqual(Array.from(sampleSphere(new Prng(5, 'test/zeta'), 1, 7)));
  });

  it('dot reads rows at the given offsets', () => {
    const a = new Float64Array([9, 1, 2, 3]);
    const b = new Float64Array([4, 5, 6, 9, 9]);
    expect(dot(a, 1, b, 0, 3)).toBe(1 * 4 + 2 * 5 + 3 * 6);
  });
});
