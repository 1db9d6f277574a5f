/**
 * Sweep points: the one place that turns a validated sweep spec into its points, each with
 * its id, grid values and the run id its pipeline will get. The activity that prepares a
 * sweep, the CLI's summary and the tests all call {@link sweepPoints}; workflow code, which
 * may not hash, rebuilds a point's raw spec with `pointSpec` from `grid.ts`.
 *
 *   const points = sweepPoints(parseSpec(raw));   // [{ index, pointId, params, runId }, ...]
 */
import { contentKey } from '../store/canonical-json.js';
import { runIdFor } from './hash.js';
import { parseSpec, type PipelineSpec } from './schema.js';
import { gridPointSpecs, type GridPoint } from './grid.js';

export { expandGrid, gridSize, pointSpec, setPath, MAX_SWEEP_POINTS, type GridPoint } from './grid.js';

export interface SweepPoint {
  index: number;
  /** sha256 of the point's grid values, shortened; the child workflow id is the run id. */
  pointId: string;
  params: GridPoint;
  /** The run id the point's pipeline will get (from its own spec hash). */
  runId: string;
}

/** The points of a sweep spec in grid order (keys sorted, the last varying fastest). */
export function sweepPoints(spec: PipelineSpec): SweepPoint[] {
  const points: SweepPoint[] = [];
  for (const { index, params, spec: raw } of gridPointSpecs(spec as unknown as Record<string, unknown>)) {
    points.push({ index, pointId: contentKey(params).slice(0, 16), params, runId: runIdFor(parseSpec(raw)) });
  }
  return points;
}
