/** Activity `prepareSweep`: validate a sweep spec, name the sweep and its points. */
import { parseSpec, SpecError, type PipelineSpec } from '../src/spec/schema.js';
import { runIdFor } from '../src/spec/hash.js';
import { sweepPoints, type SweepPoint } from '../src/spec/sweep.js';
import { failFast } from './context.js';

export type { SweepPoint };

export interface PrepareSweepInput {
  spec: unknown;
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
    return { spec, sweepId: runIdFor(spec), concurrency: spec.sweep.concurrency, points: sweepPoints(spec) };
  } catch (err) {
    failFast(err);
  }
}
