/**
 * Activity `computeSpectrum`: the analytic NTK eigenvalues mu_k of the spec's model (the paper's
 * network or a member of the family) with multiplicities N(D,k)
 * (`spectrum.arrow`) and, when asked, the eigendecomposition of the Gram matrix K/n on the
 * training sample (`gram.arrow` with degree clusters and their purity, `gram-vectors.f64`); formats in src/pipeline/spectrum.ts.
 * None of it depends on the learning rate, and concurrent attempts in one worker share one
 * eigensolve, so the points of a learning-rate sweep compute it once.
 */
import { modelFamilyOf } from '../src/math/ntk-family.js';
import { spectrumKey, STEPS } from '../src/pipeline/cache-keys.js';
import { readSamples } from '../src/pipeline/samples.js';
import { singleFlight } from '../src/pipeline/single-flight.js';
import { gramEigen, gramTable, spectrumTable, vectorBytes } from '../src/pipeline/spectrum.js';
import type { ArtifactRef, PipelineSpec, StepTiming } from '../src/pipeline/types.js';
import { stopwatch, withHeartbeat, type ActivityDeps } from './context.js';

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

type Refs = Omit<ComputeSpectrumOutput, 'timing'>;

export async function computeSpectrum(deps: ActivityDeps, { spec, samples }: ComputeSpectrumInput): Promise<ComputeSpectrumOutput> {
  const done = stopwatch(STEPS.spectrum.name);
  const key = spectrumKey(spec, samples);
  const cached = await find(deps, key, spec.spectrum.gram);
  if (cached) return { ...cached, timing: done(true) };
  const { value, shared } = await withHeartbeat(
    singleFlight(`spectrum/${key}`, () => compute(deps, key, spec, samples)),
    { stage: 'eigensolve' },
  );
  return { ...value, timing: done(shared) };
}

async function find(deps: ActivityDeps, key: string, wantGram: boolean): Promise<Refs | null> {
  const { name } = STEPS.spectrum;
  const spectrum = await deps.store.find(name, key, 'spectrum.arrow');
  const gram = wantGram ? await deps.store.find(name, key, 'gram.arrow') : null;
  const vectors = wantGram ? await deps.store.find(name, key, 'gram-vectors.f64') : null;
  return spectrum && (!wantGram || (gram && vectors)) ? { spectrum, gram, vectors } : null;
}

async function compute(deps: ActivityDeps, key: string, spec: PipelineSpec, samples: ArtifactRef): Promise<Refs> {
  const { name } = STEPS.spectrum;
  const { dim } = spec.data;
  const { maxDegree } = spec.spectrum;
  // The model's kernel (the paper's network unless model.depth, bias or activation say otherwise).
  const model = modelFamilyOf(spec.model);
  const spectrum = await deps.store.writeTable(name, key, 'spectrum.arrow', spectrumTable(dim, maxDegree, model));
  if (!spec.spectrum.gram) return { spectrum, gram: null, vectors: null };
  const s = await readSamples(deps.store, samples);
  const uniform = s.distribution.kind === 'uniform';
  const eigen = await gramEigen(s.xTrain, s.n, dim, maxDegree, uniform, s.distribution.kind === 'file', model);
  // Side by side: their fsyncs overlap.
  const [gram, vectors] = await Promise.all([
    deps.store.writeTable(name, key, 'gram.arrow', gramTable(eigen.values, eigen.cluster, eigen.purity, eigen.basis)),
    deps.store.writeBytes(name, key, 'gram-vectors.f64', vectorBytes(eigen.vectors), s.n),
  ]);
  return { spectrum, gram, vectors };
}
