/**
 * The empirical (finite-width) NTK of the paper's network at given weights, to check how close a
 * width-m network is to the kernel regime.
 *
 * Conventions (docs/science.md): f_W(x) = sqrt(m) W2 relu(W1 x), W1 m x D, W2 1 x m, theta = 1, GD step
 * on the weights eta = eta' / (m theta^2). The Gram matrix of the gradients, divided by m,
 *   Theta_ij = (1/m) <grad_W f(x_i), grad_W f(x_j)>,
 * tends to kappa(<x_i, x_j>) (`ntkGram`) as m grows with W1 ~ N(0, 2/m), W2 ~ N(0, 1/m); the
 * fluctuation at initialization is O(m^-1/2).
 *
 *   const w1 = new Prng(seed, 'init/W1').normals(m * dim, Math.sqrt(2 / m));
 *   const w2 = new Prng(seed, 'init/W2').normals(m, Math.sqrt(1 / m));
 *   relativeFrobeniusError(empiricalNtk(w1, w2, m, dim, x, n), ntkGram(x, n, dim));   // ~ m^-1/2
 *
 * The finite-width twin (`finite-width-twin.ts`) runs GD's linearization on this kernel at the
 * initial weights, Θ̂₀; `empiricalNtkGram` computes it on the native engine's threads when the
 * addon loads, else with `empiricalNtkCross` here (the same sums in the same order).
 *
 * Paper: Cao et al., "Towards Understanding the Spectral Bias of Deep Learning", IJCAI 2021,
 * https://arxiv.org/abs/1912.01198.
 */
import { loadNative } from '../native/index.js';
import { matmul } from './matmul.js';

/**
 * (1/m) J Jᵀ, n x n row-major, with J the n x (m + m D) Jacobian of f over both layers:
 *   df/dW2_j = sqrt(m) relu(w_j . x),   df/dW1_j = sqrt(m) W2_j 1(w_j . x > 0) x,
 * so
 *   Theta_ab = sum_j relu(w_j . x_a) relu(w_j . x_b) + <x_a, x_b> sum_j W2_j^2 1(w_j . x_a > 0) 1(w_j . x_b > 0).
 * w1 is m x D row-major (row j = w_j), w2 has length m, x is n x D row-major. O(n m D + n^2 m).
 */
export function empiricalNtk(w1: Float64Array, w2: Float64Array, width: number, dim: number, x: Float64Array, n: number): Float64Array {
  const m = width;
  if (!Number.isInteger(m) || m < 1) throw new RangeError(`empiricalNtk: width must be an integer >= 1, got ${m}`);
  if (w1.length !== m * dim) throw new RangeError(`empiricalNtk: w1 has length ${w1.length}, expected width*dim = ${m * dim}`);
  if (w2.length !== m) throw new RangeError(`empiricalNtk: w2 has length ${w2.length}, expected width = ${m}`);
  if (x.length < n * dim) throw new RangeError(`empiricalNtk: x has length ${x.length}, need n*dim = ${n * dim}`);
  // Per point: the relu features a_j = relu(w_j . x) and the gated second-layer weights s_j = W2_j 1(w_j . x > 0).
  const { act, gate } = reluFeatures(w1, w2, m, dim, x, n);
  const out = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      let first = 0;
      let second = 0;
      for (let j = 0; j < m; j++) {
        first += act[a * m + j]! * act[b * m + j]!;
        second += gate[a * m + j]! * gate[b * m + j]!;
      }
      let xx = 0;
      for (let d = 0; d < dim; d++) xx += x[a * dim + d]! * x[b * dim + d]!;
      // The sqrt(m)^2 of the two gradients cancels the 1/m.
      const v = first + xx * second;
      out[a * n + b] = v;
      out[b * n + a] = v;
    }
  }
  return out;
}

/**
 * The empirical NTK between two point sets, nA x nB row-major: entry (a, b) is
 * (1/m) <grad f(xA_a), grad f(xB_b)>, the same formula and summation order as {@link empiricalNtk}
 * (which is this with xB = xA, computed on one triangle). Used for the test-train block of the
 * finite-width twin.
 */
