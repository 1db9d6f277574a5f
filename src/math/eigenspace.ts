/**
 * Projections of a residual onto NTK eigenspaces, for uniform and non-uniform inputs.
 *
 * Theorem 4.2 of the paper bounds ||V_rkᵀ (y - y_hat^(T))|| / sqrt(n) with V_rk the top eigenvectors of
 * the Gram matrix, grouped by eigenvalue cluster. Under uniform inputs the clusters are the
 * harmonic degrees (size N(D,k), eigenvalue ~ mu_k); under other inputs they are found from gaps
 * in the spectrum. A third view needs no eigendecomposition: the energy of r in all degree-k
 * harmonics through the zonal kernel N(D,k) P_k(<x, x'>).
 *
 *   const { values, vectors } = symmetricEigen(ntkGram(x, n, dim), n, { vectors: true });
 *   const cluster = clusterByMultiplicity(values, dim, 8);          // or clusterByGaps(values, 4)
 *   const members = [...cluster.keys()].filter((j) => cluster[j] === 2);
 *   eigenspaceProjection(r, vectors!, n, members);                   // ||U_Sᵀ r||
 *   harmonicEnergy(r, x, n, dim, 2);                                 // ~ mean square of r's degree-2 part
 *
 * Paper: Cao et al., "Towards Understanding the Spectral Bias of Deep Learning", IJCAI 2021,
 * https://arxiv.org/abs/1912.01198 (Theorem 4.2).
 */
import { gegenbauer, gegenbauerOf, multiplicity } from './gegenbauer.js';
import { loadNative } from '../native/index.js';
import { matmul, Scratch } from './matmul.js';
import { ntkSpectrum, type SpectrumEntry } from './ntk.js';

/**
 * Assign the eigenvalues of a Gram matrix on a uniform sample (sorted descending) to harmonic
 * degrees: out[j] = the degree k whose cluster holds values[j], or -1.
 *
 * Degrees 0 .. maxDegree are taken in decreasing order of mu_k, leaving out those whose mu_k is
 * a numerical zero; each takes the next N(D, k) indices. `spectrum` is the kernel's mu_k
 * (default: the paper's, `ntkSpectrum`, whose numerical zeros are the odd k >= 3; a model of the
 * family passes its own, where the zeros fall elsewhere or nowhere). The last degree may be cut
 * short when the sample runs out (check the cluster size against `multiplicity`); indices past
 * every listed degree get -1. Only `values.length` is read: the assignment rests on the theory
 * that the K/n eigenvalues of n uniform points cluster near mu_k with multiplicity N(D,k).
 */
export function clusterByMultiplicity(
  values: Float64Array,
  dim: number,
  maxDegree: number,
  spectrum: readonly SpectrumEntry[] = ntkSpectrum(dim, maxDegree),
): Int32Array {
  const out = new Int32Array(values.length).fill(-1);
  const degrees = spectrum.filter((e) => !e.numericalZero).sort((a, b) => b.mu - a.mu || a.degree - b.degree);
  let next = 0;
  for (const { degree, multiplicity: size } of degrees) {
    const end = Math.min(values.length, next + size);
    for (let j = next; j < end; j++) out[j] = degree;
    next = end;
    if (next >= values.length) break;
  }
  return out;
}

/** Eigenvalues at or below this multiple of the largest are treated as zero by {@link clusterByGaps}. */
export const GAP_CLUSTER_FLOOR = 1e-12;

/**
 * Split a spectrum (sorted descending) into `count` clusters for non-uniform data, where the
 * multiplicities of {@link clusterByMultiplicity} no longer hold.
 *
 * Only the eigenvalues above GAP_CLUSTER_FLOOR * max are considered (the rest, rounding noise
 * and exact zeros, get -1). Between consecutive ones the gap is log(values[j]) - log(values[j+1]);
 * the spectrum is cut at the count - 1 largest gaps (ties: the earlier gap), and the clusters are
 * numbered 0 .. count - 1 from the largest eigenvalues down.
 *
 * The tail of a finite-sample spectrum can hold log gaps larger than the boundaries between the
 * top clusters; to cluster only the top of the spectrum, pass a prefix (values.subarray(0, m))
 * and treat the rest as unassigned.
 */
