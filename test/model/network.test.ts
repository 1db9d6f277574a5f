import { describe, expect, it } from 'vitest';
import { Prng } from '../../src/math/prng.js';
import { forwardReference, gdStepReference, initWeights, type NetworkWeights } from '../../src/model/index.js';
import { spherePoints } from './fixtures.js';

/** L = 1/(2n) sum (y - y_hat)^2. */
function loss(w: NetworkWeights, theta: number, x: Float64Array, y: Float64Array, n: number): number {
  const yHat = forwardReference(w, theta, x, n);
  let s = 0;
  for (let i = 0; i < n; i++) s += (y[i]! - yHat[i]!) ** 2;
  return s / (2 * n);
}

/** The NTK of the infinite-width network, written out independently of src/math. */
function kappaInline(t: number): number {
  return (3 * t * (Math.PI - Math.acos(t)) + 2 * Math.sqrt(1 - t * t)) / (2 * Math.PI);
}

describe('float64 reference network', () => {
  it('forwardReference computes theta sqrt(m) W2 relu(W1 x) for a hand-sized network', () => {
    // m = 2, D = 2: neuron 0 sees x0 - x1, neuron 1 sees x1.
    const w: NetworkWeights = { width: 2, dim: 2, w1: Float64Array.from([1, -1, 0, 1]), w2: Float64Array.from([0.5, -2]) };
    const x = Float64Array.from([1, 0, 0, 1]);
    const yHat = forwardReference(w, 3, x, 2);
    expect(yHat[0]).toBeCloseTo(3 * Math.SQRT2 * (0.5 * 1 - 2 * 0), 14);
    expect(yHat[1]).toBeCloseTo(3 * Math.SQRT2 * (0.5 * 0 - 2 * 1), 14);
  });

  it('gdStepReference moves both layers by -eta times the finite-difference gradient of the loss', () => {
    const n = 5;
    const d = 3;
    const m = 7;
    const theta = 0.7;
    const learningRate = 0.3;
    const x = spherePoints(1, 'test/points', n, d);
    const y = new Prng(2, 'test/y').normals(n);
    const w = initWeights(3, m, d);
    const next = gdStepReference(w, theta, learningRate, x, y, n);
    const eta = learningRate / (m * theta * theta);

    const h = 1e-6;
    const check = (key: 'w1' | 'w2') => {
      for (let p = 0; p < w[key].length; p++) {
        const plus = { ...w, [key]: Float64Array.from(w[key]) };
        const minus = { ...w, [key]: Float64Array.from(w[key]) };
        plus[key][p]! += h;
        minus[key][p]! -= h;
        const fd = (loss(plus, theta, x, y, n) - loss(minus, theta, x, y, n)) / (2 * h);
        const fromStep = (w[key][p]! - next[key][p]!) / eta;
        expect(Math.abs(fromStep - fd)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(fd)));
      }
    };
    check('w1');
    check('w2');
    // The input weights are left untouched.
    expect(w.w1).toEqual(initWeights(3, m, d).w1);
  });

  it('initWeights is a pure function of the seed, with variances 2/m for W1 and 1/m for W2', () => {
    const m = 4096;
    const d = 10;
    const a = initWeights(5, m, d);
    expect(initWeights(5, m, d)).toEqual(a);
    expect(initWeights(6, m, d).w1).not.toEqual(a.w1);
    const meanSquare = (v: Float64Array) => v.reduce((s, z) => s + z * z, 0) / v.length;
    // Relative standard errors of the mean squares, sqrt(2 / count): 0.7% (W1) and 2.2% (W2).
    expect(Math.abs(meanSquare(a.w1) * m - 2) / 2).toBeLessThan(0.03);
    expect(Math.abs(meanSquare(a.w2) * m - 1)).toBeLessThan(0.1);
  });

  it("the empirical NTK at initialization, (1/m) <grad f(x), grad f(x')>, is close to kappa(<x, x'>) at large width", () => {
    // The fluctuation of the empirical NTK is O(1/sqrt(m)): about 1.5% at m = 20000, 1% here.
    const m = 50000;
    const d = 10;
    for (const seed of [0, 1]) {
      const { w1, w2 } = initWeights(seed, m, d);
      // x = e1 and x' = t e1 + sqrt(1 - t^2) e2: the weight law is rotation invariant.
      const ntk = (t: number): number => {
        const s = Math.sqrt(1 - t * t);
        let sum = 0;
        for (let j = 0; j < m; j++) {
          const h = w1[j * d]!;
          const hp = t * w1[j * d]! + s * w1[j * d + 1]!;
          // Per neuron: df/dW2_j = sqrt(m) relu(h_j), df/dW1_j = sqrt(m) W2_j 1(h_j > 0) x.
          if (h > 0 && hp > 0) sum += h * hp + w2[j]! * w2[j]! * t;
        }
        return sum; // (1/m) * m * sum over neurons
      };
      expect(Math.abs(ntk(1) - 1.5) / 1.5).toBeLessThan(0.04);
      for (const t of [-0.5, 0, 0.3, 0.7, 0.95]) {
        expect(Math.abs(ntk(t) - kappaInline(t))).toBeLessThan(0.04 * Math.max(kappaInline(t), 0.5));
      }
    }
    expect(kappaInline(1)).toBe(1.5);
  });
});

describe("initWeights(..., 'symmetric')", () => {
  it('pairs neurons so the initial function is zero, with the Gaussian init laws per weight', async () => {
    const { initWeights, forwardReference } = await import('../../src/model/network.js');
    const { Prng } = await import('../../src/math/prng.js');
    const { sampleSphere } = await import('../../src/math/sphere.js');
    const m = 4000;
    const d = 5;
    const w = initWeights(3, m, d, 'symmetric');
    const x = sampleSphere(new Prng(1, 'test/x'), 20, d);
    for (const v of forwardReference(w, 1, x, 20)) expect(Math.abs(v)).toBeLessThan(1e-12); // zero up to summation rounding
    // Row j and j + m/2 share W1, and their W2 entries cancel.
    expect(Array.from(w.w1.subarray(0, d))).toEqual(Array.from(w.w1.subarray((m / 2) * d, (m / 2) * d + d)));
    expect(w.w2[7]! + w.w2[7 + m / 2]!).toBe(0);
    const variance = (a: Float64Array) => a.reduce((s, v) => s + v * v, 0) / a.length;
    // Variances 2/m and 1/m within ~5 standard errors (m/2 independent draws each).
    expect(Math.abs(variance(w.w1) / (2 / m) - 1)).toBeLessThan(5 * Math.sqrt(2 / ((m / 2) * d)));
    expect(Math.abs(variance(w.w2) / (1 / m) - 1)).toBeLessThan(5 * Math.sqrt(2 / (m / 2)));
    expect(() => initWeights(3, 7, d, 'symmetric')).toThrow(/even width/);
  });
});
