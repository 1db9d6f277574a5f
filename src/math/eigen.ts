/**
 * Eigendecomposition of real symmetric matrices (NTK Gram matrices), in-thread or off-thread.
 *
 * Both entry points run ml-matrix's Householder tridiagonalization + implicit QL (tred2/tql2), so
 * they return bit-identical results; {@link symmetricEigenInWorker} runs it in a worker thread so
 * that an O(n^3) decomposition (about a second at n = 1000) never blocks the event loop, where
 * Temporal activity heartbeats must keep flowing.
 *
 *   const { values } = symmetricEigen(k, n);                        // descending
 *   const { values, vectors } = await symmetricEigenInWorker(k, n, { vectors: true });
 *   // vectors[i * n + j] = component i of the eigenvector for values[j]
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

export interface SymmetricEigenOptions {
  /** Also return the eigenvectors (default false). */
  vectors?: boolean;
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
 * {@link symmetricEigen} in a `node:worker_threads` worker: same result, bit for bit, but the event
 * loop stays free. The matrix is copied and its copy transferred; the worker ends after one call.
 */
export function symmetricEigenInWorker(
  a: Float64Array,
  n: number,
  opts: SymmetricEigenOptions = {},
): Promise<SymmetricEigenResult> {
  checkSquare(a, n);
  const wantVectors = opts.vectors === true;
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

/** The file URL of ml-matrix's CommonJS entry, resolved from this module wherever it lives. */
function mlMatrixUrl(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('ml-matrix')).href;
}

/** Reorder eigenpairs by descending eigenvalue (ties keep their order) and permute columns to match. */
function sortDescending(values: Float64Array, vectors: Float64Array | undefined, n: number): SymmetricEigenResult {
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => values[j] - values[i] || i - j);
  const sorted = Float64Array.from(order, (i) => values[i]);
  if (!vectors) return { values: sorted };
  const out = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    const row = r * n;
    for (let j = 0; j < n; j++) out[row + j] = vectors[row + order[j]];
  }
  return { values: sorted, vectors: out };
}

function checkSquare(a: Float64Array, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be an integer >= 1, got ${n}`);
  if (a.length < n * n) throw new RangeError(`matrix has length ${a.length}, need n*n = ${n * n}`);
}
