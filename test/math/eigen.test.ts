import { describe, it, expect } from 'vitest';
import { Prng, symmetricEigen, symmetricEigenInWorker } from '../../src/math/index.js';

/** A random symmetric n x n matrix with N(0, 1) entries. */
function randomSymmetric(n: number, seed: number): Float64Array {
  const rng = new Prng(seed, 'test/eigen');
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = rng.normal();
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  return a;
}

describe('symmetricEigen', () => {
  const n = 60;
  const a = randomSymmetric(n, 1);

  it('symmetricEigen returns eigenpairs with small residual ||A v - lambda v||', () => {
    const { values, vectors } = symmetricEigen(a, n, { vectors: true });
    expect(vectors).toBeDefined();
    const v = vectors as Float64Array;
    for (let j = 0; j < n; j++) {
      let r2 = 0;
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let l = 0; l < n; l++) av += a[i * n + l]! * v[l * n + j]!;
        r2 += (av - values[j]! * v[i * n + j]!) ** 2;
      }
      expect(Math.sqrt(r2)).toBeLessThan(1e-12 * n);
    }
  });

  it('symmetricEigen returns orthonormal eigenvector columns', () => {
    const v = symmetricEigen(a, n, { vectors: true }).vectors as Float64Array;
    for (let p = 0; p < n; p++) {
      for (let q = 0; q < n; q++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += v[i * n + p]! * v[i * n + q]!;
        expect(Math.abs(s - (p === q ? 1 : 0))).toBeLessThan(1e-13);
      }
    }
  });

  it('symmetricEigen sorts eigenvalues descending and preserves the trace', () => {
    const { values, vectors } = symmetricEigen(a, n);
    expect(vectors).toBeUndefined();
    let trace = 0;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      trace += a[i * n + i]!;
      sum += values[i]!;
      if (i > 0) expect(values[i]).toBeLessThanOrEqual(values[i - 1]!);
    }
    expect(sum).toBeCloseTo(trace, 10);
  });

  it('symmetricEigen recovers a known spectrum Q diag(d) Q^T', () => {
    // Q = I - 2 u u^T / |u|^2 is orthogonal; the eigenvalues must come back sorted.
    const m = 5;
    const d = [2, -1, 7, 0.5, 3];
    const u = [1, 2, -1, 0.5, 3];
    const uu = u.reduce((s, x) => s + x * x, 0);
    const q = (i: number, j: number) => (i === j ? 1 : 0) - (2 * u[i]! * u[j]!) / uu;
    const b = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) for (let l = 0; l < m; l++) b[i * m + j]! += q(i, l) * d[l]! * q(j, l);
    const { values } = symmetricEigen(b, m);
    [7, 3, 2, 0.5, -1].forEach((expected, i) => expect(values[i]).toBeCloseTo(expected, 13));
  });

  it('symmetricEigenInWorker gives bit-identical values and vectors to the in-thread call', async () => {
    const local = symmetricEigen(a, n, { vectors: true });
    const remote = await symmetricEigenInWorker(a, n, { vectors: true });
    expect(Array.from(remote.values)).toEqual(Array.from(local.values));
    expect(Array.from(remote.vectors as Float64Array)).toEqual(Array.from(local.vectors as Float64Array));
    const valuesOnly = await symmetricEigenInWorker(a, n);
    expect(valuesOnly.vectors).toBeUndefined();
    expect(Array.from(valuesOnly.values)).toEqual(Array.from(local.values));
  });

  it('symmetricEigenInWorker leaves the caller matrix intact and the event loop free', async () => {
    // Large enough that the solve outlasts a 1 ms timer even with a fast LAPACK (at 250 it did not, once).
    const m = 800;
    const b = randomSymmetric(m, 2);
    const before = Float64Array.from(b);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const { values } = await symmetricEigenInWorker(b, m);
    clearInterval(timer);
    expect(values.length).toBe(m);
    expect(Array.from(b)).toEqual(Array.from(before));
    expect(ticks).toBeGreaterThan(0);
  });

  it('symmetricEigen rejects a matrix shorter than n * n', () => {
    expect(() => symmetricEigen(new Float64Array(3), 2)).toThrow(RangeError);
    expect(() => symmetricEigenInWorker(new Float64Array(3), 2)).toThrow(RangeError);
  });
});
