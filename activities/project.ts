/**
 * Activity `projectResiduals`: per-degree projections of the residual at every logged step, on
 * train and test, for the network and its kernel-regime twins (`analysis.twins`), as
 * `projections.arrow` (the projector, the kinds and the sources: src/pipeline/projector.ts).
 */
import { modelFamilyOf } from '../src/math/ntk-family.js';
import { initialWeights } from '../src/pipeline/initial-weights.js';
import { projectionTwins, projectKey, STEPS } from '../src/pipeline/cache-keys.js';
import { projectionsTable } from '../src/pipeline/projector.js';
import { readSamples } from '../src/pipeline/samples.js';
import { readGram } from '../src/pipeline/spectrum.js';
import { readTrajectory } from '../src/pipeline/trajectory.js';
import type { ArtifactRef, PipelineSpec, StepTiming } from '../src/pipeline/types.js';
import { stopwatch, withHeartbeat, type ActivityDeps } from './context.js';

export interface ProjectResidualsInput {
  spec: PipelineSpec;
  samples: ArtifactRef;
  trajectory: ArtifactRef;
  /** gram.arrow and gram-vectors.f64 of the spectrum step; null when spectrum.gram is off. */
  gram: ArtifactRef | null;
  vectors: ArtifactRef | null;
}
export interface ProjectResidualsOutput {
  projections: ArtifactRef;
  timing: StepTiming;
}

export async function projectResiduals(deps: ActivityDeps, input: ProjectResidualsInput): Promise<ProjectResidualsOutput> {
  const { spec, samples, trajectory, gram, vectors } = input;
  const { store } = deps;
  const done = stopwatch(STEPS.project.name);
  const key = projectKey(spec, input);
  const cached = await store.find(STEPS.project.name, key, 'projections.arrow');
  if (cached) return { projections: cached, timing: done(true) };

  const work = async () => {
    const s = await readSamples(store, samples);
    const network = await readTrajectory(store, trajectory, s.n, s.nTest);
    const eigen = gram && vectors ? await readGram(store, gram, vectors) : null;
    const twins = projectionTwins(spec);
    // The finite-width twin starts from the same initial weights as training.
    const model = modelFamilyOf(spec.model);
    const init = twins.includes('init') ? initialWeights(spec, s.dim) : null;
    return projectionsTable(s, network, eigen, {
      learningRate: spec.training.learningRate,
      infinite: twins.includes('infinite'),
      init,
      model,
    });
  };
  const table = await withHeartbeat(work(), { stage: 'project' });
  const projections = await store.writeTable(STEPS.project.name, key, 'projections.arrow', table);
  return { projections, timing: done(false) };
}
