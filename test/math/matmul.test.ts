import { describe, expect, it } from 'vitest';
import { matmul, quadraticForm, Scratch, transpose } from '../../src/math/matmul.js';
import { Prng } from '../../src/math/prng.js';
import { loadNative } from '../../src/native/index.js';

/** The textbook triple loop, entry by entry. */
function naive(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
      c[i * n + j] = s;
    }
  return c;
}

function maxAbsDiff(x: Float64Array, y: Float64Array): number {
  expect(x.length).toBe(y.length);
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i]! - y[i]!));
  return d;
}

describe('matmul', () => {
  const rng = new Prng(7, 'test/matmul');
  // Odd sizes, past the row block, and degenerate ones.
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 2],
    [37, 19, 23],
    [1, 64, 9],
    [40, 1, 17],
    [0, 4, 3],
    [5, 0, 4],
  ];
  const engines = [
    { name: 'loops', js: true },
    ...(loadNative()?.matmul && loadNative()?.info().lapack ? [{ name: 'BLAS dgemm', js: false }] : []),
  ];

  for (const { name, js } of engines) {
    it(`${name}: op(A) op(B) for every transpose, against the triple loop`, () => {
      for (const [m, k, n] of shapes) {
        const a = rng.normals(m * k);
        const b = rng.normals(k * n);
        const want = naive(a, b, m, k, n);
        const at = transpose(a, m, k);
        const bt = transpose(b, k, n);
        expect(maxAbsDiff(matmul(a, b, m, k, n, { js }), want)).toBeLessThan(1e-12);
        expect(maxAbsDiff(matmul(at, b, m, k, n, { js, transA: true }), want)).toBeLessThan(1e-12);
        expect(maxAbsDiff(matmul(a, bt, m, k, n, { js, transB: true }), want)).toBeLessThan(1e-12);
        expect(maxAbsDiff(matmul(at, bt, m, k, n, { js, transA: true, transB: true }), want)).toBeLessThan(1e-12);
      }
    });
  }

  for (const { name, js } of engines) {
    it(`${name}: into a caller's buffer (a dirty, longer scratch), the same bits as a new array`, () => {
      const scratch = new Scratch();
      for (const [m, k, n] of shapes) {
        const a = rng.normals(m * k);
        const b = rng.normals(k * n);
        const out = scratch.take(m * n + 3);
        out.fill(Number.NaN);
        const c = matmul(a, b, m, k, n, { js, out });
        expect(c.length).toBe(m * n);
        expect(c.buffer).toBe(out.buffer);
        expect([...c]).toEqual([...matmul(a, b, m, k, n, { js })]);
        expect(Number.isNaN(out[m * n])).toBe(true);
      }
    });
  }

  it('refuses an output buffer that is short or overlaps an operand', () => {
    const ab = new Float64Array(12);
    expect(() => matmul(ab.subarray(0, 6), ab.subarray(6), 2, 3, 2, { out: new Float64Array(3) })).toThrow(
      /out has 3 entries, needs m\*n = 4/,
    );
    expect(() => matmul(ab.subarray(0, 6), ab.subarray(6), 2, 3, 2, { out: ab.subarray(4, 8) })).toThrow(/out must not overlap a or b/);
    expect(() => matmul(ab.subarray(0, 6), new Float64Array(6), 2, 3, 2, { out: ab.subarray(6, 10) })).not.toThrow();
  });

  it('Scratch hands out views of one buffer, grown only when asked for more', () => {
    const scratch = new Scratch();
    const first = scratch.take(10);
    expect(scratch.take(4).buffer).toBe(first.buffer);
    expect(scratch.take(4).length).toBe(4);
    expect(scratch.take(11).buffer).not.toBe(first.buffer);
  });

  it('a known product', () => {
    const c = matmul(Float64Array.of(1, 2, 3, 4, 5, 6), Float64Array.of(7, 8, 9, 10, 11, 12), 2, 3, 2);
    expect([...c]).toEqual([58, 64, 139, 154]);
  });

  it('refuses operands too short for their shape', () => {
    expect(() => matmul(new Float64Array(5), new Float64Array(6), 2, 3, 2)).toThrow(/a has 5 entries, needs m\*k = 6/);
    expect(() => matmul(new Float64Array(6), new Float64Array(6), 2, 3, 3)).toThrow(/b has 6 entries/);
    expect(() => matmul(new Float64Array(6), new Float64Array(6), 2.5, 3, 2)).toThrow(/m must be an integer/);
  });
});

describe('quadraticForm', () => {
  it('is vᵀ A v: a 2 x 2 by hand, and a random 9 x 9 through two products', () => {
    expect(quadraticForm(Float64Array.of(2, 1, 1, 3), 2, Float64Array.of(1, 2))).toBe(18);
    const rng = new Prng(8, 'test/quadratic-form');
    const a = rng.normals(81);
    const v = rng.normals(9);
    const av = matmul(a, v, 9, 9, 1, { js: true });
    expect(quadraticForm(a, 9, v)).toBeCloseTo(matmul(v, av, 1, 9, 1, { js: true })[0]!, 12);
  });
});
