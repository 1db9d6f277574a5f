/**
 * Activity `recordRunFailure`: a run that failed gets a manifest and a `runs` row with status
 * `failed` and the error's one line, so `specbias status` and SQL show it (and a rebuild keeps
 * it). A run already recorded as completed keeps its record: its results are still valid.
 */
import { join } from 'node:path';
import { provenance } from '../src/provenance.js';
import { runIdFor, specHash } from '../src/spec/hash.js';
import { parseSpec, type PipelineSpec } from '../src/spec/schema.js';
import { writeJsonAtomic } from '../src/store/atomic-file.js';
import { withResultsDb } from '../src/store/results-db.js';
import { manifestPath, readRunManifest, runRowFromManifest, type RunManifest } from '../src/store/run-manifest.js';
import type { ActivityDeps } from './context.js';

export interface RecordRunFailureInput {
  /** The workflow's input, as given: the run id is derived from it here. */
  spec: unknown;
  startedAt: string;
  sweepId: string | null;
  /** The failure's message; its first line is recorded. */
  error: string;
}

export async function recordRunFailure(
  deps: ActivityDeps,
  input: RecordRunFailureInput,
): Promise<{ runId: string | null; recorded: boolean }> {
  let spec: PipelineSpec;
  try {
    spec = parseSpec(input.spec);
  } catch {
    return { runId: null, recorded: false }; // an invalid spec never became a run
  }
  if (spec.sweep) return { runId: null, recorded: false };
  const runId = runIdFor(spec);
  const previous = await readRunManifest(deps.dataRoot, runId).catch(() => null);
  if (previous !== null && (previous.status ?? 'completed') === 'completed') return { runId, recorded: false };

  const prov = provenance();
  const record: RunManifest = {
    runId,
    specHash: specHash(spec),
    sweepId: input.sweepId,
    spec,
    status: 'failed',
    error: input.error.split('\n')[0]!,
    engine: null,
    backend: null,
    code: { codeVersion: prov.codeVersion },
    startedAt: input.startedAt,
    finishedAt: new Date().toISOString(),
  };
  await writeJsonAtomic(join(deps.dataRoot, manifestPath(runId)), {
    ...record,
    code: { package: prov.package, gitCommit: prov.gitCommit, codeVersion: prov.codeVersion },
    host: prov.host,
  });
  const recorded = await withResultsDb(join(deps.dataRoot, 'results.duckdb'), {}, (db) => db.recordFailedRun(runRowFromManifest(record)));
  return { runId, recorded };
}
