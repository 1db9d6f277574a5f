/**
 * Trains the paper's two-layer ReLU network by full-batch gradient descent, or by SGD (heavy ball)
 * or Adam (`input.optimization`, `optimizer.ts`), on the native addon (`native-engine.ts`) or a
 * tfjs backend (float32 with hand-written gradients, below), and reports the residual y - y_hat
 * on train and test.
 *
 * Conventions (Cao et al., below; the float64 reference is `network.ts`):
 * - f_W(x) = sqrt(m) W2 relu(W1 x), W1 ~ N(0, 2/m), W2 ~ N(0, 1/m), y_hat = theta f_W(x);
 * - loss L = 1/(2n) sum_i (y_i - y_hat_i)^2, both layers trained;
 * - weight step eta = eta' / (m theta^2), with eta' = `learningRate`, so the linearized residual
 *   along an eigendirection of K/n with eigenvalue mu shrinks by (1 - eta' mu) per step.
 *
 *   const result = await trainNetwork(
 *     { xTrain, yTrain, nTrain: 1000, xTest, yTest, nTest: 1000, dim: 10, width: 4096, theta: 1,
 *       learningRate: 2, steps: 3000, logEvery: 10, seed: 0, engine: 'auto' },
 *     { onLog: (log) => logs.push(log), onProgress: (step) => heartbeat(step), signal },
 *   );
 *
 * Logs come at step 0 (before any update), every `logEvery` steps and at the final step; the
 * log at step s holds the residual after s updates. The loop yields to the event loop between
 * steps (tfjs) or runs its steps off the JS thread (native), so a Temporal worker in the same
 * process keeps heartbeating.
 *
 * Engines: 'native' (the C++ addon, float32 compute with float64 accumulation, all cores),
 * 'tfjs-wasm', 'tfjs-cpu', and 'tfjs-node' / 'tfjs-node-gpu' (TensorFlow's C library through
 * the optional packages @tensorflow/tfjs-node(-gpu), when installed). 'auto' = native when the
 * addon loads, else tfjs-wasm (one console.warn line says why), else tfjs-cpu.
 * Checkpoint/resume: pass a result's `final` weights as `initial` (and its `optimizerState`, with
 * `firstStep` the steps done); on the same engine the resumed run repeats the uninterrupted one bit
 * for bit.
 *
 * The model family (`input.model`: depth L, bias scale beta, activation; docs/science.md): absent
 * or the paper's (2, 0, relu), everything below holds unchanged. Any other member trains from
 * `initDeepWeights` with `DeepWeights` as `initial`/`final` on the native engine (`deep_kernel.cc`:
 * gd, sgd with momentum) or on tfjs (`tfjs-deep.ts`: gd); adam is refused for it.
 *
 * Paper: Cao et al., "Towards Understanding the Spectral Bias of Deep Learning", IJCAI 2021,
 * https://arxiv.org/abs/1912.01198.
 */
import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import { loadNative, nativeUnavailableReason } from '../native/index.js';
import { acquireBackend, halfMeanSquare, readAndDispose, stepPacer } from './backend.js';
import { TrainingDivergedError } from './errors.js';
import { trainNative } from './native-engine.js';
import { initWeights, weightStepSize, type NetworkWeights, type WeightInit } from './network.js';
import { isPaperModel, modelFamilyProblem, PAPER_MODEL, type ModelFamily } from '../math/ntk-family.js';
import { deepParamCount, flattenDeepWeights, initialWeightsProblem, isDeepWeights, type DeepWeights } from './reference-deep.js';
import { trainTfjsDeep } from './tfjs-deep.js';
import { isLogStep, type LogSchedule } from './log-schedule.js';
import { ADAM_DEFAULTS, adamStepSize, batchIndices, type OptimizerSettings } from './optimizer.js';

export { TrainingDivergedError } from './errors.js';

/**
 * Which arithmetic trains the network. 'auto' = native if the addon loads, else tfjs-wasm if it
 * initializes, else tfjs-cpu. 'tfjs-node' and 'tfjs-node-gpu' need the optional packages.
 */
export type EngineName = 'auto' | 'native' | 'tfjs-wasm' | 'tfjs-cpu' | 'tfjs-node' | 'tfjs-node-gpu';

/** The weights of either network: the paper's (`NetworkWeights`) or the family's (`DeepWeights`). */
export type ModelWeights = NetworkWeights | DeepWeights;