export function clusterByGaps(values: Float64Array, count: number): Int32Array {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`clusterByGaps: count must be an integer >= 1, got ${count}`);
  for (let j = 1; j < values.length; j++) {
    if (!(values[j]! <= values[j - 1]!))
      throw new RangeError(
        `clusterByGaps: values must be sorted descending; values[${j}] = ${values[j]} > values[${j - 1}] = ${values[j - 1]}`,
      );
  }
  const out = new Int32Array(values.length).fill(-1);
  const floor = values.length > 0 ? GAP_CLUSTER_FLOOR * values[0]! : 0;
  let m = 0;
  while (m < values.length && values[m]! > floor) m++;
  if (m < count) {
    throw new RangeError(
      `clusterByGaps: ${count} clusters need at least ${count} eigenvalues above ${GAP_CLUSTER_FLOOR} x the largest, got ${m}`,
    );
  }
  const gaps = Array.from({ length: m - 1 }, (_, j) => ({ j, gap: Math.log(values[j]!) - Math.log(values[j + 1]!) }));
  const cuts = gaps
    .sort((a, b) => b.gap - a.gap || a.j - b.j)
    .slice(0, count - 1)
    .map((g) => g.j)
    .sort((a, b) => a - b);
  let cluster = 0;
  let c = 0;
  for (let j = 0; j < m; j++) {
    out[j] = cluster;
    if (c < cuts.length && cuts[c] === j) {
      cluster++;
      c++;
    }
  }
  return out;
}

/**
 * ||U_Sᵀ r||: the length of the residual's projection onto the span of the eigenvector columns
 * S of `vectors` (row-major n x n, column j = eigenvector j, orthonormal as from `symmetricEigen`).
 * Divide by sqrt(n) for the quantity of Theorem 4.2.
 */
export function eigenspaceProjection(residual: Float64Array, vectors: Float64Array, n: number, indices: Int32Array | number[]): number {
  if (residual.length !== n) throw new RangeError(`eigenspaceProjection: residual has length ${residual.length}, expected n = ${n}`);
  return eigenspaceProjections(residual, 1, vectors, n, indices)[0]!;
}

/**
 * {@link eigenspaceProjection} of every row of `residuals` (rows x n, row-major) at once: one
 * product of the residuals with the selected eigenvector columns.
 */
export function eigenspaceProjections(
  residuals: Float64Array,
  rows: number,
  vectors: Float64Array,
  n: number,
  indices: Int32Array | number[],
): Float64Array {
  if (residuals.length !== rows * n)
    throw new RangeError(`eigenspaceProjections: residuals hold ${residuals.length} entries, not rows*n = ${rows * n}`);
  return projectionNorms(residuals, rows, eigenvectorColumns(vectors, n, indices), n, indices.length);
}

/** The eigenvector columns `indices` of `vectors` (row-major n x n) as an n x indices.length matrix. */
export function eigenvectorColumns(vectors: Float64Array, n: number, indices: Int32Array | number[]): Float64Array {
  if (vectors.length !== n * n) throw new RangeError(`eigenspaceProjection: vectors has length ${vectors.length}, expected n*n = ${n * n}`);
  const cols = indices.length;
  const selected = new Float64Array(n * cols);
  for (const [c, j] of [...indices].entries()) {
    if (!Number.isInteger(j) || j < 0 || j >= n)
      throw new RangeError(`eigenspaceProjection: index ${j} is not a column of an ${n} x ${n} matrix`);
    for (let i = 0; i < n; i++) selected[i * cols + c] = vectors[i * n + j]!;
  }
  return selected;
}

const coordinates = new Scratch();

