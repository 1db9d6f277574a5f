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
import type { PipelineSpec } from '../spec/schema.js';

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
  const { dim, n, nTest, target } = spec.data;
  const distribution = spec.data.distribution as Distribution;
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
