/** Samples for the pipeline's training tests, drawn here so they do not lean on src/math sampling. */
import type { Samples } from '../../src/pipeline/samples.js';
import { harmonicTarget, spherePoints } from '../model/fixtures.js';

/** n training and nTest test points uniform on S^(dim-1), with the degree-1 plus degree-2 target. */
export function samples(n: number, nTest: number, dim: number): Samples {
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
