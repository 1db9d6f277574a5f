/**
 * Types shared by workflows, activities and clients. Type-only: nothing here runs in the
 * workflow sandbox except plain data shapes.
 */
import type { PipelineSpec } from '../src/spec/schema.js';

/** A content-addressed artifact: a path relative to the data root, its sha256 and row count. */
export interface ArtifactRef {
  path: string;
  sha256: string;
  rows: number;
}

export type Stage = 'pending' | 'prepare' | 'sweep' | 'sample' | 'spectrum+train' | 'project' | 'analyze' | 'completed' | 'failed';

/** What the `progress` query returns (DESIGN §3). */
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
  cached: boolean;
}

export interface RateSummary {
  degree: number;
  fittedRate: number | null;
  theoryRate: number | null;
  kernelRate: number | null;
  ratio: number | null;
  r2: number | null;
  note: string | null;
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

export type { PipelineSpec };
