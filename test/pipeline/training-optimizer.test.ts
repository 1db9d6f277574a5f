/** trainWithCheckpoints with heavy ball and Adam on tfjs-cpu: the checkpoints carry the optimizer state, and a resumed attempt repeats the run. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readOptimizerState, type Checkpoint } from '../../src/pipeline/checkpoint.js';
import { trainWithCheckpoints } from '../../src/pipeline/training.js';
import { parseSpec } from '../../src/spec/schema.js';
import { ArtifactStore } from '../../src/store/artifact-store.js';
import { samples } from './fixtures.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('sgd and adam in checkpointed chunks on tfjs-cpu', () => {
  it.each([
    { optimizer: 'sgd', batchSize: 6, momentum: 0.8 },
    { optimizer: 'adam', batchSize: 6 },
  ])('%o: checkpoints hold the state, and a resumed attempt repeats the run bit for bit (without the state it does not)', async (opt) => {
    const root = await mkdtemp(join(tmpdir(), 'specbias-tfjsopt-'));
    dirs.push(root);
    const store = await ArtifactStore.create(root);
    const spec = parseSpec({
      seed: 5,
      model: { width: 16, theta: 1 },
      data: { n: 20, nTest: 4, dim: 5 },
      training: { steps: 20, logEvery: 2, learningRate: 0.5, engine: 'tfjs-cpu', ...opt },
    });
    const s = samples(20, 4, 5);
    const engine = { engine: 'tfjs-cpu' as const, id: 'tfjs-cpu' };
    const hooks = { onCheckpoint: () => {}, onStep: () => {} };
    const whole = await trainWithCheckpoints(store, 'k1', spec, s, engine, null, hooks);
    expect(whole.engine).toBe('tfjs-cpu');
    expect(whole.backend).toMatch(new RegExp(`, ${opt.optimizer} batch 6$`));
    // An attempt that fails right after its first checkpoint leaves it on disk.
    let first: Checkpoint | undefined;
    const stop = (c: Checkpoint) => {
      first = c;
      throw new Error('stopped after the first checkpoint');
    };
    await expect(trainWithCheckpoints(store, 'k2', spec, s, engine, null, { ...hooks, onCheckpoint: stop })).rejects.toThrow(
      'stopped after the first checkpoint',
    );
    expect(first!.step).toBeGreaterThan(0);
    expect(first!.step).toBeLessThan(20);
    const state = await readOptimizerState(store, first!.optimizer!);
    const per = 16 * 5 + 16;
    expect(state.length).toBe(opt.optimizer === 'adam' ? 2 * per : per);
    expect(state.some((v) => v !== 0)).toBe(true);

    const again = await trainWithCheckpoints(store, 'k2', spec, s, engine, first!, hooks);
    const a = Buffer.from(await store.readBytes(whole.trajectory));
    expect(a.equals(Buffer.from(await store.readBytes(again.trajectory)))).toBe(true);

    // The same checkpoint without its state: the moments restart, the trajectory changes.
    let second: Checkpoint | undefined;
    const stop2 = (c: Checkpoint) => {
      second = c;
      throw new Error('stopped');
    };
    await expect(trainWithCheckpoints(store, 'k3', spec, s, engine, null, { ...hooks, onCheckpoint: stop2 })).rejects.toThrow('stopped');
    const { optimizer: _dropped, ...stateless } = second!;
    const cold = await trainWithCheckpoints(store, 'k3', spec, s, engine, stateless, hooks);
    expect(a.equals(Buffer.from(await store.readBytes(cold.trajectory)))).toBe(false);
  });
});
