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

/**
 * A spec with `replicates: N` (N > 1) as the sweep that runs it: its grid (if any) gains
 * `seed: [seed, seed + 1, ..., seed + N - 1]`, so every point runs N independent seeds (the
 * sample, the target directions and the initial weights all come from the seed). Null when
 * there is nothing to replicate. A grid that already varies the seed cannot also be replicated.
 * The result has no `replicates` field: its seed grid is the replication.
 */
export function replicatesAsSweep(spec: Record<string, unknown>): Record<string, unknown> | null {
  const n = typeof spec.replicates === 'number' ? spec.replicates : 1;
  if (n <= 1) return null;
  const sweep = (spec.sweep ?? {}) as { grid?: Record<string, unknown[]>; concurrency?: number };
  if (sweep.grid && 'seed' in sweep.grid) throw new Error('replicates: the sweep grid already varies seed; use one or the other');
  const seed = typeof spec.seed === 'number' ? spec.seed : 0;
  const copy = JSON.parse(JSON.stringify(spec)) as Record<string, unknown>;
  // The seed grid now says it: left in, replicates would read as a grid that varies seed.
  delete copy.replicates;
  copy.sweep = { ...sweep, grid: { ...(sweep.grid ?? {}), seed: Array.from({ length: n }, (_, i) => seed + i) } };
  return copy;
}
