import { describe, it, expect } from 'vitest';
import {
  gaussLegendre,
  gegenbauer,
  gegenbauerAll,
  gegenbauerOf,
  multiplicity,
  Prng,
  sampleSphere,
  randomUnitVector,
  dot,
} from '../../src/math/index.js';

const grid = Array.from({ length: 41 }, (_, i) => -1 + i / 20);

/** C(n, r) for small exact cases. */
function binomial(n: number, r: number): number {
  let c = 1;
  for (let i = 1; i <= r; i++) c = (c * (n - r + i)) / i;
  return c;
}

describe('gegenbauer', () => {
  it('P_k(1) = 1 for every dimension and degree', () => {
    for (const dim of [2, 3, 4, 5, 10, 50, 100]) {
      for (let k = 0; k <= 50; k++) expect(gegenbauer(dim, k, 1)).toBeCloseTo(1, 12);
    }
  });

  it('P_k for D = 3 equals the Legendre closed forms', () => {
    const legendre = [
      () => 1,
      (t: number) => t,
      (t: number) => (3 * t * t - 1) / 2,
      (t: number) => (5 * t ** 3 - 3 * t) / 2,
      (t: number) => (35 * t ** 4 - 30 * t * t + 3) / 8,
      (t: number) => (63 * t ** 5 - 70 * t ** 3 + 15 * t) / 8,
    ];
    for (const t of grid) {
      legendre.forEach((p, k) => expect(Math.abs(gegenbauer(3, k, t) - p(t))).toBeLessThan(1e-14));
    }
  });

  it('P_k for D = 2 equals the Chebyshev polynomial cos(k arccos t)', () => {
    for (const t of grid) {
      for (let k = 0; k <= 30; k++) expect(Math.abs(gegenbauer(2, k, t) - Math.cos(k * Math.acos(t)))).toBeLessThan(1e-12);
    }
  });

  it('P_2 on S^(D-1) is (D t^2 - 1) / (D - 1)', () => {
    for (const dim of [4, 10, 100]) {
      for (const t of grid) expect(Math.abs(gegenbauer(dim, 2, t) - (dim * t * t - 1) / (dim - 1))).toBeLessThan(1e-14);
    }
  });

  it('gegenbauerOf gives the same bits as gegenbauer, and checks its arguments once', () => {
    for (const dim of [2, 3, 10])
      for (const k of [0, 1, 2, 4, 7]) {
        const p = gegenbauerOf(dim, k);
        for (const t of [-1, -0.73, -1e-9, 0, 0.31, 0.999999, 1]) expect(Object.is(p(t), gegenbauer(dim, k, t))).toBe(true);
      }
    expect(() => gegenbauerOf(1, 2)).toThrow();
    expect(() => gegenbauerOf(10, -1)).toThrow();
  });

  it('gegenbauerAll returns the same values as gegenbauer, into a caller buffer when given', () => {
    const out = new Float64Array(21);
    for (const dim of [2, 3, 10]) {
      const all = gegenbauerAll(dim, 20, 0.37, out);
      expect(all).toBe(out);
      for (let k = 0; k <= 20; k++) expect(all[k]).toBe(gegenbauer(dim, k, 0.37));
    }
  });

  it('P_j and P_k are orthogonal under (1 - t^2)^((D-3)/2), with squared norm 1 / (A N(D,k))', () => {
    // In theta the weight is sin^(D-2); a 200-point rule is exact to rounding for these degrees.
    const { nodes, weights } = gaussLegendre(200);
    for (const dim of [2, 3, 5, 10]) {
      const inner = (j: number, k: number) => {
        let s = 0;
        for (let i = 0; i < nodes.length; i++) {
          const theta = (Math.PI / 2) * (1 + nodes[i]!);
          const c = Math.cos(theta);
          s += weights[i]! * gegenbauer(dim, j, c) * gegenbauer(dim, k, c) * Math.sin(theta) ** (dim - 2);
        }
        return (s * Math.PI) / 2;
      };
      const mass = inner(0, 0); // 1 / (omega ratio)
      for (let j = 0; j <= 8; j++) {
        for (let k = 0; k <= 8; k++) {
          const v = inner(j, k) / mass;
          if (j === k) expect(v).toBeCloseTo(1 / multiplicity(dim, k), 12);
          else expect(Math.abs(v)).toBeLessThan(1e-13);
        }
      }
    }
  });

  it('E[P_k(<zeta, x>)^2] = 1 / N(D, k) for x uniform on S^9, within 4 standard errors', () => {
    const dim = 10;
    const count = 20000;
    const rng = new Prng(7, 'test/gegenbauer-mc');
    const zeta = randomUnitVector(rng, dim);
    const x = sampleSphere(rng, count, dim);
    for (const k of [1, 2, 4]) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < count; i++) {
        const p2 = gegenbauer(dim, k, dot(zeta, 0, x, i * dim, dim)) ** 2;
        s += p2;
        s2 += p2 * p2;
      }
      const mean = s / count;
      const stdErr = Math.sqrt((s2 / count - mean * mean) / count);
      expect(Math.abs(mean - 1 / multiplicity(dim, k))).toBeLessThan(4 * stdErr);
    }
  });

  it('rejects a dimension below 2 or a negative degree', () => {
    expect(() => gegenbauer(1, 2, 0.5)).toThrow(RangeError);
    expect(() => gegenbauer(3, -1, 0.5)).toThrow(RangeError);
    expect(() => multiplicity(3, 1.5)).toThrow(RangeError);
  });
});

describe('multiplicity', () => {
  it('N(D, k) matches known values', () => {
    for (let k = 0; k <= 50; k++) expect(multiplicity(3, k)).toBe(2 * k + 1);
    for (let k = 1; k <= 50; k++) expect(multiplicity(2, k)).toBe(2);
    expect(multiplicity(2, 0)).toBe(1);
    expect(multiplicity(10, 0)).toBe(1);
    expect(multiplicity(10, 1)).toBe(10);
    expect(multiplicity(10, 2)).toBe(54);
    expect(multiplicity(10, 3)).toBe(210);
    expect(multiplicity(10, 4)).toBe(660);
    expect(multiplicity(10, 5)).toBe(1782);
    expect(multiplicity(10, 6)).toBe(4290);
    expect(multiplicity(10, 8)).toBe(19305);
    expect(multiplicity(4, 5)).toBe(36); // (k+1)^2 on S^3
  });

  it('the sum of N(D, k) over k <= K is the dimension of polynomials of degree <= K on the sphere', () => {
    for (const dim of [2, 3, 5, 10, 20]) {
      let total = 0;
      for (let k = 0; k <= 12; k++) {
        total += multiplicity(dim, k);
        expect(total).toBe(binomial(k + dim - 1, dim - 1) + binomial(k + dim - 2, dim - 1));
      }
    }
  });

  it('N(D, k) stays finite and accurate up to D = 100, k = 50', () => {
    // N(100, 50) = 198/50 * C(147, 98); compare with the same number as a sum of logs.
    let logC = 0;
    for (let i = 1; i <= 49; i++) logC += Math.log((98 + i) / i); // C(147, 49) = C(147, 98)
    const n = multiplicity(100, 50);
    expect(Number.isFinite(n)).toBe(true);
    expect(Math.abs(Math.log(n) - (Math.log(198 / 50) + logC))).toBeLessThan(1e-13);
  });
});
