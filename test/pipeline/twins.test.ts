/**
 * The finite-width twin's trajectory, written by the train step beside the network's
 * (`init-twin.arrow`) and read by the projector: its values against linearized GD iterated on
 * the empirical NTK, its own cache key, and the project step's two paths to it.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { empiricalNtk, empiricalNtkCross } from '../../src/math/empirical-ntk.js';
import { initWeights } from '../../src/model/network.js';
import { readSamples } from '../../src/pipeline/samples.js';
import { readResiduals, readTrajectory, residualsTable } from '../../src/pipeline/trajectory.js';
import { parseSpec, type PipelineSpecInput } from '../../src/spec/schema.js';
import { ArtifactStore } from '../../src/store/artifact-store.js';
import { useTempDir } from '../store/temp-dir.js';

const dir = useTempDir('specbias-twins-');

const input: PipelineSpecInput = {
  name: 'twins',
  seed: 3,
  data: { dim: 5, n: 24, nTest: 8 },
  model: { width: 64 },
  training: { steps: 30, learningRate: 1 },
  spectrum: { maxDegree: 4 },
};
const specOf = (over: Record<string, unknown> = {}) => parseSpec({ ...input, ...over } as PipelineSpecInput);

async function setup() {
  const store = await ArtifactStore.create(dir());
  const acts = createActivities({ dataRoot: dir(), store });
  const env = new MockActivityEnvironment();
  const run = <T>(f: () => Promise<T>): Promise<T> => env.run(f) as Promise<T>;
  return { store, acts, run };
}

describe('the finite-width twin beside the trajectory', () => {
  it("the train step writes init-twin.arrow: linearized GD on Θ̂₀ from the network's r_0, at its logged steps, train and test", async () => {
    const { store, acts, run } = await setup();
    const spec = specOf();
    const { samples } = await run(() => acts.sampleData({ spec }));
    const trained = await run(() => acts.trainNetwork({ spec, samples }));
    expect(trained.initTwin?.path).toMatch(/^artifacts\/init-twin\/[0-9a-f]{64}\/init-twin\.arrow$/);
    const s = await readSamples(store, samples);
    const network = await readTrajectory(store, trained.trajectory, s.n, s.nTest);
    const twin = await readResiduals(store, trained.initTwin!, s.n, s.nTest);
    expect(twin.steps).toEqual(network.steps);

    // Reference: r_{t+1} = r_t - eta' Θ̂₀ r_t / n on train, r_{t+1}^test = r_t^test - eta' Θ̂₀(test, train) r_t / n,
    // Θ̂₀ in float64 by the plain formula, iterated step by step from the network's own r_0.
    const { w1, w2 } = initWeights(spec.seed, 64, s.dim);
    const theta = empiricalNtk(w1, w2, 64, s.dim, s.xTrain, s.n);
    const cross = empiricalNtkCross(w1, w2, 64, s.dim, s.xTest, s.nTest, s.xTrain, s.n);
    let r = network.train.slice(0, s.n);
    let rTest = network.test.slice(0, s.nTest);
    const lr = spec.training.learningRate;
    const scale = Math.hypot(...r);
    let checked = 0;
    for (let step = 0; step <= spec.training.steps; step++) {
      const row = twin.steps.indexOf(step);
      if (row >= 0) {
        for (let i = 0; i < s.n; i++) expect(Math.abs(twin.train[row * s.n + i]! - r[i]!)).toBeLessThan(1e-5 * scale);
        for (let i = 0; i < s.nTest; i++) expect(Math.abs(twin.test[row * s.nTest + i]! - rTest[i]!)).toBeLessThan(1e-5 * scale);
        checked++;
      }
      const move = (kernel: Float64Array, rows: number) =>
        Float64Array.from({ length: rows }, (_, i) => {
          let sum = 0;
          for (let j = 0; j < s.n; j++) sum += kernel[i * s.n + j]! * r[j]!;
          return (lr * sum) / s.n;
        });
      const dTrain = move(theta, s.n);
      const dTest = move(cross, s.nTest);
      r = r.map((v, i) => v - dTrain[i]!);
      rTest = rTest.map((v, i) => v - dTest[i]!);
    }
    expect(checked).toBe(network.steps.length);
    // The twin moved: it is not r_0 repeated.
    expect(Math.abs(twin.train[(twin.steps.length - 1) * s.n]! - twin.train[0]!)).toBeGreaterThan(1e-3 * scale);
  });

  it('has its own key: a trajectory found in the store gets the twin it lacks without training again; no twin without init', async () => {
    const { acts, run } = await setup();
    const infiniteOnly = specOf({ analysis: { twins: ['infinite'] } });
    const { samples } = await run(() => acts.sampleData({ spec: infiniteOnly }));
    const first = await run(() => acts.trainNetwork({ spec: infiniteOnly, samples }));
    expect(first.initTwin).toBeNull();
    expect(first.timing.cached).toBe(false);

    const both = specOf();
    const second = await run(() => acts.trainNetwork({ spec: both, samples }));
    expect(second.trajectory).toEqual(first.trajectory);
    expect(second.initTwin).not.toBeNull();
    // The twin was computed, so the step was not all cached.
    expect(second.timing.cached).toBe(false);
    const third = await run(() => acts.trainNetwork({ spec: both, samples }));
    expect(third.initTwin).toEqual(second.initTwin);
    expect(third.timing.cached).toBe(true);

    // Adam has no kernel twin at all.
    const adam = specOf({ training: { ...input.training, optimizer: 'adam' } });
    expect((await run(() => acts.trainNetwork({ spec: adam, samples }))).initTwin).toBeNull();
  });

  it("project: the train step's twin and one computed in place give the same bytes; a twin at other steps is refused", async () => {
    const { store, acts, run } = await setup();
    const spec = specOf();
    const { samples } = await run(() => acts.sampleData({ spec }));
    const spectrum = await run(() => acts.computeSpectrum({ spec, samples }));
    const trained = await run(() => acts.trainNetwork({ spec, samples }));
    const base = { spec, samples, trajectory: trained.trajectory, gram: spectrum.gram, vectors: spectrum.vectors };
    const read = await run(() => acts.projectResiduals({ ...base, initTwin: trained.initTwin }));
    // Same key either way: remove the artifact so the second call computes.
    await rm(join(dir(), read.projections.path, '..'), { recursive: true });
    const computed = await run(() => acts.projectResiduals(base));
    expect(computed.timing.cached).toBe(false);
    expect(computed.projections.sha256).toBe(read.projections.sha256);

    const s = await readSamples(store, samples);
    const twin = await readResiduals(store, trained.initTwin!, s.n, s.nTest);
    const shifted = await store.writeTable(
      'init-twin',
      'shifted',
      'init-twin.arrow',
      residualsTable({ ...twin, steps: twin.steps.map((t) => t + 1) }, s.n, s.nTest),
    );
    await rm(join(dir(), read.projections.path, '..'), { recursive: true });
    await expect(run(() => acts.projectResiduals({ ...base, initTwin: shifted }))).rejects.toThrow(
      /init-twin\/shifted\/init-twin\.arrow: its logged steps are not those of artifacts\/train\/.*trajectory\.arrow/,
    );
  });
});
