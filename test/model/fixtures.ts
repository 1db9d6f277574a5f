/** Small training problems shared by the model tests, drawn here so they do not lean on src/math sampling. */
import { expect } from 'vitest';
import { Prng } from '../../src/math/prng.js';
import type { ModelFamily } from '../../src/math/ntk-family.js';
import type { EngineName, TrainInput } from '../../src/model/index.js';
import type { DeepWeights } from '../../src/model/reference-deep.js';

/** n points uniform on S^(d-1), row-major. */
export function spherePoints(seed: number, stream: string, n: number, d: number): Float64Array {
  const x = new Prng(seed, stream).normals(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i * d + k]! ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let k = 0; k < d; k++) x[i * d + k]! *= inv;
  }
  return x;
}

/** A degree-1 plus degree-2 harmonic, P_1(t) + P_2(t) with t = <zeta, x> and P_2(t) = (d t^2 - 1)/(d - 1). */
export function harmonicTarget(x: Float64Array, n: number, d: number): Float64Array {
  const zeta = spherePoints(9, 'test/zeta', 1, d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let t = 0;
    for (let k = 0; k < d; k++) t += zeta[k]! * x[i * d + k]!;
    y[i] = t + (d * t * t - 1) / (d - 1);
  }
  return y;
}

/** A TrainInput on `engine` with the harmonic target; `over` sets the sizes and anything else. */
export function trainingProblem(
  engine: EngineName,
  over: Partial<TrainInput> & { nTrain: number; nTest: number; dim: number },
): TrainInput {
  const { nTrain, nTest, dim } = over;
  const xTrain = spherePoints(1, 'test/train', nTrain, dim);
  const xTest = spherePoints(1, 'test/test', nTest, dim);
  return {
    xTrain,
    yTrain: harmonicTarget(xTrain, nTrain, dim),
    xTest,
    yTest: harmonicTarget(xTest, nTest, dim),
    width: 32,
    theta: 1,
    learningRate: 1,
    steps: 10,
    logEvery: 1,
    seed: 0,
    engine,
    ...over,
  };
}

/** max_i |got_i - want_i| / (1 + |want_i|). */
export function maxScaledError(got: Float64Array, want: Float64Array): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
  return worst;
}

/** {@link trainingProblem} for a member of the model family, from its own initial weights (none given). */
export function familyProblem(
  engine: EngineName,
  model: ModelFamily,
  over: Partial<TrainInput<DeepWeights>> & { nTrain: number; nTest: number; dim: number },
): TrainInput<DeepWeights> {
  const { nTrain, nTest, dim } = over;
  return { ...trainingProblem(engine, { nTrain, nTest, dim }), initial: undefined, ...over, model };
}
