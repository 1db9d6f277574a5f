import { describe, it, expect } from 'vitest';
import { gaussLegendre } from '../../src/math/index.js';

describe('gaussLegendre', () => {
  it('an n-point rule integrates every monomial of degree <= 2n - 1 exactly', () => {
    for (const n of [1, 2, 3, 5, 8, 16, 33, 64]) {
      const { nodes, weights } = gaussLegendre(n);
      for (let p = 0; p <= 2 * n - 1; p++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += weights[i] * nodes[i] ** p;
        const exact = p % 2 === 1 ? 0 : 2 / (p + 1);
        expect(Math.abs(s - exact)).toBeLessThan(2e-15 * n);
      }
    }
  });

  it('an n-point rule is not exact at degree 2n', () => {
    const n = 4;
    const { nodes, weights } = gaussLegendre(n);
    let s = 0;
    for (let i = 0; i < n; i++) s += weights[i] * nodes[i] ** (2 * n);
    expect(Math.abs(s - 2 / (2 * n + 1))).toBeGreaterThan(1e-6);
  });

  it('nodes are ascending and symmetric and weights sum to 2, for large orders too', () => {
    for (const n of [7, 100, 301]) {
      const { nodes, weights } = gaussLegendre(n);
      let sum = 0;
      for (let i = 0; i < n; i++) {
        sum += weights[i];
        if (i > 0) expect(nodes[i]).toBeGreaterThan(nodes[i - 1]);
        expect(nodes[i]).toBeCloseTo(-nodes[n - 1 - i], 15);
      }
      expect(sum).toBeCloseTo(2, 13);
    }
  });

  it('gaussLegendre caches rules by order', () => {
    expect(gaussLegendre(50)).toBe(gaussLegendre(50));
  });

  it('gaussLegendre integrates an analytic function to rounding', () => {
    const { nodes, weights } = gaussLegendre(30);
    let s = 0;
    for (let i = 0; i < nodes.length; i++) s += weights[i] * Math.exp(nodes[i]);
    expect(s).toBeCloseTo(Math.E - 1 / Math.E, 14);
  });
});