export function empiricalNtkCross(
  w1: Float64Array,
  w2: Float64Array,
  width: number,
  dim: number,
  xA: Float64Array,
  nA: number,
  xB: Float64Array,
  nB: number,
): Float64Array {
  const m = width;
  if (!Number.isInteger(m) || m < 1) throw new RangeError(`empiricalNtkCross: width must be an integer >= 1, got ${m}`);
  if (w1.length !== m * dim) throw new RangeError(`empiricalNtkCross: w1 has length ${w1.length}, expected width*dim = ${m * dim}`);
  if (w2.length !== m) throw new RangeError(`empiricalNtkCross: w2 has length ${w2.length}, expected width = ${m}`);
  if (xA.length < nA * dim) throw new RangeError(`empiricalNtkCross: xA has length ${xA.length}, need nA*dim = ${nA * dim}`);
  if (xB.length < nB * dim) throw new RangeError(`empiricalNtkCross: xB has length ${xB.length}, need nB*dim = ${nB * dim}`);
  const fa = reluFeatures(w1, w2, m, dim, xA, nA);
  const fb = reluFeatures(w1, w2, m, dim, xB, nB);
  const out = new Float64Array(nA * nB);
  for (let a = 0; a < nA; a++) {
    for (let b = 0; b < nB; b++) {
      let first = 0;
      let second = 0;
      for (let j = 0; j < m; j++) {
        first += fa.act[a * m + j]! * fb.act[b * m + j]!;
        second += fa.gate[a * m + j]! * fb.gate[b * m + j]!;
      }
      let xx = 0;
      for (let d = 0; d < dim; d++) xx += xA[a * dim + d]! * xB[b * dim + d]!;
      out[a * nB + b] = first + xx * second;
    }
  }
  return out;
}

/** relu(w_j . x) and W2_j 1(w_j . x > 0) per point (n x m each). */
function reluFeatures(w1: Float64Array, w2: Float64Array, m: number, dim: number, x: Float64Array, n: number) {
  const act = new Float64Array(n * m);
  const gate = new Float64Array(n * m);
  for (let a = 0; a < n; a++) {
    const oa = a * dim;
    for (let j = 0; j < m; j++) {
      const oj = j * dim;
      let h = 0;
      for (let d = 0; d < dim; d++) h += w1[oj + d]! * x[oa + d]!;
      if (h > 0) {
        act[a * m + j] = h;
        gate[a * m + j] = w2[j]!;
      }
    }
  }
  return { act, gate };
}

/**
 * The empirical NTK Gram between xA and xB (omit xB for xA with itself). Where the addon has BLAS,
 * as matrix products over chunks of neurons (see {@link empiricalNtkByProducts}); else on the
 * addon's own loops with `threads` threads (0: one per hardware thread); else in JS. All three
 * agree to rounding (~1e-15 relative).
 */
export async function empiricalNtkGram(
  w1: Float64Array,
  w2: Float64Array,
  width: number,
  dim: number,
  xA: Float64Array,
  nA: number,
  xB?: { x: Float64Array; n: number },
  threads = 0,
): Promise<Float64Array> {
  const addon = loadNative();
  if (addon?.matmul && addon.info().lapack) return empiricalNtkByProducts(w1, w2, width, dim, xA, nA, xB);
  if (addon && typeof addon.empiricalNtk === 'function') {
    const t = threads > 0 ? threads : Math.max(1, addon.info().hardwareThreads);
    return addon.empiricalNtk(w1, w2, width, dim, xA, nA, xB ? xB.x : null, xB ? xB.n : nA, t);
  }
  return xB ? empiricalNtkCross(w1, w2, width, dim, xA, nA, xB.x, xB.n) : empiricalNtk(w1, w2, width, dim, xA, nA);
}

/** Neurons per chunk of {@link empiricalNtkByProducts}: bounds its feature matrices to (nA + nB) x this. */
const NEURON_CHUNK = 1024;

