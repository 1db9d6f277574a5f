/** trainWithCheckpoints on a member of the model family: the spec's model reaches the engine, checkpoints hold DeepWeights. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { forwardDeep, initDeepWeights } from '../../src/model/reference-deep.js';
import { readWeights, type Checkpoint } from '../../src/pipeline/checkpoint.js';
import type { Samples } from '../../src/pipeline/samples.js';
import { modelOf, trainWithCheckpoints } from '../../src/pipeline/training.js';
import { parseSpec } from '../../src/spec/schema.js';
import { ArtifactStore } from '../../src/store/artifact-store.js';
import { harmonicTarget, spherePoints } from '../model/fixtures.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function samples(n: number, nTest: number, dim: number): Samples {
  const xTrain = spherePoints(1, 'test/train', n, dim);
  const xTest = spherePoints(1, 'test/test', nTest, dim);
  return {
    dim,
    n,
    nTest,
    xTrain,
    yTrain: harmonicTarget(xTrain, n, dim),
    xTest,
    yTest: harmonicTarget(xTest, nTest, dim),
    degrees: [],
    distribution: { kind: 'uniform' } as Samples['distribution'],
    parts: new Map(),
  };
}

describe('training the model family in checkpointed chunks', () => {
  it('starts from initDeepWeights, writes DeepWeights checkpoints, and a resumed attempt repeats the run bit for bit', async () => {
    const root = await mkdtemp(join(tmpdir(), 'specbias-family-'));
    dirs.push(root);
    const store = await ArtifactStore.create(root);
    const spec = parseSpec({
      seed: 4,
      model: { width: 24, depth: 3, bias: 0.5, activation: 'tanh' },
      data: { n: 20, nTest: 4, dim: 5 },
      training: { steps: 20, logEvery: 2, learningRate: 0.5, engine: 'tfjs-cpu' },
    });
    const model = modelOf(spec);
    expect(model).toEqual({ depth: 3, bias: 0.5, activation: 'tanh' });
    const s = samples(20, 4, 5);
    const engine = { engine: 'tfjs-cpu' as const, id: 'tfjs-cpu' };
    const whole = await trainWithCheckpoints(store, 'k1', spec, s, engine, null, { onCheckpoint: () => {}, onStep: () => {} });
    expect(whole.engine).toBe('tfjs-cpu');
    // An attempt that fails right after its first checkpoint leaves it on disk.
    let first: Checkpoint | undefined;
    const stop = (c: Checkpoint) => {
      first = c;
      throw new Error('stopped after the first checkpoint');
    };
    await expect(trainWithCheckpoints(store, 'k2', spec, s, engine, null, { onCheckpoint: stop, onStep: () => {} })).rejects.toThrow(
      'stopped after the first checkpoint',
    );
    const w = await readWeights(store, first!.weights, 24, 5, model);
    expect('a' in w && w.a.map((v) => v.length)).toEqual([24 * 5, 24 * 24, 24]);

    // Step 0 of the trajectory is the initial network's residual: initDeepWeights of the spec's seed.
    const traj = await store.readTable(whole.trajectory);
    const step = traj.getChild('step')!.toArray() as Int32Array;
    const residual = traj.getChild('residual')!.toArray() as Float64Array;
    const f0 = forwardDeep(initDeepWeights(4, model, 24, 5), 1, s.xTrain, 20);
    const r0 = residual.filter((_, i) => step[i] === 0).slice(0, 20);
    for (let i = 0; i < 20; i++) expect(Math.abs(r0[i]! - (s.yTrain[i]! - f0[i]!))).toBeLessThan(1e-5);

    // The next attempt resumes from that checkpoint and ends with the uninterrupted run's bytes.
    const again = await trainWithCheckpoints(store, 'k2', spec, s, engine, first!, { onCheckpoint: () => {}, onStep: () => {} });
    const a = await store.readBytes(whole.trajectory);
    const b = await store.readBytes(again.trajectory);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });
});