/**
 * What to train. `W` is the weights' type: `NetworkWeights` (the default) for the paper's network,
 * `DeepWeights` (or `ModelWeights`) when `model` may be another member of the family.
 */
export interface TrainInput<W extends ModelWeights = NetworkWeights> {
  /** nTrain x dim, row-major, rows on the unit sphere. */
  xTrain: Float64Array;
  yTrain: Float64Array;
  nTrain: number;
  /** nTest x dim, row-major; nTest may be 0. */
  xTest: Float64Array;
  yTest: Float64Array;
  nTest: number;
  dim: number;
  /** m, the number of hidden neurons. */
  width: number;
  /** Output scale: y_hat = theta f_W(x). */
  theta: number;
  /** eta', the NTK-scaled rate; the step on the weights is eta' / (m theta^2). */
  learningRate: number;
  steps: number;
  logEvery: number;
  /** 'uniform' (default) or 'geometric': the uniform logs plus a geometric grid early on (`log-schedule.ts`). */
  logSchedule?: LogSchedule;
  /** The global step of this call's step 0, when training runs in chunks: the schedule is in global steps. */
  firstStep?: number;
  /** Seeds the initialization (streams 'init/W1', 'init/W2') unless `initial` is given. */
  seed: number;
  /** The initialization law (`model.init`); default 'gaussian'. */
  init?: WeightInit;
  engine: EngineName;
  /** The member of the model family; absent: the paper's network (depth 2, bias 0, relu). */
  model?: ModelFamily;
  /** Start from these weights instead of initWeights(seed, width, dim, init) (the family: initDeepWeights). */
  initial?: W;
  /** The optimizer and its settings (`optimizer.ts`); absent: full-batch GD. The model family on tfjs: gd only. */
  optimization?: OptimizerSettings;
  /** The optimizer state a previous chunk's result returned (`TrainResult.optimizerState`), to resume. */
  optimizerState?: Float64Array;
}

export interface TrainLog {
  /** Number of GD updates applied before this log. */
  step: number;
  /** y - y_hat on the training points, length nTrain. */
  residualTrain: Float64Array;
  /** y - y_hat on the test points, length nTest. */
  residualTest: Float64Array;
  /** 1/(2 nTrain) sum r^2. */
  lossTrain: number;
  /** 1/(2 nTest) sum r^2, or 0 when nTest = 0. */
  lossTest: number;
}

export interface TrainResult<W extends ModelWeights = NetworkWeights> {
  /** The concrete engine that ran: 'native', 'tfjs-wasm', 'tfjs-cpu', 'tfjs-node' or 'tfjs-node-gpu'. */
  engine: string;
  /**
   * Provenance of the arithmetic, e.g. 'native float32 avx2, 2 threads (float64 accumulation)' or
   * 'tfjs 4.22.0 wasm (SIMD, 1 thread)'.
   */
  backend: string;
  steps: number;
  /** Weights after `steps` updates: a checkpoint to pass back as `initial` (float64; tfjs: float32 widened). */
  final: W;
  /**
   * The optimizer state after `steps` updates, to pass back as `optimizerState`; the same layout on
   * every engine (float64; tfjs: float32 widened). Empty for GD and momentum-free SGD; heavy ball:
   * the velocity u of W1 (m x D row-major) then of W2 (m); Adam: the first moments (W1 then W2),
   * then the second moments (W1 then W2). The family's native SGD: its velocity in the order of
   * `flattenDeepWeights`. Adam's step count and the batch schedule follow from the global step.
   */
  optimizerState: Float64Array;
}

export interface TrainHooks {
  /** Called for each log, in step order; training waits for a returned promise. */
  onLog(log: TrainLog): void | Promise<void>;
  /** Called with the number of completed steps at least every ~200 ms of work, and at the end. */
  onProgress?(step: number): void;
  /** Aborting stops training between steps with the signal's reason (an AbortError by default). */
  signal?: AbortSignal;
}

/**
 * GD (or SGD, Adam: `input.optimization`) on both layers on `input.engine`, with the same logs,
 * checks, result and optimizer state layout on every engine. Conventions: L = 1/(2n) sum_i r_i^2,
 * r = y - y_hat, weight step eta = eta' / (m theta^2).
 *
 * Throws {@link TrainingDivergedError} when the training loss (checked every step) is NaN or
 * infinite, and an Error naming the fix when the requested engine is not available here.
 * Companion: {@link gdStepReference} in `network.ts` is the float64 reference.
 */
