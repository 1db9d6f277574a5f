/**
 * Training in checkpointed chunks: GD, SGD or Adam (`training.optimizer`) in about ten chunks;
 * after each, the weights, the optimizer state and the chunk's logs are written as a checkpoint (`checkpoint.ts`, while the next chunk
 * trains), so a retried attempt resumes there and, on the same engine, repeats the
 * uninterrupted run bit for bit. The spec's model (`model.depth`, `model.bias`, `model.activation`;
 * absent: the paper's network) goes to the engine; the family's weights are `DeepWeights`.
 */
import type * as arrow from 'apache-arrow';
import { isPaperModel, modelFamilyOf, type ModelFamily } from '../math/ntk-family.js';
import { initWeights } from '../model/network.js';
import { trainNetwork, type ModelWeights, type ResolvedEngine, type TrainLog } from '../model/engine.js';
import { initDeepWeights } from '../model/reference-deep.js';
import type { OptimizerSettings } from '../model/optimizer.js';
import type { PipelineSpec } from '../spec/schema.js';
import type { ArtifactStore } from '../store/artifact-store.js';
import { STEPS } from './cache-keys.js';
import { chunkSteps, readOptimizerState, readWeights, removeCheckpoints, writeCheckpoint, type Checkpoint } from './checkpoint.js';
import type { Samples } from './samples.js';
import { concatParts, readEngine, trajectoryTables, type EngineInfo } from './trajectory.js';

export interface TrainingHooks {
  /** After every chunk, with the checkpoint a retry should resume from. */
  onCheckpoint(checkpoint: Checkpoint): void;
  /** The current step, while a chunk runs. */
  onStep(step: number): void;
  signal?: AbortSignal;
}

/**
 * Trains the spec's network on the samples from `resume` (or from the initial weights), writes
 * `trajectory.arrow` and `losses.arrow` under the training key, and removes the checkpoints.
 * Returns their references, the engine that ran, and the trajectory as a table (the finite-width
 * twin starts from its r_0 without reading the file back).
 */
export async function trainWithCheckpoints(
  store: ArtifactStore,
  key: string,
  spec: PipelineSpec,
  s: Samples,
  engine: ResolvedEngine,
  resume: Checkpoint | null,
  hooks: TrainingHooks,
) {
  const { width, theta, init } = spec.model;
  const { steps, logEvery, learningRate } = spec.training;
  const chunk = chunkSteps(steps, logEvery);
  const optimization = optimizationOf(spec);
  if ((optimization.batchSize ?? s.n) > s.n)
    throw new Error(`training.batchSize must be <= data.n = ${s.n} (the training points), got ${optimization.batchSize}`);
  const model = modelOf(spec);
  let weights: ModelWeights = resume
    ? await readWeights(store, resume.weights, width, s.dim, model)
    : isPaperModel(model)
      ? initWeights(spec.seed, width, s.dim, init)
      : initDeepWeights(spec.seed, model, width, s.dim);
  let optimizerState = resume?.optimizer ? await readOptimizerState(store, resume.optimizer) : undefined;
  let step = resume?.step ?? 0;
  let parts = resume ? [...resume.parts] : [];
  let ran: EngineInfo = { engine: '', backend: '' };
  // A chunk's checkpoint is written while the next chunk trains (off the JS thread); each write
  // waits for the one before, whose parts it extends. The tables this attempt wrote stay here for
  // the final concatenation, so only a resumed attempt reads parts back.
  let writing: Promise<void> = Promise.resolve();
  const failed: { error?: unknown } = {};
  const written = new Map<string, arrow.Table>();
  let chunks = parts.length;

  try {
    while (step < steps || chunks === 0) {
      if ('error' in failed) throw failed.error;
      const todo = Math.min(chunk, steps - step);
      const logs: TrainLog[] = [];
      const offset = step;
      const data = { xTrain: s.xTrain, yTrain: s.yTrain, nTrain: s.n, xTest: s.xTest, yTest: s.yTest, nTest: s.nTest, dim: s.dim };
      const result = await trainNetwork<ModelWeights>(
        {
          ...data,
          model,
          width,
          theta,
          learningRate,
          steps: todo,
          logEvery,
          logSchedule: spec.training.logSchedule ?? 'geometric',
          firstStep: offset,
          seed: spec.seed,
          init,
          engine: engine.engine,
          initial: weights,
          optimization,
          ...(optimizerState ? { optimizerState } : {}),
        },
        {
          // A resumed chunk's step-0 log repeats the previous chunk's last one.
          onLog: (log) => void (offset === 0 || log.step > 0 ? logs.push({ ...log, step: log.step + offset }) : undefined),
          onProgress: (local) => hooks.onStep(offset + local),
          signal: hooks.signal,
        },
      );
      ran = { engine: result.engine, backend: result.backend };
      weights = result.final;
      optimizerState = result.optimizerState;
      step += todo;
      chunks++;
      const at = step;
      const final = weights;
      const state = optimizerState;
      const info = ran;
      writing = writing.then(async () => {
        if ('error' in failed) return;
        try {
          const tables = trajectoryTables(logs, s.n, s.nTest, info);
          const checkpoint = await writeCheckpoint(store, key, at, final, tables, parts, state);
          const part = checkpoint.parts.at(-1)!;
          written.set(part.trajectory.path, tables.trajectory);
          written.set(part.losses.path, tables.losses);
          parts = checkpoint.parts;
          hooks.onCheckpoint(checkpoint);
        } catch (error) {
          failed.error = error;
        }
      });
    }
  } finally {
    // No checkpoint write outlives the attempt, whether it succeeded or not.
    await writing;
  }
  if ('error' in failed) throw failed.error;

  // Resumed from the last checkpoint: nothing ran here, the parts name what trained them.
  if (!ran.engine) ran = await readEngine(store, parts.at(-1)!.losses);
  // The final artifacts are the parts concatenated; then the parts and checkpoints can go.
  const { name } = STEPS.train;
  const trajectoryTable = await concatParts(
    store,
    parts.map((p) => p.trajectory),
    written,
  );
  const trajectory = await store.writeTable(name, key, 'trajectory.arrow', trajectoryTable);
  const losses = await store.writeTable(
    name,
    key,
    'losses.arrow',
    await concatParts(
      store,
      parts.map((p) => p.losses),
      written,
    ),
  );
  await removeCheckpoints(store, key);
  return { trajectory, losses, ...ran, trajectoryTable };
}

/** The spec's optimizer settings (`training.optimizer`, absent: gd). */
export function optimizationOf(spec: PipelineSpec): OptimizerSettings {
  const { optimizer, batchSize, momentum, beta1, beta2, eps } = spec.training;
  return { optimizer: optimizer ?? 'gd', batchSize, momentum, beta1, beta2, eps };
}

/** The spec's member of the model family, defaults resolved: absent fields are the paper's 2, 0, relu. */
export function modelOf(spec: PipelineSpec): ModelFamily {
  return modelFamilyOf(spec.model);
}
