/**
 * Activity `sampleData`: points on S^(D-1) and their targets, as `samples.arrow`.
 *
 * Columns: split ('train' | 'test'), idx, x (FixedSizeList<Float64>[D]), y, and one column
 * `p<k>` per target degree k holding the degree-k part of the target (P_k(<zeta_k, x>) for
 * harmonics, c_k P_k(<zeta, x>) for cosine and even-poly), so projections need no
 * recomputation. Schema metadata holds the degrees, the zeta vectors, target and distribution.
 */
import { Prng } from '../src/math/prng.js';
import { sampleDistribution, type Distribution } from '../src/math/distributions.js';
import { evaluateTarget, targetDirections } from '../src/math/targets.js';
import { contentKey } from '../src/store/canonical-json.js';
import { tableFromColumns, readFloat64, readMatrix, readMetadata, readStrings } from '../src/store/arrow-columns.js';
import type { PipelineSpec } from '../src/spec/schema.js';
import type { ArtifactRef, StepTiming } from '../workflows/types.js';
import { stopwatch, type ActivityDeps } from './context.js';

export const SAMPLE_STEP = { name: 'sample', version: 2 } as const;

export interface SampleDataInput {
  spec: PipelineSpec;
}
export interface SampleDataOutput {
  samples: ArtifactRef;
  timing: StepTiming;
}

export function sampleKey(spec: PipelineSpec): string {
  // maxDegree bounds the degree parts recorded for cosine and even-poly targets.
  return contentKey({ step: SAMPLE_STEP, params: { seed: spec.seed, data: spec.data, maxDegree: spec.spectrum.maxDegree } });
}

export async function sampleData(deps: ActivityDeps, { spec }: SampleDataInput): Promise<SampleDataOutput> {
  const done = stopwatch(SAMPLE_STEP.name);
  const key = sampleKey(spec);
  const cached = await deps.store.find(SAMPLE_STEP.name, key, 'samples.arrow');
  if (cached) return { samples: cached, timing: done(true) };

  const { dim, n, nTest, target } = spec.data;
  const distribution = spec.data.distribution as Distribution;
  const zetas = targetDirections(target, dim, new Prng(spec.seed, 'target/zeta'));
  const xTrain = sampleDistribution(new Prng(spec.seed, 'sample/train'), distribution, n, dim);
  const xTest = sampleDistribution(new Prng(spec.seed, 'sample/test'), distribution, nTest, dim);
  const train = evaluateTarget(target, xTrain, n, dim, zetas, spec.spectrum.maxDegree);
  const test = evaluateTarget(target, xTest, nTest, dim, zetas, spec.spectrum.maxDegree);

  const total = n + nTest;
  const x = new Float64Array(total * dim);
  x.set(xTrain, 0);
  x.set(xTest, n * dim);
  const y = new Float64Array(total);
  y.set(train.y, 0);
  y.set(test.y, n);
  const idx = new Int32Array(total);
  for (let i = 0; i < total; i++) idx[i] = i < n ? i : i - n;
  const columns: Parameters<typeof tableFromColumns>[0] = {
    split: Array.from({ length: total }, (_, i) => (i < n ? 'train' : 'test')),
    idx,
    x: { matrix: x, width: dim },
    y,
  };
  train.degrees.forEach((degree, j) => {
    const p = new Float64Array(total);
    p.set(train.parts[j]!, 0);
    p.set(test.parts[j]!, n);
    columns[`p${degree}`] = p;
  });
  const table = tableFromColumns(columns, {
    dim: String(dim),
    degrees: JSON.stringify(train.degrees),
    target: JSON.stringify(target),
    distribution: JSON.stringify(distribution),
    zetas: JSON.stringify(zetas.map((z) => Array.from(z))),
  });
  const samples = await deps.store.writeTable(SAMPLE_STEP.name, key, 'samples.arrow', table);
  return { samples, timing: done(false) };
}

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

/** Read `samples.arrow` back into typed arrays; rows are train first, then test (as written). */
export async function readSamples(deps: ActivityDeps, ref: ArtifactRef): Promise<Samples> {
  const table = await deps.store.readTable(ref);
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
