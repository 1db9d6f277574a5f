/**
 * The trajectory format: `trajectory.arrow` (step, split, idx, residual: the residual
 * r_t = y - y_hat_t at every logged step, step-major, the train block then the test block) and
 * `losses.arrow` (split, step, loss; schema metadata `engine` and `backend` name what trained it),
 * with their readers. Training writes them in parts, one per checkpoint, concatenated at the end.
 * The finite-width twin's trajectory, `init-twin.arrow`, has a row per logged step instead
 * ({@link residualsTable}).
 */
import * as arrow from 'apache-arrow';
import type { TrainLog } from '../model/engine.js';
import { readFloat64, readInt32, readMatrix, readMetadata, tableFromColumns } from '../store/arrow-columns.js';
import type { ArtifactRef, ArtifactStore } from '../store/artifact-store.js';

/** A residual trajectory: the logged steps and, per split, one row-major matrix with a row per step. */
export interface Residuals {
  steps: number[];
  /** steps.length x n. */
  train: Float64Array;
  /** steps.length x nTest. */
  test: Float64Array;
}

export interface EngineInfo {
  engine: string;
  backend: string;
}

/** The trajectory and loss tables of some logs (a part of a run, or all of it). */
export function trajectoryTables(
  logs: TrainLog[],
  n: number,
  nTest: number,
  engine: EngineInfo,
): { trajectory: arrow.Table; losses: arrow.Table } {
  const per = n + nTest;
  const rows = logs.length * per;
  const step = new Int32Array(rows);
  const idx = new Int32Array(rows);
  const residual = new Float64Array(rows);
  let o = 0;
  for (const log of logs) {
    step.fill(log.step, o, o + per);
    for (let i = 0; i < n; i++) idx[o + i] = i;
    for (let i = 0; i < nTest; i++) idx[o + n + i] = i;
    residual.set(log.residualTrain.subarray(0, n), o);
    residual.set(log.residualTest.subarray(0, nTest), o + n);
    o += per;
  }
  const lossSplit: string[] = [];
  const lossStep: number[] = [];
  const lossValue: number[] = [];
  for (const log of logs) {
    lossSplit.push('train');
    lossStep.push(log.step);
    lossValue.push(log.lossTrain);
    if (nTest > 0) {
      lossSplit.push('test');
      lossStep.push(log.step);
      lossValue.push(log.lossTest);
    }
  }
  return {
    trajectory: tableFromColumns({ step, split: splitColumn(logs.length, n, nTest), idx, residual }),
    losses: tableFromColumns({ split: lossSplit, step: Int32Array.from(lossStep), loss: Float64Array.from(lossValue) }, { ...engine }),
  };
}

/**
 * Residual matrices as a table of one row per logged step: `step`, then `train` and `test`, the
 * step's residual on each split as a FixedSizeList<Float64> of n and nTest entries (no `test`
 * column without test points). The finite-width twin's trajectory is stored so
 * (`init-twin.arrow`): a third of the bytes of `trajectory.arrow`'s row per residual, which the
 * network's trajectory keeps (its checkpoint parts and cached runs are in that layout).
 */
export function residualsTable({ steps, train, test }: Residuals, n: number, nTest: number): arrow.Table {
  return tableFromColumns({
    step: Int32Array.from(steps),
    train: { matrix: train, width: n },
    ...(nTest > 0 ? { test: { matrix: test, width: nTest } } : {}),
  });
}

/** The residual matrices of a {@link residualsTable}, checked against n and nTest. */
export async function readResiduals(store: ArtifactStore, ref: ArtifactRef, n: number, nTest: number): Promise<Residuals> {
  const table = await store.readTable(ref);
  const steps = Array.from(readInt32(table, 'step'));
  const matrix = (name: string, width: number) => {
    const m = readMatrix(table, name);
    if (m.width !== width) throw new Error(`${ref.path}: column "${name}" has ${m.width} entries a row, expected ${width}`);
    return m.matrix;
  };
  return { steps, train: matrix('train', n), test: nTest > 0 ? matrix('test', nTest) : new Float64Array(0) };
}

