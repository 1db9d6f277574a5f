/**
 * The kernel-regime (linearized) twin of training: gradient descent on the squared loss with the
 * network replaced by its NTK linearization, solved in closed form in the Gram eigenbasis.
 *
 * Conventions (docs/science.md): loss L = 1/(2n) sum_i (y_i - y_hat_i)^2, GD step on the weights
 * eta = eta' / (m theta^2), so the linearized residual on the training sample evolves by
 *   r_{s+1} = (I - eta' K/n) r_s,   K_ij = kappa(<x_i, x_j>),
 * and predictions elsewhere by f_{s+1}(x) = f_s(x) + eta' K(x, X)/n r_s. With K/n = U diag(lambda) Uᵀ:
 *   r_t        = U diag((1 - eta' lambda)^t) Uᵀ r_0,
 *   r_t^test   = r_0^test - K_test,train U diag(g_t(lambda)) Uᵀ r_0 / n,
 *   g_t(lambda) = (1 - (1 - eta' lambda)^t) / lambda  (-> t eta' as lambda -> 0).
 *
 *   const kTrain = ntkGram(x, n, dim);
 *   const { values, vectors } = symmetricEigen(kTrain, n, { vectors: true });
 *   const lambda = values.map((v) => v / n);                        // eigenvalues of K/n
 *   const train = kernelResiduals(lambda, vectors!, n, y, 2, [0, 100, 1000]);
 *   const kTx = ntkCross(xTest, nTest, x, n, dim);
 *   const test = kernelTestResiduals(kTx, nTest, lambda, vectors!, n, y, yTest, 2, [0, 100, 1000]);
 *
 * As in neural-tangents' `predict.gradient_descent_mse`, each quantity is a small function of an
 * eigenvalue applied in the eigenbasis (`_get_fns_in_eigenbasis`), so any step costs O(n^2).
 *
 * Paper: Cao et al., "Towards Understanding the Spectral Bias of Deep Learning", IJCAI 2021,
 * https://arxiv.org/abs/1912.01198 (Section 4).
 */
import { matmul, Scratch } from './matmul.js';
import { kappa } from './ntk.js';

/** Per step t, a function of every eigenvalue lambda_j of K/n: writes row[j] for the spectrum. */
type SpectrumRow = (t: number, row: Float64Array) => void;

/**
 * (1 - eta' lambda)^t: the factor by which t steps of GD shrink the residual along an eigendirection.
 * Written as exp(t log1p(-eta' lambda)) while eta' lambda < 1 (accurate for tiny eta' lambda), with
 * log1p taken once per eigenvalue for all steps; beyond that, where GD oscillates or diverges along
 * the direction, the plain integer power.
 */
function decayRows(learningRate: number, lambda: Float64Array): SpectrumRow {
  const logs = lambda.map((l) => (learningRate * l < 1 ? Math.log1p(-learningRate * l) : NaN));
  return (t, row) => {
    for (let j = 0; j < lambda.length; j++) {
      const log = logs[j]!;
      row[j] = log === log ? Math.exp(t * log) : Math.pow(1 - learningRate * lambda[j]!, t);
    }
  };
}

/**
 * g_t(lambda) / scale with g_t(lambda) = (1 - (1 - eta' lambda)^t) / lambda = eta' sum_{s<t}
 * (1 - eta' lambda)^s: the gain by which t steps move predictions along an eigendirection. expm1
 * keeps it accurate as lambda -> 0, where it tends to t eta' (its value at lambda = 0 exactly).
 */
function accumulatedRows(learningRate: number, lambda: Float64Array, scale: number): SpectrumRow {
  const logs = lambda.map((l) => (learningRate * l < 1 ? Math.log1p(-learningRate * l) : NaN));
  return (t, row) => {
    for (let j = 0; j < lambda.length; j++) {
      const l = lambda[j]!;
      const log = logs[j]!;
      const g = l === 0 ? t * learningRate : log === log ? -Math.expm1(t * log) / l : (1 - Math.pow(1 - learningRate * l, t)) / l;
      row[j] = g / scale;
    }
  };
}

/**
 * The training residuals of kernel-regime GD at each requested step: r_t = U diag((1 - eta' lambda)^t) Uᵀ r_0.
 *
 * `values` are the eigenvalues lambda of K/n (not of K: divide `symmetricEigen(K).values` by n),
 * `vectors` the row-major n x n eigenvector matrix (column j for values[j]), r_0 = y - f_0 on the
 * training sample, `learningRate` eta' (weight step eta = eta' / (m theta^2)), `steps` integers >= 0.
 * Returns one residual of length n per step, in the order given. See {@link kernelTestResiduals}.
 */
