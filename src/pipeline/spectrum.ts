/**
 * The spectrum formats: `spectrum.arrow` (degree, mu, multiplicity, numerical_zero: the analytic
 * NTK eigenvalues, independent of the learning rate), `gram.arrow` (idx, eigenvalue, cluster, purity:
 * the eigenvalues of K/n, descending, with their degree cluster and, for non-uniform inputs, the
 * share of the eigenvector's zonal energy in that degree; NaN for uniform inputs) and `gram-vectors.f64` (the
 * eigenvectors, raw float64 row-major n x n, column j for eigenvalue j), with their readers.
 */
import type * as arrow from 'apache-arrow';
import { multiplicity } from '../math/gegenbauer.js';
import { ntkSpectrum, type SpectrumEntry } from '../math/ntk.js';
import { familySpectrum, isPaperModel, PAPER_MODEL, type ModelFamily } from '../math/ntk-family.js';
import { familyGram } from '../math/family-gram.js';
import { symmetricEigenInWorker } from '../math/eigen.js';
import { clusterByGaps, clusterByMultiplicity, clustersFromZonalEnergies, zonalEnergies } from '../math/eigenspace.js';
import { readFloat64, tableFromColumns } from '../store/arrow-columns.js';
import type { ArtifactRef, ArtifactStore } from '../store/artifact-store.js';

/**
 * mu_k and N(D,k), k = 0 .. maxDegree, of the model's kernel: the paper's closed form
 * (`ntkSpectrum`, whose numerical zeros are the odd k >= 3) or `familySpectrum` (a numerical
 * zero wherever |mu_k| is within 100x its error bound: a symmetry zero or a value below what the
 * quadrature resolves). The theory rates and the degree clusters follow these values.
 */
export function modelSpectrum(dim: number, maxDegree: number, model: ModelFamily = PAPER_MODEL): SpectrumEntry[] {
  if (isPaperModel(model)) return ntkSpectrum(dim, maxDegree);
  return familySpectrum(dim, maxDegree, model).map(({ degree, mu, multiplicity, numericalZero }) => ({
    degree,
    mu,
    multiplicity,
    numericalZero,
  }));
}

export function spectrumTable(dim: number, maxDegree: number, model: ModelFamily = PAPER_MODEL): arrow.Table {
  const rows = modelSpectrum(dim, maxDegree, model);
  return tableFromColumns({
    degree: Int32Array.from(rows, (r) => r.degree),
    mu: Float64Array.from(rows, (r) => r.mu),
    multiplicity: Float64Array.from(rows, (r) => r.multiplicity),
    numerical_zero: rows.map((r) => r.numericalZero),
  });
}

/**
 * How the Gram's eigenvectors are grouped: `degree` (by multiplicity or zonal energy; cluster k
 * plays degree k) or `bands` (file data without degree structure: cluster b is the eigenvalue
 * index band [2^b - 1, 2^(b+1) - 1)). gram.arrow records `bands` in its schema metadata `basis`.
 */
export type GramBasis = 'degree' | 'bands';

export function gramTable(
  values: Float64Array,
  cluster: Int32Array,
  purity: Float64Array | null = null,
  basis: GramBasis = 'degree',
): arrow.Table {
  return tableFromColumns(
    {
      idx: Int32Array.from(values, (_, i) => i),
      eigenvalue: Float64Array.from(values),
      cluster: { nullableInt32: Array.from(cluster, (c) => (c < 0 ? null : c)) },
      purity: purity ?? new Float64Array(values.length).fill(Number.NaN),
    },
    // Only the new basis is written down, so the degree-clustered tables keep their bytes (and cache keys).
    basis === 'bands' ? { basis } : undefined,
  );
}

/** Eigenvalue index bands [2^b - 1, 2^(b+1) - 1): 1, 2, 4, 8, ... eigenvectors, from the largest eigenvalue down. */
export function indexBands(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, j) => Math.floor(Math.log2(j + 1)));
}

/**
 * Does a zonal-energy clustering show degree structure? At least two degrees among the
 * assigned eigenvectors, and a median purity of at least one half (most assigned eigenvectors
 * have most of their zonal energy in one degree).
 */
export function hasDegreeStructure(cluster: Int32Array, purity: Float64Array): boolean {
  const assigned: number[] = [];
  const degrees = new Set<number>();
  cluster.forEach((c, j) => {
    if (c < 0) return;
    degrees.add(c);
    assigned.push(purity[j]!);
  });
  if (degrees.size < 2) return false;
  const sorted = assigned.filter((p) => !Number.isNaN(p)).sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)]! : 0;
  return median >= 0.5;
}

export function vectorBytes(vectors: Float64Array): Uint8Array {
  return new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength);
}

