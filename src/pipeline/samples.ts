/**
 * The samples format, `samples.arrow`: points on S^(D-1) and their targets, train rows first,
 * then test rows.
 *
 * Columns: split ('train' | 'test'), idx, x (FixedSizeList<Float64>[D]), y, and one column
 * `p<k>` per target degree k holding the degree-k part of the target (P_k(<zeta_k, x>) for
 * harmonics, c_k P_k(<zeta, x>) for cosine and even-poly), so projections need no
 * recomputation. Schema metadata: dim, degrees, target, distribution and the zeta vectors.
 */
import type * as arrow from 'apache-arrow';
import { Prng, STREAMS } from '../math/prng.js';
import { sampleDistribution, type Distribution } from '../math/distributions.js';
import { evaluateTarget, targetDirections } from '../math/targets.js';
import { readFloat64, readMatrix, readMetadata, readStrings, tableFromColumns } from '../store/arrow-columns.js';
import type { ArtifactStore } from '../store/artifact-store.js';
import type { ArtifactRef } from '../store/artifact-store.js';
import { SpecError, type PipelineSpec } from '../spec/schema.js';
import type { DataFileFacts, DataFileRows } from '../store/data-file.js';

export interface Samples {
  dim: number;
  n: number;
  nTest: number;
  xTrain: Float64Array;
  yTrain: Float64Array;
  xTest: Float64Array;
  yTest: Float64Array;
  /** The target's degrees, in column order. */
  degrees: number[];
  distribution: Distribution;
  /** The degree-k part of the target (up to scale) per degree, per split. */
  parts: Map<number, { train: Float64Array; test: Float64Array }>;
}

/** Draws the spec's points and evaluates its target on them, as an Arrow table in the samples format. */
export function drawSamples(spec: PipelineSpec): arrow.Table {
  const { dim, nTest, target } = spec.data;
  const n = spec.data.n ?? 1000;
  const distribution = spec.data.distribution as Distribution;
  if (distribution.kind === 'file' || target.kind === 'column') throw new RangeError('file data: use fileSamples');
  const zetas = targetDirections(target, dim, new Prng(spec.seed, STREAMS.targetZeta));
  const xTrain = sampleDistribution(new Prng(spec.seed, STREAMS.sampleTrain), distribution, n, dim);
  const xTest = sampleDistribution(new Prng(spec.seed, STREAMS.sampleTest), distribution, nTest, dim);
  const train = evaluateTarget(target, xTrain, n, dim, zetas, spec.spectrum.maxDegree);
  const test = evaluateTarget(target, xTest, nTest, dim, zetas, spec.spectrum.maxDegree);

  const total = n + nTest;
  const stack = (a: Float64Array, b: Float64Array) => {
    const out = new Float64Array(a.length + b.length);
    out.set(a, 0);
    out.set(b, a.length);
    return out;
  };
  const columns: Parameters<typeof tableFromColumns>[0] = {
    split: Array.from({ length: total }, (_, i) => (i < n ? 'train' : 'test')),
    idx: Int32Array.from({ length: total }, (_, i) => (i < n ? i : i - n)),
    x: { matrix: stack(xTrain, xTest), width: dim },
    y: stack(train.y, test.y),
  };
  train.degrees.forEach((degree, j) => {
    columns[`p${degree}`] = stack(train.parts[j]!, test.parts[j]!);
  });
  return tableFromColumns(columns, {
    dim: String(dim),
    degrees: JSON.stringify(train.degrees),
    target: JSON.stringify(target),
    distribution: JSON.stringify(distribution),
    zetas: JSON.stringify(zetas.map((z) => Array.from(z))),
  });
}

/** Which file rows train and which are held out: a seeded shuffle, the first n train, the last nTest test. */
export function fileSplit(spec: PipelineSpec, rows: number): { train: Int32Array; test: Int32Array } {
  const path = (spec.data.distribution as { path: string }).path;
  const { nTest } = spec.data;
  const n = spec.data.n ?? rows - nTest;
  if (n < 2 || n + nTest > rows) {
    const field = spec.data.n === undefined ? 'data.nTest' : 'data.n';
    throw new SpecError(
      field,
      `${path}: has ${rows} rows, fewer than data.n + data.nTest = ${n < 2 && spec.data.n === undefined ? `2 + ${nTest}` : `${n} + ${nTest}`}`,
    );
  }
  const perm = Int32Array.from({ length: rows }, (_, i) => i);
  const rng = new Prng(spec.seed, STREAMS.sampleFile);
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return { train: perm.slice(0, n), test: perm.slice(rows - nTest) };
}

