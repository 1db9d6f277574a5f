import { describe, it, expect } from 'vitest';
import {
  gegenbauer,
  kappa,
  mu,
  multiplicity,
  ntkGram,
  ntkSpectrum,
  NUMERICAL_ZERO_TOLERANCE,
  Prng,
  sampleSphere,
  sphereAreaRatio,
  symmetricEigen,
  theoryRate,
} from '../../src/math/index.js';
import { muClosedForm, muTanhSinh, sphereRatioByRecurrence } from './mu-reference.js';

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('kappa', () => {
  it('kappa(1) = 3/2, kappa(0) = 1/pi, kappa(-1) = 0', () => {
    expect(kappa(1)).toBe(1.5);
    expect(kappa(0)).toBeCloseTo(1 / Math.PI, 15);
    expect(kappa(-1)).toBe(0);
  });

  it('kappa equals the two-term form t(pi - arccos t)/(2pi) + (sqrt(1-t^2) + t(pi - arccos t))/pi', () => {
    for (let i = 0; i <= 200; i++) {
      const t = -1 + i / 100;
      const a = Math.acos(t);
      const twoTerm = (t * (Math.PI - a)) / (2 * Math.PI) + (Math.sqrt(1 - t * t) + t * (Math.PI - a)) / Math.PI;
      expect(Math.abs(kappa(t) - twoTerm)).toBeLessThan(1e-15);
    }
  });

  it('kappa clamps inner products that rounding pushed past +-1', () => {
    expect(kappa(1 + 1e-15)).toBe(1.5);
    expect(kappa(-1 - 1e-15)).toBe(0);
    expect(Number.isNaN(kappa(1.0000001))).toBe(false);
  });
});

describe('mu', () => {
  it('mu_k for D = 10 matches the reference table in docs/science.md to 1e-6 relative', () => {
    const table: Array<[number, number]> = [
      [0, 0.3513325],
      [1, 0.075],
      [2, 5.668884e-3],
      [4, 5.645158e-5],
      [6, 3.436183e-6],
      [8, 4.218086e-7],
    ];
    for (const [k, value] of table) expect(relErr(mu(10, k), value)).toBeLessThan(1e-6);
  });

  it('mu_1 = 3 / (4D) exactly', () => {
    for (const dim of [2, 3, 5, 10, 50, 100]) expect(relErr(mu(dim, 1), 3 / (4 * dim))).toBeLessThan(1e-12);
  });

  it('mu_k for odd k >= 3 is zero to rounding and flagged as a numerical zero', () => {
    const spectrum = ntkSpectrum(10, 9);
    for (const k of [3, 5, 7, 9]) {
      expect(Math.abs(spectrum[k]!.mu)).toBeLessThan(1e-15);
      expect(spectrum[k]!.numericalZero).toBe(true);
    }
    for (const k of [0, 1, 2, 4, 6, 8]) expect(spectrum[k]!.numericalZero).toBe(false);
  });

  it('mu agrees with the closed form of the arc-cosine kernels to 1e-10 for k <= 50, D <= 100', () => {
    for (const dim of [2, 3, 4, 5, 10, 20, 50, 100]) {
      for (let k = 0; k <= 50; k++) {
        const reference = muClosedForm(dim, k);
        if (reference === 0) expect(Math.abs(mu(dim, k))).toBeLessThan(1e-15);
        // Even k: every value, down to mu_50 ~ 3e-44 at D = 100, not only those above 1e-13.
        else expect(relErr(mu(dim, k), reference)).toBeLessThan(1e-10);
      }
    }
  });

  it('mu agrees with tanh-sinh quadrature of the paper formula in t to 1e-8', () => {
    // The t-space reference sums an oscillating integrand, so it is only used where mu_k is not
    // many orders below the integrand: its own error reaches 1e-9 at D = 20, k = 16 and 9e-9 at
    // D = 100, k = 8, so D = 100 stops at k = 6 (4e-10).
    const cases: Array<[number, number]> = [
      [3, 20],
      [5, 20],
      [20, 16],
      [100, 6],
    ];
    for (const [dim, maxK] of cases) {
      for (let k = 0; k <= maxK; k += k < 2 ? 1 : 2) expect(relErr(mu(dim, k), muTanhSinh(dim, k))).toBeLessThan(1e-8);
    }
  });

  it('the two references agree with each other where both are accurate', () => {
    for (const dim of [3, 10]) {
      for (const k of [0, 1, 2, 4, 6]) expect(relErr(muTanhSinh(dim, k), muClosedForm(dim, k))).toBeLessThan(1e-12);
    }
  });

  it('the Mercer series sum_k mu_k N(D,k) P_k(t) reproduces kappa(t) inside (-1, 1)', () => {
    // At t = +-1 the series converges only like 1/K (kappa has a sqrt singularity there), so the
    // check uses interior points, where P_k(t) decays and K = 50 leaves < 1e-8.
    const spectrum = ntkSpectrum(10, 50);
    for (const t of [-0.5, 0, 0.5]) {
      let total = 0;
      for (const e of spectrum) total += e.mu * e.multiplicity * gegenbauer(10, e.degree, t);
      expect(Math.abs(total - kappa(t))).toBeLessThan(1e-7);
    }
  });

  it('sphereAreaRatio equals Gamma(D/2) / (sqrt(pi) Gamma((D-1)/2))', () => {
    for (const dim of [2, 3, 4, 10, 51, 100]) expect(relErr(sphereAreaRatio(dim), sphereRatioByRecurrence(dim))).toBeLessThan(1e-13);
  });
});