export async function trainNetwork<W extends ModelWeights = NetworkWeights>(
  input: TrainInput<W>,
  hooks: TrainHooks,
): Promise<TrainResult<W>> {
  checkInput(input);
  const model = input.model ?? PAPER_MODEL;
  const deep = !isPaperModel(model);
  const opt = input.optimization?.optimizer ?? 'gd';
  if (deep && opt === 'adam')
    throw new Error(
      'training.optimizer adam is not defined for the model family (model.depth, model.bias, model.activation): use gd or sgd',
    );
  if (input.engine === 'native' || input.engine === 'auto') {
    const addon = loadNative();
    if (addon) return trainNative(input, hooks, addon);
    if (input.engine === 'native')
      throw new Error(`training.engine native is not available: ${nativeUnavailableReason()}; use engine auto or tfjs-wasm`);
    warnNativeOnce();
  }
  if (deep && opt !== 'gd') throw new Error(optimizerNeedsNative(opt));
  if (deep)
    return (await trainTfjsDeep(
      input as TrainInput<ModelWeights> as TrainInput<DeepWeights>,
      model,
      hooks,
    )) as TrainResult<ModelWeights> as TrainResult<W>;
  return (await trainTfjs(input as TrainInput<ModelWeights> as TrainInput, hooks)) as TrainResult<ModelWeights> as TrainResult<W>;
}

/** The one-line refusal of sgd for the model family on the tfjs engines (they train the family with GD only). */
export function optimizerNeedsNative(optimizer: string): string {
  return `training.optimizer ${optimizer} needs the native engine for the model family (model.depth, model.bias, model.activation; the tfjs engines train it with gd only): build it with npm run build:native, or use optimizer gd`;
}

/** An engine that runs arithmetic: what 'auto' resolves to. */
export type ConcreteEngine = Exclude<EngineName, 'auto'>;

export interface ResolvedEngine {
  engine: ConcreteEngine;
  /**
   * What of the engine shapes a trajectory's bytes here, e.g. 'native/avx2', 'native/baseline'
   * (the kernel the CPU gets) or 'tfjs-wasm': the training cache key records it.
   */
  id: string;
}

/**
 * The engine a request trains on in this process: 'auto' is native when the addon loads, else
 * tfjs-wasm when it initializes, else tfjs-cpu. Throws, like {@link trainNetwork}, when a
 * requested engine is not available here. Train with `engine` set to the result's `engine` so
 * the run cannot land elsewhere.
 */
/** The id of the native engine on this machine ('native/avx2', 'native/baseline'), or null without the addon. */
export function nativeEngineId(): string | null {
  const addon = loadNative();
  return addon ? `native/${addon.info().isa}` : null;
}

export async function resolveEngine(requested: EngineName): Promise<ResolvedEngine> {
  if (requested === 'native' || requested === 'auto') {
    const id = nativeEngineId();
    if (id) return { engine: 'native', id };
    if (requested === 'native')
      throw new Error(`training.engine native is not available: ${nativeUnavailableReason()}; use engine auto or tfjs-wasm`);
    warnNativeOnce();
  }
  const lease = await acquireBackend(requested);
  lease.release();
  return { engine: lease.engine, id: lease.engine };
}

let warnedNative = false;

/** One line per process when 'auto' cannot use the native engine. */
function warnNativeOnce(): void {
  if (warnedNative) return;
  warnedNative = true;
  console.warn(`specbias: native engine unavailable (${nativeUnavailableReason()}); engine auto falls back to tfjs-wasm, about 50x slower`);
}

