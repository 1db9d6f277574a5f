/** Activity `prepareSweep`: validate a sweep spec, name the sweep and its points. */
import { parseSpec, SpecError, type PipelineSpec } from '../src/spec/schema.js';
import { runIdFor } from '../src/spec/hash.js';
import { expandGrid, pointSpec, type GridPoint } from '../src/spec/sweep.js';
import { contentKey } from '../src/store/canonical-json.js';
import { failFast } from './context.js';

export interface PrepareSweepInput {
  spec: unknown;
}
export interface SweepPoint {
  index: number;
  /** sha256 of the point's grid values, shortened; it names the point in failures; the child workflow id is the run id. */
  pointId: string;
  params: GridPoint;
  /** The run id the point's pipeline will get (from its own spec hash). */
  runId: string;
}
export interface PrepareSweepOutput {
  spec: PipelineSpec;
  sweepId: string;
  concurrency: number;
  points: SweepPoint[];
}

export async function prepareSweep({ spec: raw }: PrepareSweepInput): Promise<PrepareSweepOutput> {
  try {
    const spec = parseSpec(raw);
    if (!spec.sweep) throw new SpecError('sweep', 'this spec has no sweep section; start it as spectralBiasPipeline');
    const points = expandGrid(spec.sweep.grid).map((params, index) => ({
      index,
      pointId: contentKey(params).slice(0, 16),
      params,
      runId: runIdFor(parseSpec(pointSpec(spec as unknown as Record<string, unknown>, params))),
    }));
    return { spec, sweepId: runIdFor(spec), concurrency: spec.sweep.concurrency, points };
  } catch (err) {
    failFast(err);
  }
}
