/**
 * `spectralBiasSweep(spec)`: every point of `spec.sweep.grid` as a child `spectralBiasPipeline`
 * whose workflow id is its run id, at most `sweep.concurrency` at a time (a sliding window).
 *
 * The history stays small: after CONTINUE_AFTER finished points the window drains and the
 * sweep continues as new, carrying only counters. A relaunched or resumed sweep starts children
 * with the same ids; their steps find their artifacts by content hash, so nothing is recomputed.
 */
import { continueAsNew, defineQuery, executeChild, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { PIPELINE_WORKFLOW, PROGRESS_QUERY } from '../src/pipeline/names.js';
import type { PipelineResult, PipelineSpec, SweepFailure, SweepProgress, SweepResult } from '../src/pipeline/types.js';
import { pointSpec } from '../src/spec/grid.js';
import { runMemo } from './memo.js';

export type { SweepProgress, SweepResult };

/** What a sweep carries across continue-as-new: counters only. */
export interface SweepState {
  next: number;
  done: number;
  failed: SweepFailure[];
}

// ---- Activities and queries -----------------------------------------------------------------

type Activities = ReturnType<typeof createActivities>;
const { prepareSweep } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});

export const sweepProgressQuery = defineQuery<SweepProgress>(PROGRESS_QUERY);

/** Finished points per run before continuing as new. */
export const CONTINUE_AFTER = 200;

// ---- Workflow -----------------------------------------------------------------------------

export async function spectralBiasSweep(input: PipelineSpec, state: SweepState = { next: 0, done: 0, failed: [] }): Promise<SweepResult> {
  const progress: SweepProgress = {
    runId: null,
    stage: 'prepare',
    step: 0,
    totalSteps: 0,
    pointsDone: state.done,
    pointsTotal: 0,
    running: [],
  };
  setHandler(sweepProgressQuery, () => progress);

  const { spec, sweepId, concurrency, points } = await prepareSweep({ spec: input });
  progress.runId = sweepId;
  progress.pointsTotal = points.length;
  progress.stage = 'sweep';
  const parentId = workflowInfo().workflowId;

  const running = new Map<string, Promise<void>>();
  let finishedHere = 0;
  const launch = (index: number) => {
    const point = points[index]!;
    // The child's workflow id is its run id, so the Web UI and the results database name runs alike.
    const childId = point.runId;
    const childSpec = pointSpec(spec as unknown as Record<string, unknown>, point.params);
    const child = executeChild(PIPELINE_WORKFLOW, {
      workflowId: childId,
      args: [childSpec],
      memo: runMemo(childSpec, parentId, point.params),
    }) as Promise<PipelineResult>;
    const settled = child
      .then(
        () => {
          state.done++;
        },
        (err: unknown) => {
          state.done++;
          state.failed.push({ pointId: point.pointId, runId: point.runId, error: causeMessage(err) });
        },
      )
      .finally(() => {
        running.delete(childId);
        finishedHere++;
        progress.pointsDone = state.done;
        progress.running = [...running.keys()];
      });
    running.set(childId, settled);
    progress.running = [...running.keys()];
  };

  while (state.next < points.length || running.size > 0) {
    const draining = finishedHere >= CONTINUE_AFTER;
    while (!draining && running.size < concurrency && state.next < points.length) launch(state.next++);
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  if (state.next < points.length) {
    // Drained after CONTINUE_AFTER points: a fresh history, the same counters.
    await continueAsNew<typeof spectralBiasSweep>(input, state);
  }

  progress.stage = 'completed';
  return {
    sweepId,
    status: state.failed.length ? 'completed-with-failures' : 'completed',
    pointsTotal: points.length,
    pointsDone: state.done,
    failed: state.failed,
  };
}

function causeMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}
