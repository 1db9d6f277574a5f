/**
 * Data from your own files: Parquet, CSV and Arrow IPC read alike; the seeded split; the
 * normalizations against hand-computed values; one line per bad input; the samples' cache key
 * follows the file's content, not its path.
 */
import { copyFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { sampleData } from '../../activities/sample.js';
import { sizeRefusal } from '../../src/cli/preflight.js';
import { sampleKey } from '../../src/pipeline/cache-keys.js';
import { projectionsTable } from '../../src/pipeline/projector.js';
import { fileSamples, fileSplit, readSamples, type Samples } from '../../src/pipeline/samples.js';
import { hasDegreeStructure, indexBands } from '../../src/pipeline/spectrum.js';
import { parseSpec, SpecError, type PipelineSpecInput } from '../../src/spec/schema.js';
import { ArtifactStore } from '../../src/store/artifact-store.js';
import { dataFileFacts, readDataFile } from '../../src/store/data-file.js';
import { useTempDir } from '../store/temp-dir.js';

const dir = useTempDir('specbias-filedata-');

/** Rows of (a, b, c, y) as CSV text. */
function csv(rows: (number | string)[][], header = 'a,b,c,y'): string {
  return [header, ...rows.map((r) => r.join(','))].join('\n') + '\n';
}

/** A CSV file and, through DuckDB, a Parquet file with the same contents. */
async function writeBoth(rows: number[][]): Promise<{ csvPath: string; parquetPath: string }> {
  const csvPath = join(dir(), 'data.csv');
  const parquetPath = join(dir(), 'data.parquet');
  await writeFile(csvPath, csv(rows));
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`COPY (SELECT * FROM read_csv('${csvPath}', header = true)) TO '${parquetPath}' (FORMAT parquet)`);
  c.closeSync();
  db.closeSync();
  return { csvPath, parquetPath };
}

const rowsOf = (count: number) => Array.from({ length: count }, (_, i) => [1 + (i % 7), 2 - (i % 5), 0.5 + ((i * 3) % 11), Math.sin(i)]);

function fileSpec(path: string, data: Record<string, unknown> = {}, over: Record<string, unknown> = {}) {
  return parseSpec({
    name: 'file',
    seed: 5,
    data: { distribution: { kind: 'file', path, columns: ['a', 'b', 'c'] }, target: { kind: 'column', name: 'y' }, ...data },
    ...over,
  } as PipelineSpecInput);
}

async function samplesOf(spec: ReturnType<typeof parseSpec>) {
  const dist = spec.data.distribution as { path: string; columns: string[] };
  return fileSamples(spec, await readDataFile(dist.path, dist.columns, 'y'), await dataFileFacts(dist.path));
}

/** The one-line message of what `work` throws. */
async function failure(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
  } catch (err) {
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a failure');
}

describe('file data: the spec', () => {
  it('D is the number of columns; data.dim must equal it when given', () => {
    const spec = fileSpec('x.csv');
    expect(spec.data.dim).toBe(3);
    expect(spec.data.n).toBeUndefined();
    expect(spec.data.nTest).toBe(0);
    expect(spec.data.normalize).toBe('normalize');
    expect(() => fileSpec('x.csv', { dim: 4 })).toThrow(/data\.dim: must equal the number of data\.distribution\.columns \(3\)/);
    expect(fileSpec('x.csv', { dim: 3 }).data.dim).toBe(3);
  });

  it('a column target needs file data, and file data a column target', () => {
    expect(() => parseSpec({ data: { target: { kind: 'column', name: 'y' } } })).toThrow(SpecError);
    expect(() => parseSpec({ data: { distribution: { kind: 'file', path: 'x.csv', columns: ['a', 'b'] } } })).toThrow(/data\.target\.kind/);
  });

  it('specs without file data keep their defaults', () => {
    const spec = parseSpec({});
    expect([spec.data.dim, spec.data.n, spec.data.nTest, spec.data.normalize]).toEqual([10, 1000, 1000, undefined]);
  });
});