describe('ntkSpectrum', () => {
  it('ntkSpectrum lists degrees 0..maxDegree with multiplicities and computed values', () => {
    const spectrum = ntkSpectrum(10, 8);
    expect(spectrum.map((e) => e.degree)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    for (const e of spectrum) {
      expect(e.multiplicity).toBe(multiplicity(10, e.degree));
      expect(e.mu).toBe(mu(10, e.degree));
    }
  });

  it('ntkSpectrum never flags even degrees, however small', () => {
    const spectrum = ntkSpectrum(100, 20);
    for (const e of spectrum) {
      if (e.degree % 2 === 0 || e.degree === 1) expect(e.numericalZero).toBe(false);
      else expect(e.numericalZero).toBe(true);
    }
    expect(spectrum[20]!.mu).toBeLessThan(NUMERICAL_ZERO_TOLERANCE * spectrum[0]!.mu);
    expect(spectrum[20]!.mu).toBeGreaterThan(0);
  });
});

describe('theoryRate', () => {
  it('theoryRate is -ln(1 - eta mu), about eta mu when small', () => {
    expect(theoryRate(0.075, 2)).toBeCloseTo(-Math.log(1 - 0.15), 15);
    // -ln(1 - x) = x + x^2/2 + ...: log1p keeps the x^2/2 term that 1 - x would round away.
    expect(relErr(theoryRate(1e-9, 1), 1e-9 + 0.5e-18)).toBeLessThan(1e-15);
    expect(theoryRate(0, 2)).toBe(0);
  });

  it('theoryRate is NaN when eta mu >= 1', () => {
    expect(Number.isNaN(theoryRate(0.5, 2))).toBe(true);
    expect(Number.isNaN(theoryRate(0.6, 2))).toBe(true);
    expect(Number.isNaN(theoryRate(NaN, 2))).toBe(true);
  });
});

describe('ntkGram', () => {
  it('ntkGram of a few points is kappa of their inner products, symmetric, with diagonal 3/2', () => {
    const s = Math.SQRT1_2;
    // Rows: e1, e2, (e1 + e2)/sqrt 2, -e1.
    const x = new Float64Array([1, 0, 0, 0, 1, 0, s, s, 0, -1, 0, 0]);
    const k = ntkGram(x, 4, 3);
    const expected = [
      [1.5, kappa(0), kappa(s), 0],
      [kappa(0), 1.5, kappa(s), kappa(0)],
      [kappa(s), kappa(s), 1.5, kappa(-s)],
      [0, kappa(0), kappa(-s), 1.5],
    ];
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(k[i * 4 + j]).toBeCloseTo(expected[i]![j]!, 15);
  });

  it('ntkGram on random points is symmetric with diagonal exactly 3/2', () => {
    const n = 30;
    const dim = 7;
    const x = sampleSphere(new Prng(3, 'test/gram'), n, dim);
    const k = ntkGram(x, n, dim);
    for (let i = 0; i < n; i++) {
      expect(k[i * n + i]).toBe(1.5);
      for (let j = 0; j < n; j++) expect(k[i * n + j]).toBe(k[j * n + i]);
    }
  });

  it('K/n eigenvalues on uniform samples cluster near mu_k with multiplicity N(D, k)', () => {
    // Finite-n effects are a few percent at these sizes (measured <= 2.2% for k <= 2); allow 10%.
    const cases: Array<{ dim: number; n: number; degrees: number[] }> = [
      { dim: 3, n: 400, degrees: [0, 1, 2, 4] },
      { dim: 5, n: 500, degrees: [0, 1, 2] },
    ];
    for (const { dim, n, degrees } of cases) {
      const x = sampleSphere(new Prng(11, `test/cluster/${dim}`), n, dim);
      const { values } = symmetricEigen(ntkGram(x, n, dim), n);
      let start = 0;
      for (const k of degrees) {
        const count = multiplicity(dim, k);
        let sum = 0;
        for (let i = start; i < start + count; i++) sum += values[i]! / n;
        start += count;
        expect(relErr(sum / count, mu(dim, k))).toBeLessThan(0.1);
      }
    }
  });
});
