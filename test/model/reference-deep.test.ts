import { describe, expect, it } from 'vitest';
import {
  empiricalNtkDeep,
  forwardDeep,
  gdStepDeep,
  gradientsDeep,
  initDeepWeights,
  type DeepWeights,
} from '../../src/model/reference-deep.js';
import { forwardReference, gdStepReference, initWeights } from '../../src/model/network.js';
import { familyKernel, Prng, relativeFrobeniusError, sampleSphere, type Activation, type ModelFamily } from '../../src/math/index.js';

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('the deep reference network', () => {
  it('at L = 2, beta = 0, ReLU it is the paper network: same initial function and same GD step', () => {
    const [m, d, n, theta, lr] = [32, 5, 12, 0.7, 1.5];
    const x = sampleSphere(new Prng(1, 'test/x'), n, d);
    const y = new Prng(1, 'test/y').normals(n);
    const deep = initDeepWeights(3, { depth: 2, bias: 0, activation: 'relu' }, m, d);
    const paper = initWeights(3, m, d);
    const a = forwardDeep(deep, theta, x, n);
    const b = forwardReference(paper, theta, x, n);
    for (let i = 0; i < n; i++) expect(relErr(a[i]!, b[i]!)).toBeLessThan(1e-12);
    // After one step the raw weights are W1 = sqrt(2/m) A1, W2 = A2 / sqrt(m).
    const deepNext = gdStepDeep(deep, theta, lr, x, y, n);
    const paperNext = gdStepReference(paper, theta, lr, x, y, n);
    for (let q = 0; q < m * d; q++) expect(Math.abs(Math.sqrt(2 / m) * deepNext.a[0]![q]! - paperNext.w1[q]!)).toBeLessThan(1e-13);
    for (let q = 0; q < m; q++) expect(Math.abs(deepNext.a[1]![q]! / Math.sqrt(m) - paperNext.w2[q]!)).toBeLessThan(1e-13);
  });

  it('gradients match central finite differences for every layer, L = 3 and 4, every activation', () => {
    const [m, d, n, theta] = [6, 4, 5, 0.8];
    const x = sampleSphere(new Prng(2, 'test/x'), n, d);
    const y = new Prng(2, 'test/y').normals(n);
    for (const activation of ['relu', 'erf', 'tanh', 'gelu'] as Activation[]) {
      for (const depth of [3, 4]) {
        const w = initDeepWeights(5, { depth, bias: 0.5, activation }, m, d);
        const g = gradientsDeep(w, theta, x, y, n);
        const loss = (v: DeepWeights) => gradientsDeep(v, theta, x, y, n).loss;
        const eps = 1e-6;
        for (const kind of ['a', 'b'] as const) {
          for (let h = 0; h < depth; h++) {
            const params = w[kind][h]!;
            for (let q = 0; q < params.length; q += 3) {
              const saved = params[q]!;
              params[q] = saved + eps;
              const up = loss(w);
              params[q] = saved - eps;
              const down = loss(w);
              params[q] = saved;
              const fd = (up - down) / (2 * eps);
              expect(Math.abs(g[kind][h]![q]! - fd)).toBeLessThan(1e-7 * Math.max(1, Math.abs(fd)));
            }
          }
        }
      }
    }
  });

  it('a GD step lowers the loss at a small rate, and leaves its input untouched', () => {
    const [m, d, n] = [16, 4, 10];
    const x = sampleSphere(new Prng(4, 'test/x'), n, d);
    const y = new Prng(4, 'test/y').normals(n);
    const w = initDeepWeights(6, { depth: 3, bias: 1, activation: 'tanh' }, m, d);
    const before = Float64Array.from(w.a[1]!);
    const next = gdStepDeep(w, 1, 0.05, x, y, n);
    expect(gradientsDeep(next, 1, x, y, n).loss).toBeLessThan(gradientsDeep(w, 1, x, y, n).loss);
    expect(Array.from(w.a[1]!)).toEqual(Array.from(before));
  });

  it('the empirical NTK at init approaches the family kernel as m grows (depth 3 with bias)', () => {
    const n = 12;
    const d = 5;
    const x = sampleSphere(new Prng(7, 'test/x'), n, d);
    for (const model of [
      { depth: 3, bias: 0.5, activation: 'relu' },
      { depth: 3, bias: 0.5, activation: 'erf' },
    ] as ModelFamily[]) {
      const target = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let t = 0;
          for (let k = 0; k < d; k++) t += x[i * d + k]! * x[j * d + k]!;
          target[i * n + j] = familyKernel(model, i === j ? 1 : t);
        }
      }
      const errors = [64, 1024].map((m) => {
        let e = 0;
        for (const seed of [0, 1, 2]) e += relativeFrobeniusError(empiricalNtkDeep(initDeepWeights(seed, model, m, d), x, n), target) / 3;
        return e;
      });
      // Fluctuations fall like m^(-1/2): 16x the width should cut the error about 4x.
      expect(errors[1]).toBeLessThan(errors[0]! / 2.5);
      expect(errors[1]).toBeLessThan(0.1);
    }
  });
});
