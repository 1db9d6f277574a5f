/** Activity `prepareRun`: validate the spec, fill defaults, name the run. */
import { parseSpec, SpecError, type PipelineSpec } from '../src/spec/schema.js';
import { runIdFor, specHash } from '../src/spec/hash.js';
import { failFast } from './context.js';

export interface PrepareRunInput {
  spec: unknown;
}
export interface PrepareRunOutput {
  spec: PipelineSpec;
  specHash: string;
  runId: string;
}

export async function prepareRun({ spec: raw }: PrepareRunInput): Promise<PrepareRunOutput> {
  try {
    const spec = parseSpec(raw);
    if (spec.sweep) {
      throw new SpecError('sweep', 'a spec with a sweep section is a sweep, not one pipeline; start it as spectralBiasSweep');
    }
    return { spec, specHash: specHash(spec), runId: runIdFor(spec) };
  } catch (err) {
    failFast(err);
  }
}