/**
 * {@link empiricalNtkCross} as products: Θ = Φ_A Φ_Bᵀ + (X_A X_Bᵀ) ∘ (G_A G_Bᵀ), with Φ the relu
 * features and G the gated second-layer weights ({@link reluFeatures}), summed over chunks of
 * neurons so that memory stays O(n (nB + chunk)) at any width. Each product is one BLAS dgemm
 * (src/math/matmul.ts): at n = 1000, m = 4096 about 4x faster than the addon's pairwise loops.
 */
export function empiricalNtkByProducts(
  w1: Float64Array,
  w2: Float64Array,
  width: number,
  dim: number,
  xA: Float64Array,
  nA: number,
  xB?: { x: Float64Array; n: number },
): Float64Array {
  return ntkProducts(w1, w2, width, dim, xA, nA, xB ?? null, nA);
}

/**
 * Θ̂ on x (n x n) and Θ̂(xOther, x) (nOther x n) at once. With BLAS, the two blocks are one
 * product per chunk of neurons: the rows are x then xOther stacked, the columns x's own features
 * (the first n rows of the rows' features), so x's features are computed once; else
 * {@link empiricalNtkGram} twice. nOther = 0: cross is null. The addon's products round the
 * features to float32 (ssyrk/sgemm, sums of at most 1024 non-negative terms each, added in
 * float64): within about 1e-6 relative of float64, a third of the time; `float64` keeps the
 * float64 products (dgemm).
 */
export async function empiricalNtkGramAndCross(
  w1: Float64Array,
  w2: Float64Array,
  width: number,
  dim: number,
  x: Float64Array,
  n: number,
  xOther: Float64Array,
  nOther: number,
  threads = 0,
  float64 = false,
): Promise<{ gram: Float64Array; cross: Float64Array | null }> {
  const addon = loadNative();
  if (!(addon?.matmul && addon.info().lapack)) {
    const gram = await empiricalNtkGram(w1, w2, width, dim, x, n, undefined, threads);
    const cross = nOther > 0 ? await empiricalNtkGram(w1, w2, width, dim, xOther, nOther, { x, n }, threads) : null;
    return { gram, cross };
  }
  if (x.length < n * dim || xOther.length < nOther * dim)
    throw new RangeError(`empiricalNtkGramAndCross: x or xOther is shorter than its n*dim = ${n * dim}, ${nOther * dim}`);
  const stacked = new Float64Array((n + nOther) * dim);
  stacked.set(x.subarray(0, n * dim));
  stacked.set(xOther.subarray(0, nOther * dim), n * dim);
  const both =
    addon.empiricalNtkProducts && !float64
      ? await addon.empiricalNtkProducts(w1, w2, width, dim, stacked, n + nOther, n)
      : ntkProducts(w1, w2, width, dim, stacked, n + nOther, null, n);
  return { gram: both.subarray(0, n * n), cross: nOther > 0 ? both.subarray(n * n) : null };
}

/**
 * The products of {@link empiricalNtkByProducts} between the rows of xA and the points xB, or,
 * with xB null, the first `prefix` points of xA (whose features are then a prefix of A's).
 */
function ntkProducts(
  w1: Float64Array,
  w2: Float64Array,
  width: number,
  dim: number,
  xA: Float64Array,
  nA: number,
  xB: { x: Float64Array; n: number } | null,
  prefix: number,
): Float64Array {
  const m = width;
  if (w1.length !== m * dim) throw new RangeError(`empiricalNtk: w1 has length ${w1.length}, expected width*dim = ${m * dim}`);
  if (w2.length !== m) throw new RangeError(`empiricalNtk: w2 has length ${w2.length}, expected width = ${m}`);
  if (!xB) return ntkProductsSymmetric(w1, w2, m, dim, xA, nA, prefix);
  const first = new Float64Array(nA * xB.n);
  const second = new Float64Array(nA * xB.n);
  for (let j0 = 0; j0 < m; j0 += NEURON_CHUNK) {
    const c = Math.min(NEURON_CHUNK, m - j0);
    const w1c = w1.subarray(j0 * dim, (j0 + c) * dim);
    const w2c = w2.subarray(j0, j0 + c);
    const fa = reluFeaturesByProduct(w1c, w2c, c, dim, xA, nA);
    const fb = reluFeaturesByProduct(w1c, w2c, c, dim, xB.x, xB.n);
    addInto(first, matmul(fa.act, fb.act, nA, c, xB.n, { transB: true }));
    addInto(second, matmul(fa.gate, fb.gate, nA, c, xB.n, { transB: true }));
  }
  const xx = matmul(xA, xB.x, nA, dim, xB.n, { transB: true });
  for (let i = 0; i < first.length; i++) first[i]! += xx[i]! * second[i]!;
  return first;
}

