/**
 * The native engine: the paper's network trained by the C++ addon (native/src/train_kernel.cc),
 * a fused, cache-blocked full-batch GD step on all cores, with float32 arithmetic and float64
 * master weights and cross-tile sums. The addon runs chunks of steps on a libuv thread and comes
 * back to JavaScript between chunks for logs, progress and abort.
 *
 *   const result = await trainNative(input, hooks, addon);   // via trainNetwork(engine 'native')
 *
 * Conventions as in `engine.ts`: f_W(x) = sqrt(m) W2 relu(W1 x), y_hat = theta f_W(x), loss
 * 1/(2n) sum r^2, weight step eta = eta' / (m theta^2) with eta' = `learningRate`.
 *
 * Reproducibility: the neurons are cut into fixed chunks and every sum has a fixed order, so a
 * run is bit-identical for the same input, machine and kernel whatever the thread count, and a
 * run resumed from its `final` weights continues bit for bit (the state is the float64 weights).
 *
 * Paper: Cao et al., "Towards Understanding the Spectral Bias of Deep Learning", IJCAI 2021,
 * https://arxiv.org/abs/1912.01198.
 */
import type { NativeAddon, NativeTrainer } from '../native/index.js';
import { TrainingDivergedError } from './errors.js';
import { initWeights, type NetworkWeights } from './network.js';
import type { TrainHooks, TrainInput, TrainLog, TrainResult } from './engine.js';
import { isLogStep, nextLogStep } from './log-schedule.js';

export interface NativeEngineOptions {
  /** Worker threads including the caller; 0 = SPECBIAS_THREADS or one per hardware thread. */
  threads?: number;
  /** 'f64' computes in float64 throughout (about 2x slower); used by tests against the reference. */
  precision?: 'f32' | 'f64';
  /** Forces a kernel; 'auto' takes AVX2 + FMA when the CPU has it. */
  isa?: 'auto' | 'avx2' | 'baseline';
}

/** Aim for about this much native work per async call: short enough for prompt abort and progress. */
const CHUNK_TARGET_MS = 100;
const PROGRESS_EVERY_MS = 200;

/** Threads from SPECBIAS_THREADS, else 0 (the addon's default: all hardware threads). */
export function nativeThreads(): number {
  const raw = process.env.SPECBIAS_THREADS;
  const v = raw === undefined ? 0 : Number(raw);
  return Number.isInteger(v) && v > 0 ? v : 0;
}

/** Full-batch GD on the native addon; see {@link trainNetwork} for the contract it shares. */
export async function trainNative(
  input: TrainInput,
  hooks: TrainHooks,
  addon: NativeAddon,
  opts: NativeEngineOptions = {},
): Promise<TrainResult> {
  const { nTrain: n, nTest, dim: d, width: m, learningRate, steps, logEvery } = input;
  const first = input.firstStep ?? 0;
  const { signal } = hooks;
  signal?.throwIfAborted();
  const start: NetworkWeights = input.initial ?? initWeights(input.seed, m, d, input.init);
  const trainer: NativeTrainer = new addon.Trainer({
    xTrain: input.xTrain,
    yTrain: input.yTrain,
    nTrain: n,
    xTest: input.xTest,
    yTest: input.yTest,
    nTest,
    dim: d,
    width: m,
    theta: input.theta,
    learningRate,
    w1: start.w1,
    w2: start.w2,
    threads: opts.threads ?? nativeThreads(),
    precision: opts.precision ?? 'f32',
    isa: opts.isa ?? 'auto',
  });
  try {
    const backend = `native ${trainer.describe()} (float64 accumulation)`;
    let step = 0;
    let perStepMs = 0;
    let lastProgress = performance.now();
    for (;;) {
      const final = step === steps;
      const logging = final || isLogStep(first + step, logEvery, input.logSchedule);
      if (logging) {
        // This step's residuals: the train one is already there; the call computes the test one.
        const res = await trainer.run(0, nTest > 0);
        if (!res.finite) throw new TrainingDivergedError(step, learningRate);
        const log = readLog(trainer, step, n, nTest, res.sumSqTrain, res.sumSqTest);
        if (!Number.isFinite(log.lossTest)) throw new TrainingDivergedError(step, learningRate);
        await hooks.onLog(log);
        if (final) break;
      }
      // Steps until the next log (or the end), capped so that one call takes about CHUNK_TARGET_MS;
      // the first call is one step, to measure.
      const untilLog = Math.min(steps, nextLogStep(first + step, logEvery, input.logSchedule) - first) - step;
      const want = Math.max(1, Math.min(untilLog, perStepMs > 0 ? Math.floor(CHUNK_TARGET_MS / perStepMs) : 1));
      signal?.throwIfAborted();
      const t0 = performance.now();
      const res = await trainer.run(want, false);
      const t1 = performance.now();
      perStepMs = (t1 - t0) / Math.max(1, res.done);
      step += res.done;
      if (!res.finite) throw new TrainingDivergedError(step, learningRate);
      signal?.throwIfAborted();
      if (t1 - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = t1;
        hooks.onProgress?.(step);
      }
    }
    hooks.onProgress?.(steps);
    const w = trainer.weights();
    return { engine: 'native', backend, steps, final: { width: m, dim: d, w1: w.w1, w2: w.w2 } };
  } finally {
    trainer.close();
  }
}

function readLog(trainer: NativeTrainer, step: number, n: number, nTest: number, sumSqTrain: number, sumSqTest: number): TrainLog {
  const residualTrain = trainer.residualTrain();
  const residualTest = nTest > 0 ? trainer.residualTest() : new Float64Array(0);
  return {
    step,
    residualTrain,
    residualTest,
    lossTrain: sumSqTrain / (2 * n),
    lossTest: nTest > 0 ? sumSqTest / (2 * nTest) : 0,
  };
}
