/**
 * Every step's cache key, in one place: what invalidates each artifact.
 *
 * A key is sha256 of the canonical JSON of {step: {name, version}, params, inputs}: `params` are
 * the spec fields the step's bytes depend on, `inputs` the sha256 of the upstream artifacts it
 * reads. Artifacts live under `artifacts/<step>/<key>/`. Bump a step's `version` when its code
 * changes what it writes. Nothing else belongs in a key: a field that does not change the bytes
 * (the run's name, the sweep, the learning rate for the spectrum) would only stop sharing.
 */
import { isPaperModel, modelFamilyOf, type ModelFamily } from '../math/ntk-family.js';
import type { PipelineSpec } from '../spec/schema.js';
import type { ArtifactRef } from '../store/artifact-store.js';
import { contentKey } from '../store/canonical-json.js';

export const STEPS = {
  sample: { name: 'sample', version: 2 },
  // v3: no theory_rate column (it depends on the learning rate; analysis adds it).
  // v4: non-uniform clusters by zonal energy, with their purity.
  // v5: an eigenvector with no positive zonal energy is unassigned (was put in degree 0); file data's bands.
  spectrum: { name: 'spectrum', version: 5 },
  // v2: ntk-directions.arrow beside ntk-check.arrow.
  // v3: the check's Θ̂₀ by float32 products (about 1e-7 of its Frobenius norm).
  // v4: the direction quadratic forms fused in the addon (within ~1e-14 relative of the products).
  ntkCheck: { name: 'ntk-check', version: 4 },
  // v2: the geometric log schedule (src/model/log-schedule.ts).
  train: { name: 'train', version: 2 },
  // The finite-width twin's trajectory, init-twin.arrow, which the train step writes beside the
  // network's (src/pipeline/twins.ts).
  initTwin: { name: 'init-twin', version: 1 },
  // v3: the finite-width twin (source 'init') and the off-diagonal harmonic U-statistic.
  // v4: the finite-width twin's kernel by float32 products (about 1e-7 of its Frobenius norm).
  // v5: the infinite-width twin's eigenspace norms from its eigenbasis coefficients (no product;
  //     differs only at the old rounding floor, ~3e-16 of the residual's norm).
  project: { name: 'project', version: 5 },
  analyze: { name: 'analyze', version: 1 },
} as const;

/** Points the NTK check uses at most: its error is an average over pairs, and the cost grows like n^2 m. */
export const NTK_CHECK_POINTS = 300;

/**
 * samples.arrow: the seed and the data section; maxDegree bounds the degree parts recorded for
 * cosine and even-poly targets. File data: the file's content (`fileSha256`, which the sample
 * step computes), not its path, so a changed file samples again and a moved one does not.
 */
export function sampleKey(spec: PipelineSpec, fileSha256?: string): string {
  let data: unknown = spec.data;
  if (spec.data.distribution.kind === 'file') {
    if (fileSha256 === undefined) throw new Error("sampleKey: file data needs the file's sha256");
    const { path: _path, ...distribution } = spec.data.distribution;
    data = { ...spec.data, distribution: { ...distribution, sha256: fileSha256 } };
  }
  return contentKey({ step: STEPS.sample, params: { seed: spec.seed, data, maxDegree: spec.spectrum.maxDegree } });
}

/**
 * The kernel's key material for the spectrum, ntk-check and project steps: nothing for the
 * paper's network, whose keys predate the model family (so its artifacts stay valid), else
 * `model: {depth, bias, activation}`. (The train key holds the whole model section already.)
 */
function familyParams(spec: PipelineSpec): { model?: ModelFamily } {
  const model = modelFamilyOf(spec.model);
  return isPaperModel(model) ? {} : { model };
}

/**
 * spectrum.arrow (mu_k, N(D,k)): D, maxDegree and the model's kernel. With `spectrum.gram`,
 * gram.arrow and gram-vectors.f64 also depend on the training points. Not on the learning rate:
 * a learning-rate sweep eigendecomposes the Gram matrix once.
 */
export function spectrumKey(spec: PipelineSpec, samples: ArtifactRef): string {
  const { maxDegree, gram } = spec.spectrum;
  return contentKey({
    step: STEPS.spectrum,
    params: { dim: spec.data.dim, maxDegree, gram, ...familyParams(spec) },
    inputs: gram ? [samples.sha256] : [],
  });
}

