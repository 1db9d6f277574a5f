/**
 * The native engine: the paper's network trained by the C++ addon (native/src/train_kernel.cc),
 * a fused, cache-blocked full-batch GD step on all cores, with float32 arithmetic and float64
 * master weights and cross-tile sums. The addon runs chunks of steps on a libuv thread and comes
 * back to JavaScript between chunks (about 100 ms each) for progress and abort; a chunk
 * returns the residuals of every logged step in it.
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
 * The model family (`input.model` other than the paper's) trains on the addon's DeepTrainer
 * (native/src/deep_kernel.cc): products of a deterministic blocked sgemm on the same threads,
 * float32 compute with float64 master weights and sums across blocks, the same contract.
 *
 * Paper: Cao et al., "Towards Understanding the Spectral Bias of Deep Learning", IJCAI 2021,
 * https://arxiv.org/abs/1912.01198.
 */
import { C_SIGMA, isPaperModel, PAPER_MODEL, type ModelFamily } from '../math/ntk-family.js';
import type { NativeAddon, NativeDeepTrainer, NativeLoggedResult, NativeTrainer, NativeTrainingProblem } from '../native/index.js';
import { TrainingDivergedError } from './errors.js';
import { initWeights, type NetworkWeights } from './network.js';
import { flattenDeepWeights, initDeepWeights, initialWeightsProblem, unflattenDeepWeights, type DeepWeights } from './reference-deep.js';
import type { ModelWeights, TrainHooks, TrainInput, TrainLog, TrainResult } from './engine.js';
import { isLogStep, nextLogStep } from './log-schedule.js';
import { ADAM_DEFAULTS, adamStepSize, batchIndices, type OptimizerSettings } from './optimizer.js';

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
export async function trainNative<W extends ModelWeights = NetworkWeights>(
  input: TrainInput<W>,
  hooks: TrainHooks,
  addon: NativeAddon,
  opts: NativeEngineOptions = {},
): Promise<TrainResult<W>> {
  const { nTrain: n, nTest, learningRate, steps, logEvery } = input;
  const first = input.firstStep ?? 0;
  const { signal } = hooks;
  signal?.throwIfAborted();
  const model = input.model ?? PAPER_MODEL;
  const opt: OptimizerSettings = input.optimization ?? { optimizer: 'gd' };
  const batched = opt.optimizer !== 'gd';
  const batchSize = opt.batchSize ?? n;
  const { trainer, final } = isPaperModel(model) ? paperTrainer(input, addon, opts, opt) : deepTrainer(input, model, addon, opts, opt);
  try {
    const how = opt.optimizer === 'gd' ? '' : `, ${opt.optimizer} batch ${batchSize}`;
    const backend = `native ${trainer.describe()} (float64 accumulation${how})`;
    const schedule = input.logSchedule;
    // The next local step to log: step 0 when the global step is a log step, the last step always.
    const after = (local: number) => Math.min(steps, nextLogStep(first + local, logEvery, schedule) - first);
    let nextLog: number | null = steps === 0 || isLogStep(first, logEvery, schedule) ? 0 : after(0);
    let step = 0;
    let perStepMs = 0;
    let lastProgress = performance.now();
    for (;;) {
      // Steps in this call, capped so that it takes about CHUNK_TARGET_MS (the first call is one
      // step, to measure); one call covers every log in its range, so logs cost no extra round trip.
      const want = Math.min(steps - step, Math.max(1, perStepMs > 0 ? Math.floor(CHUNK_TARGET_MS / perStepMs) : 1));
      const logAt: number[] = [];
      while (nextLog !== null && nextLog <= step + want) {
        logAt.push(nextLog - step);
        nextLog = nextLog === steps ? null : after(nextLog);
      }
      signal?.throwIfAborted();
      const t0 = performance.now();
      const batches = batched ? batchIndices(input.seed, n, batchSize, first + step, want) : undefined;
      const res = await trainer.runLogged(want, Int32Array.from(logAt), batches);
      const t1 = performance.now();
      perStepMs = (t1 - t0) / Math.max(1, res.done);
      for (let i = 0; i < res.logged; i++) {
        const log = readLog(res, i, step + logAt[i]!, n, nTest);
        if (!Number.isFinite(log.lossTest)) throw new TrainingDivergedError(log.step, learningRate);
        await hooks.onLog(log);
        // An abort in onLog stops there, as if training had not run past the log.
        signal?.throwIfAborted();
      }
      step += res.done;
      if (!res.finite) throw new TrainingDivergedError(step, learningRate);
      if (step === steps && nextLog === null) break;
      signal?.throwIfAborted();
      if (t1 - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = t1;
        hooks.onProgress?.(step);
      }
    }
    hooks.onProgress?.(steps);
    const optimizerState = trainer.optimizerState();
    return { engine: 'native', backend, steps, final: final() as W, optimizerState };
  } finally {
    trainer.close();
  }
}