const SPLIT_BYTES = { train: new TextEncoder().encode('train'), test: new TextEncoder().encode('test') };

/**
 * The split column of `count` logs ('train' n times, then 'test' nTest times, per log) as a Utf8
 * vector built from its buffers: the same column as from a string array, without a million strings.
 */
function splitColumn(count: number, n: number, nTest: number): arrow.Vector<arrow.Utf8> {
  const { train, test } = SPLIT_BYTES;
  const per = n + nTest;
  const perBytes = n * train.length + nTest * test.length;
  const data = new Uint8Array(count * perBytes);
  const valueOffsets = new Int32Array(count * per + 1);
  if (count > 0) {
    // One log's block, then copies of it (the offsets shifted).
    for (let i = 0, at = 0; i < per; i++) {
      const word = i < n ? train : test;
      data.set(word, at);
      at += word.length;
      valueOffsets[i + 1] = at;
    }
    for (let s = 1; s < count; s++) {
      data.copyWithin(s * perBytes, 0, perBytes);
      const shift = s * perBytes;
      for (let i = 1; i <= per; i++) valueOffsets[s * per + i] = valueOffsets[i]! + shift;
    }
  }
  const o = count * per;
  return arrow.makeVector(arrow.makeData({ type: new arrow.Utf8(), length: o, nullCount: 0, valueOffsets, data }));
}

/** The engine and backend recorded in a `losses.arrow`. */
export async function readEngine(store: ArtifactStore, losses: ArtifactRef): Promise<EngineInfo> {
  const table = await store.readTable(losses);
  return { engine: readMetadata(table, 'engine'), backend: readMetadata(table, 'backend') };
}

/**
 * The residuals of every logged step, as two row-major matrices (steps x n for train, steps x
 * nTest for test), checked to be laid out as written.
 */
export async function readTrajectory(store: ArtifactStore, ref: ArtifactRef, n: number, nTest: number): Promise<Residuals> {
  return residualsOf(await store.readTable(ref), ref.path, n, nTest);
}

/** The residual matrices of a trajectory table (`path` names it in errors), checked to be laid out as written. */
export function residualsOf(traj: arrow.Table, path: string, n: number, nTest: number): Residuals {
  // Of step and split only the cells the layout check reads are decoded, not one per residual.
  const step = traj.getChild('step');
  const split = traj.getChild('split');
  if (!step || !split) throw new Error(`trajectory ${path} has no column "step" or "split"`);
  const residual = readFloat64(traj, 'residual');
  const per = n + nTest;
  if (residual.length % per !== 0) throw new Error(`trajectory ${path} has ${residual.length} rows, not a multiple of n + nTest = ${per}`);
  const count = residual.length / per;
  const steps: number[] = [];
  const train = new Float64Array(count * n);
  const test = new Float64Array(count * nTest);
  for (let s = 0; s < count; s++) {
    const o = s * per;
    const first = step.get(o) as number;
    if (split.get(o) !== 'train' || (nTest > 0 && split.get(o + n) !== 'test') || step.get(o + per - 1) !== first) {
      throw new Error(`trajectory ${path} is not laid out step-major by split at row ${o}`);
    }
    steps.push(first);
    train.set(residual.subarray(o, o + n), s * n);
    test.set(residual.subarray(o + n, o + per), s * nTest);
  }
  return { steps, train, test };
}

/**
 * The parts' tables, in order, as one table (the parts share one schema); `known` holds tables
 * by artifact path that need not be read back (those this process just wrote).
 */
export async function concatParts(
  store: ArtifactStore,
  refs: ArtifactRef[],
  known?: ReadonlyMap<string, arrow.Table>,
): Promise<arrow.Table> {
  const tables = [];
  for (const ref of refs) tables.push(known?.get(ref.path) ?? (await store.readTable(ref)));
  const first = tables[0]!;
  return new arrow.Table(
    first.schema,
    tables.flatMap((t) => t.batches.map((b) => new arrow.RecordBatch(first.schema, b.data))),
  );
}