/**
 * The samples of file data: the seeded split ({@link fileSplit}), the rows mapped onto the sphere
 * by `data.normalize` (standardization with the training rows' mean and standard deviation, the
 * population one, for both splits), the target column as y. No degree parts. Metadata `file`:
 * the file's sha256 and size (not its path: a moved file gives the same bytes), its row count and
 * the file row of each sample (column `row`, 0-based).
 */
export function fileSamples(spec: PipelineSpec, data: DataFileRows, facts: DataFileFacts): arrow.Table {
  const dist = spec.data.distribution as { kind: 'file'; path: string; columns: string[] };
  const { path, columns } = dist;
  const dim = columns.length;
  const target = spec.data.target as { kind: 'column'; name: string };
  const { train, test } = fileSplit(spec, data.rows);
  const n = train.length;
  const yFirst = data.y[train[0]!]!;
  if (Array.from(train).every((r) => data.y[r] === yFirst)) {
    throw new SpecError(
      'data.target.name',
      `${path}: target column "${target.name}" is constant (${yFirst}) over the training rows; there is nothing to learn`,
    );
  }
  const mean = new Float64Array(dim);
  const scale = new Float64Array(dim).fill(1);
  if (spec.data.normalize === 'standardize-then-normalize') {
    for (const r of train) for (let d = 0; d < dim; d++) mean[d]! += data.x[r * dim + d]! / n;
    for (let d = 0; d < dim; d++) {
      let ss = 0;
      for (const r of train) ss += (data.x[r * dim + d]! - mean[d]!) ** 2;
      const sd = Math.sqrt(ss / n);
      // Exactly constant: the mean's rounding would leave a tiny positive sd.
      const first = data.x[train[0]! * dim + d]!;
      if (!(sd > 0) || Array.from(train).every((r) => data.x[r * dim + d] === first)) {
        throw new SpecError(
          'data.distribution.columns',
          `${path}: column "${columns[d]}" is constant over the training rows, so standardize-then-normalize cannot scale it; drop the column`,
        );
      }
      scale[d] = 1 / sd;
    }
  }
  const rowsOf = Int32Array.from([...train, ...test]);
  const total = rowsOf.length;
  const x = new Float64Array(total * dim);
  for (let i = 0; i < total; i++) {
    const r = rowsOf[i]!;
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const v = (data.x[r * dim + d]! - mean[d]!) * scale[d]!;
      x[i * dim + d] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    if (!(norm > 0)) {
      const why =
        spec.data.normalize === 'standardize-then-normalize'
          ? 'equals the training mean in every column'
          : `is zero in every column (${columns.join(', ')})`;
      throw new SpecError('data.normalize', `${path}: data row ${r + 1} ${why}, so it has no direction on the sphere; drop the row`);
    }
    for (let d = 0; d < dim; d++) x[i * dim + d]! /= norm;
  }
  return tableFromColumns(
    {
      split: Array.from({ length: total }, (_, i) => (i < n ? 'train' : 'test')),
      idx: Int32Array.from({ length: total }, (_, i) => (i < n ? i : i - n)),
      x: { matrix: x, width: dim },
      y: Float64Array.from(rowsOf, (r) => data.y[r]!),
      row: rowsOf,
    },
    {
      dim: String(dim),
      degrees: '[]',
      target: JSON.stringify(target),
      distribution: JSON.stringify({ kind: 'file', columns, normalize: spec.data.normalize ?? 'normalize' }),
      zetas: '[]',
      file: JSON.stringify({ sha256: facts.sha256, size: facts.size, rows: data.rows }),
    },
  );
}

/** Reads `samples.arrow` back into typed arrays (verified against the ref's sha256). */
export async function readSamples(store: ArtifactStore, ref: ArtifactRef): Promise<Samples> {
  const table = await store.readTable(ref);
  const dim = Number(readMetadata(table, 'dim'));
  const degrees = JSON.parse(readMetadata(table, 'degrees')) as number[];
  const distribution = JSON.parse(readMetadata(table, 'distribution')) as Distribution;
  const split = readStrings(table, 'split');
  const firstTest = split.indexOf('test');
  const n = firstTest === -1 ? split.length : firstTest;
  const nTest = split.length - n;
  const { matrix: x } = readMatrix(table, 'x');
  const y = readFloat64(table, 'y');
  const parts = new Map<number, { train: Float64Array; test: Float64Array }>();
  for (const degree of degrees) {
    const p = readFloat64(table, `p${degree}`);
    parts.set(degree, { train: p.slice(0, n), test: p.slice(n) });
  }
  return {
    dim,
    n,
    nTest,
    xTrain: x.slice(0, n * dim),
    yTrain: y.slice(0, n),
    xTest: x.slice(n * dim),
    yTest: y.slice(n),
    degrees,
    distribution,
    parts,
  };
}
