/**
 * Eigendecomposition of real symmetric matrices (NTK Gram matrices), in-thread or off-thread.
 *
 * Two solvers, one result layout:
 * - 'lapack-dsyevd': LAPACK's divide-and-conquer dsyevd through the native addon, when it was
 *   built against a LAPACK (scripts/build-native.mjs; about 1 s at n = 2000 on 2 cores);
 * - 'ml-matrix': ml-matrix's Householder tridiagonalization + implicit QL (tred2/tql2), pure
 *   JavaScript (about 70 s at n = 2000), the fallback everywhere else.
 * {@link eigenMethod} says which one runs; SPECBIAS_NATIVE=0 forces ml-matrix. Both entry points
 * use the same solver, so they return bit-identical results. {@link symmetricEigenInWorker} never
 * blocks the event loop, where Temporal activity heartbeats must keep flowing: LAPACK runs on a
 * libuv thread, ml-matrix in a worker thread.
 *
 *   const { values } = symmetricEigen(k, n);                        // descending
 *   const { values, vectors } = await symmetricEigenInWorker(k, n, { vectors: true });
 *   // vectors[i * n + j] = component i of the eigenvector for values[j]
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { loadNative, nativeUnavailableReason, type NativeAddon } from '../native/index.js';

/** The solver behind {@link symmetricEigen} and {@link symmetricEigenInWorker}. */
export type EigenMethod = 'lapack-dsyevd' | 'ml-matrix';

export interface SymmetricEigenOptions {
  /** Also return the eigenvectors (default false). */
  vectors?: boolean;
  /** Force a solver; 'auto' (the default) is {@link eigenMethod}(). */
  method?: 'auto' | EigenMethod;
}

/** The solver that 'auto' uses now: LAPACK dsyevd when the native addon has it, else ml-matrix. */
export function eigenMethod(): EigenMethod {
  return loadNative()?.info().lapack ? 'lapack-dsyevd' : 'ml-matrix';
}

/** The addon when the options select LAPACK, null for ml-matrix; throws when LAPACK is forced but absent. */
function lapackFor(opts: SymmetricEigenOptions): NativeAddon | null {
  const method = opts.method ?? 'auto';
  if (method === 'ml-matrix') return null;
  const addon = loadNative();
  const lapack = addon && addon.info().lapack ? addon : null;
  if (method === 'lapack-dsyevd' && !lapack) {
    const why = addon
      ? 'the native addon was built without LAPACK (`npm run build:native` brings OpenBLAS from the PyPI wheel scipy-openblas32, or set SPECBIAS_BLAS=/path/to/libopenblas.so)'
      : nativeUnavailableReason();
    throw new Error(`eigen method lapack-dsyevd is not available: ${why}`);
  }
  return lapack;
}

export interface SymmetricEigenResult {
  /** All n eigenvalues, sorted descending. */
  values: Float64Array;
  /** Row-major n x n; column j (vectors[i * n + j]) is the unit eigenvector of values[j]. */
  vectors?: Float64Array;
}

/**
 * Eigenvalues (descending) and optionally eigenvectors of the symmetric n x n row-major matrix a.
 * Symmetry is assumed, not checked. Blocks the calling thread; see {@link symmetricEigenInWorker}.
 */
export function symmetricEigen(a: Float64Array, n: number, opts: SymmetricEigenOptions = {}): SymmetricEigenResult {
  checkSquare(a, n);
  const wantVectors = opts.vectors === true;
  const lapack = lapackFor(opts);
  if (lapack) return fromNative(lapack.eighSync(a, n, wantVectors));
  // Keep these steps in lockstep with WORKER_SOURCE below: the two paths must agree bit for bit.
  const evd = new EigenvalueDecomposition(Matrix.from1DArray(n, n, a), { assumeSymmetric: true });
  const values = Float64Array.from(evd.realEigenvalues);
  let vectors: Float64Array | undefined;
  if (wantVectors) {
    const v = evd.eigenvectorMatrix;
    vectors = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vectors[i * n + j] = v.get(i, j);
  }
  return sortDescending(values, vectors, n);
}

