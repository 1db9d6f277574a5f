/**
 * Activity `analyzeRun`: ingest the run's artifacts into `results.duckdb` (the spectrum with its
 * theory rates for this run's learning rate), fit the per-degree rates in SQL (`sql/rates.sql`),
 * export them as `rates.arrow`, and write the run's manifest. Returns the train-split summary.
 */
import { join } from 'node:path';
import { provenance } from '../src/provenance.js';
import { analyzeKey, STEPS } from '../src/pipeline/cache-keys.js';
import { writeManifest } from '../src/pipeline/manifest.js';
import { rateSummary, ratesTable, withTheoryRates } from '../src/pipeline/rates.js';
import type { ArtifactRef, PipelineSpec, RateSummary, StepTiming } from '../src/pipeline/types.js';
import { readMetadata } from '../src/store/arrow-columns.js';
import { withResultsDb } from '../src/store/results-db.js';
import { readRunManifest, runRecord, runRowFromManifest, type RunManifest } from '../src/store/run-manifest.js';
import { stopwatch, withHeartbeat, type ActivityDeps } from './context.js';

export interface AnalyzeRunInput {
  runId: string;
  specHash: string;
  spec: PipelineSpec;
  sweepId?: string | null;
  startedAt: string;
  artifacts: {
    samples: ArtifactRef;
    spectrum: ArtifactRef;
    gram: ArtifactRef | null;
    vectors: ArtifactRef | null;
    ntkCheck: ArtifactRef;
    /** Absent in runs started before it existed. */
    ntkDirections?: ArtifactRef;
    trajectory: ArtifactRef;
    /** The finite-width twin's trajectory (null without that twin; absent in runs started before it existed). */
    initTwin?: ArtifactRef | null;
    losses: ArtifactRef;
    projections: ArtifactRef;
  };
  engine: string;
  backend: string;
  timings: StepTiming[];
}
export interface AnalyzeRunOutput {
  rates: RateSummary[];
  ratesArtifact: ArtifactRef;
  /** The manifest's path relative to the data root. */
  manifest: string;
}

export async function analyzeRun(deps: ActivityDeps, input: AnalyzeRunInput): Promise<AnalyzeRunOutput> {
  const done = stopwatch(STEPS.analyze.name);
  const { runId, spec, artifacts } = input;
  const { store } = deps;
  const [spectrum, gram, ntkCheck, ntkDirections, losses, projections] = await Promise.all([
    store.readTable(artifacts.spectrum),
    artifacts.gram ? store.readTable(artifacts.gram) : Promise.resolve(null),
    store.readTable(artifacts.ntkCheck),
    artifacts.ntkDirections ? store.readTable(artifacts.ntkDirections) : Promise.resolve(null),
    store.readTable(artifacts.losses),
    store.readTable(artifacts.projections),
  ]);
  // File data: the manifest names the file and its content (the samples record its size and sha256).
  const dataFile =
    spec.data.distribution.kind === 'file'
      ? {
          path: spec.data.distribution.path,
          ...(JSON.parse(readMetadata(await store.readTable(artifacts.samples), 'file')) as { size: number; sha256: string }),
        }
      : null;
  const prov = provenance();
  const finishedAt = new Date();
  const sweepId = input.sweepId ?? null;
  const { specHash, engine, backend, startedAt } = input;
  // A rerun that found every step cached keeps the record of the run that did the work.
  const previous = await readRunManifest(deps.dataRoot, runId).catch(() => null);
  const execution = (timings: StepTiming[]) =>
    runRecord(previous, { startedAt, finishedAt: finishedAt.toISOString(), codeVersion: prov.codeVersion, timings, artifacts });
  const record: RunManifest = {
    runId,
    specHash,
    sweepId,
    spec,
    status: 'completed',
    artifacts,
    engine,
    backend,
    code: { codeVersion: prov.codeVersion },
    ...execution(input.timings),
  };
  const rows = await withHeartbeat(
    withResultsDb(join(deps.dataRoot, 'results.duckdb'), {}, async (db) => {
      await db.ingestRun({
        run: runRowFromManifest(record),
        spectrum: withTheoryRates(spectrum, spec.training.learningRate),
        gram,
        ntkCheck,
        ntkDirections,
        losses,
        projections,
      });
      return db.fitRates(runId);
    }),
  );

  const ratesArtifact = await store.writeTable(STEPS.analyze.name, analyzeKey(runId, artifacts), 'rates.arrow', ratesTable(rows));
  const rates = rateSummary(rows);
  const manifest = await writeManifest(
    deps.dataRoot,
    {
      runId,
      specHash,
      sweepId,
      spec,
      artifacts: { ...artifacts, rates: ratesArtifact },
      engine,
      backend,
      record: execution([...input.timings, done(false)]),
      rates,
      dataFile: dataFile && { path: dataFile.path, size: dataFile.size, sha256: dataFile.sha256 },
    },
    prov,
  );
  return { rates, ratesArtifact, manifest };
}
