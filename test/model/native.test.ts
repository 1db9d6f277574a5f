import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  forwardReference,
  gdStepReference,
  initWeights,
  trainNative,
  trainNetwork,
  TrainingDivergedError,
  type NativeEngineOptions,
  type NetworkWeights,
  type TrainInput,
  type TrainLog,
  type TrainResult,
} from '../../src/model/index.js';
import { maxScaledError, trainingProblem } from './fixtures.js';
import { loadNative, nativeUnavailableReason } from '../../src/native/index.js';

function problem(over: Partial<TrainInput> & { nTrain: number; nTest: number; dim: number }): TrainInput {
  return trainingProblem('native', over);
}

async function collect(input: TrainInput, opts?: NativeEngineOptions): Promise<{ logs: TrainLog[]; result: TrainResult }> {
  const logs: TrainLog[] = [];
  const onLog = (log: TrainLog) => void logs.push(log);
  const addon = loadNative();
  const result = opts && addon ? await trainNative(input, { onLog }, addon, opts) : await trainNetwork(input, { onLog });
  return { logs, result };
}

const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sameBits = (a: Float64Array, b: Float64Array) => a.length === b.length && bytes(a).equals(bytes(b));

/** The reference trajectory: residuals after s = 0..steps GD steps of gdStepReference. */
function referenceLogs(input: TrainInput, start: NetworkWeights = initWeights(input.seed, input.width, input.dim)) {
  const out: { rTrain: Float64Array; rTest: Float64Array; w: NetworkWeights }[] = [];
  let w = start;
  for (let s = 0; s <= input.steps; s++) {
    if (s > 0) w = gdStepReference(w, input.theta, input.learningRate, input.xTrain, input.yTrain, input.nTrain);
    const yHat = forwardReference(w, input.theta, input.xTrain, input.nTrain);
    const yHatTest = forwardReference(w, input.theta, input.xTest, input.nTest);
    out.push({ rTrain: input.yTrain.map((y, i) => y - yHat[i]!), rTest: input.yTest.map((y, i) => y - yHatTest[i]!), w });
  }
  return out;
}

const addon = loadNative();
// Without a built addon (no compiler on this machine, or SPECBIAS_NATIVE=0) the native-only tests
// are skipped; the fallback tests at the end still run. CI builds the addon, so there they all run.
const describeNative = addon ? describe : describe.skip;
const kernels: ('avx2' | 'baseline')[] = addon?.info().isa === 'avx2' ? ['avx2', 'baseline'] : ['baseline'];

