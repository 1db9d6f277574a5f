/**
 * The kernel-regime twins' residual trajectories, at the network's logged steps and from the
 * network's own r_0 (train and test): GD at eta' on the linearized model, in closed form in a
 * kernel's eigenbasis (src/math/kernel-regime.ts).
 * - The infinite-width twin uses the analytic Gram of the run's model; the projector computes it
 *   from the spectrum step's eigenpairs (src/pipeline/projector.ts).
 * - The finite-width twin uses the network's empirical NTK at its initial weights, Θ̂₀/n
 *   (src/math/finite-width-twin.ts). The train step computes it beside the network's trajectory
 *   and writes it as `init-twin.arrow`, a row per logged step (`residualsTable`,
 *   src/pipeline/trajectory.ts).
 *
 *   const twin = await finiteWidthTwinResiduals(s, network, initialWeights(spec, s.dim), 2);
 *   const { ref } = await finiteWidthTwinArtifact(store, spec, { samples, trajectory }, {});   // init-twin.arrow
 */
import type * as arrow from 'apache-arrow';
import { kernelCoefficients, kernelTestResidualMatrix, residualsFromCoefficients } from '../math/kernel-regime.js';
import { finiteWidthTwin } from '../math/finite-width-twin.js';
import type { NetworkWeights } from '../model/network.js';
import { isDeepWeights, type DeepWeights } from '../model/reference-deep.js';
import type { PipelineSpec } from '../spec/schema.js';
import type { ArtifactRef, ArtifactStore } from '../store/artifact-store.js';
import { initTwinKey, projectionTwins, STEPS } from './cache-keys.js';
import { initialWeights } from './initial-weights.js';
import { readSamples, type Samples } from './samples.js';
import { readTrajectory, residualsOf, residualsTable, type Residuals } from './trajectory.js';

/**
 * The linearized residuals at the network's logged steps, from the network's r_0, for a kernel
 * with eigenpairs (values, u) of its Gram / n and test-train block kTestTrain; with the training
 * residuals' coordinates in that eigenbasis (`coefficients`, steps x n).
 */
export function kernelTwin(
  s: Samples,
  network: Residuals,
  values: Float64Array,
  u: Float64Array,
  kTestTrain: Float64Array | null,
  learningRate: number,
): Residuals & { coefficients: Float64Array } {
  const { steps } = network;
  const r0 = network.train.subarray(0, s.n);
  const coefficients = kernelCoefficients(values, u, s.n, r0, learningRate, steps);
  const train = residualsFromCoefficients(coefficients, u, steps.length, s.n);
  const test = kTestTrain
    ? kernelTestResidualMatrix(kTestTrain, s.nTest, values, u, s.n, r0, network.test.subarray(0, s.nTest), learningRate, steps)
    : new Float64Array(0);
  return { steps, train, test, coefficients };
}

/**
 * The finite-width twin's residuals: Θ̂₀ at the initial weights `init` (exactly those training
 * starts from: `initialWeights`), eigendecomposed off the event loop, then {@link kernelTwin}.
 */
export async function finiteWidthTwinResiduals(
  s: Samples,
  network: Residuals,
  init: NetworkWeights | DeepWeights,
  learningRate: number,
): Promise<Residuals> {
  const points = { xTrain: s.xTrain, n: s.n, xTest: s.xTest, nTest: s.nTest };
  const twin = await finiteWidthTwin(
    isDeepWeights(init) ? { deep: init, ...points } : { w1: init.w1, w2: init.w2, width: init.width, dim: s.dim, ...points },
  );
  const { steps, train, test } = kernelTwin(s, network, twin.values, twin.vectors, twin.testTrain, learningRate);
  return { steps, train, test };
}

/**
 * The finite-width twin of a spec's run: {@link finiteWidthTwinResiduals} at the initial weights
 * training starts from (`initialWeights`) and the run's learning rate. The train step writes it;
 * the project step computes it the same way where an older history's train step wrote none.
 */
export function runFiniteWidthTwin(spec: PipelineSpec, s: Samples, network: Residuals): Promise<Residuals> {
  return finiteWidthTwinResiduals(s, network, initialWeights(spec, s.dim), spec.training.learningRate);
}

/** What the caller of {@link finiteWidthTwinArtifact} already holds, so nothing is read twice. */
export interface KnownInputs {
  s?: Samples;
  /** The trajectory as a table (training's concatenated parts). */
  table?: arrow.Table;
}

/**
 * The run's init-twin.arrow, found by its key (`initTwinKey`) or computed from the trajectory's
 * r_0 and logged steps and written; `ref` null when the run has no finite-width twin
 * (`analysis.twins`, or an optimizer without kernel twins).
 */
export async function finiteWidthTwinArtifact(
  store: ArtifactStore,
  spec: PipelineSpec,
  inputs: { samples: ArtifactRef; trajectory: ArtifactRef },
  known: KnownInputs,
): Promise<{ ref: ArtifactRef | null; computed: boolean }> {
  if (!projectionTwins(spec).includes('init')) return { ref: null, computed: false };
  const key = initTwinKey(spec, inputs);
  const found = await store.find(STEPS.initTwin.name, key, 'init-twin.arrow');
  if (found) return { ref: found, computed: false };
  const { samples, trajectory } = inputs;
  const s = known.s ?? (await readSamples(store, samples));
  const network = known.table
    ? residualsOf(known.table, trajectory.path, s.n, s.nTest)
    : await readTrajectory(store, trajectory, s.n, s.nTest);
  const twin = await runFiniteWidthTwin(spec, s, network);
  const ref = await store.writeTable(STEPS.initTwin.name, key, 'init-twin.arrow', residualsTable(twin, s.n, s.nTest));
  return { ref, computed: true };
}
