/**
 * The model family (docs/science.md, "The model family") on the tfjs engines: full-batch GD in
 * float32 with tfjs autograd (`tf.valueAndGrads`), the conventions of `reference-deep.ts` (its
 * float64 reference): raw N(0, 1) weights from `initDeepWeights`, layer scale sqrt(c_sigma/m),
 * loss 1/(2n) sum (y - theta f)^2, step eta'/theta^2 on A_L, b_L and eta'/(2 theta^2) on every
 * earlier layer. A resumed run repeats the uninterrupted one bit for bit on the same backend (the
 * state is the weights, float32 widened to float64 exactly).
 *
 *   const result = await trainTfjsDeep({ ...input, model: { depth: 3, bias: 0.5, activation: 'erf' } }, hooks);
 */
import type { Scalar, Tensor, Tensor2D } from '@tensorflow/tfjs';
import { C_SIGMA, type ModelFamily } from '../math/ntk-family.js';
import { acquireBackend, halfMeanSquare, readAndDispose, stepPacer, type Tf } from './backend.js';
import { TrainingDivergedError } from './errors.js';
import { isLogStep } from './log-schedule.js';
import { deepLayerStep, initDeepWeights, isDeepWeights, type DeepWeights } from './reference-deep.js';
import type { TrainHooks, TrainInput, TrainLog, TrainResult } from './engine.js';

/** f(x) (P x 1, before theta) of the family's network with parameters [A_1, b_1, ..., A_L, b_L]. */
export function forwardTf(tf: Tf, model: ModelFamily, width: number, x: Tensor2D, params: Tensor[]): Tensor2D {
  const scale = Math.sqrt(C_SIGMA[model.activation] / width);
  const act = (g: Tensor2D): Tensor2D => {
    switch (model.activation) {
      case 'relu':
        return tf.relu(g);
      case 'erf':
        return tf.erf(g);
      case 'tanh':
        return tf.tanh(g);
      case 'gelu':
        return tf.mul(tf.mul(g, 0.5), tf.add(tf.erf(tf.mul(g, Math.SQRT1_2)), 1));
    }
  };
  let s = x;
  for (let h = 0; h < model.depth; h++) {
    const a = params[2 * h] as Tensor2D;
    const b = params[2 * h + 1]!;
    const product = tf.matMul(s, a, false, true);
    const g = tf.add(h === 0 ? product : tf.mul(product, scale), tf.mul(b, model.bias)) as Tensor2D;
    s = h === model.depth - 1 ? g : act(g);
  }
  return s;
}

/** Full-batch GD of the family on a tfjs backend; the contract of {@link trainNetwork}. */
export async function trainTfjsDeep(
  input: TrainInput<DeepWeights>,
  model: ModelFamily,
  hooks: TrainHooks,
): Promise<TrainResult<DeepWeights>> {
  const { nTrain: n, nTest, dim: d, width: m, theta, learningRate, steps, logEvery } = input;
  const { signal } = hooks;
  signal?.throwIfAborted();
  if (input.initial && !isDeepWeights(input.initial))
    throw new RangeError("initial weights are the paper network's, but model is another member of the family");
  const start = input.initial ?? initDeepWeights(input.seed, model, m, d);
  const L = model.depth;
  const lease = await acquireBackend(input.engine === 'native' ? 'auto' : input.engine);
  const { tf } = lease;
  const owned: Tensor[] = [];
  const own = <T extends Tensor>(t: T): T => (owned.push(t), t);
  let params: Tensor[] = [];
  try {
    const x = own(tf.tensor2d(Float32Array.from(input.xTrain), [n, d]));
    const y = own(tf.tensor2d(Float32Array.from(input.yTrain), [n, 1]));
    const xTest = nTest > 0 ? own(tf.tensor2d(Float32Array.from(input.xTest), [nTest, d])) : null;
    const yTest = nTest > 0 ? own(tf.tensor2d(Float32Array.from(input.yTest), [nTest, 1])) : null;
    for (let h = 0; h < L; h++) {
      const rows = h === L - 1 ? 1 : m;
      params.push(tf.tensor2d(Float32Array.from(start.a[h]!), [rows, h === 0 ? d : m]));
      params.push(tf.tensor1d(Float32Array.from(start.b[h]!)));
    }
    const residual = (points: Tensor2D, targets: Tensor2D, p: Tensor[]): Tensor2D =>
      tf.sub(targets, tf.mul(forwardTf(tf, model, m, points, p), theta));
    const loss = (...p: Tensor[]): Scalar => tf.div(tf.sum(tf.square(residual(x, y, p))), 2 * n) as Scalar;
    const valueAndGrads = tf.valueAndGrads(loss);
    const stepSizes = params.map((_, i) => deepLayerStep(learningRate, theta, Math.floor(i / 2), L));

    const pace = stepPacer(hooks.onProgress, signal);
    for (let step = 0; ; step++) {
      const final = step === steps;
      let log: TrainLog | null = null;
      if (final || isLogStep((input.firstStep ?? 0) + step, logEvery, input.logSchedule)) {
        const residualTrain = readAndDispose(tf.tidy(() => residual(x, y, params)));
        const residualTest = xTest && yTest ? readAndDispose(tf.tidy(() => residual(xTest, yTest, params))) : new Float64Array(0);
        const lossTrain = halfMeanSquare(residualTrain);
        const lossTest = nTest > 0 ? halfMeanSquare(residualTest) : 0;
        if (!Number.isFinite(lossTrain) || !Number.isFinite(lossTest)) throw new TrainingDivergedError(step, learningRate);
        log = { step, residualTrain, residualTest, lossTrain, lossTest };
      }
      if (log) await hooks.onLog(log);
      if (final) break;
      const next = tf.tidy(() => {
        const { value, grads } = valueAndGrads(params);
        return { value, params: params.map((p, i) => tf.sub(p, tf.mul(grads[i]!, stepSizes[i]!))) };
      });
      const lossValue = readAndDispose(next.value)[0]!;
      for (const p of params) p.dispose();
      params = next.params;
      if (!Number.isFinite(lossValue)) throw new TrainingDivergedError(step, learningRate);

      await pace(step + 1);
    }
    hooks.onProgress?.(steps);
    const a: Float64Array[] = [];
    const b: Float64Array[] = [];
    for (let h = 0; h < L; h++) {
      a.push(Float64Array.from(params[2 * h]!.dataSync()));
      b.push(Float64Array.from(params[2 * h + 1]!.dataSync()));
    }
    const final: DeepWeights = { model, width: m, dim: d, a, b };
    return { engine: lease.engine, backend: lease.backend, steps, final, optimizerState: new Float64Array(0) };
  } finally {
    for (const p of params) p.dispose();
    for (const t of owned) t.dispose();
    lease.release();
  }
}
