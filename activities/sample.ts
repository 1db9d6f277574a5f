/**
 * Activity `sampleData`: points on S^(D-1) and their targets, as `samples.arrow` (format: src/pipeline/samples.ts).
 * File data is hashed first (the cache key follows its content), then read, split and normalized;
 * bad input (a missing file or column, NaN, a zero row, ...) fails at once, without retries.
 */
import { sampleKey, STEPS } from '../src/pipeline/cache-keys.js';
import { drawSamples, fileSamples } from '../src/pipeline/samples.js';
import type { ArtifactRef, PipelineSpec, StepTiming } from '../src/pipeline/types.js';
import { dataFileFacts, readDataFile } from '../src/store/data-file.js';
import { failFast, stopwatch, type ActivityDeps } from './context.js';

export interface SampleDataInput {
  spec: PipelineSpec;
}
export interface SampleDataOutput {
  samples: ArtifactRef;
  timing: StepTiming;
}

export async function sampleData(deps: ActivityDeps, { spec }: SampleDataInput): Promise<SampleDataOutput> {
  const done = stopwatch(STEPS.sample.name);
  try {
    const dist = spec.data.distribution;
    const target = spec.data.target;
    const facts = dist.kind === 'file' ? await dataFileFacts(dist.path) : null;
    const key = sampleKey(spec, facts?.sha256);
    const cached = await deps.store.find(STEPS.sample.name, key, 'samples.arrow');
    if (cached) return { samples: cached, timing: done(true) };
    let table;
    if (dist.kind === 'file' && target.kind === 'column') {
      table = fileSamples(spec, await readDataFile(dist.path, dist.columns, target.name), facts!);
    } else {
      table = drawSamples(spec);
    }
    const samples = await deps.store.writeTable(STEPS.sample.name, key, 'samples.arrow', table);
    return { samples, timing: done(false) };
  } catch (err) {
    failFast(err);
  }
}
