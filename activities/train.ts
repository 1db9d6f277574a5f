/**
 * Activity `trainNetwork`: full-batch GD on the paper's two-layer network, recording the
 * residual on train and test every `logEvery` steps (`trajectory.arrow`, `losses.arrow`).
 * Checkpoints after each of ~10 chunks; the heartbeat names the latest, so a retried attempt (a
 * killed worker) resumes there, or else from the newest verified one on disk.
 */
import { Context } from '@temporalio/activity';
import { resolveEngine } from '../src/model/engine.js';
import { trainKey, STEPS } from '../src/pipeline/cache-keys.js';
import { latestCheckpoint, verifiedCheckpoint, type Checkpoint } from '../src/pipeline/checkpoint.js';
import { readSamples } from '../src/pipeline/samples.js';
import { readEngine } from '../src/pipeline/trajectory.js';
import { trainWithCheckpoints } from '../src/pipeline/training.js';
import type { ArtifactRef, PipelineSpec, StepTiming } from '../src/pipeline/types.js';
import { failFast, stopwatch, type ActivityDeps } from './context.js';

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

/** What a training attempt heartbeats: the step, and the checkpoint a retry resumes from. */
export interface TrainHeartbeat {
  step: number;
  checkpoint?: Checkpoint;
}

/** How often (ms) the current step is signalled to the workflow, for its `progress` query. */
const REPORT_EVERY_MS = 2000;

export async function trainNetwork(deps: ActivityDeps, { spec, samples, workflowId }: TrainNetworkInput): Promise<TrainNetworkOutput> {
  const done = stopwatch(STEPS.train.name);
  const { store } = deps;
  const engine = await resolveEngine(spec.training.engine).catch(failFast);
  const key = trainKey(spec, samples, engine.id);
  const cachedTrajectory = await store.find(STEPS.train.name, key, 'trajectory.arrow');
  const cachedLosses = await store.find(STEPS.train.name, key, 'losses.arrow');
  if (cachedTrajectory && cachedLosses) {
    return { trajectory: cachedTrajectory, losses: cachedLosses, ...(await readEngine(store, cachedLosses)), timing: done(true) };
  }

  const s = await readSamples(store, samples);
  const ctx = Context.current();
  const heartbeat = (ctx.info.heartbeatDetails as TrainHeartbeat | undefined)?.checkpoint;
  let checkpoint = (await verifiedCheckpoint(store, heartbeat)) ?? (await latestCheckpoint(store, key)) ?? undefined;
  if (checkpoint) deps.log?.(`trainNetwork: resuming ${key.slice(0, 12)} from its checkpoint at step ${checkpoint.step}`);
  let lastReport = 0;
  const result = await trainWithCheckpoints(store, key, spec, s, engine, checkpoint ?? null, {
    onCheckpoint: (c) => {
      checkpoint = c;
      ctx.heartbeat({ step: c.step, checkpoint: c } satisfies TrainHeartbeat);
    },
    onStep: (step) => {
      ctx.heartbeat({ step, checkpoint } satisfies TrainHeartbeat);
      const now = Date.now();
      if (workflowId && deps.reportStep && now - lastReport > REPORT_EVERY_MS) {
        lastReport = now;
        deps.reportStep(workflowId, step).catch(() => undefined);
      }
    },
    signal: ctx.cancellationSignal,
  }).catch(failFast);
  return { ...result, timing: done(false) };
}
