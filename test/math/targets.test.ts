import { describe, it, expect } from 'vitest';
import { gegenbauer, harmonicsTarget, Prng, randomUnitVector, sampleSphere } from '../../src/math/index.js';

describe('harmonicsTarget', () => {
  const dim = 10;
  const n = 200;
  const rng = new Prng(9, 'test/targets');
  const x = sampleSphere(rng, n, dim);
  const components = [
    { degree: 1, amplitude: 1 },
    { degree: 2, amplitude: 3 },
    { degree: 4, amplitude: 5 },
  ];
  const zetas = components.map(() => randomUnitVector(rng, dim));

  it('harmonicsTarget parts are P_k(<zeta, x_i>) and y is their amplitude-weighted sum', () => {
    const { y, parts } = harmonicsTarget(x, n, dim, components, zetas);
    expect(parts.length).toBe(3);
    for (let i = 0; i < n; i++) {
      let expected = 0;
      components.forEach((comp, c) => {
        let t = 0;
        for (let d = 0; d < dim; d++) t += zetas[c]![d]! * x[i * dim + d]!;
        const p = gegenbauer(dim, comp.degree, t);
        expect(parts[c]![i]).toBeCloseTo(p, 14);
        expected += comp.amplitude * p;
      });
      expect(y[i]).toBeCloseTo(expected, 13);
    }
  });

  it('the degree-1 part is the inner product with zeta', () => {
    const { parts } = harmonicsTarget(x, n, dim, [{ degree: 1, amplitude: 2 }], [zetas[0]!]);
    for (let i = 0; i < n; i++) {
      let t = 0;
      for (let d = 0; d < dim; d++) t += zetas[0]![d]! * x[i * dim + d]!;
      expect(parts[0]![i]).toBe(t);
    }
  });

  it('harmonicsTarget rejects mismatched components, zetas and dimensions', () => {
    expect(() => harmonicsTarget(x, n, dim, components, zetas.slice(0, 2))).toThrow(RangeError);
    expect(() => harmonicsTarget(x, n, dim, [components[0]!], [new Float64Array(3)])).toThrow(RangeError);
    expect(() => harmonicsTarget(x, n + 1, dim, components, zetas)).toThrow(RangeError);
  });
});
