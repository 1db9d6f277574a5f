/** Activity `sampleData`: points on S^(D-1) and their targets, as `samples.arrow` (format: src/pipeline/samples.ts). */
import { sampleKey, STEPS } from '../src/pipeline/cache-keys.js';
import { drawSamples } from '../src/pipeline/samples.js';
import type { ArtifactRef, PipelineSpec, StepTiming } from '../src/pipeline/types.js';
import { stopwatch, type ActivityDeps } from './context.js';

export interface SampleDataInput {
  spec: PipelineSpec;
}
export interface SampleDataOutput {
  samples: ArtifactRef;
  timing: StepTiming;
}

export async function sampleData(deps: ActivityDeps, { spec }: SampleDataInput): Promise<SampleDataOutput> {
  const done = stopwatch(STEPS.sample.name);
  const key = sampleKey(spec);
  const cached = await deps.store.find(STEPS.sample.name, key, 'samples.arrow');
  if (cached) return { samples: cached, timing: done(true) };
  const samples = await deps.store.writeTable(STEPS.sample.name, key, 'samples.arrow', drawSamples(spec));
  return { samples, timing: done(false) };
}
