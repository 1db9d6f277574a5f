import { describe, it, expect } from 'vitest';
import {
  empiricalNtk,
  empiricalNtkCross,
  empiricalNtkGram,
  empiricalNtkQuadratics,
  empiricalNtkQuadraticsByProducts,
  familyGram,
  finiteWidthTwin,
  kernelResiduals,
  kernelTestResiduals,
  ntkGram,
  ntkQuadratics,
  Prng,
  relativeFrobeniusError,
  sampleSphere,
  symmetricEigen,
  type FiniteWidthTwin,
} from '../../src/math/index.js';
import { quadraticForm } from '../../src/math/matmul.js';
import { loadNative } from '../../src/native/index.js';
import { forwardReference, gdStepReference, initWeights, type NetworkWeights } from '../../src/model/network.js';
import { forwardDeep, gdStepDeep, initDeepWeights } from '../../src/model/reference-deep.js';

/** The explicit per-parameter Jacobian of f = sqrt(m) W2 relu(W1 x) at one point: m*dim entries for W1, then m for W2. */
function jacobianRow(w: NetworkWeights, x: Float64Array, o: number): Float64Array {
  const { width: m, dim } = w;
  const row = new Float64Array(m * dim + m);
  for (let j = 0; j < m; j++) {
    let h = 0;
    for (let d = 0; d < dim; d++) h += w.w1[j * dim + d]! * x[o + d]!;
    if (h > 0) {
      for (let d = 0; d < dim; d++) row[j * dim + d] = Math.sqrt(m) * w.w2[j]! * x[o + d]!;
      row[m * dim + j] = Math.sqrt(m) * h;
    }
  }
  return row;
}

/** (1/m) J_A J_Bᵀ from explicit Jacobian rows. */
function jacobianProduct(w: NetworkWeights, xA: Float64Array, nA: number, xB: Float64Array, nB: number): Float64Array {
  const rowsA = Array.from({ length: nA }, (_, a) => jacobianRow(w, xA, a * w.dim));
  const rowsB = Array.from({ length: nB }, (_, b) => jacobianRow(w, xB, b * w.dim));
  const out = new Float64Array(nA * nB);
  for (let a = 0; a < nA; a++) {
    for (let b = 0; b < nB; b++) {
      let s = 0;
      for (let p = 0; p < rowsA[a]!.length; p++) s += rowsA[a]![p]! * rowsB[b]![p]!;
      out[a * nB + b] = s / w.width;
    }
  }
  return out;
}

const norm = (a: Float64Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));
/** ||a - b|| relative to ||start||: the residual moves by O(1), a twin's error is the kernel's motion. */
const off = (a: Float64Array, b: Float64Array, start: Float64Array) => norm(a.map((v, i) => v - b[i]!)) / norm(start);

