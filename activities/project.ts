/**
 * Activity `projectResiduals`: per-degree projections of the residual at every logged step, on
 * train and test, for the network and its kernel-regime twins (`analysis.twins`), as
 * `projections.arrow` (the projector, the kinds and the sources: src/pipeline/projector.ts). The
 * finite-width twin's trajectory comes from the train step (`init-twin.arrow`).
 */
import { modelFamilyOf } from '../src/math/ntk-family.js';
import { projectionTwins, projectKey, STEPS } from '../src/pipeline/cache-keys.js';
import { projectionsTable } from '../src/pipeline/projector.js';
import { readSamples } from '../src/pipeline/samples.js';
import { readGram } from '../src/pipeline/spectrum.js';
import { readResiduals, readTrajectory } from '../src/pipeline/trajectory.js';
import { runFiniteWidthTwin } from '../src/pipeline/twins.js';
import type { ArtifactRef, PipelineSpec, StepTiming } from '../src/pipeline/types.js';
import { stopwatch, withHeartbeat, type ActivityDeps } from './context.js';

export interface ProjectResidualsInput {
  spec: PipelineSpec;
  samples: ArtifactRef;
  trajectory: ArtifactRef;
  /**
   * The finite-width twin's trajectory from the train step, when the run has that twin. Absent
   * where the train step ran before it wrote one (an older workflow history): computed here then.
   */
  initTwin?: ArtifactRef | null;
  /** gram.arrow and gram-vectors.f64 of the spectrum step; null when spectrum.gram is off. */
  gram: ArtifactRef | null;
  vectors: ArtifactRef | null;
}
export interface ProjectResidualsOutput {
  projections: ArtifactRef;
  timing: StepTiming;
}

export async function projectResiduals(deps: ActivityDeps, input: ProjectResidualsInput): Promise<ProjectResidualsOutput> {
  const { spec, samples, trajectory, initTwin, gram, vectors } = input;
  const { store } = deps;
  const done = stopwatch(STEPS.project.name);
  const key = projectKey(spec, input);
  const cached = await store.find(STEPS.project.name, key, 'projections.arrow');
  if (cached) return { projections: cached, timing: done(true) };

  const work = async () => {
    const s = await readSamples(store, samples);
    const twins = projectionTwins(spec);
    // The artifacts are read side by side: each read hashes while the next chunk arrives.
    const [network, eigen, stored] = await Promise.all([
      readTrajectory(store, trajectory, s.n, s.nTest),
      gram && vectors ? readGram(store, gram, vectors) : null,
      initTwin && twins.includes('init') ? readResiduals(store, initTwin, s.n, s.nTest) : null,
    ]);
    if (stored && (stored.steps.length !== network.steps.length || stored.steps.some((step, i) => step !== network.steps[i])))
      throw new Error(`${initTwin!.path}: its logged steps are not those of ${trajectory.path}`);
    const init = stored ?? (twins.includes('init') ? await runFiniteWidthTwin(spec, s, network) : null);
    const model = modelFamilyOf(spec.model);
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
