/**
 * A run's manifest, `runs/<run-id>/manifest.json`: the spec, the seed and its PRNG streams, every
 * artifact reference, the engine, the code and host it ran on, step timings and the rates.
 */
import { join } from 'node:path';
import { STREAMS } from '../math/prng.js';
import { provenance } from '../provenance.js';
import type { PipelineSpec } from '../spec/schema.js';
import { writeJsonAtomic } from '../store/atomic-file.js';
import { manifestPath, type RunManifest } from '../store/run-manifest.js';
import { blasProvenance } from '../native/index.js';
import type { ArtifactRef, RateSummary } from './types.js';

export interface ManifestInput {
  runId: string;
  specHash: string;
  sweepId: string | null;
  spec: PipelineSpec;
  artifacts: Record<string, ArtifactRef | null>;
  engine: string;
  backend: string;
  /** When the run that did the work ran, its timings, and the reruns that found everything cached. */
  record: Pick<RunManifest, 'startedAt' | 'finishedAt' | 'timings' | 'reruns'>;
  rates: RateSummary[];
  /** File data: the file the samples were read from (path as the spec gives it), its size and sha256. */
  dataFile?: { path: string; size: number; sha256: string } | null;
}

export async function writeManifest(dataRoot: string, m: ManifestInput, prov = provenance()): Promise<string> {
  const path = manifestPath(m.runId);
  await writeJsonAtomic(join(dataRoot, path), {
    status: 'completed',
    runId: m.runId,
    specHash: m.specHash,
    sweepId: m.sweepId,
    spec: m.spec,
    seeds: { seed: m.spec.seed, streams: Object.values(STREAMS) },
    artifacts: m.artifacts,
    engine: m.engine,
    backend: m.backend,
    blas: blasProvenance(),
    code: { package: prov.package, gitCommit: prov.gitCommit, codeVersion: prov.codeVersion },
    dependencies: prov.dependencies,
    host: prov.host,
    ...m.record,
    rates: m.rates,
    ...(m.dataFile ? { dataFile: m.dataFile } : {}),
  });
  return path;
}
