import { describe, it, expect } from 'vitest';
import {
  capFraction,
  DISTRIBUTION_DEFAULTS,
  DISTRIBUTION_KINDS,
  dot,
  Prng,
  randomUnitVector,
  sampleDistribution,
  sampleSphere,
  type Distribution,
} from '../../src/math/index.js';

/** Mean and standard error of the mean of a sample. */
function meanAndSe(values: ArrayLike<number>): { mean: number; se: number } {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < values.length; i++) {
    s += values[i]!;
    s2 += values[i]! * values[i]!;
  }
  const mean = s / values.length;
  const variance = s2 / values.length - mean * mean;
  return { mean, se: Math.sqrt(variance / values.length) };
}

function column(x: Float64Array, count: number, dim: number, f: (row: number) => number): Float64Array {
  return Float64Array.from({ length: count }, (_, i) => f(i * dim));
}

const dim = 10;
const defaults: Distribution[] = DISTRIBUTION_KINDS.map((kind) => DISTRIBUTION_DEFAULTS[kind](dim));

describe('sampleDistribution', () => {
  it('every default distribution returns count rows of unit norm', () => {
    for (const dist of defaults) {
      const x = sampleDistribution(new Prng(0, 'test/dist'), dist, 300, dim);
      expect(x.length).toBe(300 * dim);
      for (let i = 0; i < 300; i++) expect(Math.abs(dot(x, i * dim, x, i * dim, dim) - 1)).toBeLessThan(1e-14);
    }
  });

  it('every distribution gives identical output for the same seed and stream, and different for another', () => {
    for (const dist of defaults) {
      const a = sampleDistribution(new Prng(7, 'test/dist'), dist, 100, dim);
      const b = sampleDistribution(new Prng(7, 'test/dist'), dist, 100, dim);
      const c = sampleDistribution(new Prng(7, 'test/other'), dist, 100, dim);
      expect(Array.from(a)).toEqual(Array.from(b));
      expect(Array.from(a)).not.toEqual(Array.from(c));
    }
  });

  it('uniform gives exactly sampleSphere and leaves the stream in the same state', () => {
    const r1 = new Prng(3, 'sample/train');
    const r2 = new Prng(3, 'sample/train');
    const a = sampleDistribution(r1, { kind: 'uniform' }, 257, 7);
    const b = sampleSphere(r2, 257, 7);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(r1.state()).toEqual(r2.state());
  });

  it('anisotropic-gaussian with all scales 1 is bit-identical to uniform', () => {
    const ones = { kind: 'anisotropic-gaussian' as const, scales: Array(dim).fill(1) };
    const a = sampleDistribution(new Prng(4, 'test/dist'), ones, 200, dim);
    const b = sampleSphere(new Prng(4, 'test/dist'), 200, dim);
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});

describe('capFraction', () => {
  it('capFraction matches the closed forms arccos(h)/pi on S^1 and (1-h)/2 on S^2 (Archimedes)', () => {
    for (const h of [-0.99, -0.5, 0, 0.3, 0.9, 0.999]) {
      expect(Math.abs(capFraction(2, h) - Math.acos(h) / Math.PI)).toBeLessThan(1e-14);
      expect(Math.abs(capFraction(3, h) - (1 - h) / 2)).toBeLessThan(1e-14);
    }
    expect(capFraction(10, 0)).toBeCloseTo(0.5, 14);
    expect(capFraction(10, -1)).toBe(1);
    expect(capFraction(10, 1)).toBe(0);
  });

  it('capFraction on S^4 matches the antiderivative of (3/4)(1-t^2), i.e. (2 - 3h + h^3)/4', () => {
    // D = 5: the density of <u, x> is (omega_3/omega_4)(1-t^2) = (3/4)(1-t^2).
    for (const h of [-0.7, 0, 0.25, 0.8]) expect(Math.abs(capFraction(5, h) - (2 - 3 * h + h ** 3) / 4)).toBeLessThan(1e-14);
  });
});

describe('piecewise-uniform', () => {
  it('piecewise-uniform puts a weight-proportional fraction of points in region A, within 4 standard errors', () => {
    const count = 20000;
    const direction = Array.from(randomUnitVector(new Prng(1, 'test/u'), dim), (v) => 3 * v); // not unit: gets normalized
    const dist: Distribution = { kind: 'piecewise-uniform', direction, threshold: 0.3, weights: [0.8, 0.2] };
    const x = sampleDistribution(new Prng(2, 'test/pw'), dist, count, dim);
    const u = Float64Array.from(direction, (v) => v / 3);
    const inA = column(x, count, dim, (o) => (dot(u, 0, x, o, dim) >= 0.3 ? 1 : 0));
    const p = 0.8;
    expect(Math.abs(meanAndSe(inA).mean - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / count));
  });

  it('piecewise-uniform is uniform inside a region: on S^2, <e_1, x> given region A is uniform on [h, 1]', () => {
    // On S^2 the law of <e_1, x> is uniform on [-1, 1] (Archimedes), so inside {t >= h} it is
    // uniform on [h, 1]: mean (1+h)/2, variance (1-h)^2/12.
    const count = 20000;
    const h = 0.2;
    const x = sampleDistribution(new Prng(5, 'test/pw'), { kind: 'piecewise-uniform', threshold: h, weights: [1, 0] }, count, 3);
    const t = column(x, count, 3, (o) => x[o]!);
    expect(Math.min(...t)).toBeGreaterThanOrEqual(h);
    const { mean, se } = meanAndSe(t);
    expect(Math.abs(mean - (1 + h) / 2)).toBeLessThan(4 * se);
    const centered2 = t.map((v) => (v - (1 + h) / 2) ** 2);
    const m2 = meanAndSe(centered2);
    expect(Math.abs(m2.mean - (1 - h) ** 2 / 12)).toBeLessThan(4 * m2.se);
  });

  it('piecewise-uniform with weights equal to the region areas is the uniform distribution (moments within 4 SE)', () => {
    const count = 20000;
    const h = 0.25;
    const pA = capFraction(dim, h);
    const x = sampleDistribution(new Prng(6, 'test/pw'), { kind: 'piecewise-uniform', threshold: h, weights: [pA, 1 - pA] }, count, dim);
    const t = column(x, count, dim, (o) => x[o]!);
    const m1 = meanAndSe(t);
    expect(Math.abs(m1.mean)).toBeLessThan(4 * m1.se);
    const m2 = meanAndSe(t.map((v) => v * v));
    expect(Math.abs(m2.mean - 1 / dim)).toBeLessThan(4 * m2.se);
  });

  it('piecewise-uniform samples a tiny region given weight 0 (the spec schema refuses it with weight)', () => {
    const tiny: Distribution = { kind: 'piecewise-uniform', threshold: 0.99, weights: [0, 1] };
    const x = sampleDistribution(new Prng(0), tiny, 50, dim);
    for (let i = 0; i < 50; i++) expect(x[i * dim]).toBeLessThan(0.99);
  });
});

describe('anisotropic-gaussian', () => {
  /**
   * E[x_i^2] for x = z/||z||, z ~ N(0, diag(s^2)), without sampling: 1/Q = int_0^inf e^(-uQ) du
   * and the Gaussian integrals give
   *   E[z_i^2 / ||z||^2] = int_0^inf s_i^2 (1 + 2 s_i^2 u)^-1 prod_j (1 + 2 s_j^2 u)^-1/2 du,
   * computed with u = e^v and the trapezoid rule in v (double-exponential decay at both ends).
   */
  function secondMoment(scales: number[], i: number): number {
    const h = 0.005;
    let sum = 0;
    for (let v = -40; v <= 40; v += h) {
      const u = Math.exp(v);
      let p = 1;
      for (const s of scales) p /= Math.sqrt(1 + 2 * s * s * u);
      sum += (scales[i]! ** 2 / (1 + 2 * scales[i]! ** 2 * u)) * p * u * h;
    }
    return sum;
  }

  it('the quadrature reference for E[x_i^2] sums to 1 over the axes', () => {
    const { scales } = DISTRIBUTION_DEFAULTS['anisotropic-gaussian'](dim);
    let total = 0;
    for (let i = 0; i < dim; i++) total += secondMoment(scales, i);
    expect(Math.abs(total - 1)).toBeLessThan(1e-10);
  });

  it('anisotropic-gaussian second moments follow the scales and match the integral formula within 4 SE', () => {
    const count = 20000;
    const { scales } = DISTRIBUTION_DEFAULTS['anisotropic-gaussian'](dim);
    const x = sampleDistribution(new Prng(8, 'test/aniso'), { kind: 'anisotropic-gaussian', scales }, count, dim);
    let previous = Infinity;
    for (let d = 0; d < dim; d++) {
      const { mean, se } = meanAndSe(column(x, count, dim, (o) => x[o + d]! ** 2));
      expect(mean).toBeLessThan(previous); // scales decrease, so do the second moments
      previous = mean;
      expect(Math.abs(mean - secondMoment(scales, d))).toBeLessThan(4 * se);
    }
  });
});

describe('gaussian-mixture', () => {
  it('gaussian-mixture puts a weight-proportional fraction of points on each side of <x, e_1> = 0, within 4 SE', () => {
    const count = 20000;
    const base = DISTRIBUTION_DEFAULTS['gaussian-mixture'](dim);
    const dist: Distribution = {
      kind: 'gaussian-mixture',
      components: [
        { ...base.components[0]!, weight: 0.7 },
        { ...base.components[1]!, weight: 0.3 },
      ],
    };
    const x = sampleDistribution(new Prng(9, 'test/mix'), dist, count, dim);
    const positive = column(x, count, dim, (o) => (x[o]! > 0 ? 1 : 0));
    // A component at +2 e_1 with scale 0.5 lands on the wrong side with probability Phi(-4) = 3.17e-5.
    const leak = 3.167e-5;
    const p = 0.7 * (1 - leak) + 0.3 * leak;
    expect(Math.abs(meanAndSe(positive).mean - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / count));
  });

  it('a mixture component with weight 0 is never drawn', () => {
    const dist: Distribution = {
      kind: 'gaussian-mixture',
      components: [
        { weight: 0, mean: [5, 0, 0], scale: 0.1 },
        { weight: 1, mean: [-5, 0, 0], scale: 0.1 },
        { weight: 0, mean: [5, 0, 0], scale: 0.1 },
      ],
    };
    const x = sampleDistribution(new Prng(10, 'test/mix'), dist, 500, 3);
    for (let i = 0; i < 500; i++) expect(x[i * 3]).toBeLessThan(0);
  });
});