describe('file data: reading and sampling', () => {
  it('a Parquet spec, a CSV spec and an Arrow IPC spec with the same contents give identical samples', async () => {
    const { csvPath, parquetPath } = await writeBoth(rowsOf(30));
    const arrowPath = join(dir(), 'data.arrow');
    const data = await readDataFile(csvPath, ['a', 'b', 'c', 'y'], 'y');
    const cols = ['a', 'b', 'c', 'y'];
    const table = arrow.tableFromArrays(
      Object.fromEntries(cols.map((c, j) => [c, Float64Array.from({ length: data.rows }, (_, i) => data.x[i * 4 + j]!)])),
    );
    await writeFile(arrowPath, arrow.tableToIPC(table, 'file'));
    const a = await samplesOf(fileSpec(csvPath, { n: 20, nTest: 6 }));
    const b = await samplesOf(fileSpec(parquetPath, { n: 20, nTest: 6 }));
    const c = await samplesOf(fileSpec(arrowPath, { n: 20, nTest: 6 }));
    for (const other of [b, c]) {
      expect(Array.from(other.getChild('x')!.getChildAt(0)!.toArray() as Float64Array)).toEqual(
        Array.from(a.getChild('x')!.getChildAt(0)!.toArray() as Float64Array),
      );
      expect(Array.from(other.getChild('y')!.toArray() as Float64Array)).toEqual(Array.from(a.getChild('y')!.toArray() as Float64Array));
      expect(Array.from(other.getChild('row')!.toArray() as Int32Array)).toEqual(Array.from(a.getChild('row')!.toArray() as Int32Array));
    }
  });

  it('normalize maps each row to x / |x|; standardize-then-normalize z-scores over the training rows first', async () => {
    const rows = [
      [3, 4, 0, 1],
      [1, 2, 2, 2],
      [0, 0, 5, 3],
      [2, 0, 0, 4],
    ];
    const { csvPath } = await writeBoth(rows);
    const plain = await samplesOf(fileSpec(csvPath));
    const x = plain.getChild('x')!.getChildAt(0)!.toArray() as Float64Array;
    const order = plain.getChild('row')!.toArray() as Int32Array;
    const byRow = (table: arrow.Table, values: Float64Array, r: number) => {
      const i = Array.from(table.getChild('row')!.toArray() as Int32Array).indexOf(r);
      return Array.from(values.subarray(i * 3, i * 3 + 3));
    };
    expect(order.length).toBe(4);
    const close = (a: number[], b: number[]) => a.forEach((v, k) => expect(v).toBeCloseTo(b[k]!, 14));
    close(byRow(plain, x, 0), [0.6, 0.8, 0]);
    close(byRow(plain, x, 1), [1 / 3, 2 / 3, 2 / 3]);
    close(byRow(plain, x, 2), [0, 0, 1]);

    // All four rows train: column means (1.5, 1.5, 1.75), population sds sqrt(1.25), sqrt(2.75), sqrt(4.1875).
    const std = await samplesOf(fileSpec(csvPath, { normalize: 'standardize-then-normalize' }));
    const xs = std.getChild('x')!.getChildAt(0)!.toArray() as Float64Array;
    const z = [(3 - 1.5) / Math.sqrt(1.25), (4 - 1.5) / Math.sqrt(2.75), (0 - 1.75) / Math.sqrt(4.1875)];
    const norm = Math.hypot(...z);
    close(
      byRow(std, xs, 0),
      z.map((v) => v / norm),
    );
  });

  it('the shuffle is seeded, and train and test are disjoint', () => {
    const spec = fileSpec('x.csv', { n: 30, nTest: 12 });
    const a = fileSplit(spec, 50);
    expect(fileSplit(spec, 50)).toEqual(a);
    expect(a.train.length).toBe(30);
    expect(a.test.length).toBe(12);
    const train = new Set(a.train);
    expect(Array.from(a.test).some((r) => train.has(r))).toBe(false);
    expect(new Set([...a.train, ...a.test]).size).toBe(42);
    expect(Array.from(a.train)).not.toEqual(Array.from({ length: 30 }, (_, i) => i));
    const other = fileSplit(fileSpec('x.csv', { n: 30, nTest: 12 }, { seed: 6 }), 50);
    expect(Array.from(other.train)).not.toEqual(Array.from(a.train));
    // n absent: every row not held out.
    const all = fileSplit(fileSpec('x.csv', { nTest: 10 }), 50);
    expect(all.train.length).toBe(40);
  });
});

