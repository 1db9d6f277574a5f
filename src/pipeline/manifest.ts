/**
 * A run's manifest, `runs/<run-id>/manifest.json`: the spec, the seed and its PRNG streams, every
 * artifact reference, the engine, the code and host it ran on, step timings and the rates.
 */
import { join } from 'node:path';
import { STREAMS } from '../math/prng.js';
import { provenance } from '../provenance.js';
import type { PipelineSpec } from '../spec/schema.js';
import { writeJsonAtomic } from '../store/atomic-file.js';
import type { ArtifactRef, RateSummary, StepTiming } from './types.js';

export interface ManifestInput {
  runId: string;
  specHash: string;
  sweepId: string | null;
  spec: PipelineSpec;
  artifacts: Record<string, ArtifactRef | null>;
  engine: string;
  backend: string;
  startedAt: string;
  finishedAt: Date;
  timings: StepTiming[];
  rates: RateSummary[];
}

/** The manifest's path relative to the data root. */
export function manifestPath(runId: string): string {
  return `runs/${runId}/manifest.json`;
}

export async function writeManifest(dataRoot: string, m: ManifestInput, prov = provenance()): Promise<string> {
  const path = manifestPath(m.runId);
  await writeJsonAtomic(join(dataRoot, path), {
    runId: m.runId,
    specHash: m.specHash,
    sweepId: m.sweepId,
    spec: m.spec,
    seeds: { seed: m.spec.seed, streams: Object.values(STREAMS) },
    artifacts: m.artifacts,
    engine: m.engine,
    backend: m.backend,
    code: { package: prov.package, gitCommit: prov.gitCommit, codeVersion: prov.codeVersion },
    dependencies: prov.dependencies,
    host: prov.host,
    startedAt: m.startedAt,
    finishedAt: m.finishedAt.toISOString(),
    timings: m.timings,
    rates: m.rates,
  });
  return path;
}
