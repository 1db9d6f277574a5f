import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readResiduals, readTrajectory, residualsTable, trajectoryTables } from '../../src/pipeline/trajectory.js';
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

describe('residualsTable', () => {
  const matrices = (steps: number[], n: number, nTest: number) => ({
    steps,
    train: Float64Array.from({ length: steps.length * n }, (_, i) => Math.sin(i + 0.5)),
    test: Float64Array.from({ length: steps.length * nTest }, (_, i) => -Math.cos(i)),
  });

  it('writes a row per logged step (step, train and test as lists) and reads back the same matrices, also without test points', async () => {
    const store = await ArtifactStore.create(root);
    for (const nTest of [3, 0]) {
      const n = 4;
      const r = matrices([0, 2, 9], n, nTest);
      const table = residualsTable(r, n, nTest);
      expect(table.numRows).toBe(3);
      expect(table.schema.fields.map((f) => f.name)).toEqual(nTest > 0 ? ['step', 'train', 'test'] : ['step', 'train']);
      // Row 1's train list is the train matrix's row 1.
      expect(Array.from(table.get(1)!.train as Iterable<number>)).toEqual(Array.from(r.train.subarray(n, 2 * n)));
      const ref = await store.writeTable('init-twin', `k${nTest}`, 'init-twin.arrow', table);
      const got = await readResiduals(store, ref, n, nTest);
      expect(got.steps).toEqual(r.steps);
      expect(Array.from(got.train)).toEqual(Array.from(r.train));
      expect(Array.from(got.test)).toEqual(Array.from(r.test));
    }
  });

  it('refuses a table whose rows do not hold n (or nTest) residuals, naming the file and column', async () => {
    const store = await ArtifactStore.create(root);
    const ref = await store.writeTable('init-twin', 'w', 'init-twin.arrow', residualsTable(matrices([0, 1], 4, 3), 4, 3));
    await expect(readResiduals(store, ref, 5, 3)).rejects.toThrow(/init-twin\.arrow: column "train" has 4 entries a row, expected 5/);
    await expect(readResiduals(store, ref, 4, 2)).rejects.toThrow(/column "test" has 3 entries a row, expected 2/);
  });
});