describeNative('the native engine', () => {
  it('follows the float64 gdStepReference trajectory to float32 accuracy, train and test residuals and losses', async () => {
    // width 100 = one full chunk of 64 neurons and a padded one; n not a multiple of the point tiles.
    const input = problem({ nTrain: 37, nTest: 11, dim: 10, width: 100, theta: 1.3, learningRate: 1.5, steps: 10 });
    const { logs, result } = await collect(input);
    expect(result.engine).toBe('native');
    expect(logs.map((l) => l.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const ref = referenceLogs(input);
    const half = (r: Float64Array) => r.reduce((s, z) => s + z * z, 0) / (2 * r.length);
    for (const log of logs) {
      const want = ref[log.step]!;
      expect(maxScaledError(log.residualTrain, want.rTrain)).toBeLessThan(1e-5);
      expect(maxScaledError(log.residualTest, want.rTest)).toBeLessThan(1e-5);
      // The losses are computed from the logged residuals, so they match them to rounding.
      expect(log.lossTrain).toBeCloseTo(half(log.residualTrain), 14);
      expect(log.lossTest).toBeCloseTo(half(log.residualTest), 14);
    }
    expect(maxScaledError(result.final.w1, ref[10]!.w.w1)).toBeLessThan(1e-6);
    expect(maxScaledError(result.final.w2, ref[10]!.w.w2)).toBeLessThan(1e-6);
  });

  it.each(kernels)('computes in float64 on the %s kernel to 1e-12 of gdStepReference, step by step', async (isa) => {
    // The float64 kernel shares every index and update with the float32 one, so this pins the
    // arithmetic exactly: any wrong sign bit, lane or scale would show at O(1e-3).
    const input = problem({ nTrain: 45, nTest: 9, dim: 7, width: 150, theta: 0.7, learningRate: 2, steps: 6 });
    const { logs, result } = await collect(input, { precision: 'f64', isa });
    const ref = referenceLogs(input);
    for (const log of logs) {
      expect(maxScaledError(log.residualTrain, ref[log.step]!.rTrain)).toBeLessThan(1e-12);
      expect(maxScaledError(log.residualTest, ref[log.step]!.rTest)).toBeLessThan(1e-12);
    }
    expect(maxScaledError(result.final.w1, ref[6]!.w.w1)).toBeLessThan(1e-13);
    expect(maxScaledError(result.final.w2, ref[6]!.w.w2)).toBeLessThan(1e-13);
  });

  it('takes one GD step equal to gdStepReference from arbitrary initial weights, for every input dimension 2..13', async () => {
    for (let dim = 2; dim <= 13; dim++) {
      const input = problem({ nTrain: 19, nTest: 0, dim, width: 70, theta: 1.1, learningRate: 0.8, steps: 1, logEvery: 1 });
      const initial = initWeights(dim, 70, dim);
      const { result } = await collect({ ...input, initial }, { precision: 'f64' });
      const want = gdStepReference(initial, input.theta, input.learningRate, input.xTrain, input.yTrain, input.nTrain);
      expect(maxScaledError(result.final.w1, want.w1)).toBeLessThan(1e-14);
      expect(maxScaledError(result.final.w2, want.w2)).toBeLessThan(1e-14);
    }
  });

  it('matches the tfjs-wasm trajectory to float32 tolerance', async () => {
    const input = problem({ nTrain: 40, nTest: 12, dim: 5, width: 96, learningRate: 1.5, steps: 30, logEvery: 5 });
    const native = await collect(input);
    const wasm = await collect({ ...input, engine: 'tfjs-wasm' });
    expect(native.logs.map((l) => l.step)).toEqual(wasm.logs.map((l) => l.step));
    for (let i = 0; i < native.logs.length; i++) {
      expect(maxScaledError(native.logs[i]!.residualTrain, wasm.logs[i]!.residualTrain)).toBeLessThan(1e-4);
      expect(maxScaledError(native.logs[i]!.residualTest, wasm.logs[i]!.residualTest)).toBeLessThan(1e-4);
    }
  });

  it('lowers the training loss on a harmonic target', async () => {
    const input = problem({ nTrain: 60, nTest: 30, dim: 5, width: 256, learningRate: 1, steps: 300, logEvery: 50 });
    const { logs } = await collect(input);
    const losses = logs.map((l) => l.lossTrain);
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]!);
    expect(losses[losses.length - 1]).toBeLessThan(0.1 * losses[0]!);
  });

  it.each(kernels.flatMap((isa) => (['f32', 'f64'] as const).map((precision) => [isa, precision] as const)))(
    'runLogged on the %s kernel in %s takes, bit for bit, the residuals of run(0, true) at its logged steps',
    async (isa, precision) => {
      // width 100: a full 64-neuron chunk and a padded one; logs at the start, mid-call, back to back and at the end.
      const input = problem({ nTrain: 37, nTest: 11, dim: 10, width: 100, theta: 1.3, learningRate: 1.5, steps: 9 });
      const w = initWeights(input.seed, input.width, input.dim);
      const make = () => new addon!.Trainer({ ...input, w1: w.w1, w2: w.w2, threads: 2, precision, isa });
      const logAt = [0, 1, 2, 5, 9];
      const batched = make();
      const one = await batched.runLogged(9, Int32Array.from(logAt));
      batched.close();
      expect([one.done, one.finite, one.logged]).toEqual([9, true, logAt.length]);
      const stepped = make();
      const per = input.nTrain + input.nTest;
      for (let i = 0, at = 0; i < logAt.length; i++) {
        await stepped.run(logAt[i]! - at, false);
        at = logAt[i]!;
        const res = await stepped.run(0, true);
        expect(sameBits(one.residuals.subarray(i * per, i * per + input.nTrain), stepped.residualTrain())).toBe(true);
        expect(sameBits(one.residuals.subarray(i * per + input.nTrain, (i + 1) * per), stepped.residualTest())).toBe(true);
        expect([one.sumSq[2 * i], one.sumSq[2 * i + 1]]).toEqual([res.sumSqTrain, res.sumSqTest]);
      }
      stepped.close();
    },
  );

  it('resumes from a checkpoint bit for bit: 12 steps, then 8 from its final weights, equal 20 uninterrupted', async () => {
    const input = problem({ nTrain: 50, nTest: 13, dim: 6, width: 200, learningRate: 1.2, steps: 20, logEvery: 1 });
    const whole = await collect(input);
    const first = await collect({ ...input, steps: 12, logEvery: 4 });
    const rest = await collect({ ...input, steps: 8, logEvery: 1, initial: first.result.final });
    expect(rest.logs.map((l) => l.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    for (const log of rest.logs) {
      const same = whole.logs[12 + log.step]!;
      expect(sameBits(log.residualTrain, same.residualTrain)).toBe(true);
      expect(sameBits(log.residualTest, same.residualTest)).toBe(true);
      expect(log.lossTrain).toBe(same.lossTrain);
    }
    expect(sameBits(rest.result.final.w1, whole.result.final.w1)).toBe(true);
    expect(sameBits(rest.result.final.w2, whole.result.final.w2)).toBe(true);
  });

  it('gives bit-identical trajectories for the same seed, whatever the thread count or log interval', async () => {
    // width 300 = 5 chunks, so two threads really split the work.
    const input = problem({ nTrain: 70, nTest: 10, dim: 10, width: 300, steps: 25, logEvery: 5 });
    const one = await collect(input, { threads: 1 });
    const two = await collect(input, { threads: 2 });
    const again = await collect(input, { threads: 2 });
    const sparse = await collect({ ...input, logEvery: 25 }, { threads: 2 });
    expect(one.result.backend).toMatch(/, 1 thread \(/);
    expect(two.result.backend).toMatch(/, 2 threads \(/);
    for (let i = 0; i < one.logs.length; i++) {
      for (const other of [two, again]) {
        expect(sameBits(other.logs[i]!.residualTrain, one.logs[i]!.residualTrain)).toBe(true);
        expect(sameBits(other.logs[i]!.residualTest, one.logs[i]!.residualTest)).toBe(true);
      }
    }
    for (const other of [two, again, sparse]) {
      expect(sameBits(other.result.final.w1, one.result.final.w1)).toBe(true);
      expect(sameBits(other.result.final.w2, one.result.final.w2)).toBe(true);
    }
    const seed1 = await collect({ ...input, seed: 1 });
    expect(sameBits(seed1.logs[0]!.residualTrain, one.logs[0]!.residualTrain)).toBe(false);
  });

  it('throws TrainingDivergedError at the first non-finite loss and stops on abort', async () => {
    const input = problem({ nTrain: 20, nTest: 5, dim: 4, learningRate: 1e6, steps: 500, logEvery: 100 });
    const err = await collect(input).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect((err as TrainingDivergedError).step).toBeGreaterThan(0);
    expect((err as TrainingDivergedError).step).toBeLessThan(500);

    const controller = new AbortController();
    const seen: number[] = [];
    const run = trainNetwork(problem({ nTrain: 20, nTest: 5, dim: 4, steps: 1_000_000, logEvery: 10 }), {
      onLog: (log) => {
        seen.push(log.step);
        if (log.step === 50) controller.abort();
      },
      signal: controller.signal,
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen[seen.length - 1]).toBe(50);
  });

  it('trains off the JS thread: timers keep firing and onProgress reports during a long chunk of steps', async () => {
    const input = problem({ nTrain: 300, nTest: 0, dim: 10, width: 1024, steps: 400, logEvery: 400 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const progress: number[] = [];
    const started = performance.now();
    try {
      await trainNetwork(input, { onLog: () => undefined, onProgress: (s) => progress.push(s) });
    } finally {
      clearInterval(timer);
    }
    const elapsed = performance.now() - started;
    expect(ticks).toBeGreaterThan(Math.min(3, elapsed / 50));
    expect(progress[progress.length - 1]).toBe(400);
  });

  it('logs at step 0, every logEvery steps and at the final step, like the tfjs engines', async () => {
    const base = problem({ nTrain: 10, nTest: 0, dim: 3, width: 8 });
    const steps = async (s: number, every: number) => (await collect({ ...base, steps: s, logEvery: every })).logs.map((l) => l.step);
    expect(await steps(25, 10)).toEqual([0, 10, 20, 25]);
    expect(await steps(20, 10)).toEqual([0, 10, 20]);
    expect(await steps(3, 10)).toEqual([0, 3]);
    expect(await steps(0, 10)).toEqual([0]);
    const log = (await collect({ ...base, steps: 0 })).logs[0]!;
    expect(log.residualTest.length).toBe(0);
    expect(log.lossTest).toBe(0);
  });

  it("'auto' picks the native engine and reports what ran", async () => {
    const { result } = await collect(problem({ nTrain: 10, nTest: 2, dim: 3, width: 8, steps: 3, engine: 'auto' }));
    expect(result.engine).toBe('native');
    expect(result.backend).toMatch(/^native float32 (avx2\+fma|baseline), 1 thread \(float64 accumulation\)$/);
  });
});

describe('the native engine fallback (SPECBIAS_NATIVE=0)', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it("sends 'auto' to tfjs-wasm with one warning line, and refuses 'native' with the reason", async () => {
    vi.stubEnv('SPECBIAS_NATIVE', '0');
    expect(loadNative()).toBeNull();
    expect(nativeUnavailableReason()).toBe('SPECBIAS_NATIVE=0 switches the native addon off');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const input = problem({ nTrain: 10, nTest: 2, dim: 3, width: 8, steps: 3, engine: 'auto' });
    const a = await collect(input);
    const b = await collect(input);
    expect(a.result.engine).toBe('tfjs-wasm');
    expect(b.result.engine).toBe('tfjs-wasm');
    const lines = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('native engine'));
    expect(lines).toEqual([
      'specbias: native engine unavailable (SPECBIAS_NATIVE=0 switches the native addon off); engine auto falls back to tfjs-wasm, about 50x slower',
    ]);
    await expect(collect({ ...input, engine: 'native' })).rejects.toThrow(
      'training.engine native is not available: SPECBIAS_NATIVE=0 switches the native addon off; use engine auto or tfjs-wasm',
    );
  });

  it('names the missing optional package when tfjs-node or tfjs-node-gpu is requested but not installed', async () => {
    // @tensorflow/tfjs-node(-gpu) are optionalDependencies whose install downloads libtensorflow;
    // where that fails (as offline here) npm skips them and the engines say so.
    const input = problem({ nTrain: 10, nTest: 2, dim: 3, width: 8, steps: 1 });
    for (const engine of ['tfjs-node', 'tfjs-node-gpu'] as const) {
      const pkg = engine === 'tfjs-node' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
      const installed = await import(pkg).then(
        () => true,
        () => false,
      );
      if (installed) continue; // a machine with the package trains on it; nothing to assert here
      await expect(collect({ ...input, engine })).rejects.toThrow(
        new RegExp(
          `^training\\.engine ${engine} needs the optional package ${pkg.replace('/', '\\/')}, which is not installed or does not load \\(.*\\); see docs/gpu\\.md, or use engine auto$`,
        ),
      );
    }
  });
});
