/**
 * Activity `trainNetwork`: full-batch GD on the paper's two-layer network, recording the
 * residual r_t = y - y_hat_t on train and test every `logEvery` steps.
 *
 * Writes `trajectory.arrow` (step, split, idx, residual; step-major, train before test) and
 * `losses.arrow` (split, step, loss). Heartbeats carry {step}; the workflow hears the step too.
 */
import { Context } from '@temporalio/activity';
import { trainNetwork as runTraining, type TrainLog } from '../src/model/engine.js';
import { contentKey } from '../src/store/canonical-json.js';
import { readMetadata, tableFromColumns } from '../src/store/arrow-columns.js';
import type { PipelineSpec } from '../src/spec/schema.js';
import type { ArtifactRef, StepTiming } from '../workflows/types.js';
import { failFast, stopwatch, type ActivityDeps } from './context.js';
import { readSamples } from './sample.js';

export const TRAIN_STEP = { name: 'train', version: 1 } as const;

export interface TrainNetworkInput {
  spec: PipelineSpec;
  samples: ArtifactRef;
  /** Where to report the current step (the calling workflow); optional. */
  workflowId?: string;
}
export interface TrainNetworkOutput {
  trajectory: ArtifactRef;
  losses: ArtifactRef;
  engine: string;
  backend: string;
  timing: StepTiming;
}

export async function trainNetwork(deps: ActivityDeps, { spec, samples, workflowId }: TrainNetworkInput): Promise<TrainNetworkOutput> {
  const done = stopwatch(TRAIN_STEP.name);
  const key = contentKey({ step: TRAIN_STEP, params: { seed: spec.seed, model: spec.model, training: spec.training }, inputs: [samples.sha256] });
  const cachedTrajectory = await deps.store.find(TRAIN_STEP.name, key, 'trajectory.arrow');
  const cachedLosses = await deps.store.find(TRAIN_STEP.name, key, 'losses.arrow');
  if (cachedTrajectory && cachedLosses) {
    // The engine that trained it is recorded in the small losses table's metadata.
    const losses = await deps.store.readTable(cachedLosses);
    const engine = readMetadata(losses, 'engine');
    const backend = readMetadata(losses, 'backend');
    return { trajectory: cachedTrajectory, losses: cachedLosses, engine, backend, timing: done(true) };
  }

  const s = await readSamples(deps, samples);
  const logs: TrainLog[] = [];
  const ctx = Context.current();
  let lastReport = 0;
  const result = await runTraining(
    {
      xTrain: s.xTrain,
      yTrain: s.yTrain,
      nTrain: s.n,
      xTest: s.xTest,
      yTest: s.yTest,
      nTest: s.nTest,
      dim: s.dim,
      width: spec.model.width,
      theta: spec.model.theta,
      learningRate: spec.training.learningRate,
      steps: spec.training.steps,
      logEvery: spec.training.logEvery,
      seed: spec.seed,
      engine: spec.training.engine,
    },
    {
      onLog: (log) => void logs.push(log),
      onProgress: (step) => {
        ctx.heartbeat({ step });
        const now = Date.now();
        if (workflowId && deps.reportStep && now - lastReport > 2000) {
          lastReport = now;
          deps.reportStep(workflowId, step).catch(() => undefined);
        }
      },
      signal: ctx.cancellationSignal,
    },
  ).catch(failFast);

  const { trajectory, losses } = trajectoryTables(logs, s.n, s.nTest, { engine: result.engine, backend: result.backend });
  const trajectoryRef = await deps.store.writeTable(TRAIN_STEP.name, key, 'trajectory.arrow', trajectory);
  const lossesRef = await deps.store.writeTable(TRAIN_STEP.name, key, 'losses.arrow', losses);
  return { trajectory: trajectoryRef, losses: lossesRef, engine: result.engine, backend: result.backend, timing: done(false) };
}

function trajectoryTables(logs: TrainLog[], n: number, nTest: number, engine: { engine: string; backend: string }) {
  const per = n + nTest;
  const rows = logs.length * per;
  const step = new Int32Array(rows);
  const idx = new Int32Array(rows);
  const residual = new Float64Array(rows);
  const split: string[] = new Array(rows);
  let o = 0;
  for (const log of logs) {
    for (let i = 0; i < n; i++, o++) {
      step[o] = log.step;
      split[o] = 'train';
      idx[o] = i;
      residual[o] = log.residualTrain[i]!;
    }
    for (let i = 0; i < nTest; i++, o++) {
      step[o] = log.step;
      split[o] = 'test';
      idx[o] = i;
      residual[o] = log.residualTest[i]!;
    }
  }
  const lossSplit: string[] = [];
  const lossStep: number[] = [];
  const lossValue: number[] = [];
  for (const log of logs) {
    lossSplit.push('train');
    lossStep.push(log.step);
    lossValue.push(log.lossTrain);
    if (nTest > 0) {
      lossSplit.push('test');
      lossStep.push(log.step);
      lossValue.push(log.lossTest);
    }
  }
  return {
    trajectory: tableFromColumns({ step, split, idx, residual }),
    losses: tableFromColumns({ split: lossSplit, step: Int32Array.from(lossStep), loss: Float64Array.from(lossValue) }, engine),
  };
}
