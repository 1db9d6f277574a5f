import { describe, it, expect } from 'vitest';
import {
  cosineTarget,
  evenPolyTarget,
  gegenbauer,
  kappa,
  mu,
  multiplicity,
  Prng,
  randomUnitVector,
  sampleSphere,
  zonalDegreeCoefficients,
  zonalDegreeParts,
} from '../../src/math/index.js';

const dim = 5;
const n = 300;
const rng = new Prng(11, 'test/target-functions');
const x = sampleSphere(rng, n, dim);
const zeta = randomUnitVector(rng, dim);
const t = Float64Array.from({ length: n }, (_, i) => {
  let s = 0;
  for (let d = 0; d < dim; d++) s += zeta[d]! * x[i * dim + d]!;
  return s;
});

describe('cosineTarget and evenPolyTarget', () => {
  it('cosineTarget is cos(omega <zeta, x_i>)', () => {
    const y = cosineTarget(x, n, dim, zeta, 3);
    for (let i = 0; i < n; i++) expect(Math.abs(y[i]! - Math.cos(3 * t[i]!))).toBeLessThan(1e-15);
  });

  it('evenPolyTarget puts coefficients[j] on t^(2j)', () => {
    const y = evenPolyTarget(x, n, dim, zeta, [0.5, -2, 3]);
    for (let i = 0; i < n; i++) expect(Math.abs(y[i]! - (0.5 - 2 * t[i]! ** 2 + 3 * t[i]! ** 4))).toBeLessThan(1e-14);
  });

  it('the targets reject a zeta of the wrong length and bad coefficients', () => {
    expect(() => cosineTarget(x, n, dim, new Float64Array(3), 1)).toThrow(RangeError);
    expect(() => evenPolyTarget(x, n, dim, zeta, [])).toThrow(RangeError);
    expect(() => evenPolyTarget(x, n, dim, zeta, [1, NaN])).toThrow(RangeError);
  });
});

describe('zonalDegreeCoefficients', () => {
  it('the coefficients of g = P_3 on S^4 are delta_k3', () => {
    const c = zonalDegreeCoefficients((s) => gegenbauer(5, 3, s), 5, 8);
    for (let k = 0; k <= 8; k++) expect(Math.abs(c[k]! - (k === 3 ? 1 : 0))).toBeLessThan(1e-12);
  });

  it('the coefficients of t^2 are c_0 = 1/D, c_2 = 1 - 1/D and zero elsewhere', () => {
    // P_2(t) = (D t^2 - 1)/(D - 1), so t^2 = 1/D + (1 - 1/D) P_2(t).
    for (const D of [2, 3, 5, 10, 40]) {
      const c = zonalDegreeCoefficients((s) => s * s, D, 6);
      for (let k = 0; k <= 6; k++) {
        const expected = k === 0 ? 1 / D : k === 2 ? 1 - 1 / D : 0;
        expect(Math.abs(c[k]! - expected)).toBeLessThan(1e-13);
      }
    }
  });

  it('the coefficients of kappa are N(D,k) mu_k, its Mercer expansion', () => {
    const c = zonalDegreeCoefficients(kappa, 10, 6);
    for (const k of [0, 1, 2, 4, 6]) {
      const expected = multiplicity(10, k) * mu(10, k);
      expect(Math.abs(c[k]! - expected) / expected).toBeLessThan(1e-8);
    }
  });

  it('the degree expansion of cos(3t) with 30 degrees reconstructs it to 1e-10 at points across [-1, 1]', () => {
    for (const D of [3, 5, 10]) {
      const c = zonalDegreeCoefficients((s) => Math.cos(3 * s), D, 30);
      // cos is even: no odd part. c_k / sqrt(N(D,k)) is the RMS size of the part c_k P_k under uniform x.
      for (let k = 1; k <= 30; k += 2) expect(Math.abs(c[k]!) / Math.sqrt(multiplicity(D, k))).toBeLessThan(1e-14);
      for (const s of [-1, -0.83, -0.4, 0, 0.1, 0.57, 0.99, 1]) {
        let sum = 0;
        for (let k = 0; k <= 30; k++) sum += c[k]! * gegenbauer(D, k, s);
        expect(Math.abs(sum - Math.cos(3 * s))).toBeLessThan(1e-10);
      }
    }
  });

  it('zonalDegreeParts are c_k P_k(<zeta, x_i>) and sum to the cosine target on a sample', () => {
    const c = zonalDegreeCoefficients((s) => Math.cos(3 * s), dim, 30);
    const parts = zonalDegreeParts(x, n, dim, zeta, c);
    expect(parts.length).toBe(31);
    const y = cosineTarget(x, n, dim, zeta, 3);
    for (let i = 0; i < n; i++) {
      expect(Math.abs(parts[4]![i]! - c[4]! * gegenbauer(dim, 4, t[i]!))).toBeLessThan(1e-14);
      let sum = 0;
      for (const part of parts) sum += part[i]!;
      expect(Math.abs(sum - y[i]!)).toBeLessThan(1e-10);
    }
  });

  it('the per-degree parts of an even polynomial vanish at odd degrees and above its degree', () => {
    const coefficients = [0.5, -2, 3];
    const c = zonalDegreeCoefficients((s) => 0.5 - 2 * s * s + 3 * s ** 4, dim, 8);
    for (const k of [1, 3, 5, 6, 7, 8]) expect(Math.abs(c[k]!)).toBeLessThan(1e-13);
    const parts = zonalDegreeParts(x, n, dim, zeta, c);
    const y = evenPolyTarget(x, n, dim, zeta, coefficients);
    for (let i = 0; i < n; i++) expect(Math.abs(parts[0]![i]! + parts[2]![i]! + parts[4]![i]! - y[i]!)).toBeLessThan(1e-13);
  });
});