/** Per row of `residuals` (rows x n), the length of its coordinates in the orthonormal columns of `basis` (n x cols). */
export function projectionNorms(residuals: Float64Array, rows: number, basis: Float64Array, n: number, cols: number): Float64Array {
  return rowNorms(matmul(residuals, basis, rows, n, cols, { out: coordinates.take(rows * cols) }), rows, cols);
}

/** The Euclidean length of each row of a rows x cols row-major matrix, or of its columns `only`. */
export function rowNorms(a: Float64Array, rows: number, cols: number, only?: Int32Array | number[]): Float64Array {
  const out = new Float64Array(rows);
  for (let t = 0; t < rows; t++) {
    const o = t * cols;
    let total = 0;
    if (only) for (const c of only) total += a[o + c]! ** 2;
    else for (let c = 0; c < cols; c++) total += a[o + c]! ** 2;
    out[t] = Math.sqrt(total);
  }
  return out;
}

/**
 * The energy of r in all degree-k harmonics, through the zonal kernel:
 *   E_k(r) = (N(D,k) / n^2) sum_{i,j} r_i r_j P_k(<x_i, x_j>) = (1/n^2) sum_l (sum_i r_i Y_kl(x_i))^2,
 * by the addition theorem (Y_kl orthonormal under the uniform measure). If r_i = h(x_i) for h in
 * L^2 of the uniform measure, E_k -> ||proj_k h||^2 as n grows: the mean square of h's degree-k
 * part. It is a V-statistic: the diagonal adds a bias of about N(D,k)/n * mean(r^2).
 * O(n^2 (dim + k)); x is row-major n x dim on the unit sphere (the diagonal uses P_k(1) = 1).
 */
export function harmonicEnergy(residual: Float64Array, x: Float64Array, n: number, dim: number, k: number): number {
  if (residual.length !== n) throw new RangeError(`harmonicEnergy: residual has length ${residual.length}, expected n = ${n}`);
  if (x.length < n * dim) throw new RangeError(`harmonicEnergy: x has length ${x.length}, need n*dim = ${n * dim}`);
  let off = 0;
  let diag = 0;
  for (let i = 0; i < n; i++) {
    const ri = residual[i]!;
    diag += ri * ri;
    const oi = i * dim;
    let row = 0;
    for (let j = i + 1; j < n; j++) {
      const oj = j * dim;
      let t = 0;
      for (let d = 0; d < dim; d++) t += x[oi + d]! * x[oj + d]!;
      row += residual[j]! * gegenbauer(dim, k, t);
    }
    off += ri * row;
  }
  return (multiplicity(dim, k) / (n * n)) * (diag + 2 * off);
}

/**
 * The zonal kernel matrix P_k(<x_i, x_j>) (n x n, row-major, diagonal exactly P_k(1) = 1), so that
 * {@link harmonicEnergyWithKernel} can evaluate E_k at many residuals for O(n^2) each.
 */
export function zonalKernel(x: Float64Array, n: number, dim: number, k: number): Float64Array {
  if (x.length < n * dim) throw new RangeError(`zonalKernel: x has length ${x.length}, need n*dim = ${n * dim}`);
  multiplicity(dim, k); // checks dim and k
  // The inner products as one product (BLAS where the addon has it), then P_k in place on the
  // upper triangle, mirrored below: in the addon where it loads (the same bits, ~5x faster).
  const out = matmul(x, x, n, dim, n, { transB: true });
  const addon = loadNative();
  if (addon?.zonalFill) {
    addon.zonalFill(out, n, dim, k);
    return out;
  }
  const pk = gegenbauerOf(dim, k);
  for (let i = 0; i < n; i++) {
    out[i * n + i] = 1;
    for (let j = i + 1; j < n; j++) {
      const p = pk(out[i * n + j]!);
      out[i * n + j] = p;
      out[j * n + i] = p;
    }
  }
  return out;
}

