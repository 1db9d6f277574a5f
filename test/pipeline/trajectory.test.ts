import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTrajectory, trajectoryTables } from '../../src/pipeline/trajectory.js';
import { ArtifactStore } from '../../src/store/artifact-store.js';
import { readFloat64, readInt32, readStrings, tableFromColumns } from '../../src/store/arrow-columns.js';

const root = mkdtempSync(join(tmpdir(), 'specbias-trajectory-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const log = (step: number, n: number, nTest: number) => ({
  step,
  residualTrain: Float64Array.from({ length: n }, (_, i) => step + i / 7),
  residualTest: Float64Array.from({ length: nTest }, (_, i) => -step - i / 3),
  lossTrain: step,
  lossTest: -step,
});

describe('readTrajectory', () => {
  it('reads back the residual matrices trajectoryTables wrote, row by row', async () => {
    const store = await ArtifactStore.create(root);
    const n = 5;
    const nTest = 3;
    const logs = [0, 4, 8].map((s) => log(s, n, nTest));
    const { trajectory } = trajectoryTables(logs, n, nTest, { engine: 'x', backend: 'y' });
    const ref = await store.writeTable('train', 'a', 'trajectory.arrow', trajectory);
    const got = await readTrajectory(store, ref, n, nTest);
    expect(got.steps).toEqual([0, 4, 8]);
    // The reference: the columns read plainly, every row's split and step checked.
    const split = readStrings(trajectory, 'split');
    const step = readInt32(trajectory, 'step');
    const residual = readFloat64(trajectory, 'residual');
    for (let s = 0; s < logs.length; s++) {
      for (let i = 0; i < n + nTest; i++) {
        const row = s * (n + nTest) + i;
        expect(split[row]).toBe(i < n ? 'train' : 'test');
        expect(step[row]).toBe(logs[s]!.step);
        const value = i < n ? got.train[s * n + i] : got.test[s * nTest + i - n];
        expect(value).toBe(residual[row]);
      }
    }
  });

  it('rejects a trajectory not laid out step-major by split', async () => {
    const store = await ArtifactStore.create(root);
    const table = tableFromColumns({
      step: Int32Array.from([0, 0, 0, 1, 1, 1]),
      split: ['train', 'test', 'train', 'train', 'train', 'test'],
      idx: Int32Array.from([0, 0, 1, 0, 1, 0]),
      residual: Float64Array.from([1, 2, 3, 4, 5, 6]),
    });
    const ref = await store.writeTable('train', 'b', 'trajectory.arrow', table);
    await expect(readTrajectory(store, ref, 2, 1)).rejects.toThrow(/not laid out/);
  });
});
