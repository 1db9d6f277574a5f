/**
 * The shapes that activities, workflows and clients share. Type-only: nothing here runs, so the
 * workflow sandbox may import it.
 */
import type { PipelineSpec } from '../spec/schema.js';
import type { ArtifactRef } from '../store/artifact-store.js';
import type { RateSummary } from './rates.js';

export type { ArtifactRef, PipelineSpec, RateSummary };

export type Stage =
  | 'pending'
  | 'prepare'
  | 'sweep'
  | 'sample'
  | 'spectrum'
  | 'ntk-check'
  | 'train'
  | 'spectrum+train'
  | 'project'
  | 'analyze'
  | 'completed'
  | 'failed';

/** What the `progress` query ({@link PROGRESS_QUERY}) returns. */
export interface Progress {
  runId: string | null;
  stage: Stage;
  step: number;
  totalSteps: number;
  pointsDone: number;
  pointsTotal: number;
  /** The steps finished so far, each with its time and whether its artifact was cached. */
  timings?: StepTiming[];
}

export interface StepTiming {
  step: string;
  seconds: number;
  /** True when the step found its artifacts (or another attempt's computation) and computed nothing. */
  cached: boolean;
}

export interface PipelineResult {
  runId: string;
  specHash: string;
  status: 'completed';
  rates: RateSummary[];
  manifest: string;
  engine: string;
  backend: string;
}

export interface SweepFailure {
  pointId: string;
  runId: string;
  error: string;
}

export interface SweepResult {
  sweepId: string;
  status: 'completed' | 'completed-with-failures';
  pointsTotal: number;
  pointsDone: number;
  failed: SweepFailure[];
}

export interface SweepProgress extends Progress {
  running: string[];
}