describe('file data: bad input is one line naming the file (and column)', () => {
  it('missing file, unknown column, non-numeric column, NaN, zero row, constant target, too few rows', async () => {
    const good = rowsOf(12);
    const cases: [string, string, RegExp][] = [
      ['missing.csv', '', /data\.distribution\.path: .*missing\.csv: no such file/],
      ['unknown.csv', csv(good, 'a,b,d,y'), /data\.distribution\.columns: .*unknown\.csv: no column "c"; the file has a, b, d, y/],
      [
        'text.csv',
        csv(good.map((r, i) => (i === 3 ? ['x', ...r.slice(1)] : r))),
        /data\.distribution\.columns: .*text\.csv: column "a" is not numeric \(VARCHAR\)/,
      ],
      ['nan.csv', csv(good.map((r, i) => (i === 4 ? [r[0]!, 'NaN', r[2]!, r[3]!] : r))), /nan\.csv: column "b" has NaN at data row 5/],
      [
        'empty.csv',
        csv(good.map((r, i) => (i === 2 ? [r[0]!, '', r[2]!, r[3]!] : r))),
        /empty\.csv: column "b" has a missing value at data row 3/,
      ],
      [
        'zero.csv',
        csv(good.map((r, i) => (i === 6 ? [0, 0, 0, r[3]!] : r))),
        /data\.normalize: .*zero\.csv: data row 7 is zero in every column \(a, b, c\)/,
      ],
      ['flat.csv', csv(good.map((r) => [...r.slice(0, 3), 2])), /data\.target\.name: .*flat\.csv: target column "y" is constant \(2\)/],
    ];
    for (const [name, text, expected] of cases) {
      const path = join(dir(), name);
      if (text) await writeFile(path, text);
      expect(await failure(() => samplesOf(fileSpec(path)))).toMatch(expected);
    }
    const few = join(dir(), 'few.csv');
    await writeFile(few, csv(good));
    expect(await failure(() => samplesOf(fileSpec(few, { n: 10, nTest: 5 })))).toMatch(
      /data\.n: .*few\.csv: has 12 rows, fewer than data\.n \+ data\.nTest = 10 \+ 5/,
    );
  });

  it('NaN in a Parquet file and a constant column under standardize-then-normalize', async () => {
    const path = join(dir(), 'nan.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(
      `COPY (SELECT i::DOUBLE + 1 AS a, 2.0 AS b, CASE WHEN i = 3 THEN 'NaN'::DOUBLE ELSE i * 0.5 END AS c, sin(i) AS y FROM range(10) t(i)) TO '${path}' (FORMAT parquet)`,
    );
    c.closeSync();
    db.closeSync();
    expect(await failure(() => samplesOf(fileSpec(path)))).toMatch(/nan\.parquet: column "c" has NaN at data row 4/);
    const { csvPath } = await writeBoth(rowsOf(12).map((r) => [r[0]!, 7, r[2]!, r[3]!]));
    expect(await failure(() => samplesOf(fileSpec(csvPath, { normalize: 'standardize-then-normalize' })))).toMatch(
      /data\.distribution\.columns: .*data\.csv: column "b" is constant over the training rows/,
    );
  });

  it('the sample activity fails without retries, with the same line', async () => {
    const store = await ArtifactStore.create(join(dir(), 'root'));
    const err = await sampleData({ dataRoot: join(dir(), 'root'), store }, { spec: fileSpec(join(dir(), 'nope.parquet')) }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).message).toMatch(/nope\.parquet: no such file/);
  });
});

