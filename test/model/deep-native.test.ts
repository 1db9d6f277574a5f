/** The native engine on the model family (native/src/deep_kernel.cc) against the float64 reference-deep.ts. */
import { describe, expect, it } from 'vitest';
import type { ModelFamily } from '../../src/math/ntk-family.js';
import { trainNative, type NativeEngineOptions } from '../../src/model/native-engine.js';
import { batchIndices } from '../../src/model/optimizer.js';
import { forwardDeep, gdStepDeep, initDeepWeights, type DeepWeights } from '../../src/model/reference-deep.js';
import type { TrainInput, TrainLog, TrainResult } from '../../src/model/engine.js';
import { loadNative } from '../../src/native/index.js';
import { familyProblem, maxScaledError } from './fixtures.js';

const addon = loadNative();
const describeNative = addon?.DeepTrainer ? describe : describe.skip;

const problem = (model: ModelFamily, over: Parameters<typeof familyProblem>[2]) => familyProblem('native', model, over);

async function collect(input: TrainInput<DeepWeights>, opts: NativeEngineOptions = {}) {
  const logs: TrainLog[] = [];
  const result: TrainResult<DeepWeights> = await trainNative(input, { onLog: (l) => void logs.push(l) }, addon!, opts);
  return { logs, result };
}

/** Residuals after s = 0..steps steps of gdStepDeep, and the weights at the end. */
function reference(input: TrainInput<DeepWeights>) {
  let w = initDeepWeights(input.seed, input.model!, input.width, input.dim);
  const out: { rTrain: Float64Array; rTest: Float64Array }[] = [];
  for (let s = 0; s <= input.steps; s++) {
    if (s > 0) w = gdStepDeep(w, input.theta, input.learningRate, input.xTrain, input.yTrain, input.nTrain);
    const f = forwardDeep(w, input.theta, input.xTrain, input.nTrain);
    const fTest = forwardDeep(w, input.theta, input.xTest, input.nTest);
    out.push({ rTrain: input.yTrain.map((y, i) => y - f[i]!), rTest: input.yTest.map((y, i) => y - fTest[i]!) });
  }
  return { logs: out, final: w };
}

const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sameBits = (a: Float64Array, b: Float64Array) => a.length === b.length && bytes(a).equals(bytes(b));
const sameWeights = (a: DeepWeights, b: DeepWeights) =>
  a.a.every((v, h) => sameBits(v, b.a[h]!)) && a.b.every((v, h) => sameBits(v, b.b[h]!));
const worstWeights = (a: DeepWeights, b: DeepWeights) =>
  Math.max(...a.a.map((v, h) => maxScaledError(v, b.a[h]!)), ...a.b.map((v, h) => maxScaledError(v, b.b[h]!)));