/** Column blocks of {@link ntkProductsSymmetric}: the products skip all but the diagonal blocks above the diagonal. */
const SYMMETRIC_BLOCKS = 4;

/**
 * {@link ntkProducts} against the first p points of xA themselves: the p x p block is symmetric,
 * so each column block [c0, c1) of it is met only by the rows from c0 on (one product per block
 * and neuron chunk: the rows of a block's columns and all later rows, test rows included, are
 * contiguous in the features), and the entries above the diagonal are mirrored from below.
 * At nA = 2p and 4 blocks, 5/8 of the full p x p block's products, 13/16 of all.
 */
function ntkProductsSymmetric(
  w1: Float64Array,
  w2: Float64Array,
  m: number,
  dim: number,
  xA: Float64Array,
  nA: number,
  p: number,
): Float64Array {
  const first = new Float64Array(nA * p);
  const second = new Float64Array(nA * p);
  const size = Math.max(1, Math.ceil(p / SYMMETRIC_BLOCKS));
  for (let j0 = 0; j0 < m; j0 += NEURON_CHUNK) {
    const c = Math.min(NEURON_CHUNK, m - j0);
    const fa = reluFeaturesByProduct(w1.subarray(j0 * dim, (j0 + c) * dim), w2.subarray(j0, j0 + c), c, dim, xA, nA);
    for (let c0 = 0; c0 < p; c0 += size) {
      const c1 = Math.min(p, c0 + size);
      const rows = nA - c0;
      const cols = c1 - c0;
      for (const [sum, f] of [
        [first, fa.act],
        [second, fa.gate],
      ] as const) {
        const part = matmul(f.subarray(c0 * c), f.subarray(c0 * c, c1 * c), rows, c, cols, { transB: true });
        for (let r = 0; r < rows; r++) {
          const o = (c0 + r) * p + c0;
          const q = r * cols;
          for (let j = 0; j < cols; j++) sum[o + j]! += part[q + j]!;
        }
      }
    }
  }
  const xx = matmul(xA, xA.subarray(0, p * dim), nA, dim, p, { transB: true });
  for (let i = 0; i < first.length; i++) first[i]! += xx[i]! * second[i]!;
  // Above the diagonal: the mirror of below (computed there, or in a diagonal block on both sides).
  for (let i = 0; i < p; i++) for (let j = i + 1; j < p; j++) first[i * p + j] = first[j * p + i]!;
  return first;
}

/**
 * {@link reluFeatures} with the pre-activations X W1ᵀ as one product (BLAS where the addon has
 * it): the same features up to the rounding of w_j . x.
 */
function reluFeaturesByProduct(w1: Float64Array, w2: Float64Array, m: number, dim: number, x: Float64Array, n: number) {
  const act = matmul(x, w1, n, dim, m, { transB: true });
  // The addon's loop is several times faster than this one, with the same values.
  const native = loadNative()?.reluFeatures?.(act, w2, n, m);
  if (native) return { act, gate: native };
  const gate = new Float64Array(n * m);
  for (let a = 0; a < n; a++) {
    const o = a * m;
    for (let j = 0; j < m; j++) {
      if (act[o + j]! > 0) gate[o + j] = w2[j]!;
      else act[o + j] = 0;
    }
  }
  return { act, gate };
}

function addInto(sum: Float64Array, part: Float64Array): void {
  for (let i = 0; i < sum.length; i++) sum[i]! += part[i]!;
}