/** {@link harmonicEnergy} from a precomputed {@link zonalKernel} matrix: (N(D,k)/n^2) rᵀ P_k r. */
export function harmonicEnergyWithKernel(residual: Float64Array, kernel: Float64Array, n: number, dim: number, k: number): number {
  if (residual.length !== n || kernel.length !== n * n) {
    throw new RangeError(`harmonicEnergyWithKernel: residual ${residual.length} and kernel ${kernel.length} do not fit n = ${n}`);
  }
  let s = 0;
  for (let i = 0; i < n; i++) {
    let row = 0;
    const o = i * n;
    for (let j = 0; j < n; j++) row += kernel[o + j]! * residual[j]!;
    s += residual[i]! * row;
  }
  return (multiplicity(dim, k) / (n * n)) * s;
}

/**
 * The off-diagonal (U-statistic) estimate of the energy of r in all degree-k harmonics:
 *   U_k(r) = (N(D,k) / (n (n - 1))) sum_{i != j} r_i r_j P_k(<x_i, x_j>).
 * For r_i = h(x_i) at iid uniform points it is unbiased for ||proj_k h||^2, while the
 * V-statistic {@link harmonicEnergyWithKernel} carries the diagonal N(D,k)/n^2 sum r_i^2, which
 * is about N(D,k)/n times the whole mean square: at degree 4, D = 10, n = 1000 (N = 660) it is
 * most of the value, so that estimate measures the residual's norm more than its degree-k part.
 * U_k can be negative when the true energy is near 0. `kernel` is the {@link zonalKernel}.
 */
export function harmonicEnergyOffDiagonal(residual: Float64Array, kernel: Float64Array, n: number, dim: number, k: number): number {
  if (residual.length !== n) throw new RangeError(`harmonicEnergyOffDiagonal: residual ${residual.length} does not fit n = ${n}`);
  return harmonicEnergiesOffDiagonal(residual, 1, kernel, n, dim, k)[0]!;
}

const harmonicProduct = new Scratch();

/**
 * {@link harmonicEnergyOffDiagonal} of every row of `residuals` (rows x n, row-major) at once:
 * the zonal kernel, built once, meets all residuals in one product R P_k, and each row's
 * quadratic form less its diagonal is read off that.
 */
export function harmonicEnergiesOffDiagonal(
  residuals: Float64Array,
  rows: number,
  kernel: Float64Array,
  n: number,
  dim: number,
  k: number,
): Float64Array {
  if (residuals.length !== rows * n || kernel.length !== n * n || n < 2) {
    throw new RangeError(
      `harmonicEnergyOffDiagonal: residuals ${residuals.length} (${rows} rows) and kernel ${kernel.length} do not fit n = ${n} >= 2`,
    );
  }
  const product = matmul(residuals, kernel, rows, n, n, { out: harmonicProduct.take(rows * n) });
  const scale = multiplicity(dim, k) / (n * (n - 1));
  const out = new Float64Array(rows);
  for (let t = 0; t < rows; t++) {
    const o = t * n;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const ri = residuals[o + i]!;
      s += ri * (product[o + i]! - kernel[i * n + i]! * ri);
    }
    out[t] = scale * s;
  }
  return out;
}

/**
 * Degree clusters of Gram eigenvectors by their zonal energy, for inputs that are not uniform
 * (where eigenvalue gaps need not separate degrees). For each of the first `count` eigenvectors u
 * (columns of the row-major n x n `vectors`), the energy in degree k is
 *   E_k(u) = N(D,k) sum_{i != j} u_i u_j P_k(<x_i, x_j>),
 * the addition-theorem energy of u in the degree-k spherical harmonics, summed off the diagonal
 * (i != j) as in {@link harmonicEnergyOffDiagonal}: the diagonal would add N(D,k)/n to every
 * degree alike and flatten the shares. u goes to the degree
 * 0..maxDegree with the largest E_k, and its purity is that E_k over the sum of all E_j: the
 * share of its energy in its degree. Later eigenvectors, and any with no positive energy in any degree, get -1 and NaN. O(count n^2 maxDegree).
 */