export function kernelResiduals(
  values: Float64Array,
  vectors: Float64Array,
  n: number,
  r0: Float64Array,
  learningRate: number,
  steps: number[],
): Float64Array[] {
  return rowsOf(kernelResidualMatrix(values, vectors, n, r0, learningRate, steps), steps.length, n);
}

/**
 * {@link kernelResiduals} as one steps.length x n row-major matrix (row s: r at steps[s]): the
 * coefficients (1 - eta' lambda)^t Uᵀ r_0 of every step, then one product with Uᵀ.
 */
export function kernelResidualMatrix(
  values: Float64Array,
  vectors: Float64Array,
  n: number,
  r0: Float64Array,
  learningRate: number,
  steps: number[],
): Float64Array {
  return residualsFromCoefficients(kernelCoefficients(values, vectors, n, r0, learningRate, steps), vectors, steps.length, n);
}

/**
 * The coordinates Uᵀ r_t = (1 - eta' lambda)^t Uᵀ r_0 of the kernel-regime residuals in the
 * eigenbasis, steps.length x n (arguments as in {@link kernelResidualMatrix}): the norm of a
 * residual's part in a set of eigenvectors is that of these columns, with no product.
 */
export function kernelCoefficients(
  values: Float64Array,
  vectors: Float64Array,
  n: number,
  r0: Float64Array,
  learningRate: number,
  steps: number[],
): Float64Array {
  checkEigen(values, vectors, n);
  checkRun(r0, n, 'r0', learningRate, steps);
  return inEigenbasis(vectors, n, r0, steps, decayRows(learningRate, clampSpectrum(values)));
}

/** The residuals r_t = U c_t of {@link kernelCoefficients}, rows x n. */
export function residualsFromCoefficients(coefficients: Float64Array, vectors: Float64Array, rows: number, n: number): Float64Array {
  return matmul(coefficients, vectors, rows, n, n, { transB: true });
}

/**
 * The held-out residuals of kernel-regime GD at each requested step:
 *   r_t^test = r_0^test - K_test,train U diag(g_t(lambda)) Uᵀ r_0 / n,  g_t as in {@link accumulatedFn}.
 *
 * `kTestTrain` is nTest x n row-major with entries kappa(<x_test_a, x_train_i>) ({@link ntkCross});
 * `values` / `vectors` / `r0Train` / `learningRate` / `steps` as in {@link kernelResiduals};
 * `r0Test` = y_test - f_0(X_test). Returns one residual of length nTest per step.
 */
export function kernelTestResiduals(
  kTestTrain: Float64Array,
  nTest: number,
  values: Float64Array,
  vectors: Float64Array,
  n: number,
  r0Train: Float64Array,
  r0Test: Float64Array,
  learningRate: number,
  steps: number[],
): Float64Array[] {
  return rowsOf(kernelTestResidualMatrix(kTestTrain, nTest, values, vectors, n, r0Train, r0Test, learningRate, steps), steps.length, nTest);
}

const testInner = new Scratch();

/**
 * {@link kernelTestResiduals} as one steps.length x nTest row-major matrix: the gains
 * g_t(lambda) Uᵀ r_0 / n of every step back through U, then one product with K_test,train (or
 * K_test,train U once, then one product with the gains, when there are more steps than test points).
 */
export function kernelTestResidualMatrix(
  kTestTrain: Float64Array,
  nTest: number,
  values: Float64Array,
  vectors: Float64Array,
  n: number,
  r0Train: Float64Array,
  r0Test: Float64Array,
  learningRate: number,
  steps: number[],
): Float64Array {
  checkEigen(values, vectors, n);
  checkRun(r0Train, n, 'r0Train', learningRate, steps);
  if (!Number.isInteger(nTest) || nTest < 0) throw new RangeError(`kernelTestResiduals: nTest must be an integer >= 0, got ${nTest}`);
  if (kTestTrain.length !== nTest * n) {
    throw new RangeError(`kernelTestResiduals: kTestTrain has length ${kTestTrain.length}, expected nTest*n = ${nTest * n}`);
  }
  if (r0Test.length !== nTest) throw new RangeError(`kernelTestResiduals: r0Test has length ${r0Test.length}, expected nTest = ${nTest}`);
  const lambda = clampSpectrum(values);
  // Predictions move by K_tx w / n with w = U diag(g_t) Uᵀ r_0, the accumulated eta' sum_{s<t} r_s.
  const gains = inEigenbasis(vectors, n, r0Train, steps, accumulatedRows(learningRate, lambda, n));
  // (G Uᵀ) Kᵀ or G (K U)ᵀ, whichever is fewer products: the first while there are fewer steps than test points.
  const fewerSteps = steps.length < nTest;
  const inner = fewerSteps
    ? matmul(gains, vectors, steps.length, n, n, { transB: true, out: testInner.take(steps.length * n) })
    : matmul(kTestTrain, vectors, nTest, n, n, { out: testInner.take(nTest * n) });
  const moved = fewerSteps
    ? matmul(inner, kTestTrain, steps.length, n, nTest, { transB: true })
    : matmul(gains, inner, steps.length, n, nTest, { transB: true });
  for (let s = 0; s < steps.length; s++) {
    const o = s * nTest;
    for (let a = 0; a < nTest; a++) moved[o + a] = r0Test[a]! - moved[o + a]!;
  }
  return moved;
}

