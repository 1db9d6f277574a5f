/**
 * What every activity shares: the dependencies it was built with, heartbeats around long
 * awaits, step timing, and the mapping of input errors to non-retryable failures.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ArtifactStore } from '../src/store/artifact-store.js';
import { SpecError } from '../src/spec/schema.js';
import { TrainingDivergedError } from '../src/model/engine.js';
import type { StepTiming } from '../src/pipeline/types.js';

export interface ActivityDeps {
  /** The data root: artifacts/, runs/, results.duckdb live under it. */
  dataRoot: string;
  store: ArtifactStore;
  /** Tells a workflow the current training step; best effort, failures are ignored. */
  reportStep?: (workflowId: string, step: number) => Promise<void>;
  log?: (line: string) => void;
}

/** Heartbeat every `everyMs` while `work` runs, so long math never looks like a dead worker. */
export async function withHeartbeat<T>(work: Promise<T>, details: unknown = undefined, everyMs = 5000): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat(details);
  const timer = setInterval(() => ctx.heartbeat(details), everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/** One turn of the event loop, between long synchronous pieces of math, so heartbeats go out. */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export function stopwatch(step: string): (cached: boolean) => StepTiming {
  const t0 = performance.now();
  return (cached) => ({ step, seconds: (performance.now() - t0) / 1000, cached });
}

/** Input no retry can fix becomes a non-retryable failure, with our one-line message. */
export function failFast(err: unknown): never {
  if (err instanceof SpecError) throw ApplicationFailure.nonRetryable(err.message, 'SpecError');
  if (err instanceof TrainingDivergedError) throw ApplicationFailure.nonRetryable(err.message, 'TrainingDivergedError');
  throw err;
}