/**
 * {@link symmetricEigen} off the JS thread: same result, bit for bit, but the event loop stays
 * free. LAPACK runs on a libuv thread; ml-matrix in a `node:worker_threads` worker, to which the
 * matrix is copied and its copy transferred (the worker ends after one call).
 */
export function symmetricEigenInWorker(a: Float64Array, n: number, opts: SymmetricEigenOptions = {}): Promise<SymmetricEigenResult> {
  checkSquare(a, n);
  const wantVectors = opts.vectors === true;
  const lapack = lapackFor(opts);
  // The addon copies the matrix before its libuv thread starts, so the caller's array is untouched.
  if (lapack) return lapack.eigh(a, n, wantVectors).then(fromNative);
  const matrix = Float64Array.from(a.subarray(0, n * n));
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { mlMatrixUrl: mlMatrixUrl(), buffer: matrix.buffer, n, wantVectors },
      transferList: [matrix.buffer],
    });
    let settled = false;
    const finish = (err: Error | null, result?: SymmetricEigenResult) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      if (err) reject(err);
      else resolve(result as SymmetricEigenResult);
    };
    worker.once('message', (msg: { values: ArrayBuffer; vectors: ArrayBuffer | null } | { error: string }) => {
      if ('error' in msg) return finish(new Error(`symmetricEigenInWorker: ${msg.error}`));
      const values = new Float64Array(msg.values);
      const vectors = msg.vectors ? new Float64Array(msg.vectors) : undefined;
      finish(null, sortDescending(values, vectors, n));
    });
    worker.once('error', (err) => finish(err));
    worker.once('exit', (code) => finish(new Error(`symmetricEigenInWorker: worker exited with code ${code} before replying`)));
  });
}

/**
 * The worker's program. It is an eval'd script, not a file, because this module runs both as
 * TypeScript source (vitest) and as compiled JS (dist/), and a worker cannot load a .ts file.
 * It uses dynamic import() rather than require(): an eval worker inherits the parent's
 * --input-type, and require does not exist when that is `module`, while import() works in both.
 */
const WORKER_SOURCE = `
import('node:worker_threads').then(async ({ parentPort, workerData }) => {
  try {
    const mod = await import(workerData.mlMatrixUrl);
    const ml = mod.EigenvalueDecomposition ? mod : mod.default;
    const { n, wantVectors } = workerData;
    const a = new Float64Array(workerData.buffer);
    const evd = new ml.EigenvalueDecomposition(ml.Matrix.from1DArray(n, n, a), { assumeSymmetric: true });
    const values = Float64Array.from(evd.realEigenvalues);
    let vectors = null;
    if (wantVectors) {
      const v = evd.eigenvectorMatrix;
      vectors = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vectors[i * n + j] = v.get(i, j);
    }
    const transfer = vectors ? [values.buffer, vectors.buffer] : [values.buffer];
    parentPort.postMessage({ values: values.buffer, vectors: vectors ? vectors.buffer : null }, transfer);
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.stack ? err.stack : err) });
  }
});
`;

/** The addon's result (already descending, vectors row-major by column) in this module's shape. */
function fromNative(r: { values: Float64Array; vectors: Float64Array | null }): SymmetricEigenResult {
  return r.vectors ? { values: r.values, vectors: r.vectors } : { values: r.values };
}

/** The file URL of ml-matrix's CommonJS entry, resolved from this module wherever it lives. */
function mlMatrixUrl(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('ml-matrix')).href;
}

/** Reorder eigenpairs by descending eigenvalue (ties keep their order) and permute columns to match. */
function sortDescending(values: Float64Array, vectors: Float64Array | undefined, n: number): SymmetricEigenResult {
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => values[j]! - values[i]! || i - j);
  const sorted = Float64Array.from(order, (i) => values[i]!);
  if (!vectors) return { values: sorted };
  const out = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    const row = r * n;
    for (let j = 0; j < n; j++) out[row + j] = vectors[row + order[j]!]!;
  }
  return { values: sorted, vectors: out };
}

function checkSquare(a: Float64Array, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be an integer >= 1, got ${n}`);
  if (a.length < n * n) throw new RangeError(`matrix has length ${a.length}, need n*n = ${n * n}`);
}