/**
 * The tfjs engines: GD, SGD (heavy ball) or Adam on both layers, float32, gradients written out by
 * hand. 'auto' here means tfjs-wasm, else tfjs-cpu.
 *
 * Conventions: L = 1/(2n) sum_i r_i^2, r = y - y_hat, weight step eta = eta' / (m theta^2).
 * With c = theta sqrt(m), X the n x D inputs, A = relu(X W1^T) (n x m), M = 1(A > 0) and W2 an
 * m x 1 column:
 *   y_hat = c A W2,   W2 += eta (c/n) A^T r,   W1 += eta (c/n) diag(W2) M^T (r ⊙ X).
 * SGD and Adam (`optimizer.ts`, as on the native engine): the same sums over the step's batch of
 * `batchIndices` (its rows gathered in point order, the order the native engine sums in) divided
 * by B, so the loss gradient is -(c/B) times them; heavy ball u <- mu u + (GD step), W <- W + u;
 * Adam with lr = eta' / (m theta) and bias corrections at t = global step + 1. The state (velocity,
 * or Adam's m and v) is kept in float32 tensors and returned in `TrainResult.optimizerState`'s layout.
 * Layout (why A is formed twice): the wasm backend runs a matMul through XNNPACK's fully-connected
 * operator, which packs the right-hand operand and caches the packing per tensor. A large right
 * operand that changes every step is repacked each time (about 90 ms per product at n = 1000,
 * m = 4096), and transpose flags take a slower path. So every product below has a small or
 * constant right operand: A = relu(X (W1^T)) for the prediction and A^T = relu(W1 X^T) for the
 * gradients, each about 6 ms there, against 30-90 ms for any single-layout alternative.
 *
 * Throws {@link TrainingDivergedError} when the training loss (checked every step) is NaN or
 * infinite. Companion: {@link gdStepReference} in `network.ts` is the float64 reference.
 */
