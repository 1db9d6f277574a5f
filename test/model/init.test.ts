import { describe, expect, it } from 'vitest';
import { loadNative } from '../../src/native/index.js';
import {
  forwardReference,
  gdStepReference,
  initWeights,
  resolveEngine,
  trainNetwork,
  type EngineName,
  type TrainLog,
} from '../../src/model/index.js';
import { maxScaledError, trainingProblem } from './fixtures.js';

// Every engine starts from the one initWeights(seed, width, dim, init): with model.init
// symmetric the paired neurons cancel, so f_0 = 0 and the first residual is y itself.
const engines: EngineName[] = [...(loadNative() ? (['native'] as const) : []), 'tfjs-wasm', 'tfjs-cpu'];

describe.each(engines)('model.init on %s', (engine) => {
  it('symmetric starts at f_0 = 0 and then follows the float64 reference from the same weights', async () => {
    const input = trainingProblem(engine, {
      nTrain: 24,
      nTest: 9,
      dim: 4,
      width: 32,
      theta: 1,
      learningRate: 1,
      steps: 3,
      logEvery: 1,
      seed: 5,
      init: 'symmetric',
    });
    const logs: TrainLog[] = [];
    await trainNetwork(input, { onLog: (log) => void logs.push(log) });
    // r_0 = y - f_0 = y, up to float32 summation of the cancelling pairs.
    expect(maxScaledError(logs[0]!.residualTrain, input.yTrain)).toBeLessThan(1e-6);
    expect(maxScaledError(logs[0]!.residualTest, input.yTest)).toBeLessThan(1e-6);
    let w = initWeights(input.seed, input.width, input.dim, 'symmetric');
    for (const log of logs.slice(1)) {
      w = gdStepReference(w, input.theta, input.learningRate, input.xTrain, input.yTrain, input.nTrain);
      const yHat = forwardReference(w, input.theta, input.xTrain, input.nTrain);
      expect(
        maxScaledError(
          log.residualTrain,
          input.yTrain.map((y, i) => y - yHat[i]!),
        ),
      ).toBeLessThan(1e-5);
    }
  });

  it('gaussian (the default) starts from a random function, f_0 != 0', async () => {
    const input = trainingProblem(engine, { nTrain: 24, nTest: 0, dim: 4, width: 32, steps: 0, logEvery: 1, seed: 5 });
    const logs: TrainLog[] = [];
    await trainNetwork(input, { onLog: (log) => void logs.push(log) });
    const f0 = forwardReference(initWeights(input.seed, input.width, input.dim), input.theta, input.xTrain, input.nTrain);
    expect(Math.max(...f0.map(Math.abs))).toBeGreaterThan(0.1);
    expect(
      maxScaledError(
        logs[0]!.residualTrain,
        input.yTrain.map((y, i) => y - f0[i]!),
      ),
    ).toBeLessThan(1e-5);
  });
});

describe('resolveEngine', () => {
  it('names the engine that runs: auto is native when the addon loads, else tfjs-wasm', async () => {
    const auto = await resolveEngine('auto');
    if (loadNative()) expect(auto).toEqual({ engine: 'native', id: `native/${loadNative()!.info().isa}` });
    else expect(auto.engine).toMatch(/^tfjs-(wasm|cpu)$/);
    expect(await resolveEngine('tfjs-cpu')).toEqual({ engine: 'tfjs-cpu', id: 'tfjs-cpu' });
  });
});