describe('the empirical NTK Gram Θ̂₀ (both layers)', () => {
  const dim = 4;
  const w = initWeights(7, 12, dim);
  const xA = sampleSphere(new Prng(7, 'test/fwt/a'), 6, dim);
  const xB = sampleSphere(new Prng(7, 'test/fwt/b'), 5, dim);

  it('equals the explicit per-parameter Jacobian product (1/m) J Jᵀ at small m, on a sample and across two samples', () => {
    expect(relativeFrobeniusError(empiricalNtk(w.w1, w.w2, w.width, dim, xA, 6), jacobianProduct(w, xA, 6, xA, 6))).toBeLessThan(1e-14);
    expect(
      relativeFrobeniusError(empiricalNtkCross(w.w1, w.w2, w.width, dim, xA, 6, xB, 5), jacobianProduct(w, xA, 6, xB, 5)),
    ).toBeLessThan(1e-14);
  });

  it('empiricalNtkGram (BLAS products, else the native threaded loops, else JS) and the native loops themselves equal the JS sums', async () => {
    const x = sampleSphere(new Prng(8, 'test/fwt/big'), 37, 10);
    const v = initWeights(8, 300, 10);
    const js = empiricalNtk(v.w1, v.w2, 300, 10, x, 37);
    const jsCross = empiricalNtkCross(v.w1, v.w2, 300, 10, x, 11, x, 37);
    expect(relativeFrobeniusError(await empiricalNtkGram(v.w1, v.w2, 300, 10, x, 37), js)).toBeLessThan(1e-13);
    const cross = await empiricalNtkGram(v.w1, v.w2, 300, 10, x.subarray(0, 11 * 10), 11, { x, n: 37 });
    expect(relativeFrobeniusError(cross, jsCross)).toBeLessThan(1e-13);
    const addon = loadNative();
    if (addon) {
      for (const threads of [1, 3]) {
        expect(relativeFrobeniusError(await addon.empiricalNtk(v.w1, v.w2, 300, 10, x, 37, null, 37, threads), js)).toBeLessThan(1e-13);
        const c = await addon.empiricalNtk(v.w1, v.w2, 300, 10, x.subarray(0, 11 * 10), 11, x, 37, threads);
        expect(relativeFrobeniusError(c, jsCross)).toBeLessThan(1e-13);
      }
    }
  });

  it('the quadratic forms vᵀΘ̂v and vᵀKv, without the matrices, equal vᵀAv of the formed ones, for several v at once', () => {
    const n = 23;
    // More neurons than one chunk (1024), with a ragged last one.
    const width = 1500;
    const x = sampleSphere(new Prng(9, 'test/fwt/q'), n, dim);
    const w = initWeights(9, width, dim);
    const vs = [new Prng(3, 'test/fwt/v').normals(n, 1), new Prng(4, 'test/fwt/v').normals(n, 1)];
    const quad = (a: Float64Array, v: Float64Array) => {
      let q = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) q += v[i]! * a[i * n + j]! * v[j]!;
      return q;
    };
    const theta = empiricalNtk(w.w1, w.w2, width, dim, x, n);
    const k = ntkGram(x, n, dim);
    const finite = empiricalNtkQuadratics(w.w1, w.w2, width, dim, x, n, vs);
    const infinite = ntkQuadratics(x, n, dim, vs);
    vs.forEach((v, c) => {
      expect(finite[c]! / quad(theta, v) - 1).toBeCloseTo(0, 12);
      expect(infinite[c]! / quad(k, v) - 1).toBeCloseTo(0, 12);
    });
  });

  it("the addon's fused quadratic forms equal the JS products' and vᵀΘ̂v of the formed Θ̂, bit-identical for any thread count", (ctx) => {
    const addon = loadNative();
    if (!addon?.empiricalNtkQuadratics) return ctx.skip();
    // Ragged against the addon's blocks (8 neurons a task, groups of 4 points, 8 gated rows):
    // one point, one neuron, D = 1, and sizes that fill none of them.
    for (const [n, width, d, k] of [
      [1, 1, 1, 1],
      [5, 3, 3, 2],
      [23, 13, 10, 3],
      [37, 1500, 4, 5],
    ] as const) {
      const rng = new Prng(10 + n, 'test/fwt/native-q');
      // x holds more points than n, as ntk-check's training sample does.
      const x = sampleSphere(rng, n + 2, d);
      const w = initWeights(10 + n, width, d);
      // A neuron with w = 0 is off everywhere: h = 0 is not > 0 in either implementation.
      if (width > 1) w.w1.fill(0, 0, d);
      const vs = Array.from({ length: k }, () => rng.normals(n, 1));
      const flat = new Float64Array(k * n);
      vs.forEach((v, c) => flat.set(v, c * n));
      const native = Array.from(addon.empiricalNtkQuadratics(w.w1, w.w2, width, d, x, n, flat, k, 1));
      const js = empiricalNtkQuadraticsByProducts(w.w1, w.w2, width, d, x, n, vs);
      const theta = empiricalNtk(w.w1, w.w2, width, d, x, n);
      vs.forEach((v, c) => {
        expect(native[c]).toBeGreaterThan(0);
        expect(Math.abs(native[c]! / js[c]! - 1)).toBeLessThan(1e-13);
        expect(Math.abs(native[c]! / quadraticForm(theta, n, v) - 1)).toBeLessThan(1e-12);
      });
      for (const threads of [2, 3, 8])
        expect(Array.from(addon.empiricalNtkQuadratics(w.w1, w.w2, width, d, x, n, flat, k, threads))).toEqual(native);
      // The exported function dispatches to the addon, with the same argument check.
      expect(empiricalNtkQuadratics(w.w1, w.w2, width, d, x, n, vs, 2)).toEqual(native);
      expect(() => empiricalNtkQuadratics(w.w1, w.w2, width, d, x, n + 3, vs)).toThrow('shapes do not fit');
    }
    const w = initWeights(11, 4, 3);
    const x = sampleSphere(new Prng(11, 'test/fwt/native-q'), 2, 3);
    expect(Array.from(addon.empiricalNtkQuadratics(w.w1, w.w2, 4, 3, x, 2, new Float64Array(0), 0, 1))).toEqual([]);
    expect(Array.from(addon.empiricalNtkQuadratics(w.w1, w.w2, 4, 3, x, 0, new Float64Array(0), 1, 1))).toEqual([0]);
  });

  it("the addon's fused quadratic forms check their arguments", (ctx) => {
    const addon = loadNative();
    if (!addon?.empiricalNtkQuadratics) return ctx.skip();
    const q = addon.empiricalNtkQuadratics.bind(addon) as (...args: unknown[]) => Float64Array;
    const w = initWeights(12, 4, 3);
    const x = sampleSphere(new Prng(12, 'test/fwt/native-q'), 5, 3);
    const vs = new Float64Array(2 * 5);
    expect(() => q(w.w1, w.w2, 4, 3, x, 5, vs, 2)).toThrow('empiricalNtkQuadratics(w1, w2, m, dim, x, n, vs, k, threads)');
    expect(() => q(Array.from(w.w1), w.w2, 4, 3, x, 5, vs, 2, 1)).toThrow('empiricalNtkQuadratics: w1 must be a Float64Array');
    expect(() => q(w.w1, w.w2, 4, 3, x, 5, vs, 2, 0)).toThrow('empiricalNtkQuadratics: threads must be an integer >= 1');
    expect(() => q(w.w1, w.w2, 4, 3, x, 2.5, vs, 2, 1)).toThrow('empiricalNtkQuadratics: n must be an integer >= 0');
    expect(() => q(w.w1, w.w2, -1, 3, x, 5, vs, 2, 1)).toThrow('empiricalNtkQuadratics: m must be an integer >= 0');
    expect(() => q(w.w1, w.w2, 5, 3, x, 5, vs, 2, 1)).toThrow('empiricalNtkQuadratics: w1 must hold 15 entries');
    expect(() => q(w.w1, w.w2, 4, 3, x, 6, vs, 1, 1)).toThrow('empiricalNtkQuadratics: x must hold 18 entries');
    expect(() => q(w.w1, w.w2, 4, 3, x, 5, vs, 3, 1)).toThrow('empiricalNtkQuadratics: vs must hold 15 entries');
  });
});