async function trainTfjs(input: TrainInput, hooks: TrainHooks): Promise<TrainResult> {
  const { nTrain: n, nTest, dim: d, width: m, theta, learningRate, steps, logEvery } = input;
  const { signal } = hooks;
  signal?.throwIfAborted();
  const start = input.initial ?? initWeights(input.seed, m, d, input.init);
  const c = theta * Math.sqrt(m);
  const opt = input.optimization ?? { optimizer: 'gd' };
  const first = input.firstStep ?? 0;
  const batched = opt.optimizer !== 'gd';
  const batchSize = batched ? (opt.batchSize ?? n) : n;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > n)
    throw new RangeError(`training.batchSize must be an integer in 1..nTrain = ${n}, got ${batchSize}`);
  const mu = opt.optimizer === 'sgd' ? (opt.momentum ?? 0) : 0;
  if (!(mu >= 0 && mu < 1)) throw new RangeError(`training.momentum must be in [0, 1), got ${mu}`);
  const beta1 = opt.beta1 ?? ADAM_DEFAULTS.beta1;
  const beta2 = opt.beta2 ?? ADAM_DEFAULTS.beta2;
  const eps = opt.eps ?? ADAM_DEFAULTS.eps;
  const adamLr = adamStepSize(learningRate, m, theta);
  // eta * c / B with eta = eta' / (m theta^2): the factor on the sums in the update (B = n for GD).
  const k = (weightStepSize(learningRate, m, theta) * c) / batchSize;
  // The optimizer state, in TrainResult.optimizerState's layout: none, the velocity, or Adam's m and v.
  const per = m * d + m;
  const stateSize = opt.optimizer === 'adam' ? 2 * per : mu > 0 ? per : 0;
  const loaded = input.optimizerState && input.optimizerState.length > 0 ? input.optimizerState : null;
  if (loaded && loaded.length !== stateSize)
    throw new RangeError(`optimizerState must have ${stateSize} entries for ${opt.optimizer} at this size, got ${loaded.length}`);

  const lease = await acquireBackend(input.engine === 'native' ? 'auto' : input.engine);
  const { tf } = lease;
  const owned: Tensor[] = [];
  const own = <T extends Tensor>(t: T): T => (owned.push(t), t);
  try {
    const x = own(tf.tensor2d(Float32Array.from(input.xTrain), [n, d]));
    const xT = own(tf.tidy(() => tf.transpose(x)));
    const y = own(tf.tensor2d(Float32Array.from(input.yTrain), [n, 1]));
    const xTest = nTest > 0 ? own(tf.tensor2d(Float32Array.from(input.xTest), [nTest, d])) : null;
    const yTest = nTest > 0 ? own(tf.tensor2d(Float32Array.from(input.yTest), [nTest, 1])) : null;
    let w1: Tensor2D = tf.tensor2d(Float32Array.from(start.w1), [m, d]);
    let w2: Tensor2D = tf.tensor2d(Float32Array.from(start.w2), [m, 1]);
    // state[0], state[1]: velocity (or Adam's first moment) of W1, W2; state[2], state[3]: Adam's second moment.
    const part = (i: number, rows: number, cols: number): Tensor2D => {
      const o = i < 2 ? i * m * d : per + (i - 2) * m * d;
      const len = rows * cols;
      return tf.tensor2d(loaded ? Float32Array.from(loaded.subarray(o, o + len)) : new Float32Array(len), [rows, cols]);
    };
    let state: Tensor2D[] = [];
    if (stateSize > 0) state.push(part(0, m, d), part(1, m, 1));
    if (opt.optimizer === 'adam') state.push(part(2, m, d), part(3, m, 1));
    /**
     * The new weights and state from the sums S = (gW1, gW2) of the step's batch (the loss
     * gradient is -(c/B) S), with Adam's step count t; called inside the step's tidy.
     */
    const update = ([s1, s2]: [Tensor2D, Tensor2D], t: number): { w1: Tensor2D; w2: Tensor2D; state: Tensor2D[] } => {
      const [v1, v2, q1, q2] = state;
      if (opt.optimizer === 'adam' && v1 && v2 && q1 && q2) {
        const bc1 = 1 - beta1 ** t;
        const bc2 = 1 - beta2 ** t;
        const adam = (w: Tensor2D, g: Tensor2D, mom: Tensor2D, sec: Tensor2D) => {
          const m1 = tf.add(tf.mul(mom, beta1), tf.mul(g, 1 - beta1)) as Tensor2D;
          const m2 = tf.add(tf.mul(sec, beta2), tf.mul(tf.square(g), 1 - beta2)) as Tensor2D;
          const stepW = tf.div(tf.mul(tf.div(m1, bc1), adamLr), tf.add(tf.sqrt(tf.div(m2, bc2)), eps));
          return { w: tf.sub(w, stepW) as Tensor2D, m1, m2 };
        };
        const a = adam(w1, tf.mul(s1, -c / batchSize), v1, q1);
        const b = adam(w2, tf.mul(s2, -c / batchSize), v2, q2);
        return { w1: a.w, w2: b.w, state: [a.m1, b.m1, a.m2, b.m2] };
      }
      if (v1 && v2) {
        // Heavy ball: u <- mu u + (the GD step), W <- W + u.
        const u1 = tf.add(tf.mul(v1, mu), tf.mul(s1, k)) as Tensor2D;
        const u2 = tf.add(tf.mul(v2, mu), tf.mul(s2, k)) as Tensor2D;
        return { w1: tf.add(w1, u1) as Tensor2D, w2: tf.add(w2, u2) as Tensor2D, state: [u1, u2] };
      }
      return { w1: tf.add(w1, tf.mul(s1, k)) as Tensor2D, w2: tf.add(w2, tf.mul(s2, k)) as Tensor2D, state: [] };
    };
    /** r = y - c relu(P W1^T) W2 (a column) for points P (rows) and targets y (a column). */
    const residual = (points: Tensor2D, targets: Tensor2D): Tensor2D =>
      tf.sub(targets, tf.mul(tf.matMul(tf.fused.matMul({ a: points, b: tf.transpose(w1), activation: 'relu' }), w2), c));

    try {
      const pace = stepPacer(hooks.onProgress, signal);
      for (let step = 0; ; step++) {
        const final = step === steps;
        // The step's batch, in point order (sgd, adam); GD sums over all points.
        const batch = batched && !final ? sortedBatch(input.seed, n, batchSize, first + step) : null;
        const out = tf.tidy((): { r: Tensor2D; sumSq: Tensor; w1?: Tensor2D; w2?: Tensor2D; state?: Tensor2D[] } => {
          const r = residual(x, y); // n x 1
          const sumSq = tf.sum(tf.square(r));
          if (final) return { r, sumSq };
          let [xs, xsT, rs] = [x, xT, r];
          if (batch) {
            const idx = tf.tensor1d(batch, 'int32');
            xs = tf.gather(x, idx) as Tensor2D;
            xsT = tf.transpose(xs);
            rs = tf.gather(r, idx) as Tensor2D;
          }
          const aT = tf.fused.matMul({ a: w1, b: xsT, activation: 'relu' }); // m x B
          const gW2 = tf.matMul(aT, rs); // m x 1
          const gW1 = tf.mul(tf.matMul(tf.step(aT), tf.mul(rs, xs)), w2); // m x D, row j scaled by W2_j
          return { r, sumSq, ...update([gW1 as Tensor2D, gW2 as Tensor2D], first + step + 1) };
        });
        // Read everything that belongs to step s while w1, w2 still hold the step-s weights.
        let log: TrainLog | null = null;
        let diverged = false;
        try {
          diverged = !Number.isFinite(out.sumSq.dataSync()[0] ?? NaN);
          if (!diverged && (final || isLogStep((input.firstStep ?? 0) + step, logEvery, input.logSchedule))) {
            const residualTrain = Float64Array.from(out.r.dataSync());
            const residualTest = xTest && yTest ? readAndDispose(tf.tidy(() => residual(xTest, yTest))) : new Float64Array(0);
            const lossTrain = halfMeanSquare(residualTrain);
            const lossTest = nTest > 0 ? halfMeanSquare(residualTest) : 0;
            diverged = !Number.isFinite(lossTrain) || !Number.isFinite(lossTest);
            log = { step, residualTrain, residualTest, lossTrain, lossTest };
          }
        } finally {
          out.r.dispose();
          out.sumSq.dispose();
          if (out.w1 && out.w2 && out.state) {
            w1.dispose();
            w2.dispose();
            w1 = out.w1;
            w2 = out.w2;
            for (const t of state) t.dispose();
            state = out.state;
          }
        }
        if (diverged) throw new TrainingDivergedError(step, learningRate);
        if (log) await hooks.onLog(log);
        if (final) break;

        await pace(step + 1);
      }
      hooks.onProgress?.(steps);
      const final: NetworkWeights = {
        width: m,
        dim: d,
        w1: Float64Array.from(w1.dataSync()),
        w2: Float64Array.from(w2.dataSync()),
      };
      const optimizerState = new Float64Array(stateSize);
      if (stateSize > 0) {
        const [v1, v2, q1, q2] = state;
        optimizerState.set(v1!.dataSync(), 0);
        optimizerState.set(v2!.dataSync(), m * d);
        if (q1 && q2) {
          optimizerState.set(q1.dataSync(), per);
          optimizerState.set(q2.dataSync(), per + m * d);
        }
      }
      const backend = batched ? `${lease.backend}, ${opt.optimizer} batch ${batchSize}` : lease.backend;
      return { engine: lease.engine, backend, steps, final, optimizerState };
    } finally {
      w1.dispose();
      w2.dispose();
      for (const t of state) t.dispose();
    }
  } finally {
    for (const t of owned) t.dispose();
    lease.release();
  }
}

