import { afterEach, describe, expect, it, vi } from 'vitest';
import { zonalKernel } from '../../src/math/eigenspace.js';
import { eigenMethod, gegenbauer, ntkGram, Prng, sampleSphere, symmetricEigen, symmetricEigenInWorker } from '../../src/math/index.js';
import { matmul } from '../../src/math/matmul.js';
import { loadNative } from '../../src/native/index.js';

/** A random symmetric n x n matrix with N(0, 1) entries. */
function randomSymmetric(n: number, seed: number): Float64Array {
  const rng = new Prng(seed, 'test/eigen-native');
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

/** max_j ||A v_j - lambda_j v_j|| for vectors stored by column. */
function maxResidual(a: Float64Array, n: number, values: Float64Array, v: Float64Array): number {
  let worst = 0;
  for (let j = 0; j < n; j++) {
    let r2 = 0;
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let l = 0; l < n; l++) av += a[i * n + l]! * v[l * n + j]!;
      r2 += (av - values[j]! * v[i * n + j]!) ** 2;
    }
    worst = Math.max(worst, Math.sqrt(r2));
  }
  return worst;
}

/** max |V^T V - I|. */
function maxOrthogonalityError(v: Float64Array, n: number): number {
  let worst = 0;
  for (let p = 0; p < n; p++) {
    for (let q = p; q < n; q++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += v[i * n + p]! * v[i * n + q]!;
      worst = Math.max(worst, Math.abs(s - (p === q ? 1 : 0)));
    }
  }
  return worst;
}

const addon = loadNative();
const lapack = addon?.info().lapack === true;
// LAPACK-only assertions are skipped where the addon was not built or found no LAPACK (the
// ml-matrix path is then the only one, and eigen.test.ts covers it). npm ci links OpenBLAS (the
// system's or PyPI's scipy-openblas32), so in CI they run.
const describeLapack = lapack ? describe : describe.skip;

describeLapack('symmetricEigen on LAPACK dsyevd', () => {
  const n = 80;
  const a = randomSymmetric(n, 3);

  it('is the method auto picks when the addon has LAPACK', () => {
    expect(eigenMethod()).toBe('lapack-dsyevd');
  });

  it('returns eigenpairs with small residual ||A v - lambda v|| and orthonormal vectors', () => {
    const { values, vectors } = symmetricEigen(a, n, { vectors: true, method: 'lapack-dsyevd' });
    expect(maxResidual(a, n, values, vectors!)).toBeLessThan(1e-12 * n);
    expect(maxOrthogonalityError(vectors!, n)).toBeLessThan(1e-13);
    for (let i = 1; i < n; i++) expect(values[i]).toBeLessThanOrEqual(values[i - 1]!);
  });

  it('agrees with ml-matrix: values to 1e-12, vectors up to sign', () => {
    const fast = symmetricEigen(a, n, { vectors: true, method: 'lapack-dsyevd' });
    const js = symmetricEigen(a, n, { vectors: true, method: 'ml-matrix' });
    for (let j = 0; j < n; j++)
      expect(Math.abs(fast.values[j]! - js.values[j]!)).toBeLessThan(1e-12 * Math.max(1, Math.abs(js.values[j]!)));
    // A random matrix has simple eigenvalues, so each vector is fixed up to sign.
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += fast.vectors![i * n + j]! * js.vectors![i * n + j]!;
      const sign = Math.sign(dot);
      for (let i = 0; i < n; i++) expect(Math.abs(fast.vectors![i * n + j]! - sign * js.vectors![i * n + j]!)).toBeLessThan(1e-9);
    }
  });

  it('gives the same values, bit for bit, with or without vectors, in-thread and off-thread', async () => {
    const local = symmetricEigen(a, n, { vectors: true });
    const remote = await symmetricEigenInWorker(a, n, { vectors: true });
    const valuesOnly = await symmetricEigenInWorker(a, n);
    expect(Array.from(remote.values)).toEqual(Array.from(local.values));
    expect(Array.from(remote.vectors!)).toEqual(Array.from(local.vectors!));
    expect(valuesOnly.vectors).toBeUndefined();
    expect(Array.from(valuesOnly.values)).toEqual(Array.from(local.values));
  });

  it('solves off the JS thread and leaves the caller matrix intact', async () => {
    const m = 600;
    const b = randomSymmetric(m, 4);
    const before = Float64Array.from(b);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const { values } = await symmetricEigenInWorker(b, m, { vectors: true });
    clearInterval(timer);
    expect(values.length).toBe(m);
    expect(Array.from(b)).toEqual(Array.from(before));
    expect(ticks).toBeGreaterThan(0);
  });

  it('recovers the NTK spectrum of a Gram matrix like ml-matrix does', () => {
    const dim = 5;
    const m = 120;
    const x = sampleSphere(new Prng(7, 'test/eigen-native/x'), m, dim);
    const k = ntkGram(x, m, dim);
    const fast = symmetricEigen(k, m);
    const js = symmetricEigen(k, m, { method: 'ml-matrix' });
    for (let j = 0; j < m; j++) expect(Math.abs(fast.values[j]! - js.values[j]!)).toBeLessThan(1e-11);
  });
});

