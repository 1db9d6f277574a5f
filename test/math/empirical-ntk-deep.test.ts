import { describe, expect, it } from 'vitest';
import {
  empiricalNtk,
  empiricalNtkDeepGram,
  empiricalNtkDeepGramAndCross,
  empiricalNtkDeepQuadratics,
  familyGram,
  PAPER_MODEL,
  Prng,
  relativeFrobeniusError,
  sampleSphere,
  type ModelFamily,
} from '../../src/math/index.js';
import { empiricalNtkDeep, initDeepWeights } from '../../src/model/reference-deep.js';
import { initWeights } from '../../src/model/network.js';
import { referenceBlocks } from './deep-ntk-blocks.js';

const family = (depth: number, bias: number, activation: ModelFamily['activation']): ModelFamily => ({ depth, bias, activation });

describe('the empirical NTK of the model family by products over layers', () => {
  const dim = 4;
  const n = 7;
  const nOther = 5;
  const x = sampleSphere(new Prng(3, 'test/deep/x'), n, dim);
  const xOther = sampleSphere(new Prng(3, 'test/deep/other'), nOther, dim);

  for (const model of [
    family(3, 0.5, 'relu'),
    family(3, 0.5, 'erf'),
    family(4, 0.5, 'tanh'),
    family(3, 1, 'gelu'),
    family(2, 0.3, 'relu'),
  ]) {
    it(`equals the per-point backpropagation reference (empiricalNtkDeep) to 1e-10: L = ${model.depth}, beta = ${model.bias}, ${model.activation}`, () => {
      const w = initDeepWeights(11, model, 9, dim);
      const { gram: wantGram, cross: wantCross } = referenceBlocks(w, x, n, xOther, nOther, dim);
      const { gram, cross } = empiricalNtkDeepGramAndCross(w, x, n, xOther, nOther);
      expect(relativeFrobeniusError(gram, wantGram)).toBeLessThan(1e-10);
      expect(relativeFrobeniusError(cross!, wantCross)).toBeLessThan(1e-10);
      expect(relativeFrobeniusError(empiricalNtkDeepGram(w, x, n), wantGram)).toBeLessThan(1e-10);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(gram[i * n + j]).toBe(gram[j * n + i]);
    });
  }

  it("for the paper's network equals today's two-layer empirical NTK (the same streams give the same weights)", () => {
    const m = 64;
    const w = initDeepWeights(5, PAPER_MODEL, m, dim);
    const paper = initWeights(5, m, dim);
    expect(relativeFrobeniusError(empiricalNtkDeepGram(w, x, n), empiricalNtk(paper.w1, paper.w2, m, dim, x, n))).toBeLessThan(1e-13);
  });

  it('vᵀ Θ̂ v equals the quadratic form of the reference Gram', () => {
    const model = family(3, 0.5, 'relu');
    const w = initDeepWeights(12, model, 10, dim);
    const vs = [new Prng(1, 'test/deep/v1').normals(n), new Prng(1, 'test/deep/v2').normals(n)];
    const reference = empiricalNtkDeep(w, x, n);
    const got = empiricalNtkDeepQuadratics(w, x, n, vs);
    vs.forEach((v, c) => {
      let q = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) q += v[i]! * reference[i * n + j]! * v[j]!;
      expect(Math.abs(got[c]! - q)).toBeLessThan(1e-12 * Math.abs(q));
    });
  });

  it('approaches the family kernel like m^(-1/2) at L = 3, beta = 0.5, relu (log-log slope in [-0.75, -0.3], falling at every step)', () => {
    const model = family(3, 0.5, 'relu');
    const points = 30;
    const d = 5;
    const xs = sampleSphere(new Prng(8, 'test/deep/slope'), points, d);
    const limit = familyGram(model, xs, points, d);
    const widths = [64, 256, 1024, 4096];
    const seeds = [0, 1, 2];
    const errors = widths.map((m) => {
      let e = 0;
      for (const seed of seeds) e += relativeFrobeniusError(empiricalNtkDeepGram(initDeepWeights(seed, model, m, d), xs, points), limit);
      return e / seeds.length;
    });
    for (let i = 1; i < errors.length; i++) expect(errors[i]).toBeLessThan(errors[i - 1]!);
    const lx = widths.map(Math.log);
    const ly = errors.map(Math.log);
    const mx = lx.reduce((s, v) => s + v, 0) / lx.length;
    const my = ly.reduce((s, v) => s + v, 0) / ly.length;
    const slope = lx.reduce((s, v, i) => s + (v - mx) * (ly[i]! - my), 0) / lx.reduce((s, v) => s + (v - mx) ** 2, 0);
    expect(slope).toBeGreaterThan(-0.75);
    expect(slope).toBeLessThan(-0.3);
  });
});
