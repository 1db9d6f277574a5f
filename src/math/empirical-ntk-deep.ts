/**
 * The empirical NTK of a model-family network (depth L, bias scale beta, activation; the network
 * of `src/model/reference-deep.ts`) at given weights, by matrix products over layers: the same
 * kernel as `empiricalNtkDeep` there, in the paper weighting (output layer 1, earlier layers 1/2),
 * at O(n m^2 L + n^2 m L) flops through BLAS instead of one backpropagation per point and a loop
 * over every pair and parameter. `empirical-ntk.ts` is the paper network's own (two layers).
 *
 *   const w = initDeepWeights(seed, model, m, dim);        // the weights training starts from
 *   const { gram, cross } = empiricalNtkDeepGramAndCross(w, xTrain, n, xTest, nTest);
 *
 * With s = sqrt(c_sigma / m), rows r of the points and per layer h = 1 .. L-1
 *   act_h = sigma(g_h), der_h = sigma'(g_h)            (n x m, forward),
 *   Delta_(L-1) = s A_L o der_(L-1),  Delta_(h-1) = der_(h-1) o (s Delta_h A_h)   (backward),
 * df/dg_h = Delta_h, and the gradient of f with respect to (A_h, b_h) is Delta_h ⊗ (input of
 * layer h, and beta for b_h). So layer h contributes (Delta_h Delta_hᵀ) o P_(h-1) with
 *   P_0 = X Xᵀ + beta^2,  P_h = s^2 act_h act_hᵀ + beta^2,
 * and the output layer P_(L-1) itself:
 *   Theta = P_(L-1) + (1/2) sum_(h=1)^(L-1) (Delta_h Delta_hᵀ) o P_(h-1).
 * Memory: der_h (n x m) per hidden layer, the current act and Delta, and one n x n block P_h
 * per layer; nothing per pair of points or per parameter.
 */
import type { DeepWeights } from '../model/reference-deep.js';
import { activationPair } from '../model/reference-deep.js';
import { matmul, quadraticForm } from './matmul.js';
import { C_SIGMA } from './ntk-family.js';

/**
 * Theta on x (n x n) and Theta(xOther, x) (nOther x n) in one pass: the rows are x then xOther
 * stacked, the columns x's own features (the first n rows), so the training points' features
 * serve both blocks. nOther = 0: cross is null.
 */
export function empiricalNtkDeepGramAndCross(
  w: DeepWeights,
  x: Float64Array,
  n: number,
  xOther: Float64Array = new Float64Array(0),
  nOther = 0,
): { gram: Float64Array; cross: Float64Array | null } {
  const { dim, width: m, model, a, b } = w;
  if (x.length < n * dim || xOther.length < nOther * dim)
    throw new RangeError(`empiricalNtkDeep: x or xOther is shorter than its n*dim = ${n * dim}, ${nOther * dim}`);
  const rows = n + nOther;
  const stacked = new Float64Array(rows * dim);
  stacked.set(x.subarray(0, n * dim));
  stacked.set(xOther.subarray(0, nOther * dim), n * dim);
  const L = model.depth;
  const beta = model.bias;
  const b2 = beta * beta;
  const s = Math.sqrt(C_SIGMA[model.activation] / m);
  const { f, df } = activationPair(model.activation);

  // P_(h) for h = 0 .. L-1 (rows x n), the inputs' Gram of each layer.
  const gramOf = (features: Float64Array, cols: number, scale: number): Float64Array => {
    const p = matmul(features, features.subarray(0, n * cols), rows, cols, n, { transB: true });
    for (let i = 0; i < p.length; i++) p[i] = scale * p[i]! + b2;
    return p;
  };
  const inputs: Float64Array[] = [gramOf(stacked, dim, 1)];
  const derivatives: Float64Array[] = [];
  // g_1 = X A_1ᵀ + beta b_1.
  let g = matmul(stacked, a[0]!, rows, dim, m, { transB: true });
  for (let h = 1; h < L; h++) {
    addBias(g, rows, m, beta, b[h - 1]!);
    const act = new Float64Array(rows * m);
    const der = new Float64Array(rows * m);
    for (let i = 0; i < g.length; i++) {
      act[i] = f(g[i]!);
      der[i] = df(g[i]!);
    }
    derivatives.push(der);
    inputs.push(gramOf(act, m, s * s));
    // g_(h+1) = s act_h A_(h+1)ᵀ + beta b_(h+1), for the hidden layers.
    if (h < L - 1) {
      g = matmul(act, a[h]!, rows, m, m, { transB: true });
      for (let i = 0; i < g.length; i++) g[i]! *= s;
    }
  }

  // The output layer's term, then each earlier layer's from the back.
  const theta = inputs[L - 1]!;
  const out = a[L - 1]!;
  let delta = derivatives[L - 2]!;
  for (let r = 0; r < rows; r++) for (let j = 0; j < m; j++) delta[r * m + j]! *= s * out[j]!;
  for (let h = L - 1; h >= 1; h--) {
    const dd = matmul(delta, delta.subarray(0, n * m), rows, m, n, { transB: true });
    const p = inputs[h - 1]!;
    for (let i = 0; i < theta.length; i++) theta[i]! += 0.5 * dd[i]! * p[i]!;
    if (h > 1) {
      // Delta_(h-1) = der_(h-1) o (s Delta_h A_h); A_h is m x m row-major (row j feeds g_h[j]).
      const back = matmul(delta, a[h - 1]!, rows, m, m);
      const der = derivatives[h - 2]!;
      for (let i = 0; i < back.length; i++) back[i] = s * back[i]! * der[i]!;
      delta = back;
    }
  }
  // Both blocks hold exact products of the same features; make the train block exactly symmetric.
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) theta[j * n + i] = theta[i * n + j]!;
  return { gram: theta.subarray(0, n * n), cross: nOther > 0 ? theta.subarray(n * n) : null };
}

/** Theta on x alone (n x n). */
export function empiricalNtkDeepGram(w: DeepWeights, x: Float64Array, n: number): Float64Array {
  return empiricalNtkDeepGramAndCross(w, x, n).gram;
}

/**
 * vᵀ Theta v for each v of `vs` on x. Through the n x n Theta: the per-neuron sums that avoid it
 * for the paper network (`empiricalNtkQuadratics`) would cost m^2 per point and v in the hidden
 * layers, more than the Gram's n^2 m for any n below m.
 */
export function empiricalNtkDeepQuadratics(w: DeepWeights, x: Float64Array, n: number, vs: Float64Array[]): number[] {
  if (vs.some((v) => v.length !== n)) throw new RangeError(`empiricalNtkDeepQuadratics: each v needs n = ${n} entries`);
  const theta = empiricalNtkDeepGram(w, x, n);
  return vs.map((v) => quadraticForm(theta, n, v));
}

function addBias(g: Float64Array, rows: number, m: number, beta: number, bias: Float64Array): void {
  if (beta === 0) return;
  for (let r = 0; r < rows; r++) for (let j = 0; j < m; j++) g[r * m + j]! += beta * bias[j]!;
}