/** ntk-check.arrow: the initial weights (seed, width, init, the model) and the first NTK_CHECK_POINTS training points. */
export function ntkCheckKey(spec: PipelineSpec, samples: ArtifactRef): string {
  const { width, init } = spec.model;
  return contentKey({
    step: STEPS.ntkCheck,
    params: { seed: spec.seed, width, points: NTK_CHECK_POINTS, ...(init ? { init } : {}), ...familyParams(spec) },
    inputs: [samples.sha256],
  });
}

/**
 * trajectory.arrow and losses.arrow (and the checkpoints on the way): the seed, the model, the
 * training section and the samples, with `training.engine` replaced by `engine`, the engine that
 * actually runs (`resolveEngine`): 'auto' trains on whatever this machine has, and engines differ
 * in their last bits.
 */
export function trainKey(spec: PipelineSpec, samples: ArtifactRef, engine: string): string {
  return contentKey({
    step: STEPS.train,
    params: { seed: spec.seed, model: spec.model, training: { ...spec.training, engine } },
    inputs: [samples.sha256],
  });
}

/**
 * init-twin.arrow: the network's trajectory (its logged steps and r_0, with everything the train
 * key holds behind its hash), the samples, the initial weights (seed, width, init, the model) and
 * the learning rate (the twin's step).
 */
export function initTwinKey(spec: PipelineSpec, inputs: { samples: ArtifactRef; trajectory: ArtifactRef }): string {
  return contentKey({
    step: STEPS.initTwin,
    params: { learningRate: spec.training.learningRate, ...initialWeightsParams(spec), ...familyParams(spec) },
    inputs: [inputs.samples.sha256, inputs.trajectory.sha256],
  });
}

/** The fields the initial weights depend on beyond the model family: the seed, the width and the init. */
function initialWeightsParams(spec: PipelineSpec) {
  return { seed: spec.seed, width: spec.model.width, init: spec.model.init ?? 'gaussian' };
}

/**
 * projections.arrow: the residuals, the samples, the Gram eigenpairs, the learning rate (the
 * twins' steps), the twins (`analysis.twins`) and the model's kernel (the infinite twin's
 * test-train block); the init twin also depends on the initial weights: the seed and the
 * model's width and init. Its trajectory (init-twin.arrow) is a function of exactly these, so
 * its hash adds nothing here (the projections are the same whichever attempt computed it).
 */
export function projectKey(
  spec: PipelineSpec,
  inputs: { samples: ArtifactRef; trajectory: ArtifactRef; gram: ArtifactRef | null; vectors: ArtifactRef | null },
): string {
  const { samples, trajectory, gram, vectors } = inputs;
  const twins = projectionTwins(spec);
  const init = twins.includes('init') ? initialWeightsParams(spec) : {};
  return contentKey({
    step: STEPS.project,
    params: { learningRate: spec.training.learningRate, twins, ...init, ...familyParams(spec) },
    inputs: [samples.sha256, trajectory.sha256, gram?.sha256 ?? null, vectors?.sha256 ?? null],
  });
}

/** The kernel-regime twins the projections compute (`analysis.twins`; absent: both). */
export function projectionTwins(spec: PipelineSpec): readonly ('infinite' | 'init')[] {
  // The twins are GD at eta' in the kernel regime: SGD's expected dynamics, but neither Adam's
  // (a per-weight normalized step, no kernel flow) nor heavy ball's (another linear recursion).
  if (!hasKernelTwin(spec)) return [];
  return spec.analysis?.twins ?? ['infinite', 'init'];
}

/** Whether the optimizer has a kernel twin: gd, and sgd without momentum (its expected dynamics). */
export function hasKernelTwin(spec: PipelineSpec): boolean {
  const { optimizer, momentum } = spec.training;
  return optimizer === undefined || (optimizer === 'sgd' && (momentum ?? 0) === 0);
}

/** rates.arrow: the run (its rows in DuckDB are the run's), the spectrum, projections and losses it was fitted from. */
export function analyzeKey(runId: string, inputs: { spectrum: ArtifactRef; projections: ArtifactRef; losses: ArtifactRef }): string {
  return contentKey({
    step: STEPS.analyze,
    params: { runId },
    inputs: [inputs.spectrum.sha256, inputs.projections.sha256, inputs.losses.sha256],
  });
}
