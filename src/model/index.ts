/**
 * The paper's two-layer ReLU network: float64 reference (init, forward, one GD step) and the
 * training engines (native C++ addon, tfjs backends) that record residual trajectories.
 *
 *   import { initWeights, trainNetwork } from '../model/index.js';
 *   const w = initWeights(0, 4096, 10);
 *   await trainNetwork({ ...data, width: 4096, theta: 1, learningRate: 2, steps: 3000,
 *                        logEvery: 10, seed: 0, engine: 'auto', initial: w }, { onLog });
 *
 * Convention everywhere: loss 1/(2n) sum r^2, weight step eta = eta' / (m theta^2) with
 * eta' = learningRate. The addon and tfjs are loaded lazily, on the first training run.
 */
export { initWeights, forwardReference, gdStepReference, weightStepSize, type NetworkWeights, type WeightInit } from './network.js';
export {
  trainNetwork,
  resolveEngine,
  TrainingDivergedError,
  type ConcreteEngine,
  type ResolvedEngine,
  type EngineName,
  type ModelWeights,
  type TrainInput,
  type TrainLog,
  type TrainResult,
  type TrainHooks,
} from './engine.js';
export { trainNative, nativeThreads, type NativeEngineOptions } from './native-engine.js';
export {
  adamStepSize,
  batchIndices,
  batchesPerEpoch,
  epochPermutation,
  ADAM_DEFAULTS,
  type OptimizerName,
  type OptimizerSettings,
} from './optimizer.js';
export {
  initDeepWeights,
  forwardDeep,
  gradientsDeep,
  gdStepDeep,
  isDeepWeights,
  flattenDeepWeights,
  unflattenDeepWeights,
  type DeepWeights,
} from './reference-deep.js';