/**
 * A float64 GD run from w0 and the curves beside it at `steps` (the last one included): the
 * network's residuals on train and test, the finite-width twin's on `twin` and the
 * infinite-width twin's on the eigenpairs `inf` of K/n, all started from the network's r_0.
 */
function gdAndTwins<W>(
  w0: W,
  step: (w: W) => W,
  forward: (w: W, pts: Float64Array, m: number) => Float64Array,
  twin: FiniteWidthTwin,
  inf: { values: Float64Array; vectors?: Float64Array },
  data: { x: Float64Array; n: number; y: Float64Array; xTest: Float64Array; nTest: number; yTest: Float64Array },
  lr: number,
  steps: number[],
) {
  const { x, n, y, xTest, nTest, yTest } = data;
  const residual = (w: W, pts: Float64Array, m: number, targets: Float64Array) => forward(w, pts, m).map((f, i) => targets[i]! - f);
  const r0 = residual(w0, x, n, y);
  const r0Test = residual(w0, xTest, nTest, yTest);
  const net: Float64Array[] = [];
  const netTest: Float64Array[] = [];
  let w = w0;
  for (let t = 0; t <= steps.at(-1)!; t++) {
    if (steps.includes(t)) {
      net.push(residual(w, x, n, y));
      netTest.push(residual(w, xTest, nTest, yTest));
    }
    w = step(w);
  }
  const fin = kernelResiduals(twin.values, twin.vectors, n, r0, lr, steps);
  const finTest = kernelTestResiduals(twin.testTrain!, nTest, twin.values, twin.vectors, n, r0, r0Test, lr, steps);
  const infin = kernelResiduals(
    inf.values.map((v) => Math.max(v, 0)),
    inf.vectors!,
    n,
    r0,
    lr,
    steps,
  );
  return { r0, r0Test, net, netTest, fin, finTest, infin };
}

