/**
 * Activity `computeSpectrum`: the analytic NTK eigenvalues mu_k with multiplicities N(D,k)
 * (`spectrum.arrow`) and, when asked, all eigenvalues of the Gram matrix K/n on the training
 * sample (`gram.arrow`). The eigensolve runs in a worker thread so heartbeats keep flowing.
 */
import { ntkSpectrum, theoryRate, ntkGram } from '../src/math/ntk.js';
import { multiplicity } from '../src/math/gegenbauer.js';
import { symmetricEigenInWorker } from '../src/math/eigen.js';
import { contentKey } from '../src/store/canonical-json.js';
import { tableFromColumns } from '../src/store/arrow-columns.js';
import type { PipelineSpec } from '../src/spec/schema.js';
import type { ArtifactRef, StepTiming } from '../workflows/types.js';
import { stopwatch, withHeartbeat, type ActivityDeps } from './context.js';
import { readSamples } from './sample.js';

export const SPECTRUM_STEP = { name: 'spectrum', version: 1 } as const;

export interface ComputeSpectrumInput {
  spec: PipelineSpec;
  samples: ArtifactRef;
}
export interface ComputeSpectrumOutput {
  spectrum: ArtifactRef;
  gram: ArtifactRef | null;
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
  if (cachedSpectrum && (!wantGram || cachedGram)) return { spectrum: cachedSpectrum, gram: cachedGram, timing: done(true) };

  const rows = ntkSpectrum(dim, maxDegree);
  const spectrumTable = tableFromColumns({
    degree: Int32Array.from(rows, (r) => r.degree),
    mu: Float64Array.from(rows, (r) => r.mu),
    multiplicity: Float64Array.from(rows, (r) => r.multiplicity),
    numerical_zero: rows.map((r) => r.numericalZero),
    theory_rate: Float64Array.from(rows, (r) => (r.numericalZero ? Number.NaN : theoryRate(r.mu, learningRate))),
  });
  const spectrum = await deps.store.writeTable(SPECTRUM_STEP.name, key, 'spectrum.arrow', spectrumTable);

  let gram: ArtifactRef | null = null;
  if (wantGram) {
    const s = await readSamples(deps, samples);
    const k = ntkGram(s.xTrain, s.n, dim);
    for (let i = 0; i < k.length; i++) k[i]! /= s.n;
    const { values } = await withHeartbeat(symmetricEigenInWorker(k, s.n, { vectors: false }), { stage: 'eigensolve' });
    const cluster = clustersByMultiplicity(values.length, rows.map((r) => ({ degree: r.degree, mu: r.mu, numericalZero: r.numericalZero })), dim);
    gram = await deps.store.writeTable(
      SPECTRUM_STEP.name,
      key,
      'gram.arrow',
      tableFromColumns({
        idx: Int32Array.from(values, (_, i) => i),
        eigenvalue: Float64Array.from(values),
        cluster: { nullableInt32: cluster },
      }),
    );
  }
  return { spectrum, gram, timing: done(false) };
}

/**
 * Uniform-data clustering: sorted descending, the Gram eigenvalues come in groups of N(D,k)
 * near mu_k, taken in decreasing order of mu_k (odd k >= 3 have mu_k = 0 and are not grouped).
 */
export function clustersByMultiplicity(
  count: number,
  degrees: { degree: number; mu: number; numericalZero: boolean }[],
  dim: number,
): (number | null)[] {
  const order = degrees.filter((d) => !d.numericalZero).sort((a, b) => b.mu - a.mu);
  const out: (number | null)[] = new Array(count).fill(null);
  let i = 0;
  for (const d of order) {
    const m = multiplicity(dim, d.degree);
    for (let j = 0; j < m && i < count; j++) out[i++] = d.degree;
    if (i >= count) break;
  }
  return out;
}
