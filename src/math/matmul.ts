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
  /** Write C into the first m*n entries of this buffer (it must not overlap A or B) instead of a new array. */
  out?: Float64Array;
}

/**
 * A grow-only buffer for a product that is used and dropped within one synchronous call (the
 * projections' T x n products): fresh multi-megabyte arrays each cost page faults and, through
 * V8's external-memory accounting, full garbage collections. Give each caller its own.
 */
export class Scratch {
  private buffer = new Float64Array(0);

  /** A view of `size` entries, contents unspecified. */
  take(size: number): Float64Array {
    if (this.buffer.length < size) this.buffer = new Float64Array(size);
    return this.buffer.subarray(0, size);
  }
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
  const { out } = options;
  if (out) {
    if (out.length < m * n) throw new RangeError(`matmul: out has ${out.length} entries, needs m*n = ${m * n}`);
    if (overlaps(out, m * n, a, m * k) || overlaps(out, m * n, b, k * n)) throw new RangeError('matmul: out must not overlap a or b');
  }
  const native = options.js ? null : loadNative();
  // An addon built before `out` existed ignores it and returns a new array: use what comes back.
  const c =
    native?.matmul && native.info().lapack
      ? native.matmul(a, b, m, k, n, transA, transB, out)
      : matmulLoops(a, b, m, k, n, transA, transB, out);
  return c.length === m * n ? c : c.subarray(0, m * n);
}

/** Whether the first `na` entries of x and the first `nb` of y share memory. */
function overlaps(x: Float64Array, na: number, y: Float64Array, nb: number): boolean {
  if (x.buffer !== y.buffer) return false;
  const x0 = x.byteOffset;
  const y0 = y.byteOffset;
  return x0 < y0 + nb * 8 && y0 < x0 + na * 8;
}

/** Rows of C at a time: a block of A's rows against all of B, B walked in row order (cache-friendly for the common untransposed B). */
const ROW_BLOCK = 16;

function matmulLoops(
  a: Float64Array,
  b: Float64Array,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
  out?: Float64Array,
): Float64Array {
  const c = out ? out.fill(0, 0, m * n) : new Float64Array(m * n);
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
