import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { loadNative } from '../../src/native/index.js';
import {
  forwardReference,
  gdStepReference,
  initWeights,
  trainNetwork,
  TrainingDivergedError,
  type EngineName,
  type TrainInput,
  type TrainLog,
} from '../../src/model/index.js';
import { maxScaledError, trainingProblem } from './fixtures.js';

function problem(over: Partial<TrainInput> & { nTrain: number; nTest: number; dim: number }): TrainInput {
  return trainingProblem('tfjs-wasm', over);
}

async function collect(input: TrainInput, signal?: AbortSignal): Promise<TrainLog[]> {
  const logs: TrainLog[] = [];
  await trainNetwork(input, { onLog: (log) => void logs.push(log), signal });
  return logs;
}

const engines: EngineName[] = ['tfjs-wasm', 'tfjs-cpu'];

describe.each(engines)('trainNetwork on %s', (engine) => {
  it('follows the float64 gdStepReference trajectory to float32 accuracy', async () => {
    const input = problem({ nTrain: 20, nTest: 7, dim: 4, width: 32, theta: 1.3, learningRate: 1.5, steps: 10, logEvery: 1, engine });
    const logs = await collect(input);
    expect(logs.map((l) => l.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    let w = initWeights(input.seed, input.width, input.dim);
    for (const log of logs) {
      if (log.step > 0) w = gdStepReference(w, input.theta, input.learningRate, input.xTrain, input.yTrain, input.nTrain);
      const yHat = forwardReference(w, input.theta, input.xTrain, input.nTrain);
      const yHatTest = forwardReference(w, input.theta, input.xTest, input.nTest);
      const rTrain = input.yTrain.map((y, i) => y - yHat[i]!);
      const rTest = input.yTest.map((y, i) => y - yHatTest[i]!);
      expect(maxScaledError(log.residualTrain, rTrain)).toBeLessThan(1e-5);
      expect(maxScaledError(log.residualTest, rTest)).toBeLessThan(1e-5);
      const half = (r: Float64Array) => r.reduce((s, z) => s + z * z, 0) / (2 * r.length);
      expect(Math.abs(log.lossTrain - half(rTrain))).toBeLessThan(1e-4 * (1 + half(rTrain)));
      expect(Math.abs(log.lossTest - half(rTest))).toBeLessThan(1e-4 * (1 + half(rTest)));
    }
  });

  it('gives bit-identical logs for the same seed', async () => {
    const input = problem({ nTrain: 30, nTest: 10, dim: 5, width: 64, steps: 20, logEvery: 5, engine });
    const a = await collect(input);
    const b = await collect(input);
    expect(a.length).toBe(5);
    for (let i = 0; i < a.length; i++) {
      expect(Buffer.from(b[i]!.residualTrain.buffer).equals(Buffer.from(a[i]!.residualTrain.buffer))).toBe(true);
      expect(Buffer.from(b[i]!.residualTest.buffer).equals(Buffer.from(a[i]!.residualTest.buffer))).toBe(true);
    }
    const other = await collect({ ...input, seed: 1 });
    expect(other[0]!.residualTrain).not.toEqual(a[0]!.residualTrain);
  });

  it('leaves no tensors behind, after success, divergence and abort', async () => {
    const input = problem({ nTrain: 20, nTest: 5, dim: 4, width: 16, steps: 5, engine });
    await collect(input); // the backend is initialized by now
    const before = tf.memory().numTensors;
    await collect(input);
    expect(tf.memory().numTensors).toBe(before);
    await expect(collect({ ...input, learningRate: 1e6, steps: 200 })).rejects.toThrow(TrainingDivergedError);
    expect(tf.memory().numTensors).toBe(before);
    const controller = new AbortController();
    const aborted = trainNetwork(
      { ...input, steps: 100_000 },
      { onLog: (l) => void (l.step === 3 && controller.abort()), signal: controller.signal },
    );
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('trainNetwork', () => {
  it('logs the step-0 residual y - forwardReference(init) and lowers the loss on a harmonic target', async () => {
    const input = problem({ nTrain: 60, nTest: 30, dim: 5, width: 256, learningRate: 1, steps: 300, logEvery: 50, engine: 'auto' });
    const logs = await collect(input);
    const yHat = forwardReference(initWeights(input.seed, input.width, input.dim), input.theta, input.xTrain, input.nTrain);
    expect(
      maxScaledError(
        logs[0]!.residualTrain,
        input.yTrain.map((y, i) => y - yHat[i]!),
      ),
    ).toBeLessThan(1e-5);
    const losses = logs.map((l) => l.lossTrain);
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]!);
    expect(losses[losses.length - 1]).toBeLessThan(0.1 * losses[0]!);
  });

  it('starts from the given initial weights instead of the seed', async () => {
    const input = problem({ nTrain: 10, nTest: 3, dim: 3, width: 8, steps: 0 });
    const initial = initWeights(42, 8, 3);
    const log = (await collect({ ...input, initial }))[0]!;
    const yHat = forwardReference(initial, input.theta, input.xTrain, input.nTrain);
    expect(
      maxScaledError(
        log.residualTrain,
        input.yTrain.map((y, i) => y - yHat[i]!),
      ),
    ).toBeLessThan(1e-5);
  });

  it('logs at step 0, every logEvery steps and at the final step', async () => {
    const base = problem({ nTrain: 10, nTest: 0, dim: 3, width: 8 });
    const steps = async (s: number, every: number) => (await collect({ ...base, steps: s, logEvery: every })).map((l) => l.step);
    expect(await steps(25, 10)).toEqual([0, 10, 20, 25]);
    expect(await steps(20, 10)).toEqual([0, 10, 20]);
    expect(await steps(3, 10)).toEqual([0, 3]);
    expect(await steps(0, 10)).toEqual([0]);
    const log = (await collect({ ...base, steps: 0 }))[0]!;
    expect(log.residualTest.length).toBe(0);
    expect(log.lossTest).toBe(0);
  });

  it('reports the engine, the backend and the final weights, and calls onProgress with the last step', async () => {
    const input = problem({ nTrain: 10, nTest: 2, dim: 3, width: 8, steps: 7, engine: 'auto' });
    const progress: number[] = [];
    const result = await trainNetwork(input, { onLog: () => undefined, onProgress: (s) => progress.push(s) });
    // 'auto' is the native engine when the addon is built (CI builds it), else tfjs-wasm.
    if (loadNative()) {
      expect(result.engine).toBe('native');
      expect(result.backend).toMatch(/^native float32 (avx2\+fma|baseline), \d+ threads? \(float64 accumulation\)$/);
    } else {
      expect(result.engine).toBe('tfjs-wasm');
      expect(result.backend).toMatch(/^tfjs \d+\.\d+\.\d+ wasm/);
    }
    expect(result.steps).toBe(7);
    expect(progress[progress.length - 1]).toBe(7);
    let w = initWeights(input.seed, input.width, input.dim);
    for (let s = 0; s < 7; s++) w = gdStepReference(w, input.theta, input.learningRate, input.xTrain, input.yTrain, input.nTrain);
    expect(maxScaledError(result.final.w1, w.w1)).toBeLessThan(1e-5);
    expect(maxScaledError(result.final.w2, w.w2)).toBeLessThan(1e-5);
  });

  it('runs overlapping trainings on different engines one backend at a time, each as if alone', async () => {
    const input = problem({ nTrain: 30, nTest: 5, dim: 4, width: 64, steps: 40, logEvery: 10 });
    const aloneWasm = await collect({ ...input, engine: 'tfjs-wasm' });
    const aloneCpu = await collect({ ...input, engine: 'tfjs-cpu' });
    const [wasm, cpu, wasm2] = await Promise.all([
      collect({ ...input, engine: 'tfjs-wasm' }),
      collect({ ...input, engine: 'tfjs-cpu' }),
      collect({ ...input, engine: 'tfjs-wasm' }),
    ]);
    expect(wasm).toEqual(aloneWasm);
    expect(wasm2).toEqual(aloneWasm);
    expect(cpu).toEqual(aloneCpu);
  });

  it('throws TrainingDivergedError naming training.learningRate when the rate is far too large', async () => {
    const input = problem({ nTrain: 20, nTest: 5, dim: 4, learningRate: 1e6, steps: 500, logEvery: 100 });
    const err = await collect(input).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TrainingDivergedError);
    const diverged = err as TrainingDivergedError;
    expect(diverged.learningRate).toBe(1e6);
    expect(diverged.step).toBeGreaterThan(0);
    expect(diverged.step).toBeLessThan(500);
    expect(diverged.message).toBe(
      `training diverged at step ${diverged.step} (loss is NaN/inf); try a smaller training.learningRate (now 1000000)`,
    );
  });

  it('stops with an AbortError when the signal aborts mid-run', async () => {
    const input = problem({ nTrain: 20, nTest: 5, dim: 4, steps: 100_000, logEvery: 10 });
    const controller = new AbortController();
    const seen: number[] = [];
    const run = trainNetwork(input, {
      onLog: (log) => {
        seen.push(log.step);
        if (log.step === 50) controller.abort();
      },
      signal: controller.signal,
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen[seen.length - 1]).toBeLessThan(1000);
  });

  it('keeps the event loop turning while it trains', async () => {
    const input = problem({ nTrain: 50, nTest: 5, dim: 5, width: 512, steps: 400, logEvery: 100 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = performance.now();
    try {
      await collect(input);
    } finally {
      clearInterval(timer);
    }
    const elapsed = performance.now() - started;
    // A loop that never yields would let no interval fire at all.
    expect(ticks).toBeGreaterThan(Math.min(3, elapsed / 50));
  });

  it('rejects inputs whose sizes do not match', async () => {
    const input = problem({ nTrain: 10, nTest: 2, dim: 3, width: 8 });
    await expect(trainNetwork({ ...input, yTrain: new Float64Array(9) }, { onLog: () => undefined })).rejects.toThrow(
      'yTrain must have 10 entries, got 9',
    );
    await expect(trainNetwork({ ...input, logEvery: 0 }, { onLog: () => undefined })).rejects.toThrow(
      'logEvery must be an integer >= 1, got 0',
    );
  });
});