/** The batch of global step s, sorted: the sums run in point order, as on the native engine. */
function sortedBatch(seed: number, n: number, batchSize: number, s: number): Int32Array {
  return batchIndices(seed, n, batchSize, s, 1).sort();
}

function checkInput(input: TrainInput<ModelWeights>): void {
  const { nTrain, nTest, dim, width, theta, learningRate, steps, logEvery } = input;
  const int = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
  };
  int('nTrain', nTrain, 1);
  int('nTest', nTest, 0);
  int('dim', dim, 1);
  int('width', width, 1);
  int('steps', steps, 0);
  int('logEvery', logEvery, 1);
  int('firstStep', input.firstStep ?? 0, 0);
  if (!Number.isFinite(theta) || theta === 0) throw new RangeError(`theta must be finite and non-zero, got ${theta}`);
  if (!Number.isFinite(learningRate) || learningRate <= 0) throw new RangeError(`learningRate must be finite and > 0, got ${learningRate}`);
  const len = (name: string, a: Float64Array, want: number) => {
    if (a.length !== want) throw new RangeError(`${name} must have ${want} entries, got ${a.length}`);
  };
  len('xTrain', input.xTrain, nTrain * dim);
  len('yTrain', input.yTrain, nTrain);
  len('xTest', input.xTest, nTest * dim);
  len('yTest', input.yTest, nTest);
  const model = input.model ?? PAPER_MODEL;
  const problem = modelFamilyProblem(model);
  if (problem) throw new RangeError(`model.${problem.field} ${problem.detail}`);
  if (!isPaperModel(model) && (input.init ?? 'gaussian') !== 'gaussian')
    throw new RangeError(`model.init ${input.init} is defined for the paper's network only; the model family starts from N(0, 1) weights`);
  if (input.initial) {
    const w = input.initial;
    if (w.width !== width || w.dim !== dim)
      throw new RangeError(`initial weights are ${w.width} x ${w.dim}, expected width x dim = ${width} x ${dim}`);
    const problem = initialWeightsProblem(w, model);
    if (problem) throw new RangeError(problem);
    if (isDeepWeights(w)) {
      len('initial (flattened)', flattenDeepWeights(w), deepParamCount(model.depth, width, dim));
    } else {
      len('initial.w1', w.w1, width * dim);
      len('initial.w2', w.w2, width);
    }
  }
}
