/**
 * Activity `checkNtk`: how far the actual initialized network's empirical NTK, (1/m) J Jᵀ (for a
 * member of the model family: its layers' gradient products in the paper weighting), is from
 * the model's analytic Gram matrix kappa(<x_i, x_j>) on the training sample, as a relative
 * Frobenius error (`ntk-check.arrow`: width, n_points, rel_error). It shrinks like m^(-1/2)
 * with the width m. Uses at most NTK_CHECK_POINTS training points.
 * `ntk-directions.arrow` holds, per target degree k, the same comparison along the unit target
 * part v̂_k on the whole training sample: v̂ᵀΘ̂₀v̂ / v̂ᵀKv̂ − 1, the relative gap between the
 * finite-width and the infinite-width twin's rate along that direction.
 */
import { empiricalNtkDeepGram } from '../src/math/empirical-ntk-deep.js';
import { empiricalNtkGramAndCross, empiricalNtkQuadratics, relativeFrobeniusError } from '../src/math/empirical-ntk.js';
import { familyGram, familyQuadratics } from '../src/math/family-gram.js';
import { quadraticForm } from '../src/math/matmul.js';
import { modelFamilyOf } from '../src/math/ntk-family.js';
import { isDeepWeights } from '../src/model/reference-deep.js';
import { NTK_CHECK_POINTS, ntkCheckKey, STEPS } from '../src/pipeline/cache-keys.js';
import { initialWeights } from '../src/pipeline/initial-weights.js';
import { readSamples } from '../src/pipeline/samples.js';
import { tableFromColumns } from '../src/store/arrow-columns.js';
import type { ArtifactRef, PipelineSpec, StepTiming } from '../src/pipeline/types.js';
import { stopwatch, withHeartbeat, yieldToEventLoop, type ActivityDeps } from './context.js';

export interface CheckNtkInput {
  spec: PipelineSpec;
  samples: ArtifactRef;
}
export interface CheckNtkOutput {
  ntkCheck: ArtifactRef;
  /** Per target degree: the empirical NTK at init against the analytic Gram along the target part. */
  directions: ArtifactRef;
  relError: number;
  timing: StepTiming;
}

export async function checkNtk(deps: ActivityDeps, { spec, samples }: CheckNtkInput): Promise<CheckNtkOutput> {
  const done = stopwatch(STEPS.ntkCheck.name);
  const { width } = spec.model;
  const key = ntkCheckKey(spec, samples);
  const cached = await deps.store.find(STEPS.ntkCheck.name, key, 'ntk-check.arrow');
  const cachedDirections = await deps.store.find(STEPS.ntkCheck.name, key, 'ntk-directions.arrow');
  if (cached && cachedDirections) {
    const t = await deps.store.readTable(cached);
    return { ntkCheck: cached, directions: cachedDirections, relError: Number(t.getChild('rel_error')!.get(0)), timing: done(true) };
  }
  const s = await readSamples(deps.store, samples);
  // The same initial weights the training step starts from, and the model's analytic kernel.
  const w = initialWeights(spec, s.dim);
  const model = modelFamilyOf(spec.model);
  const n = Math.min(s.n, NTK_CHECK_POINTS);
  const x = s.xTrain.subarray(0, n * s.dim);
  const parts = s.degrees.map((degree) => s.parts.get(degree)!.train);
  const work = async () => {
    let relError: number;
    let finite: number[];
    if (isDeepWeights(w)) {
      // A family member: Θ̂₀ on every training point by products over layers (its first n x n
      // block is the check's), and vᵀΘ̂₀v from it (cheaper than per-neuron sums at depth >= 3).
      const theta = empiricalNtkDeepGram(w, s.xTrain, s.n);
      const block = new Float64Array(n * n);
      for (let i = 0; i < n; i++) block.set(theta.subarray(i * s.n, i * s.n + n), i * n);
      relError = relativeFrobeniusError(block, familyGram(model, x, n, s.dim));
      finite = parts.map((v) => quadraticForm(theta, s.n, v));
    } else {
      // Θ̂₀ on the check's points by float32 products where the addon has BLAS (within ~1e-7 of
      // float64, far below the O(m^-1/2) gap measured here).
      const { gram } = await empiricalNtkGramAndCross(w.w1, w.w2, width, s.dim, x, n, x, 0);
      relError = relativeFrobeniusError(gram, familyGram(model, x, n, s.dim));
      await yieldToEventLoop();
      // Along each target part v on every training point: vᵀΘ̂₀v / vᵀKv − 1, neither matrix formed.
      finite = empiricalNtkQuadratics(w.w1, w.w2, width, s.dim, s.xTrain, s.n, parts);
    }
    await yieldToEventLoop();
    const infinite = familyQuadratics(model, s.xTrain, s.n, s.dim, parts);
    return { relError, relDiff: finite.map((q, i) => q / infinite[i]! - 1) };
  };
  const { relError, relDiff } = await withHeartbeat(work(), { stage: 'ntk-check' });
  const table = tableFromColumns({ width: Int32Array.of(width), n_points: Int32Array.of(n), rel_error: Float64Array.of(relError) });
  const ntkCheck = await deps.store.writeTable(STEPS.ntkCheck.name, key, 'ntk-check.arrow', table);
  const directions = await deps.store.writeTable(
    STEPS.ntkCheck.name,
    key,
    'ntk-directions.arrow',
    tableFromColumns({
      degree: Int32Array.from(s.degrees),
      n_points: Int32Array.from(s.degrees, () => s.n),
      rel_diff: Float64Array.from(relDiff),
    }),
  );
  return { ntkCheck, directions, relError, timing: done(false) };
}
