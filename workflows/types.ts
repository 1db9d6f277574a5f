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
  /** The infinite-width twin's rate. */
  kernelRate: number | null;
  /** The finite-width twin's rate (the network's empirical NTK at init). */
  initKernelRate?: number | null;
  ratio: number | null;
  r2: number | null;
  /** The slope's standard error, the fit window [start, end] and its number of points. */
  stderr?: number | null;
  window?: [number, number] | null;
  nPoints?: number | null;
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