/** The Gram eigenpairs, with the eigenvalue indices of each degree cluster. */
export interface GramEigen {
  values: Float64Array;
  vectors: Float64Array;
  clusters: Map<number, number[]>;
  basis: GramBasis;
}

export async function readGram(store: ArtifactStore, gram: ArtifactRef, vectors: ArtifactRef): Promise<GramEigen> {
  const table = await store.readTable(gram);
  const values = readFloat64(table, 'eigenvalue');
  const cluster = table.getChild('cluster')!.toArray() as ArrayLike<number | null>;
  const bytes = await store.readBytes(vectors);
  const u = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
  const clusters = new Map<number, number[]>();
  for (let j = 0; j < values.length; j++) {
    const c = cluster[j];
    if (c === null || c === undefined) continue;
    if (!clusters.has(c)) clusters.set(c, []);
    clusters.get(c)!.push(j);
  }
  const basis = table.schema.metadata.get('basis') === 'bands' ? 'bands' : 'degree';
  return { values, vectors: u, clusters, basis };
}

/**
 * Degree clusters of the K/n eigenvalues (descending). Uniform data: by the multiplicities
 * N(D,k) in the order of the model's mu_k (the theory). Otherwise by spectral gaps: the
 * eigenvalues of the model's three leading degrees ({@link leadingDegreesSize}; 1 + D + N(D,2)
 * for the paper's) are cut at their two largest log-gaps into three groups, labelled 0, 1, 2
 * like the degrees they play the role of; the rest is unlabelled (-1).
 */
export function gramClusters(
  values: Float64Array,
  dim: number,
  maxDegree: number,
  uniform: boolean,
  model: ModelFamily = PAPER_MODEL,
): Int32Array {
  if (uniform) return clusterByMultiplicity(values, dim, maxDegree, modelSpectrum(dim, maxDegree, model));
  const out = new Int32Array(values.length).fill(-1);
  const top = Math.min(values.length, leadingDegreesSize(dim, maxDegree, model));
  const groups = clusterByGaps(values.subarray(0, top), Math.min(3, top));
  out.set(groups.subarray(0, top));
  return out;
}

/**
 * How many eigenvectors the model's three leading degrees hold: the sum of N(D,k) over the three
 * largest mu_k that are not numerical zeros (degrees 0, 1, 2 for the paper's network; 1, 3, 5 for
 * an odd activation without bias, whose even mu_k vanish).
 */
export function leadingDegreesSize(dim: number, maxDegree: number, model: ModelFamily = PAPER_MODEL): number {
  if (isPaperModel(model)) return 1 + dim + multiplicity(dim, 2);
  return modelSpectrum(dim, maxDegree, model)
    .filter((e) => !e.numericalZero)
    .sort((a, b) => b.mu - a.mu || a.degree - b.degree)
    .slice(0, 3)
    .reduce((sum, e) => sum + e.multiplicity, 0);
}

/**
 * The eigendecomposition of K/n on the training points, K_ij = kappa(<x_i, x_j>) with the
 * model's kernel, off the event loop, with the degree clusters of its eigenvalues: by
 * multiplicity in the order of the model's mu_k for uniform data, otherwise by each eigenvector's
 * zonal energy per degree (off-diagonal), with its purity; for file data without degree
 * structure ({@link hasDegreeStructure}), by eigenvalue index bands. The O(n^3) part of a run.
 */
export async function gramEigen(
  xTrain: Float64Array,
  n: number,
  dim: number,
  maxDegree: number,
  uniform: boolean,
  fileData = false,
  model: ModelFamily = PAPER_MODEL,
): Promise<{ values: Float64Array; vectors: Float64Array; cluster: Int32Array; purity: Float64Array | null; basis: GramBasis }> {
  const k = familyGram(model, xTrain, n, dim);
  for (let i = 0; i < k.length; i++) k[i]! /= n;
  const { values, vectors } = await symmetricEigenInWorker(k, n, { vectors: true });
  if (uniform)
    return { values, vectors: vectors!, cluster: gramClusters(values, dim, maxDegree, true, model), purity: null, basis: 'degree' };
  // One degree per turn of the event loop, so heartbeats keep flowing.
  const energies: Float64Array[] = [];
  const count = leadingDegreesSize(dim, maxDegree, model);
  for (let d = 0; d <= maxDegree; d++) {
    energies.push(zonalEnergies(vectors!, n, xTrain, dim, d, count));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const zonal = clustersFromZonalEnergies(energies, n);
  // File data may have no degree structure at all: then the eigenspaces are index bands.
  if (fileData && !hasDegreeStructure(zonal.cluster, zonal.purity)) {
    return { values, vectors: vectors!, cluster: indexBands(n), purity: zonal.purity, basis: 'bands' };
  }
  return { values, vectors: vectors!, cluster: zonal.cluster, purity: zonal.purity, basis: 'degree' };
}