/**
 * vᵀ Θ̂ v for each v of `vs`, for the empirical NTK at (w1, w2) on x, without forming Θ̂:
 *   vᵀ Θ̂ v = sum_j (sum_a v_a relu(w_j . x_a))^2 + sum_j sum_d (sum_a v_a W2_j 1(w_j . x_a > 0) x_ad)^2,
 * the squared length of Jᵀ v split by layer (the 1/m cancels as in {@link empiricalNtk}).
 * O(n m D |vs|) time, no n x n or n x m matrix. In the addon where it loads, fused per neuron on
 * `threads` threads (0: one per hardware thread; the result does not depend on it), about 6x
 * faster at paper size; else {@link empiricalNtkQuadraticsByProducts}. The two agree to
 * rounding (~1e-14 relative).
 */
export function empiricalNtkQuadratics(
  w1: Float64Array,
  w2: Float64Array,
  width: number,
  dim: number,
  x: Float64Array,
  n: number,
  vs: Float64Array[],
  threads = 0,
): number[] {
  checkQuadratics(w1, w2, width, dim, x, n, vs);
  const addon = loadNative();
  if (!addon?.empiricalNtkQuadratics) return empiricalNtkQuadraticsByProducts(w1, w2, width, dim, x, n, vs);
  const flat = new Float64Array(vs.length * n);
  vs.forEach((v, c) => flat.set(v, c * n));
  const t = threads > 0 ? threads : Math.max(1, addon.info().hardwareThreads);
  return Array.from(addon.empiricalNtkQuadratics(w1, w2, width, dim, x, n, flat, vs.length, t));
}

function checkQuadratics(w1: Float64Array, w2: Float64Array, width: number, dim: number, x: Float64Array, n: number, vs: Float64Array[]) {
  if (w1.length !== width * dim || w2.length !== width || x.length < n * dim || vs.some((v) => v.length !== n))
    throw new RangeError(`empiricalNtkQuadratics: shapes do not fit width ${width}, dim ${dim}, n ${n}`);
}

/**
 * {@link empiricalNtkQuadratics} in JS: matrix products over chunks of neurons (BLAS where the
 * addon has it), O(n (chunk + D |vs|)) memory.
 */
export function empiricalNtkQuadraticsByProducts(
  w1: Float64Array,
  w2: Float64Array,
  width: number,
  dim: number,
  x: Float64Array,
  n: number,
  vs: Float64Array[],
): number[] {
  checkQuadratics(w1, w2, width, dim, x, n, vs);
  const k = vs.length;
  // V (n x k) for the first layer's term, Y (n x kD) with Y[a, c D + d] = v_c[a] x_ad for the second's.
  const v = new Float64Array(n * k);
  const y = new Float64Array(n * k * dim);
  for (let a = 0; a < n; a++) {
    for (let c = 0; c < k; c++) {
      const va = vs[c]![a]!;
      v[a * k + c] = va;
      for (let d = 0; d < dim; d++) y[(a * k + c) * dim + d] = va * x[a * dim + d]!;
    }
  }
  const out = new Array<number>(k).fill(0);
  for (let j0 = 0; j0 < width; j0 += NEURON_CHUNK) {
    const m = Math.min(NEURON_CHUNK, width - j0);
    const { act, gate } = reluFeaturesByProduct(w1.subarray(j0 * dim, (j0 + m) * dim), w2.subarray(j0, j0 + m), m, dim, x, n);
    const first = matmul(act, v, m, n, k, { transA: true });
    const second = matmul(gate, y, m, n, k * dim, { transA: true });
    for (let j = 0; j < m; j++) {
      for (let c = 0; c < k; c++) {
        out[c]! += first[j * k + c]! ** 2;
        for (let d = 0; d < dim; d++) out[c]! += second[(j * k + c) * dim + d]! ** 2;
      }
    }
  }
  return out;
}

/** ||a - b||_F / ||b||_F for two matrices (or any arrays) of the same length. */
export function relativeFrobeniusError(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) throw new RangeError(`relativeFrobeniusError: lengths differ (${a.length} vs ${b.length})`);
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < a.length; i++) {
    const e = a[i]! - b[i]!;
    diff += e * e;
    ref += b[i]! * b[i]!;
  }
  return Math.sqrt(diff / ref);
}
