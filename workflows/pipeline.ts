/**
 * `spectralBiasPipeline(spec)`: one run, sample -> spectrum -> NTK check -> train -> project
 * -> analyze.
 *
 * Deterministic workflow code: activities are imported as types only, and every call passes
 * artifact references, never arrays.
 */
import { defineQuery, defineSignal, isCancellation, patched, setHandler, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { PATCHES, PROGRESS_QUERY, TRAINING_STEP_SIGNAL } from '../src/pipeline/names.js';
import type { ArtifactRef, PipelineResult, PipelineSpec, Progress, StepTiming } from '../src/pipeline/types.js';

// ---- Activities ---------------------------------------------------------------------------

type Activities = ReturnType<typeof createActivities>;

const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 };

const quick = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry,
});

// Long math heartbeats; a lost worker is noticed within the heartbeat timeout, not hours later.
const long = proxyActivities<Activities>({
  startToCloseTimeout: '12 hours',
  heartbeatTimeout: '20 seconds',
  retry,
});

// ---- Queries and signals ------------------------------------------------------------------

export const progressQuery = defineQuery<Progress>(PROGRESS_QUERY);
/** Sent by the training activity so `progress` can report the current GD step. */
export const trainingStepSignal = defineSignal<[number]>(TRAINING_STEP_SIGNAL);

// ---- Workflow -----------------------------------------------------------------------------

export async function spectralBiasPipeline(input: PipelineSpec): Promise<PipelineResult> {
  const progress: Progress = { runId: null, stage: 'prepare', step: 0, totalSteps: 0, pointsDone: 0, pointsTotal: 1, timings: [] };
  setHandler(progressQuery, () => progress);
  setHandler(trainingStepSignal, (step) => {
    progress.step = Math.max(progress.step, step);
  });

  // Validation, defaults and the run id happen in an activity: bad input fails non-retryably there.
  try {
    return await run(input, progress);
  } catch (err) {
    progress.stage = 'failed';
    if (progress.runId !== null && !isCancellation(err)) await recordFailure(input, err);
    throw err;
  }
}

/** The failure's innermost message goes to the `runs` table; failing to record it must not hide the failure. */
async function recordFailure(input: PipelineSpec, err: unknown): Promise<void> {
  let cause = err as { message?: string; cause?: unknown } | undefined;
  while (cause?.cause) cause = cause.cause as typeof cause;
  const error = String(cause?.message ?? err);
  const info = workflowInfo();
  await quick
    .recordRunFailure({ spec: input, startedAt: info.startTime.toISOString(), sweepId: info.parent?.workflowId ?? null, error })
    .catch(() => undefined);
}

async function run(input: PipelineSpec, progress: Progress): Promise<PipelineResult> {
  const { spec, specHash, runId } = await quick.prepareRun({ spec: input });
  progress.runId = runId;
  progress.totalSteps = spec.training.steps;
  const workflowId = workflowInfo().workflowId;

  progress.stage = 'sample';
  const sample = await quick.sampleData({ spec });
  const finished = <R extends { timing: StepTiming }>(r: R): R => (progress.timings!.push(r.timing), r);
  finished(sample);

  const [spectrum, ntk, trained] = await analysisAndTraining(spec, sample.samples, workflowId, progress, finished);
  progress.step = spec.training.steps;

  progress.stage = 'project';
  const projected = await long.projectResiduals({
    spec,
    samples: sample.samples,
    trajectory: trained.trajectory,
    initTwin: trained.initTwin ?? null,
    gram: spectrum.gram,
    vectors: spectrum.vectors,
  });
  finished(projected);

  progress.stage = 'analyze';
  const analyzed = await long.analyzeRun({
    runId,
    specHash,
    spec,
    startedAt: workflowInfo().startTime.toISOString(),
    // A point of a sweep: the sweep's workflow id is the sweep id.
    sweepId: workflowInfo().parent?.workflowId ?? null,
    artifacts: {
      samples: sample.samples,
      spectrum: spectrum.spectrum,
      gram: spectrum.gram,
      vectors: spectrum.vectors,
      ntkCheck: ntk.ntkCheck,
      ntkDirections: ntk.directions,
      trajectory: trained.trajectory,
      initTwin: trained.initTwin ?? null,
      losses: trained.losses,
      projections: projected.projections,
    },
    engine: trained.engine,
    backend: trained.backend,
    timings: [sample.timing, spectrum.timing, ntk.timing, trained.timing, projected.timing],
  });

  progress.stage = 'completed';
  progress.pointsDone = 1;
  return {
    runId,
    specHash,
    status: 'completed',
    rates: analyzed.rates,
    manifest: analyzed.manifest,
    engine: trained.engine,
    backend: trained.backend,
  };
}

/**
 * The spectrum, the NTK check, then training, one at a time. They once ran side by side, but each
 * wants every core and OpenBLAS's threads spin while they wait, so together all three slowed down
 * (paper size: spectrum 1.3 s instead of 0.2 s, training 1.5x its bare steps instead of 1.15x)
 * and the run took longer. Histories from before the change replay the old order.
 */
async function analysisAndTraining(
  spec: PipelineSpec,
  samples: ArtifactRef,
  workflowId: string,
  progress: Progress,
  finished: <R extends { timing: StepTiming }>(r: R) => R,
) {
  if (!patched(PATCHES.trainAfterSpectrum)) {
    progress.stage = 'spectrum+train';
    return await allSettled([
      long.computeSpectrum({ spec, samples }).then(finished),
      long.checkNtk({ spec, samples }).then(finished),
      long.trainNetwork({ spec, samples, workflowId }).then(finished),
    ] as const);
  }
  progress.stage = 'spectrum';
  const spectrum = finished(await long.computeSpectrum({ spec, samples }));
  progress.stage = 'ntk-check';
  const ntk = finished(await long.checkNtk({ spec, samples }));
  progress.stage = 'train';
  const trained = finished(await long.trainNetwork({ spec, samples, workflowId }));
  return [spectrum, ntk, trained] as const;
}

/** Like Promise.all, but a failure is raised only after every step has ended, so no activity outlives its run. */
async function allSettled<T extends readonly unknown[]>(promises: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
