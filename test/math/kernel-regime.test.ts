import { describe, it, expect } from 'vitest';
import { kernelResiduals, kernelTestResiduals, ntkCross, ntkGram, Prng, sampleSphere, symmetricEigen } from '../../src/math/index.js';
import { eigenspaceProjections, rowNorms } from '../../src/math/eigenspace.js';
import { kernelCoefficients } from '../../src/math/kernel-regime.js';

describe('kernel-regime twin', () => {
  const n = 30;
  const nTest = 12;
  const dim = 4;
  const rng = new Prng(21, 'test/kernel-regime');
  const x = sampleSphere(rng, n, dim);
  const xTest = sampleSphere(rng, nTest, dim);
  const r0 = rng.normals(n);
  const r0Test = rng.normals(nTest);
  const learningRate = 2;
  const steps = Array.from({ length: 51 }, (_, s) => s);

  const k = ntkGram(x, n, dim);
  const { values, vectors } = symmetricEigen(k, n, { vectors: true });
  const lambda = values.map((v) => v / n);
  const kTx = ntkCross(xTest, nTest, x, n, dim);

  /** The explicit recursion r_{s+1} = r_s - eta' (K/n) r_s and f_{s+1}^test = f_s^test + eta' (K_tx/n) r_s. */
  function recursion(): { train: Float64Array[]; test: Float64Array[] } {
    const train: Float64Array[] = [];
    const test: Float64Array[] = [];
    let r = Float64Array.from(r0);
    const moved = new Float64Array(nTest); // f_s^test - f_0^test
    for (let s = 0; s <= 50; s++) {
      train.push(Float64Array.from(r));
      test.push(Float64Array.from(r0Test, (v, a) => v - moved[a]!));
      const next = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let kr = 0;
        for (let j = 0; j < n; j++) kr += k[i * n + j]! * r[j]!;
        next[i] = r[i]! - (learningRate * kr) / n;
      }
      for (let a = 0; a < nTest; a++) {
        let kr = 0;
        for (let j = 0; j < n; j++) kr += kTx[a * n + j]! * r[j]!;
        moved[a]! += (learningRate * kr) / n;
      }
      r = next;
    }
    return { train, test };
  }

  it('kernelResiduals agrees with the step-by-step recursion on the training sample to 1e-10', () => {
    const ref = recursion().train;
    const got = kernelResiduals(lambda, vectors!, n, r0, learningRate, steps);
    expect(got.length).toBe(51);
    for (let s = 0; s <= 50; s++) for (let i = 0; i < n; i++) expect(Math.abs(got[s]![i]! - ref[s]![i]!)).toBeLessThan(1e-10);
  });

  it("kernelCoefficients are the recursion's residuals in the eigenbasis: their columns give eigenspace norms with no product", () => {
    const coefficients = kernelCoefficients(lambda, vectors!, n, r0, learningRate, steps);
    const { train } = recursion();
    const members = [1, 2, 3, 7];
    const fromProducts = eigenspaceProjections(Float64Array.from(train.flatMap((r) => [...r])), steps.length, vectors!, n, members);
    const fromCoefficients = rowNorms(coefficients, steps.length, n, members);
    for (const [s, want] of fromProducts.entries()) expect(Math.abs(fromCoefficients[s]! - want)).toBeLessThan(1e-10);
    // All columns: the residual's whole length.
    const whole = rowNorms(coefficients, steps.length, n);
    for (const [s, r] of train.entries()) expect(whole[s]).toBeCloseTo(Math.hypot(...r), 10);
  });

  it('kernelTestResiduals agrees with the step-by-step recursion on held-out points to 1e-10', () => {
    const ref = recursion().test;
    const got = kernelTestResiduals(kTx, nTest, lambda, vectors!, n, r0, r0Test, learningRate, steps);
    expect(got.length).toBe(51);
    for (let s = 0; s <= 50; s++) for (let a = 0; a < nTest; a++) expect(Math.abs(got[s]![a]! - ref[s]![a]!)).toBeLessThan(1e-10);
  });

  it('kernelTestResiduals with fewer steps than test points (the products in the other order) agrees with the recursion to 1e-10', () => {
    const ref = recursion().test;
    const few = [0, 7, 19, 50];
    const got = kernelTestResiduals(kTx, nTest, lambda, vectors!, n, r0, r0Test, learningRate, few);
    expect(got.length).toBe(few.length);
    for (const [s, t] of few.entries()) for (let a = 0; a < nTest; a++) expect(Math.abs(got[s]![a]! - ref[t]![a]!)).toBeLessThan(1e-10);
  });

  it('kernelTestResiduals on the training points themselves reproduces kernelResiduals', () => {
    // With X_test = X, f_t - f_0 = K U diag(g_t) Uᵀ r_0 / n = U diag(1 - (1 - eta' lambda)^t) Uᵀ r_0.
    const kSelf = ntkCross(x, n, x, n, dim);
    const a = kernelTestResiduals(kSelf, n, lambda, vectors!, n, r0, r0, learningRate, [0, 7, 300]);
    const b = kernelResiduals(lambda, vectors!, n, r0, learningRate, [0, 7, 300]);
    // kSelf's diagonal is kappa of a rounded 1, off by ~3e-9 from ntkGram's exact 3/2.
    for (let s = 0; s < 3; s++) for (let i = 0; i < n; i++) expect(Math.abs(a[s]![i]! - b[s]![i]!)).toBeLessThan(1e-6);
  });

  it("a zero (or rounding-negative) eigenvalue keeps its residual and moves test predictions by t eta' per step", () => {
    // K/n = diag(0.5, 0) (identity eigenvectors), one test point with K_tx = [0.3, 0.7], n = 2.
    const eye = new Float64Array([1, 0, 0, 1]);
    const r = new Float64Array([1, 2]);
    const eta = 0.5;
    for (const zero of [0, -1e-17, 1e-300]) {
      const vals = new Float64Array([0.5, zero]);
      const train = kernelResiduals(vals, eye, 2, r, eta, [10])[0]!;
      expect(Math.abs(train[0]! - (1 - eta * 0.5) ** 10)).toBeLessThan(1e-15);
      expect(train[1]).toBe(2);
      const test = kernelTestResiduals(new Float64Array([0.3, 0.7]), 1, vals, eye, 2, r, new Float64Array([5]), eta, [10])[0]!;
      const expected = 5 - (0.3 * ((1 - (1 - eta * 0.5) ** 10) / 0.5) * 1 + 0.7 * (10 * eta) * 2) / 2;
      expect(Math.abs(test[0]! - expected)).toBeLessThan(1e-14);
    }
  });

  it('ntkCross of a sample with itself is ntkGram off the diagonal, and within 1e-7 on it', () => {
    const cross = ntkCross(x, n, x, n, dim);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j) expect(Math.abs(cross[i * n + j]! - k[i * n + j]!)).toBeLessThan(1e-7);
        else expect(cross[i * n + j]).toBe(k[i * n + j]);
      }
    }
  });

  it('the kernel-regime functions reject mismatched shapes and non-integer steps', () => {
    expect(() => kernelResiduals(lambda, vectors!, n, r0.subarray(1), learningRate, [1])).toThrow(RangeError);
    expect(() => kernelResiduals(lambda, vectors!, n, r0, learningRate, [1.5])).toThrow(RangeError);
    expect(() => kernelTestResiduals(kTx, nTest + 1, lambda, vectors!, n, r0, r0Test, learningRate, [1])).toThrow(RangeError);
  });
});