describe.runIf(addon !== null)('the native Gram matrix', () => {
  it('equals ntkGram to the last bit or one ulp of arccos, with the diagonal exactly 3/2', () => {
    const dim = 10;
    const m = 150;
    const x = sampleSphere(new Prng(8, 'test/eigen-native/gram'), m, dim);
    const js = ntkGram(x, m, dim);
    const native = addon!.gram(x, m, dim);
    let worst = 0;
    for (let i = 0; i < m * m; i++) worst = Math.max(worst, Math.abs(native[i]! - js[i]!));
    expect(worst).toBeLessThanOrEqual(4.5e-16);
    for (let i = 0; i < m; i++) expect(native[i * m + i]).toBe(1.5);
  });
});

describe.runIf(addon?.zonalFill !== undefined)('the native zonal kernel', () => {
  it('P_k in place gives the bits of the JS recurrence, for every degree and two dimensions', () => {
    for (const dim of [3, 10]) {
      const n = 61;
      const x = sampleSphere(new Prng(9, 'test/eigen-native/zonal'), n, dim);
      for (let k = 0; k <= 6; k++) {
        const native = zonalKernel(x, n, dim, k);
        const inner = matmul(x, x, n, dim, n, { transB: true });
        for (let i = 0; i < n; i++) {
          expect(native[i * n + i]).toBe(1);
          for (let j = i + 1; j < n; j++) {
            const want = gegenbauer(dim, k, inner[i * n + j]!);
            expect(Object.is(native[i * n + j], want)).toBe(true);
            expect(Object.is(native[j * n + i], want)).toBe(true);
          }
        }
      }
    }
  });

  it('refuses what it cannot fill', () => {
    expect(() => addon!.zonalFill!(new Float64Array(3), 2, 10, 4)).toThrow(/a must hold n \* n entries/);
    expect(() => addon!.zonalFill!(new Float64Array(4), 2, 1, 4)).toThrow(/dim must be an integer >= 2/);
    expect(() => addon!.zonalFill!(new Float64Array(4), 2, 10, -1)).toThrow(/k must be an integer >= 0/);
    expect(() => addon!.zonalFill!(Float32Array.of(1, 2, 3, 4) as unknown as Float64Array, 2, 10, 4)).toThrow(/a must be a Float64Array/);
  });
});

describe('the eigensolver fallback', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('uses ml-matrix when SPECBIAS_NATIVE=0, in-thread and in a worker, with identical results', async () => {
    vi.stubEnv('SPECBIAS_NATIVE', '0');
    expect(eigenMethod()).toBe('ml-matrix');
    const n = 40;
    const a = randomSymmetric(n, 5);
    const forced = symmetricEigen(a, n, { vectors: true, method: 'ml-matrix' });
    const local = symmetricEigen(a, n, { vectors: true });
    const remote = await symmetricEigenInWorker(a, n, { vectors: true });
    expect(Array.from(local.values)).toEqual(Array.from(forced.values));
    expect(Array.from(remote.values)).toEqual(Array.from(forced.values));
    expect(Array.from(remote.vectors!)).toEqual(Array.from(forced.vectors!));
    expect(maxResidual(a, n, remote.values, remote.vectors!)).toBeLessThan(1e-12 * n);
  });

  it('refuses a forced lapack-dsyevd with the reason when the addon is off', async () => {
    vi.stubEnv('SPECBIAS_NATIVE', '0');
    const a = randomSymmetric(4, 6);
    const message = 'eigen method lapack-dsyevd is not available: SPECBIAS_NATIVE=0 switches the native addon off';
    expect(() => symmetricEigen(a, 4, { method: 'lapack-dsyevd' })).toThrow(message);
    expect(() => symmetricEigenInWorker(a, 4, { method: 'lapack-dsyevd' })).toThrow(message);
  });
});