export function clusterByZonalEnergy(
  vectors: Float64Array,
  n: number,
  x: Float64Array,
  dim: number,
  maxDegree: number,
  count: number,
): { cluster: Int32Array; purity: Float64Array } {
  const energies = Array.from({ length: maxDegree + 1 }, (_, k) => zonalEnergies(vectors, n, x, dim, k, count));
  return clustersFromZonalEnergies(energies, n);
}

/** E_k(u) of {@link clusterByZonalEnergy} for one degree k and the first `count` eigenvectors. */
export function zonalEnergies(vectors: Float64Array, n: number, x: Float64Array, dim: number, k: number, count: number): Float64Array {
  if (vectors.length !== n * n) throw new RangeError(`zonalEnergies: vectors has length ${vectors.length}, expected n*n = ${n * n}`);
  const top = Math.min(count, n);
  const p = zonalKernel(x, n, dim, k);
  const weight = multiplicity(dim, k);
  // The first `top` columns, then P U in one product; column c's energy is u_cᵀ (P u_c) less the diagonal.
  const u = new Float64Array(n * top);
  for (let i = 0; i < n; i++) u.set(vectors.subarray(i * n, i * n + top), i * top);
  const pu = matmul(p, u, n, n, top);
  const out = new Float64Array(top);
  for (let i = 0; i < n; i++) {
    const o = i * top;
    const diag = p[i * n + i]!;
    for (let c = 0; c < top; c++) out[c]! += u[o + c]! * (pu[o + c]! - diag * u[o + c]!);
  }
  for (let c = 0; c < top; c++) out[c]! *= weight;
  return out;
}

/** Clusters and purities from `energies[k][c]` = E_k of eigenvector c (degrees 0..energies.length-1). */
export function clustersFromZonalEnergies(energies: Float64Array[], n: number): { cluster: Int32Array; purity: Float64Array } {
  const cluster = new Int32Array(n).fill(-1);
  const purity = new Float64Array(n).fill(Number.NaN);
  const top = energies[0]?.length ?? 0;
  for (let c = 0; c < top; c++) {
    let best = 0;
    let total = 0;
    for (let k = 0; k < energies.length; k++) {
      const e = energies[k]![c]!;
      total += Math.max(0, e);
      if (e > energies[best]![c]!) best = k;
    }
    // No degree holds positive energy (the off-diagonal estimate can be negative): no degree to assign.
    if (!(total > 0)) continue;
    cluster[c] = best;
    purity[c] = Math.max(0, energies[best]![c]!) / total;
  }
  return { cluster, purity };
}

/**
 * The zonal kernel P_k(<x_i, x_j>) as a low-rank form, for degrees where it is small:
 * P_k(t) = sum_p c_p t^p (p = k, k-2, ..., the parity of k) and <x, y>^p = sum_{|α| = p} (p!/α!) x^α y^α,
 * so P_k = Φ W Φᵀ with Φ (n x F) the monomials x_i^α of every such degree p and W diagonal with
 * the entries c_p p!/α!. F = sum_p C(dim + p - 1, p): 10 at k = 1, 56 at k = 2 for dim = 10.
 */
export interface ZonalFeatures {
  /** n x count row-major: column f is x^α_f at every point. */
  features: Float64Array;
  /** count weights c_p p!/α!. */
  weights: Float64Array;
  count: number;
}

/** The monomial coefficients c_0 .. c_k of P_k for S^(dim-1), by the recurrence of {@link gegenbauer}. */
export function gegenbauerCoefficients(dim: number, k: number): Float64Array {
  multiplicity(dim, k); // checks dim and k
  let prev = new Float64Array(k + 1);
  prev[0] = 1;
  if (k === 0) return prev;
  let cur = new Float64Array(k + 1);
  cur[1] = 1;
  for (let j = 1; j < k; j++) {
    const next = new Float64Array(k + 1);
    for (let p = 0; p <= k; p++) {
      const shifted = p > 0 ? cur[p - 1]! : 0;
      next[p] = ((2 * j + dim - 2) * shifted - j * prev[p]!) / (j + dim - 2);
    }
    prev = cur;
    cur = next;
  }
  return cur;
}