describe('file data: provenance and the cache key', () => {
  it('the samples key follows the content, not the path: a moved file is cached, a changed one samples again', async () => {
    const root = join(dir(), 'root');
    const store = await ArtifactStore.create(root);
    const deps = { dataRoot: root, store };
    const { csvPath } = await writeBoth(rowsOf(20));
    const first = await sampleData(deps, { spec: fileSpec(csvPath) });
    expect(first.timing.cached).toBe(false);

    await mkdir(join(dir(), 'moved'));
    const moved = join(dir(), 'moved', 'renamed.csv');
    await rename(csvPath, moved);
    const again = await sampleData(deps, { spec: fileSpec(moved) });
    expect(again.timing.cached).toBe(true);
    expect(again.samples.sha256).toBe(first.samples.sha256);

    const changed = join(dir(), 'changed.csv');
    await copyFile(moved, changed);
    await writeFile(changed, '9,9,9,9\n', { flag: 'a' });
    const rerun = await sampleData(deps, { spec: fileSpec(changed) });
    expect(rerun.timing.cached).toBe(false);

    const s = await readSamples(store, first.samples);
    expect([s.dim, s.n, s.nTest, s.degrees]).toEqual([3, 20, 0, []]);
    const facts = await dataFileFacts(moved);
    expect(sampleKey(fileSpec('anywhere.csv'), facts.sha256)).toBe(sampleKey(fileSpec(moved), facts.sha256));
    const table = await store.readTable(first.samples);
    expect(JSON.parse(table.schema.metadata.get('file')!)).toEqual({ sha256: facts.sha256, size: facts.size, rows: 20 });
  });
});

describe('file data: the memory guard', () => {
  it('counts the rows of a file with n left out, and names the file when it is too large; --allow-large lifts it', async () => {
    const { parquetPath } = await writeBoth(rowsOf(400));
    const spec = fileSpec(parquetPath, { nTest: 100 }, { model: { width: 64 } });
    const small = { memoryBytes: 1e6, freeDiskBytes: null, maxArrayElements: 2 ** 32 };
    const why = await sizeRefusal(spec, small, false);
    expect(why).toMatch(/^\/.*data\.parquet: .*: the run needs about .* of memory/);
    expect(why).not.toContain('\n');
    expect(await sizeRefusal(spec, small, true)).toBeNull();
    expect(await sizeRefusal(spec, { ...small, memoryBytes: 1e12 }, false)).toBeNull();
  });
});

describe('file data: the projections', () => {
  it('no target rows; eigenspace rows per Gram cluster, or eigen-band rows when the Gram has no degree structure', async () => {
    const n = 4;
    const s: Samples = {
      dim: 2,
      n,
      nTest: 0,
      xTrain: Float64Array.from([1, 0, 0, 1, -1, 0, 0, -1]),
      yTrain: new Float64Array(n),
      xTest: new Float64Array(0),
      yTest: new Float64Array(0),
      degrees: [],
      distribution: { kind: 'file', path: 'x.csv', columns: ['a', 'b'] },
      parts: new Map(),
    };
    // Identity eigenvectors: the projection onto cluster c is the norm of the residual's entries in c.
    const vectors = new Float64Array(n * n);
    for (let i = 0; i < n; i++) vectors[i * n + i] = 1;
    const network = { steps: [0, 1], train: Float64Array.from([1, 2, 2, 0, 3, 0, 0, 4]), test: new Float64Array(0) };
    const twins = { learningRate: 1, infinite: false, init: null };
    for (const [basis, kind] of [
      ['degree', 'eigenspace'],
      ['bands', 'eigen-band'],
    ] as const) {
      const clusters = new Map([
        [0, [0]],
        [1, [1, 2]],
        [2, [3]],
      ]);
      const table = await projectionsTable(s, network, { values: Float64Array.from([4, 3, 2, 1]), vectors, clusters, basis }, twins);
      const rows = table
        .toArray()
        .map((r: { step: number; degree: number; kind: string; value: number }) => [r.step, r.degree, r.kind, r.value]);
      expect(rows).toEqual([
        [0, 0, kind, 1],
        [0, 1, kind, Math.hypot(2, 2)],
        [0, 2, kind, 0],
        [1, 0, kind, 3],
        [1, 1, kind, 0],
        [1, 2, kind, 4],
      ]);
    }
  });

  it('degree structure: two degrees or more and a median purity of at least 1/2; else index bands 1, 2, 4, ...', () => {
    expect(hasDegreeStructure(Int32Array.from([0, 1, 1, -1]), Float64Array.from([0.9, 0.6, 0.7, Number.NaN]))).toBe(true);
    expect(hasDegreeStructure(Int32Array.from([1, 1, 1]), Float64Array.from([0.9, 0.9, 0.9]))).toBe(false);
    expect(hasDegreeStructure(Int32Array.from([0, 1, 2]), Float64Array.from([0.3, 0.4, 0.9]))).toBe(false);
    expect(Array.from(indexBands(8))).toEqual([0, 1, 1, 2, 2, 2, 2, 3]);
  });
});