/** What the run loop needs of either trainer, and how to read its weights at the end. */
interface Driven {
  trainer: Pick<NativeTrainer, 'runLogged' | 'describe' | 'optimizerState' | 'close'>;
  final: () => ModelWeights;
}

/** The family's trainer; sgd (with momentum) and gd only, refused otherwise by trainNetwork. */
function deepTrainer(
  input: TrainInput<ModelWeights>,
  model: ModelFamily,
  addon: NativeAddon,
  opts: NativeEngineOptions,
  opt: OptimizerSettings,
): Driven {
  const { nTrain: n, dim: d, width: m } = input;
  if (!addon.DeepTrainer) throw new Error('the native addon predates the model family: rebuild it with npm run build:native');
  if (opts.precision === 'f64') throw new RangeError('the model family trains in float32 only on the native engine');
  // trainNative is also called directly (tests), past trainNetwork's checks.
  const problem = input.initial && initialWeightsProblem(input.initial, model);
  if (problem) throw new RangeError(problem);
  const start: DeepWeights = (input.initial as DeepWeights | undefined) ?? initDeepWeights(input.seed, model, m, d);
  const batched = opt.optimizer !== 'gd';
  const trainer: NativeDeepTrainer = new addon.DeepTrainer({
    ...trainingProblem(input, opts),
    depth: model.depth,
    bias: model.bias,
    activation: model.activation,
    cSigma: C_SIGMA[model.activation],
    weights: flattenDeepWeights(start),
    optimizer: batched ? 'sgd' : 'gd',
    ...(batched ? { batchSize: opt.batchSize ?? n, momentum: opt.momentum ?? 0 } : {}),
  });
  return { trainer, final: () => unflattenDeepWeights(model, m, d, trainer.weights()) };
}

function paperTrainer(input: TrainInput<ModelWeights>, addon: NativeAddon, opts: NativeEngineOptions, opt: OptimizerSettings): Driven {
  const { nTrain: n, dim: d, width: m, learningRate } = input;
  const first = input.firstStep ?? 0;
  const problem = input.initial && initialWeightsProblem(input.initial, PAPER_MODEL);
  if (problem) throw new RangeError(problem);
  const start: NetworkWeights = (input.initial as NetworkWeights | undefined) ?? initWeights(input.seed, m, d, input.init);
  const batched = opt.optimizer !== 'gd';
  const batchSize = opt.batchSize ?? n;
  const trainer: NativeTrainer = new addon.Trainer({
    ...trainingProblem(input, opts),
    w1: start.w1,
    w2: start.w2,
    precision: opts.precision ?? 'f32',
    optimizer: opt.optimizer,
    ...(batched ? { batchSize, momentum: opt.momentum ?? 0, firstStep: first } : {}),
    ...(opt.optimizer === 'adam'
      ? {
          adamLearningRate: adamStepSize(learningRate, m, input.theta),
          beta1: opt.beta1 ?? ADAM_DEFAULTS.beta1,
          beta2: opt.beta2 ?? ADAM_DEFAULTS.beta2,
          eps: opt.eps ?? ADAM_DEFAULTS.eps,
        }
      : {}),
  });
  return {
    trainer,
    final: () => {
      const w = trainer.weights();
      return { width: m, dim: d, w1: w.w1, w2: w.w2 };
    },
  };
}

/** What both trainers take: the points, targets and sizes, the threads and kernel, and the optimizer state to resume from. */
function trainingProblem(input: TrainInput<ModelWeights>, opts: NativeEngineOptions): NativeTrainingProblem {
  const { xTrain, yTrain, nTrain, xTest, yTest, nTest, dim, width, theta, learningRate } = input;
  return {
    xTrain,
    yTrain,
    nTrain,
    xTest,
    yTest,
    nTest,
    dim,
    width,
    theta,
    learningRate,
    threads: opts.threads ?? nativeThreads(),
    isa: opts.isa ?? 'auto',
    ...(input.optimizerState && input.optimizerState.length > 0 ? { state: input.optimizerState } : {}),
  };
}

/** Log i of a runLogged call (copies, so that a log does not hold the whole call's buffer). */
function readLog(res: NativeLoggedResult, i: number, step: number, n: number, nTest: number): TrainLog {
  const o = i * (n + nTest);
  return {
    step,
    residualTrain: res.residuals.slice(o, o + n),
    residualTest: res.residuals.slice(o + n, o + n + nTest),
    lossTrain: res.sumSq[2 * i]! / (2 * n),
    lossTest: nTest > 0 ? res.sumSq[2 * i + 1]! / (2 * nTest) : 0,
  };
}