/** The number of monomial features of {@link zonalFeatures} at degree k. */
export function zonalFeatureCount(dim: number, k: number): number {
  let count = 0;
  for (let p = k; p >= 0; p -= 2) {
    // C(dim + p - 1, p) multi-indices of total degree p.
    let c = 1;
    for (let i = 1; i <= p; i++) c = (c * (dim - 1 + i)) / i;
    count += Math.round(c);
  }
  return count;
}

/** {@link ZonalFeatures} of the points x (n x dim, unit rows) at degree k. */
export function zonalFeatures(x: Float64Array, n: number, dim: number, k: number): ZonalFeatures {
  if (x.length < n * dim) throw new RangeError(`zonalFeatures: x has length ${x.length}, need n*dim = ${n * dim}`);
  const coeffs = gegenbauerCoefficients(dim, k);
  const count = zonalFeatureCount(dim, k);
  const features = new Float64Array(n * count);
  const weights = new Float64Array(count);
  const factorial = (p: number) => {
    let f = 1;
    for (let i = 2; i <= p; i++) f *= i;
    return f;
  };
  // Multi-indices as nondecreasing coordinate lists d_1 <= ... <= d_p: x^α = prod x_{d_s}, p!/α! from the run lengths.
  let f = 0;
  for (let p = k; p >= 0; p -= 2) {
    const idx = new Array<number>(p).fill(0);
    for (;;) {
      let multinomial = factorial(p);
      for (let s = 0, run = 0; s < p; s++) {
        run = s > 0 && idx[s] === idx[s - 1] ? run + 1 : 1;
        multinomial /= run;
      }
      weights[f] = coeffs[p]! * multinomial;
      for (let i = 0; i < n; i++) {
        let v = 1;
        for (let s = 0; s < p; s++) v *= x[i * dim + idx[s]!]!;
        features[i * count + f] = v;
      }
      f++;
      // Next nondecreasing list.
      let s = p - 1;
      while (s >= 0 && idx[s] === dim - 1) s--;
      if (s < 0) break;
      const v = idx[s]! + 1;
      for (let r = s; r < p; r++) idx[r] = v;
    }
  }
  return { features, weights, count };
}

/**
 * {@link harmonicEnergiesOffDiagonal} with the zonal kernel as {@link zonalFeatures}: rᵀ P_k r =
 * sum_f w_f (Φᵀ r)_f², less the diagonal sum_i r_i² (P_k(1) = 1 on the sphere), in O(rows n F).
 */
export function harmonicEnergiesOffDiagonalByFeatures(
  residuals: Float64Array,
  rows: number,
  zonal: ZonalFeatures,
  n: number,
  dim: number,
  k: number,
): Float64Array {
  const { features, weights, count } = zonal;
  if (residuals.length !== rows * n || features.length !== n * count || n < 2) {
    throw new RangeError(
      `harmonicEnergiesOffDiagonalByFeatures: residuals ${residuals.length} (${rows} rows) and features ${features.length} do not fit n = ${n} >= 2`,
    );
  }
  const coords = matmul(residuals, features, rows, n, count);
  const scale = multiplicity(dim, k) / (n * (n - 1));
  const out = new Float64Array(rows);
  for (let t = 0; t < rows; t++) {
    let quad = 0;
    for (let c = 0; c < count; c++) quad += weights[c]! * coords[t * count + c]! ** 2;
    const o = t * n;
    let diag = 0;
    for (let i = 0; i < n; i++) diag += residuals[o + i]! ** 2;
    out[t] = scale * (quad - diag);
  }
  return out;
}
