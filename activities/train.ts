/**
 * Activity `trainNetwork`: full-batch GD on the paper's two-layer network, recording the
 * residual on train and test every `logEvery` steps (`trajectory.arrow`, `losses.arrow`).
 * Checkpoints after each of ~10 chunks; the heartbeat names the latest, so a retried attempt (a
 * killed worker) resumes there, or else from the newest verified one on disk.
 *
 * Beside the network's trajectory it writes its finite-width twin's, `init-twin.arrow` (GD on the
 * network's own NTK at its initial weights, from the same r_0; src/pipeline/twins.ts), when the
 * run has that twin (`analysis.twins`). Each has its own key: a trajectory found in the store
 * gets the twin it lacks without training again.
 */
import { Context } from '@temporalio/activity';
import { resolveEngine } from '../src/model/engine.js';
import { trainKey, STEPS } from '../src/pipeline/cache-keys.js';
import { latestCheckpoint, verifiedCheckpoint, type Checkpoint } from '../src/pipeline/checkpoint.js';
import { readSamples } from '../src/pipeline/samples.js';
import { readEngine } from '../src/pipeline/trajectory.js';
import { trainWithCheckpoints } from '../src/pipeline/training.js';
import { finiteWidthTwinArtifact, type KnownInputs } from '../src/pipeline/twins.js';
import type { ArtifactRef, PipelineSpec, StepTiming } from '../src/pipeline/types.js';
import type { ArtifactStore } from '../src/store/artifact-store.js';
import { failFast, stopwatch, withHeartbeat, type ActivityDeps } from './context.js';

export interface TrainNetworkInput {
  spec: PipelineSpec;
  samples: ArtifactRef;
  /** Where to report the current step (the calling workflow); optional. */
  workflowId?: string;
}
export interface TrainNetworkOutput {
  trajectory: ArtifactRef;
  losses: ArtifactRef;
  /** The finite-width twin's trajectory, `init-twin.arrow`; null when the run has no such twin. */
  initTwin: ArtifactRef | null;
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
    const twin = await initTwinArtifact(store, spec, samples, cachedTrajectory, {});
    return {
      trajectory: cachedTrajectory,
      losses: cachedLosses,
      initTwin: twin.ref,
      ...(await readEngine(store, cachedLosses)),
      timing: done(!twin.computed),
    };
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
  const { trajectoryTable, ...trained } = result;
  const twin = await initTwinArtifact(store, spec, samples, trained.trajectory, { s, table: trajectoryTable });
  return { ...trained, initTwin: twin.ref, timing: done(false) };
}

/** The run's init-twin.arrow (src/pipeline/twins.ts). The trajectory is written, so a retry finds it by key: the heartbeat names no checkpoint. */
function initTwinArtifact(store: ArtifactStore, spec: PipelineSpec, samples: ArtifactRef, trajectory: ArtifactRef, known: KnownInputs) {
  const work = finiteWidthTwinArtifact(store, spec, { samples, trajectory }, known);
  return withHeartbeat(work, { step: spec.training.steps } satisfies TrainHeartbeat).catch(failFast);
}
