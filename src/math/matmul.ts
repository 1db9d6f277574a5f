/**
 * Dense matrix products, row-major float64: C = op(A) op(B) with op(A) m x k and op(B) k x n.
 * BLAS dgemm through the native addon where it is built (the OpenBLAS the eigensolver links),
 * else blocked loops here. The projections of a whole trajectory are such products
 * (src/pipeline/projector.ts), which is what makes them cost a fraction of training.
 *
 *   const c = matmul(a, b, m, k, n);                          // A (m x k) B (k x n)
 *   const g = matmul(r, u, t, n, n, { transB: true });        // R Uᵀ
 */
import { loadNative } from '../native/index.js';

export interface MatmulOptions {
  /** A is stored k x m and used transposed. */
  transA?: boolean;
  /** B is stored n x k and used transposed. */
  transB?: boolean;
  /** Use the loops here even where the addon has BLAS (tests compare the two). */
  js?: boolean;
}

export function matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number, options: MatmulOptions = {}): Float64Array {
  const { transA = false, transB = false } = options;
  for (const [name, v] of [
    ['m', m],
    ['k', k],
    ['n', n],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`matmul: ${name} must be an integer >= 0, got ${v}`);
  }
  if (a.length < m * k) throw new RangeError(`matmul: a has ${a.length} entries, needs m*k = ${m * k}`);
  if (b.length < k * n) throw new RangeError(`matmul: b has ${b.length} entries, needs k*n = ${k * n}`);
  const native = options.js ? null : loadNative();
  if (native?.matmul && native.info().lapack) return native.matmul(a, b, m, k, n, transA, transB);
  return matmulLoops(a, b, m, k, n, transA, transB);
}

/** Rows of C at a time: a block of A's rows against all of B, B walked in row order (cache-friendly for the common untransposed B). */
const ROW_BLOCK = 16;

function matmulLoops(a: Float64Array, b: Float64Array, m: number, k: number, n: number, transA: boolean, transB: boolean): Float64Array {
  const c = new Float64Array(m * n);
  // Bᵀ stored n x k: transpose once so the inner loop runs along rows.
  const bRows = transB ? transpose(b, n, k) : b;
  for (let i0 = 0; i0 < m; i0 += ROW_BLOCK) {
    const i1 = Math.min(m, i0 + ROW_BLOCK);
    for (let p = 0; p < k; p++) {
      const bp = p * n;
      for (let i = i0; i < i1; i++) {
        const aip = transA ? a[p * m + i]! : a[i * k + p]!;
        const ci = i * n;
        for (let j = 0; j < n; j++) c[ci + j]! += aip * bRows[bp + j]!;
      }
    }
  }
  return c;
}

/** vᵀ A v for a row-major n x n A: each row's product with v, then its dot with v. */
export function quadraticForm(a: Float64Array, n: number, v: Float64Array): number {
  let q = 0;
  for (let i = 0; i < n; i++) {
    let row = 0;
    for (let j = 0; j < n; j++) row += a[i * n + j]! * v[j]!;
    q += v[i]! * row;
  }
  return q;
}

/** The transpose of a rows x cols row-major matrix. */
export function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j]!;
  return out;
}
