/**
 * Activity `checkNtk`: how far the actual initialized network's empirical NTK, (1/m) J Jᵀ, is
 * from the analytic Gram matrix kappa(<x_i, x_j>) on the training sample, as a relative
 * Frobenius error (`ntk-check.arrow`: width, n_points, rel_error). It shrinks like m^(-1/2)
 * with the width m. Uses at most NTK_CHECK_POINTS training points.
 */
import { empiricalNtk, relativeFrobeniusError } from '../src/math/empirical-ntk.js';
import { ntkGram } from '../src/math/ntk.js';
import { initWeights } from '../src/model/network.js';
import { NTK_CHECK_POINTS, ntkCheckKey, STEPS } from '../src/pipeline/cache-keys.js';
import { readSamples } from '../src/pipeline/samples.js';
import { tableFromColumns } from '../src/store/arrow-columns.js';
import type { ArtifactRef, PipelineSpec, StepTiming } from '../src/pipeline/types.js';
import { stopwatch, type ActivityDeps } from './context.js';

export interface CheckNtkInput {
  spec: PipelineSpec;
  samples: ArtifactRef;
}
export interface CheckNtkOutput {
  ntkCheck: ArtifactRef;
  relError: number;
  timing: StepTiming;
}

export async function checkNtk(deps: ActivityDeps, { spec, samples }: CheckNtkInput): Promise<CheckNtkOutput> {
  const done = stopwatch(STEPS.ntkCheck.name);
  const { width } = spec.model;
  const key = ntkCheckKey(spec, samples);
  const cached = await deps.store.find(STEPS.ntkCheck.name, key, 'ntk-check.arrow');
  if (cached) {
    const t = await deps.store.readTable(cached);
    return { ntkCheck: cached, relError: Number(t.getChild('rel_error')!.get(0)), timing: done(true) };
  }
  const s = await readSamples(deps.store, samples);
  const n = Math.min(s.n, NTK_CHECK_POINTS);
  const x = s.xTrain.subarray(0, n * s.dim);
  // The same initial weights the training step starts from.
  const w = initWeights(spec.seed, width, s.dim, spec.model.init);
  const relError = relativeFrobeniusError(empiricalNtk(w.w1, w.w2, width, s.dim, x, n), ntkGram(x, n, s.dim));
  const table = tableFromColumns({ width: Int32Array.of(width), n_points: Int32Array.of(n), rel_error: Float64Array.of(relError) });
  const ntkCheck = await deps.store.writeTable(STEPS.ntkCheck.name, key, 'ntk-check.arrow', table);
  return { ntkCheck, relError, timing: done(false) };
}
