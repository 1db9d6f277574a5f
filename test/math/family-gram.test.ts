import { describe, expect, it } from 'vitest';
import {
  familyCross,
  familyGram,
  familyKernel,
  familyKernelAtOne,
  familyKernelFunction,
  familyQuadratics,
  ntkCross,
  ntkGram,
  PAPER_MODEL,
  Prng,
  sampleSphere,
  type ModelFamily,
} from '../../src/math/index.js';
import { familyKernelJet, familyKernelValue } from '../../src/math/ntk-family.js';
import { kernelReference } from './family-reference.js';

const family = (depth: number, bias: number, activation: ModelFamily['activation']): ModelFamily => ({ depth, bias, activation });
const dot = (x: Float64Array, i: number, y: Float64Array, j: number, dim: number) => {
  let s = 0;
  for (let d = 0; d < dim; d++) s += x[i * dim + d]! * y[j * dim + d]!;
  return s;
};

describe('the family kernel per pair', () => {
  it('familyKernelValue is familyKernelJet at order 0, bit for bit (relu, erf; L = 2 .. 5; theta on [0, pi] and its ends)', () => {
    const thetas = [0, 1e-12, 1e-6, ...Array.from({ length: 31 }, (_, i) => (Math.PI * i) / 30), Math.PI - 1e-9, Math.PI];
    for (const activation of ['relu', 'erf'] as const) {
      for (const [depth, bias] of [
        [2, 0],
        [3, 0],
        [3, 0.5],
        [5, 1],
      ] as const) {
        const model = family(depth, bias, activation);
        for (const theta of thetas) expect(familyKernelValue(model, theta)).toBe(familyKernelJet(model, theta, 0).value);
      }
    }
  });

  it('familyKernelFunction agrees with the plain recursion (test/math/family-reference.ts) to 1e-12 for every activation', () => {
    // Where the reference's 180-point Gauss–Hermite has converged (tanh, GELU at input variance <= ~1.5).
    const ts = [-1, -0.75, -0.3, 0, 0.2, 0.55, 0.9, 0.999, 1];
    for (const model of [
      family(3, 0.5, 'relu'),
      family(2, 0.5, 'erf'),
      family(3, 0.5, 'tanh'),
      family(2, 0, 'gelu'),
      family(3, 0, 'gelu'),
    ]) {
      const kernel = familyKernelFunction(model);
      for (const t of ts) {
        const want = kernelReference(model.depth, model.bias, model.activation, t);
        expect(Math.abs(kernel(t) - want)).toBeLessThan(1e-12 * Math.max(1, Math.abs(want)));
      }
    }
  });
});

describe('the family Gram matrices', () => {
  const dim = 6;
  const n = 40;
  const x = sampleSphere(new Prng(2, 'test/fgram/x'), n, dim);
  const y = sampleSphere(new Prng(2, 'test/fgram/y'), 9, dim);

  it("the paper's network keeps ntkGram and ntkCross, bit for bit", () => {
    expect(Array.from(familyGram(PAPER_MODEL, x, n, dim))).toEqual(Array.from(ntkGram(x, n, dim)));
    expect(Array.from(familyCross(PAPER_MODEL, y, 9, x, n, dim))).toEqual(Array.from(ntkCross(y, 9, x, n, dim)));
  });

  for (const model of [family(3, 0.5, 'relu'), family(3, 0, 'erf'), family(3, 0.5, 'tanh'), family(2, 0.5, 'gelu')]) {
    it(`K_ij = kappa(<x_i, x_j>) with kappa(1) on the diagonal, the cross block and vᵀKv: L = ${model.depth}, beta = ${model.bias}, ${model.activation}`, () => {
      const k = familyGram(model, x, n, dim);
      const one = familyKernelAtOne(model);
      // familyKernel costs a 2-D quadrature per layer for tanh and GELU: check a few rows there.
      const rows = model.activation === 'relu' || model.activation === 'erf' ? n : 3;
      for (let i = 0; i < n; i++) expect(k[i * n + i]).toBe(one);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < n; j++) {
          if (i === j) continue;
          const want = familyKernel(model, dot(x, i, x, j, dim));
          expect(Math.abs(k[i * n + j]! - want)).toBeLessThan(1e-13 * Math.max(1, one));
        }
      }
      const cross = familyCross(model, y, 9, x, n, dim);
      for (let a = 0; a < Math.min(9, rows); a++) {
        for (let j = 0; j < n; j++) {
          expect(Math.abs(cross[a * n + j]! - familyKernel(model, dot(y, a, x, j, dim)))).toBeLessThan(1e-13 * Math.max(1, one));
        }
      }
      const vs = [new Prng(4, 'test/fgram/v').normals(n), new Prng(5, 'test/fgram/v').normals(n)];
      familyQuadratics(model, x, n, dim, vs).forEach((q, c) => {
        const v = vs[c]!;
        let want = 0;
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) want += v[i]! * k[i * n + j]! * v[j]!;
        expect(Math.abs(q - want)).toBeLessThan(1e-12 * Math.abs(want));
      });
    });
  }
});
