/**
 * Activity `computeSpectrum`: the analytic NTK eigenvalues mu_k with multiplicities N(D,k)
 * (`spectrum.arrow`) and, when asked, the eigendecomposition of the Gram matrix K/n on the
 * training sample: eigenvalues with degree clusters and their purity (`gram.arrow`) and eigenvectors
 * (`gram-vectors.f64`). The eigensolve runs off the event loop, so heartbeats keep flowing.
 */
import { ntkSpectrum, theoryRate, ntkGram } from '../src/math/ntk.js';
import { multiplicity } from '../src/math/gegenbauer.js';
import { symmetricEigenInWorker } from '../src/math/eigen.js';
import { clusterByGaps, clusterByMultiplicity, clustersFromZonalEnergies, zonalEnergies } from '../src/math/eigenspace.js';
import { contentKey } from '../src/store/canonical-json.js';
import { tableFromColumns } from '../src/store/arrow-columns.js';
import type { PipelineSpec } from '../src/spec/schema.js';
import type { ArtifactRef, StepTiming } from '../workflows/types.js';
import { stopwatch, withHeartbeat, type ActivityDeps } from './context.js';
import { readSamples } from './sample.js';

// Version 3: non-uniform clusters by zonal energy, with their purity.
export const SPECTRUM_STEP = { name: 'spectrum', version: 3 } as const;

export interface ComputeSpectrumInput {
  spec: PipelineSpec;
  samples: ArtifactRef;
}
export interface ComputeSpectrumOutput {
  spectrum: ArtifactRef;
  gram: ArtifactRef | null;
  /** Eigenvectors of K/n as raw float64, row-major n x n, column j for eigenvalue j of gram.arrow. */
  vectors: ArtifactRef | null;
  timing: StepTiming;
}

export async function computeSpectrum(deps: ActivityDeps, { spec, samples }: ComputeSpectrumInput): Promise<ComputeSpectrumOutput> {
  const done = stopwatch(SPECTRUM_STEP.name);
  const { dim } = spec.data;
  const { maxDegree, gram: wantGram } = spec.spectrum;
  const learningRate = spec.training.learningRate;
  const key = contentKey({
    step: SPECTRUM_STEP,
    params: { dim, maxDegree, gram: wantGram, learningRate },
    inputs: wantGram ? [samples.sha256] : [],
  });
  const cachedSpectrum = await deps.store.find(SPECTRUM_STEP.name, key, 'spectrum.arrow');
  const cachedGram = wantGram ? await deps.store.find(SPECTRUM_STEP.name, key, 'gram.arrow') : null;
  const cachedVectors = wantGram ? await deps.store.find(SPECTRUM_STEP.name, key, 'gram-vectors.f64') : null;
  if (cachedSpectrum && (!wantGram || (cachedGram && cachedVectors))) {
    return { spectrum: cachedSpectrum, gram: cachedGram, vectors: cachedVectors, timing: done(true) };
  }

  const rows = ntkSpectrum(dim, maxDegree);
  const spectrumTable = tableFromColumns({
    degree: Int32Array.from(rows, (r) => r.degree),
    mu: Float64Array.from(rows, (r) => r.mu),
    multiplicity: Float64Array.from(rows, (r) => r.multiplicity),
    numerical_zero: rows.map((r) => r.numericalZero),
    theory_rate: Float64Array.from(rows, (r) => (r.numericalZero ? Number.NaN : theoryRate(r.mu, learningRate))),
  });
  const spectrum = await deps.store.writeTable(SPECTRUM_STEP.name, key, 'spectrum.arrow', spectrumTable);
  if (!wantGram) return { spectrum, gram: null, vectors: null, timing: done(false) };

  const s = await readSamples(deps, samples);
  const k = ntkGram(s.xTrain, s.n, dim);
  for (let i = 0; i < k.length; i++) k[i]! /= s.n;
  const { values, vectors } = await withHeartbeat(symmetricEigenInWorker(k, s.n, { vectors: true }), { stage: 'eigensolve' });
  const uniform = s.distribution.kind === 'uniform';
  let zonal: ReturnType<typeof clustersFromZonalEnergies> | null = null;
  if (!uniform) {
    // One degree per turn of the event loop, so heartbeats keep flowing.
    const energies = async () => {
      const out: Float64Array[] = [];
      const count = 1 + dim + multiplicity(dim, 2);
      for (let k = 0; k <= maxDegree; k++) {
        out.push(zonalEnergies(vectors!, s.n, s.xTrain, dim, k, count));
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      return out;
    };
    zonal = clustersFromZonalEnergies(await withHeartbeat(energies(), { stage: 'clusters' }), s.n);
  }
  const cluster = zonal ? zonal.cluster : gramClusters(values, dim, maxDegree, true);
  const gram = await deps.store.writeTable(
    SPECTRUM_STEP.name,
    key,
    'gram.arrow',
    tableFromColumns({
      idx: Int32Array.from(values, (_, i) => i),
      eigenvalue: Float64Array.from(values),
      cluster: { nullableInt32: Array.from(cluster, (c) => (c < 0 ? null : c)) },
      // The share of the eigenvector's zonal energy in its cluster's degree (non-uniform inputs; NaN otherwise).
      purity: zonal ? zonal.purity : new Float64Array(values.length).fill(Number.NaN),
    }),
  );
  const v = vectors!;
  const vectorsRef = await deps.store.writeBytes(SPECTRUM_STEP.name, key, 'gram-vectors.f64', new Uint8Array(v.buffer, v.byteOffset, v.byteLength), s.n);
  return { spectrum, gram, vectors: vectorsRef, timing: done(false) };
}

/**
 * Degree clusters of the K/n eigenvalues (descending). Uniform data: by the multiplicities
 * N(D,k) (the theory). Otherwise by spectral gaps: the top 1 + D + N(D,2) eigenvalues are cut at
 * their two largest log-gaps into three groups, labelled 0, 1, 2 like the degrees they play the
 * role of; the rest is unlabelled (-1).
 */
export function gramClusters(values: Float64Array, dim: number, maxDegree: number, uniform: boolean): Int32Array {
  if (uniform) return clusterByMultiplicity(values, dim, maxDegree);
  const out = new Int32Array(values.length).fill(-1);
  const top = Math.min(values.length, 1 + dim + multiplicity(dim, 2));
  const groups = clusterByGaps(values.subarray(0, top), Math.min(3, top));
  out.set(groups.subarray(0, top));
  return out;
}