/**
 * The NTK cross-Gram matrix kappa(<a_i, b_j>), nA x nB row-major, between rows of xA (nA x dim)
 * and xB (nB x dim) on the unit sphere. Unlike `ntkGram` no diagonal is special-cased: a point
 * present in both sets gets kappa of its rounded self inner product (off by up to ~3e-9).
 */
export function ntkCross(xA: Float64Array, nA: number, xB: Float64Array, nB: number, dim: number): Float64Array {
  return kernelCross(kappa, xA, nA, xB, nB, dim, 'ntkCross');
}

/** kernel(<a_i, b_j>), nA x nB row-major: {@link ntkCross} for any zonal kernel (the model family's too). */
export function kernelCross(
  kernel: (t: number) => number,
  xA: Float64Array,
  nA: number,
  xB: Float64Array,
  nB: number,
  dim: number,
  caller = 'kernelCross',
): Float64Array {
  if (xA.length < nA * dim) throw new RangeError(`${caller}: xA has length ${xA.length}, need nA*dim = ${nA * dim}`);
  if (xB.length < nB * dim) throw new RangeError(`${caller}: xB has length ${xB.length}, need nB*dim = ${nB * dim}`);
  const k = new Float64Array(nA * nB);
  for (let i = 0; i < nA; i++) {
    const oi = i * dim;
    for (let j = 0; j < nB; j++) {
      const oj = j * dim;
      let s = 0;
      for (let d = 0; d < dim; d++) s += xA[oi + d]! * xB[oj + d]!;
      k[i * nB + j] = kernel(s);
    }
  }
  return k;
}

// ---------------------------------------------------------------------------------------------
// In the eigenbasis
// ---------------------------------------------------------------------------------------------

/** Row s: `rowAt(steps[s])` of the spectrum times the coefficients Uᵀ r of r in the eigenbasis (steps.length x n). */
function inEigenbasis(vectors: Float64Array, n: number, r: Float64Array, steps: number[], rowAt: SpectrumRow): Float64Array {
  const coeffs = matmul(r, vectors, 1, n, n);
  const out = new Float64Array(steps.length * n);
  for (const [s, t] of steps.entries()) {
    const row = out.subarray(s * n, (s + 1) * n);
    rowAt(t, row);
    for (let j = 0; j < n; j++) row[j]! *= coeffs[j]!;
  }
  return out;
}

/** The rows of a row-major matrix with `cols` columns, as copies. */
function rowsOf(matrix: Float64Array, rows: number, cols: number): Float64Array[] {
  return Array.from({ length: rows }, (_, s) => matrix.slice(s * cols, (s + 1) * cols));
}

/**
 * K is a Gram matrix of a positive-definite kernel, so theory fixes lambda >= 0; an eigensolver
 * returns the smallest ones as rounding noise of either sign (~1e-16 lambda_max), and a negative
 * one would make (1 - eta' lambda)^t grow. Clamp those to 0.
 */
function clampSpectrum(values: Float64Array): Float64Array {
  return values.map((v) => (v < 0 ? 0 : v));
}

function checkEigen(values: Float64Array, vectors: Float64Array, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be an integer >= 1, got ${n}`);
  if (values.length !== n) throw new RangeError(`values has length ${values.length}, expected n = ${n}`);
  if (vectors.length !== n * n) throw new RangeError(`vectors has length ${vectors.length}, expected n*n = ${n * n}`);
}

function checkRun(r0: Float64Array, n: number, name: string, learningRate: number, steps: number[]): void {
  if (r0.length !== n) throw new RangeError(`${name} has length ${r0.length}, expected n = ${n}`);
  if (!Number.isFinite(learningRate) || learningRate <= 0)
    throw new RangeError(`learningRate must be a finite number > 0, got ${learningRate}`);
  for (const t of steps) if (!Number.isInteger(t) || t < 0) throw new RangeError(`steps must be integers >= 0, got ${t}`);
}