describeNative('the native engine on the model family', () => {
  // width 100: a partial micro-tile and tile of the sgemm; n = 40 not a multiple of the row blocks.
  it.each([
    [{ depth: 3, bias: 0.5, activation: 'relu' }, 5],
    [{ depth: 3, bias: 0.5, activation: 'erf' }, 5],
    [{ depth: 4, bias: 1, activation: 'tanh' }, 3],
    [{ depth: 3, bias: 0.25, activation: 'gelu' }, 3],
    [{ depth: 2, bias: 0.5, activation: 'relu' }, 3],
  ] as [ModelFamily, number][])('%o follows gdStepDeep to float32 precision', async (model, steps) => {
    const input = problem(model, { nTrain: 40, nTest: 9, dim: 5, width: 100, theta: 1.3, learningRate: 0.5, steps });
    const { logs, result } = await collect(input);
    const ref = reference(input);
    expect(logs.map((l) => l.step)).toEqual([...Array(steps + 1).keys()]);
    for (const log of logs) {
      // float32 compute: measured 1e-7 .. 5e-7 after 3-5 steps.
      expect(maxScaledError(log.residualTrain, ref.logs[log.step]!.rTrain)).toBeLessThan(5e-6);
      expect(maxScaledError(log.residualTest, ref.logs[log.step]!.rTest)).toBeLessThan(5e-6);
    }
    // float64 master weights: measured 3e-9 .. 1e-8.
    expect(worstWeights(result.final, ref.final)).toBeLessThan(1e-7);
    // Training moved the residual: the comparison is not of two untouched initializations.
    expect(maxScaledError(logs.at(-1)!.residualTrain, ref.logs[0]!.rTrain)).toBeGreaterThan(1e-3);
    expect(result.backend).toMatch(/sgemm, depth/);
  });

  it('the baseline kernel (no AVX2) follows gdStepDeep too', async () => {
    const model: ModelFamily = { depth: 3, bias: 0.5, activation: 'erf' };
    const input = problem(model, { nTrain: 40, nTest: 3, dim: 5, width: 100, theta: 1.3, learningRate: 0.5, steps: 3 });
    const { logs, result } = await collect(input, { isa: 'baseline' });
    expect(result.backend).toMatch(/baseline/);
    const ref = reference(input);
    for (const log of logs) expect(maxScaledError(log.residualTrain, ref.logs[log.step]!.rTrain)).toBeLessThan(5e-6);
    expect(worstWeights(result.final, ref.final)).toBeLessThan(1e-7);
  });

  it('takes sgd steps on the batch of batchIndices, with the mean over the batch', async () => {
    const model: ModelFamily = { depth: 3, bias: 0.5, activation: 'relu' };
    const input = problem(model, { nTrain: 40, nTest: 0, dim: 5, width: 64, theta: 1, learningRate: 0.5, steps: 2, seed: 3 });
    const { result } = await collect({ ...input, optimization: { optimizer: 'sgd', batchSize: 16 } });
    const batches = batchIndices(input.seed, 40, 16, 0, 2);
    let w = initDeepWeights(input.seed, model, 64, 5);
    for (let s = 0; s < 2; s++) {
      const idx = batches.subarray(s * 16, (s + 1) * 16);
      const x = new Float64Array(16 * 5);
      const y = new Float64Array(16);
      idx.forEach((i, k) => {
        x.set(input.xTrain.subarray(i * 5, i * 5 + 5), k * 5);
        y[k] = input.yTrain[i]!;
      });
      w = gdStepDeep(w, 1, 0.5, x, y, 16);
    }
    expect(worstWeights(result.final, w)).toBeLessThan(1e-7);
  });

  it('resumes from final (and the heavy-ball state) bit for bit', async () => {
    const model: ModelFamily = { depth: 3, bias: 0.5, activation: 'erf' };
    const input = problem(model, { nTrain: 50, nTest: 7, dim: 5, width: 90, theta: 1, learningRate: 0.5, steps: 6 });
    for (const optimization of [undefined, { optimizer: 'sgd' as const, batchSize: 20, momentum: 0.9 }]) {
      const whole = await collect({ ...input, optimization });
      const first = await collect({ ...input, optimization, steps: 3 });
      const rest = await collect({
        ...input,
        optimization,
        steps: 3,
        firstStep: 3,
        initial: first.result.final,
        optimizerState: first.result.optimizerState,
      });
      expect(first.result.optimizerState.length).toBe(optimization ? 90 * 6 + 90 * 91 + 91 : 0);
      expect(sameWeights(rest.result.final, whole.result.final)).toBe(true);
      expect(sameBits(rest.logs.at(-1)!.residualTrain, whole.logs.at(-1)!.residualTrain)).toBe(true);
      expect(sameBits(rest.logs.at(-1)!.residualTest, whole.logs.at(-1)!.residualTest)).toBe(true);
    }
  });

  it('gives the same bits on 1 and 2 threads (several sgemm tiles in every product)', async () => {
    const model: ModelFamily = { depth: 3, bias: 0.5, activation: 'relu' };
    // m = 200 > NC = 128 and n = 100 > MC = 72: every product is cut into more than one tile.
    const input = problem(model, { nTrain: 100, nTest: 5, dim: 5, width: 200, theta: 1, learningRate: 0.5, steps: 3 });
    const one = await collect(input, { threads: 1 });
    const two = await collect(input, { threads: 2 });
    expect(one.result.backend).toMatch(/1 thread\b/);
    expect(two.result.backend).toMatch(/2 threads/);
    expect(sameWeights(one.result.final, two.result.final)).toBe(true);
    for (let s = 0; s < one.logs.length; s++) expect(sameBits(one.logs[s]!.residualTrain, two.logs[s]!.residualTrain)).toBe(true);
  });
});
