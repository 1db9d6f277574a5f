import { describe, it, expect } from 'vitest';
import { gaussHermite, gaussLegendre, normalTrapezoid } from '../../src/math/index.js';
import { MAX_GAUSS_HERMITE_ORDER } from '../../src/math/quadrature.js';

describe('gaussLegendre', () => {
  it('an n-point rule integrates every monomial of degree <= 2n - 1 exactly', () => {
    for (const n of [1, 2, 3, 5, 8, 16, 33, 64]) {
      const { nodes, weights } = gaussLegendre(n);
      for (let p = 0; p <= 2 * n - 1; p++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += weights[i]! * nodes[i]! ** p;
        const exact = p % 2 === 1 ? 0 : 2 / (p + 1);
        expect(Math.abs(s - exact)).toBeLessThan(2e-15 * n);
      }
    }
  });

  it('an n-point rule is not exact at degree 2n', () => {
    const n = 4;
    const { nodes, weights } = gaussLegendre(n);
    let s = 0;
    for (let i = 0; i < n; i++) s += weights[i]! * nodes[i]! ** (2 * n);
    expect(Math.abs(s - 2 / (2 * n + 1))).toBeGreaterThan(1e-6);
  });

  it('nodes are ascending and symmetric and weights sum to 2, for large orders too', () => {
    for (const n of [7, 100, 301]) {
      const { nodes, weights } = gaussLegendre(n);
      let sum = 0;
      for (let i = 0; i < n; i++) {
        sum += weights[i]!;
        if (i > 0) expect(nodes[i]).toBeGreaterThan(nodes[i - 1]!);
        expect(nodes[i]).toBeCloseTo(-nodes[n - 1 - i]!, 15);
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
    for (let i = 0; i < nodes.length; i++) s += weights[i]! * Math.exp(nodes[i]!);
    expect(s).toBeCloseTo(Math.E - 1 / Math.E, 14);
  });
});

describe('gaussHermite', () => {
  // E[z^(2j)] = (2j - 1)!! for z ~ N(0, 1).
  const moment = (p: number) => (p % 2 === 1 ? 0 : Array.from({ length: p / 2 }, (_, i) => 2 * i + 1).reduce((a, b) => a * b, 1));

  it('an n-point rule gives E[z^p] exactly for p <= 2n - 1, weights summing to 1', () => {
    for (const n of [1, 2, 5, 10, 20]) {
      const { nodes, weights } = gaussHermite(n);
      for (let p = 0; p <= 2 * n - 1; p++) {
        let s = 0;
        let abs = 0; // odd moments cancel: judge them against sum w |z|^p
        for (let i = 0; i < n; i++) {
          s += weights[i]! * nodes[i]! ** p;
          abs += weights[i]! * Math.abs(nodes[i]!) ** p;
        }
        expect(Math.abs(s - moment(p))).toBeLessThanOrEqual(1e-13 * abs);
      }
    }
  });

  it('large orders keep ascending symmetric nodes and unit mass, and orders past the checked range are refused', () => {
    for (const n of [60, 121, MAX_GAUSS_HERMITE_ORDER]) {
      const { nodes, weights } = gaussHermite(n);
      let sum = 0;
      let second = 0;
      for (let i = 0; i < n; i++) {
        sum += weights[i]!;
        second += weights[i]! * nodes[i]! ** 2;
        if (i > 0) expect(nodes[i]).toBeGreaterThan(nodes[i - 1]!);
        expect(nodes[i]).toBeCloseTo(-nodes[n - 1 - i]!, 12);
      }
      expect(Math.abs(sum - 1)).toBeLessThan(1e-14);
      expect(Math.abs(second - 1)).toBeLessThan(1e-13);
    }
    expect(() => gaussHermite(MAX_GAUSS_HERMITE_ORDER + 1)).toThrow(RangeError);
  });
});

describe('normalTrapezoid', () => {
  it('gives E[cos(w z)] = e^(-w^2/2) and the even moments to rounding', () => {
    const { nodes, weights } = normalTrapezoid(1);
    for (const w of [0.5, 1, 2]) {
      let s = 0;
      for (let i = 0; i < nodes.length; i++) s += weights[i]! * Math.cos(w * nodes[i]!);
      expect(Math.abs(s - Math.exp(-0.5 * w * w))).toBeLessThan(1e-15);
    }
    for (const [p, exact] of [
      [0, 1],
      [2, 1],
      [4, 3],
    ] as const) {
      let s = 0;
      for (let i = 0; i < nodes.length; i++) s += weights[i]! * nodes[i]! ** p;
      expect(Math.abs(s - exact)).toBeLessThan(1e-12 * exact);
    }
  });
});
