import { describe, it, expect } from 'vitest';
import { loadNative } from '../../src/native/index.js';
import {
  empiricalNtk,
  empiricalNtkByProducts,
  empiricalNtkCross,
  empiricalNtkGramAndCross,
  ntkGram,
  Prng,
  relativeFrobeniusError,
  sampleSphere,
} from '../../src/math/index.js';

/** The paper's initialization: W1 ~ N(0, 2/m) (m x D), W2 ~ N(0, 1/m). */
function init(seed: number, m: number, dim: number): { w1: Float64Array; w2: Float64Array } {
  return {
    w1: new Prng(seed, 'test/init/W1').normals(m * dim, Math.sqrt(2 / m)),
    w2: new Prng(seed, 'test/init/W2').normals(m, Math.sqrt(1 / m)),
  };
}

/** f(x) = sqrt(m) W2 relu(W1 x), written out independently of empiricalNtk. */
function network(w1: Float64Array, w2: Float64Array, m: number, dim: number, x: Float64Array, o: number): number {
  let s = 0;
  for (let j = 0; j < m; j++) {
    let h = 0;
    for (let d = 0; d < dim; d++) h += w1[j * dim + d]! * x[o + d]!;
    s += w2[j]! * Math.max(h, 0);
  }
  return Math.sqrt(m) * s;
}

