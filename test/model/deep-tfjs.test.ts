/** The model family on tfjs (src/model/tfjs-deep.ts) against the float64 reference-deep.ts. */
import type { Scalar, Tensor, Tensor2D } from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { ModelFamily } from '../../src/math/ntk-family.js';
import { acquireBackend } from '../../src/model/backend.js';
import { trainNetwork, type TrainInput, type TrainLog } from '../../src/model/engine.js';
import { forwardDeep, gdStepDeep, gradientsDeep, initDeepWeights, type DeepWeights } from '../../src/model/reference-deep.js';
import { forwardTf } from '../../src/model/tfjs-deep.js';
import { familyProblem, maxScaledError } from './fixtures.js';

const problem = (model: ModelFamily, over: Parameters<typeof familyProblem>[2]) => familyProblem('tfjs-cpu', model, over);

async function collect(input: TrainInput<DeepWeights>) {
  const logs: TrainLog[] = [];
  const result = await trainNetwork(input, { onLog: (l) => void logs.push(l) });
  return { logs, result };
}

const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sameBits = (a: Float64Array, b: Float64Array) => a.length === b.length && bytes(a).equals(bytes(b));

describe('the model family on tfjs-cpu', () => {
  it.each([
    { depth: 3, bias: 0.5, activation: 'relu' },
    { depth: 3, bias: 0.5, activation: 'erf' },
  ] as ModelFamily[])('%o follows gdStepDeep to float32 precision', async (model) => {
    const input = problem(model, { nTrain: 30, nTest: 6, dim: 5, width: 64, theta: 1.3, learningRate: 0.5, steps: 4 });
    const { logs, result } = await collect(input);
    expect(result.engine).toBe('tfjs-cpu');
    let w = initDeepWeights(input.seed, model, 64, 5);
    for (const log of logs) {
      if (log.step > 0) w = gdStepDeep(w, 1.3, 0.5, input.xTrain, input.yTrain, 30);
      const f = forwardDeep(w, 1.3, input.xTrain, 30);
      const fTest = forwardDeep(w, 1.3, input.xTest, 6);
      expect(
        maxScaledError(
          log.residualTrain,
          input.yTrain.map((y, i) => y - f[i]!),
        ),
      ).toBeLessThan(5e-6);
      expect(
        maxScaledError(
          log.residualTest,
          input.yTest.map((y, i) => y - fTest[i]!),
        ),
      ).toBeLessThan(5e-6);
    }
    for (let h = 0; h < 3; h++) expect(maxScaledError(result.final.a[h]!, w.a[h]!)).toBeLessThan(1e-6);
  });

  it.each(['relu', 'erf', 'tanh', 'gelu'] as const)(
    'float64 backprop (gradientsDeep) matches tfjs autograd, depth 4, %s',
    async (activation) => {
      const model: ModelFamily = { depth: 4, bias: 0.7, activation };
      const n = 12;
      const d = 4;
      const m = 24;
      const input = problem(model, { nTrain: n, nTest: 0, dim: d, width: m, theta: 0.8 });
      const w = initDeepWeights(5, model, m, d);
      const ref = gradientsDeep(w, 0.8, input.xTrain, input.yTrain, n);
      const lease = await acquireBackend('tfjs-cpu');
      try {
        const { tf } = lease;
        const grads = tf
          .tidy(() => {
            const x = tf.tensor2d(Float32Array.from(input.xTrain), [n, d]);
            const y = tf.tensor2d(Float32Array.from(input.yTrain), [n, 1]);
            const params: Tensor[] = [];
            for (let h = 0; h < 4; h++) {
              params.push(tf.tensor2d(Float32Array.from(w.a[h]!), [h === 3 ? 1 : m, h === 0 ? d : m]));
              params.push(tf.tensor1d(Float32Array.from(w.b[h]!)));
            }
            const loss = (...p: Tensor[]) =>
              tf.div(tf.sum(tf.square(tf.sub(y, tf.mul(forwardTf(tf, model, m, x as Tensor2D, p), 0.8)))), 2 * n) as Scalar;
            return tf.grads(loss)(params);
          })
          .map((g) => Float64Array.from(g.dataSync()));
        for (let h = 0; h < 4; h++) {
          const scaleA = Math.max(...ref.a[h]!.map(Math.abs));
          const scaleB = Math.max(...ref.b[h]!.map(Math.abs));
          expect(scaleA).toBeGreaterThan(1e-3);
          for (let k = 0; k < ref.a[h]!.length; k++) expect(Math.abs(grads[2 * h]![k]! - ref.a[h]![k]!)).toBeLessThan(1e-5 * scaleA);
          for (let k = 0; k < ref.b[h]!.length; k++)
            expect(Math.abs(grads[2 * h + 1]![k]! - ref.b[h]![k]!)).toBeLessThan(1e-5 * Math.max(scaleB, 1e-3));
        }
      } finally {
        lease.release();
      }
    },
  );

  it('resumes from final bit for bit', async () => {
    const model: ModelFamily = { depth: 3, bias: 0.5, activation: 'gelu' };
    const input = problem(model, { nTrain: 20, nTest: 4, dim: 5, width: 32, theta: 1, learningRate: 0.5, steps: 6 });
    const whole = await collect(input);
    const first = await collect({ ...input, steps: 3 });
    const rest = await collect({ ...input, steps: 3, firstStep: 3, initial: first.result.final });
    for (let h = 0; h < 3; h++) {
      expect(sameBits(rest.result.final.a[h]!, whole.result.final.a[h]!)).toBe(true);
      expect(sameBits(rest.result.final.b[h]!, whole.result.final.b[h]!)).toBe(true);
    }
    expect(sameBits(rest.logs.at(-1)!.residualTrain, whole.logs.at(-1)!.residualTrain)).toBe(true);
  });

  it("refuses initial weights of another network: the paper's for the family, the family's for the paper, another member's", async () => {
    const model: ModelFamily = { depth: 3, bias: 0, activation: 'relu' };
    const input = problem(model, { nTrain: 8, nTest: 0, dim: 3, width: 8, steps: 1 });
    const deep = initDeepWeights(1, model, 8, 3);
    const paper = { w1: new Float64Array(24), w2: new Float64Array(8), width: 8, dim: 3 };
    await expect(collect({ ...input, initial: paper as unknown as DeepWeights })).rejects.toThrow(
      "initial weights are the paper network's, but model is another member of the family",
    );
    await expect(collect({ ...input, model: { depth: 2, bias: 0, activation: 'relu' }, initial: deep })).rejects.toThrow(
      "initial weights are a deep network's, but model is the paper's",
    );
    await expect(collect({ ...input, model: { depth: 3, bias: 0, activation: 'tanh' }, initial: deep })).rejects.toThrow(
      'initial weights are of model {"depth":3,"bias":0,"activation":"relu"}, expected {"depth":3,"bias":0,"activation":"tanh"}',
    );
    // Its own weights start it.
    expect((await collect({ ...input, initial: deep })).logs.length).toBeGreaterThan(0);
  });

  it('refuses adam for the family in one line naming the field', async () => {
    const input = problem({ depth: 3, bias: 0, activation: 'relu' }, { nTrain: 8, nTest: 0, dim: 3, width: 8 });
    await expect(collect({ ...input, optimization: { optimizer: 'adam' } })).rejects.toThrow(
      /^training\.optimizer adam is not defined for the model family/,
    );
  });
});