describe('the finite-width twin', () => {
  it('follows a float64 GD run of the network at large m, small n, far closer than the infinite-width twin', async () => {
    const dim = 5;
    const n = 12;
    const nTest = 4;
    const width = 20000;
    const lr = 1;
    const theta = 1;
    const x = sampleSphere(new Prng(11, 'test/fwt/x'), n, dim);
    const xTest = sampleSphere(new Prng(11, 'test/fwt/xt'), nTest, dim);
    const y = Float64Array.from({ length: n }, (_, i) => x[i * dim]! + 2 * x[i * dim]! * x[i * dim + 1]!);
    const yTest = Float64Array.from({ length: nTest }, (_, i) => xTest[i * dim]! + 2 * xTest[i * dim]! * xTest[i * dim + 1]!);
    const w = initWeights(11, width, dim);
    const twin = await finiteWidthTwin({ w1: w.w1, w2: w.w2, width, dim, xTrain: x, n, xTest, nTest });
    const inf = symmetricEigen(
      ntkGram(x, n, dim).map((v) => v / n),
      n,
      { vectors: true },
    );
    const steps = [0, 5, 20, 60];
    const { r0, r0Test, net, netTest, fin, finTest, infin } = gdAndTwins(
      w,
      (weights) => gdStepReference(weights, theta, lr, x, y, n),
      (weights, pts, m) => forwardReference(weights, theta, pts, m),
      twin,
      inf,
      { x, n, y, xTest, nTest, yTest },
      lr,
      steps,
    );
    for (let s = 1; s < steps.length; s++) {
      expect(off(net[s]!, r0, r0)).toBeGreaterThan(0.5);
      expect(off(fin[s]!, net[s]!, r0)).toBeLessThan(5e-4);
      expect(off(finTest[s]!, netTest[s]!, r0Test)).toBeLessThan(3e-3);
      expect(off(infin[s]!, net[s]!, r0)).toBeGreaterThan(5 * off(fin[s]!, net[s]!, r0));
    }
  }, 120_000);
});

describe('the finite-width twin of a model-family network', () => {
  it("follows a float64 GD run of the network (gdStepDeep, the engines' reference) ever closer as m grows, closer than the infinite-width twin: L = 3, beta = 0.5, erf", async () => {
    const model = { depth: 3, bias: 0.5, activation: 'erf' } as const;
    const dim = 5;
    const n = 10;
    const nTest = 3;
    const lr = 1;
    const theta = 1;
    const steps = [0, 8, 20];
    const x = sampleSphere(new Prng(3, 'test/fwt/deep/x'), n, dim);
    const xTest = sampleSphere(new Prng(3, 'test/fwt/deep/xt'), nTest, dim);
    const y = new Prng(3, 'test/fwt/deep/y').normals(n);
    const yTest = new Prng(3, 'test/fwt/deep/yt').normals(nTest);
    const inf = symmetricEigen(
      familyGram(model, x, n, dim).map((v) => v / n),
      n,
      { vectors: true },
    );
    const gaps: number[] = [];
    for (const width of [128, 1024]) {
      const w = initDeepWeights(1, model, width, dim);
      const twin = await finiteWidthTwin({ deep: w, xTrain: x, n, xTest, nTest });
      const { r0, r0Test, net, netTest, fin, finTest, infin } = gdAndTwins(
        w,
        (weights) => gdStepDeep(weights, theta, lr, x, y, n),
        (weights, pts, m) => forwardDeep(weights, theta, pts, m),
        twin,
        inf,
        { x, n, y, xTest, nTest, yTest },
        lr,
        steps,
      );
      let gap = 0;
      for (let s = 1; s < steps.length; s++) {
        expect(off(net[s]!, r0, r0)).toBeGreaterThan(0.3);
        gap = Math.max(gap, off(fin[s]!, net[s]!, r0));
        expect(off(finTest[s]!, netTest[s]!, r0Test)).toBeLessThan(width === 1024 ? 0.02 : 0.2);
        expect(off(infin[s]!, net[s]!, r0)).toBeGreaterThan(2 * off(fin[s]!, net[s]!, r0));
      }
      gaps.push(gap);
    }
    // What separates the network from its twin is the kernel's motion, which falls with the width.
    // Measured 1.2e-2 at m = 128, 5.4e-4 at m = 1024.
    expect(gaps[1]).toBeLessThan(gaps[0]! / 8);
    expect(gaps[1]).toBeLessThan(2e-3);
  }, 120_000);
});