describe('empiricalNtk', () => {
  it('empiricalNtk equals (1/m) J Jᵀ with J from central finite differences of the network over both layers', () => {
    const m = 8;
    const dim = 3;
    const n = 4;
    const x = sampleSphere(new Prng(41, 'test/entk'), n, dim);
    const { w1, w2 } = init(41, m, dim);
    const params = [w1, w2];
    const count = m * dim + m;
    const jac = new Float64Array(n * count);
    const h = 1e-6;
    for (let a = 0; a < n; a++) {
      let p = 0;
      for (const w of params) {
        for (let q = 0; q < w.length; q++, p++) {
          const keep = w[q]!;
          w[q] = keep + h;
          const up = network(w1, w2, m, dim, x, a * dim);
          w[q] = keep - h;
          const down = network(w1, w2, m, dim, x, a * dim);
          w[q] = keep;
          jac[a * count + p] = (up - down) / (2 * h);
        }
      }
    }
    const reference = new Float64Array(n * n);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        let s = 0;
        for (let p = 0; p < count; p++) s += jac[a * count + p]! * jac[b * count + p]!;
        reference[a * n + b] = s / m;
      }
    }
    expect(relativeFrobeniusError(empiricalNtk(w1, w2, m, dim, x, n), reference)).toBeLessThan(1e-7);
  });

  it('the empirical NTK error against kappa shrinks like m^-1/2 (log-log slope in [-0.7, -0.3])', () => {
    const n = 20;
    const dim = 5;
    const x = sampleSphere(new Prng(42, 'test/entk'), n, dim);
    const limit = ntkGram(x, n, dim);
    const widths = [64, 256, 1024, 4096];
    const seeds = [0, 1, 2, 3];
    const logM: number[] = [];
    const logErr: number[] = [];
    for (const m of widths) {
      let mean = 0;
      for (const seed of seeds) {
        const { w1, w2 } = init(seed, m, dim);
        mean += relativeFrobeniusError(empiricalNtk(w1, w2, m, dim, x, n), limit) / seeds.length;
      }
      logM.push(Math.log(m));
      logErr.push(Math.log(mean));
    }
    const mx = logM.reduce((s, v) => s + v, 0) / logM.length;
    const my = logErr.reduce((s, v) => s + v, 0) / logErr.length;
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < logM.length; i++) {
      sxy += (logM[i]! - mx) * (logErr[i]! - my);
      sxx += (logM[i]! - mx) ** 2;
    }
    const slope = sxy / sxx;
    expect(slope).toBeGreaterThan(-0.7);
    expect(slope).toBeLessThan(-0.3);
    expect(Math.exp(logErr[logErr.length - 1]!)).toBeLessThan(0.1); // m = 4096 is close to the kernel
  });

  it('empiricalNtk is symmetric with the squared-norm sum on its diagonal', () => {
    const m = 16;
    const dim = 3;
    const n = 5;
    const x = sampleSphere(new Prng(43, 'test/entk'), n, dim);
    const { w1, w2 } = init(43, m, dim);
    const theta = empiricalNtk(w1, w2, m, dim, x, n);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) expect(theta[a * n + b]).toBe(theta[b * n + a]);
      // |x| = 1: Theta_aa = sum_j relu(h_j)^2 + sum_j W2_j^2 1(h_j > 0).
      let expected = 0;
      for (let j = 0; j < m; j++) {
        let hj = 0;
        for (let d = 0; d < dim; d++) hj += w1[j * dim + d]! * x[a * dim + d]!;
        if (hj > 0) expected += hj * hj + w2[j]! * w2[j]!;
      }
      expect(Math.abs(theta[a * n + a]! - expected)).toBeLessThan(1e-14);
    }
  });

  it('relativeFrobeniusError is ||a - b||_F / ||b||_F and rejects length mismatches', () => {
    expect(relativeFrobeniusError(new Float64Array([3, 4]), new Float64Array([0, 4]))).toBeCloseTo(3 / 4, 15);
    expect(() => relativeFrobeniusError(new Float64Array(2), new Float64Array(3))).toThrow(RangeError);
  });

  it('the product form (chunks of neurons, matrix products) equals the pairwise sums, on one set and across two', () => {
    // m spans more than one neuron chunk (1024), with a ragged last chunk.
    const m = 2500;
    const dim = 4;
    const rng = new Prng(44, 'test/entk-products');
    const x = sampleSphere(rng, 20, dim);
    const y = sampleSphere(rng, 7, dim);
    const { w1, w2 } = init(44, m, dim);
    const same = empiricalNtkByProducts(w1, w2, m, dim, x, 20);
    expect(relativeFrobeniusError(same, empiricalNtk(w1, w2, m, dim, x, 20))).toBeLessThan(1e-14);
    const cross = empiricalNtkByProducts(w1, w2, m, dim, x, 20, { x: y, n: 7 });
    expect(cross.length).toBe(20 * 7);
    expect(relativeFrobeniusError(cross, empiricalNtkCross(w1, w2, m, dim, x, 20, y, 7))).toBeLessThan(1e-14);
  });

  it('the train Gram and the test-train block in one pass (stacked rows, shared features) equal the pairwise sums', async () => {
    const m = 2500;
    const dim = 4;
    const rng = new Prng(45, 'test/entk-stacked');
    const x = sampleSphere(rng, 19, dim);
    const y = sampleSphere(rng, 6, dim);
    const { w1, w2 } = init(45, m, dim);
    const { gram, cross } = await empiricalNtkGramAndCross(w1, w2, m, dim, x, 19, y, 6, 0, true);
    expect(gram.length).toBe(19 * 19);
    expect(relativeFrobeniusError(gram, empiricalNtk(w1, w2, m, dim, x, 19))).toBeLessThan(1e-14);
    // Computed on and below the diagonal by column blocks, mirrored above: exactly symmetric.
    for (let i = 0; i < 19; i++) for (let j = 0; j < 19; j++) expect(gram[i * 19 + j]).toBe(gram[j * 19 + i]);
    // More points than blocks and fewer (one column each), against the pairwise sums.
    for (const n of [3, 2, 1]) {
      const small = empiricalNtkByProducts(w1, w2, m, dim, x, n);
      expect(relativeFrobeniusError(small, empiricalNtk(w1, w2, m, dim, x, n))).toBeLessThan(1e-14);
    }
    expect(cross!.length).toBe(6 * 19);
    expect(relativeFrobeniusError(cross!, empiricalNtkCross(w1, w2, m, dim, y, 6, x, 19))).toBeLessThan(1e-14);
    expect((await empiricalNtkGramAndCross(w1, w2, m, dim, x, 19, y, 0)).cross).toBeNull();
  });

  it("the addon's relu features equal the loop's: relu in place and the gates W2_j 1(pre > 0)", (ctx) => {
    const addon = loadNative();
    if (!addon?.reluFeatures) return ctx.skip();
    const n = 7;
    const m = 13;
    const rng = new Prng(47, 'test/relu-features');
    const pre = rng.normals(n * m, 1);
    pre[5] = 0; // exactly 0 is off
    const w2 = rng.normals(m, 1);
    const act = pre.slice();
    const gate = addon.reluFeatures(act, w2, n, m);
    for (let a = 0; a < n; a++)
      for (let j = 0; j < m; j++) {
        const h = pre[a * m + j]!;
        expect(act[a * m + j]).toBe(h > 0 ? h : 0);
        expect(gate[a * m + j]).toBe(h > 0 ? w2[j]! : 0);
      }
    expect(() => addon.reluFeatures!(act, w2, n + 1, m)).toThrow('pre must hold n*m entries');
  });

  it("the addon's float32 products (ssyrk + sgemm over neuron chunks, float64 sums) are within 1e-6 of the pairwise float64 sums", async (ctx) => {
    const addon = loadNative();
    if (!addon?.empiricalNtkProducts) return ctx.skip();
    const m = 2500; // three chunks of 1024, the last ragged
    const dim = 5;
    const rng = new Prng(46, 'test/entk-f32');
    const x = sampleSphere(rng, 23, dim);
    const y = sampleSphere(rng, 9, dim);
    const { w1, w2 } = init(46, m, dim);
    const { gram, cross } = await empiricalNtkGramAndCross(w1, w2, m, dim, x, 23, y, 9);
    const exact = empiricalNtk(w1, w2, m, dim, x, 23);
    const exactCross = empiricalNtkCross(w1, w2, m, dim, y, 9, x, 23);
    // Not bit-equal (it would be exact only in float64), but every entry within 1e-6 of the largest.
    expect(relativeFrobeniusError(gram, exact)).toBeGreaterThan(0);
    const scale = Math.max(...exact.map(Math.abs));
    for (let i = 0; i < exact.length; i++) expect(Math.abs(gram[i]! - exact[i]!)).toBeLessThan(1e-6 * scale);
    for (let i = 0; i < exactCross.length; i++) expect(Math.abs(cross![i]! - exactCross[i]!)).toBeLessThan(1e-6 * scale);
    for (let i = 0; i < 23; i++) for (let j = 0; j < 23; j++) expect(gram[i * 23 + j]).toBe(gram[j * 23 + i]);
    // Only the training points: one block, no test rows.
    const alone = await addon.empiricalNtkProducts(w1, w2, m, dim, x, 23, 23);
    expect(Array.from(alone)).toEqual(Array.from(gram));
    expect(() => addon.empiricalNtkProducts!(w1, w2, m, dim, x, 5, 6)).toThrow('p must be <= rows');
  });
});
