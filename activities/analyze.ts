/**
 * Activity `analyzeRun`: ingest the run's artifacts into `results.duckdb`, fit the
 * per-degree rates in SQL (`sql/rates.sql`), export them as `rates.arrow`, and write the
 * run's manifest. Returns the train-split summary the CLI prints.
 */
import { join } from 'node:path';
import { withResultsDb } from '../src/store/results-db.js';
import { writeJsonAtomic } from '../src/store/atomic-file.js';
import { contentKey } from '../src/store/canonical-json.js';
import { tableFromColumns } from '../src/store/arrow-columns.js';
import { provenance } from '../src/provenance.js';
import type { PipelineSpec } from '../src/spec/schema.js';
import type { ArtifactRef, RateSummary, StepTiming } from '../workflows/types.js';
import { stopwatch, withHeartbeat, type ActivityDeps } from './context.js';

export const ANALYZE_STEP = { name: 'analyze', version: 1 } as const;

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

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export async function analyzeRun(deps: ActivityDeps, input: AnalyzeRunInput): Promise<AnalyzeRunOutput> {
  const done = stopwatch(ANALYZE_STEP.name);
  const { runId, spec, artifacts } = input;
  const [spectrum, gram, ntkCheck, losses, projections] = await Promise.all([
    deps.store.readTable(artifacts.spectrum),
    artifacts.gram ? deps.store.readTable(artifacts.gram) : Promise.resolve(null),
    deps.store.readTable(artifacts.ntkCheck),
    deps.store.readTable(artifacts.losses),
    deps.store.readTable(artifacts.projections),
  ]);
  const prov = provenance();
  const finishedAt = new Date();
  const rows = await withHeartbeat(
    withResultsDb(join(deps.dataRoot, 'results.duckdb'), {}, async (db) => {
      await db.ingestRun({
        run: {
          runId,
          name: spec.name,
          specHash: input.specHash,
          spec,
          sweepId: input.sweepId ?? null,
          status: 'completed',
          engine: input.engine,
          backend: input.backend,
          startedAt: new Date(input.startedAt),
          finishedAt,
          codeVersion: prov.codeVersion,
        },
        spectrum,
        gram,
        ntkCheck,
        ntkDirections: artifacts.ntkDirections ? await deps.store.readTable(artifacts.ntkDirections) : null,
        losses,
        projections,
      });
      await db.fitRates(runId);
      return db.query(
        `SELECT split, kind, degree, fitted_rate, theory_rate, kernel_rate, init_kernel_rate, ratio, r2, stderr, window_start, window_end, n_points, note
           FROM rates WHERE run_id = $run_id ORDER BY split DESC, kind, degree`,
        { run_id: runId },
      );
    }),
  );

  const key = contentKey({ step: ANALYZE_STEP, params: { runId }, inputs: [artifacts.spectrum.sha256, artifacts.projections.sha256, artifacts.losses.sha256] });
  const ratesArtifact = await deps.store.writeTable(
    ANALYZE_STEP.name,
    key,
    'rates.arrow',
    tableFromColumns({
      split: rows.map((r) => String(r.split)),
      kind: rows.map((r) => String(r.kind)),
      degree: Int32Array.from(rows, (r) => Number(r.degree)),
      fitted_rate: Float64Array.from(rows, (r) => num(r.fitted_rate) ?? Number.NaN),
      theory_rate: Float64Array.from(rows, (r) => num(r.theory_rate) ?? Number.NaN),
      kernel_rate: Float64Array.from(rows, (r) => num(r.kernel_rate) ?? Number.NaN),
      init_kernel_rate: Float64Array.from(rows, (r) => num(r.init_kernel_rate) ?? Number.NaN),
      ratio: Float64Array.from(rows, (r) => num(r.ratio) ?? Number.NaN),
      r2: Float64Array.from(rows, (r) => num(r.r2) ?? Number.NaN),
      stderr: Float64Array.from(rows, (r) => num(r.stderr) ?? Number.NaN),
    }),
  );

  const rates: RateSummary[] = rows
    .filter((r) => r.split === 'train' && r.kind === 'target')
    .map((r) => ({
      degree: Number(r.degree),
      fittedRate: finite(num(r.fitted_rate)),
      theoryRate: finite(num(r.theory_rate)),
      kernelRate: finite(num(r.kernel_rate)),
      initKernelRate: finite(num(r.init_kernel_rate)),
      ratio: finite(num(r.ratio)),
      r2: finite(num(r.r2)),
      stderr: finite(num(r.stderr)),
      window: r.window_start === null || r.window_end === null ? null : [Number(r.window_start), Number(r.window_end)],
      nPoints: num(r.n_points),
      note: (r.note as string | null) ?? null,
    }));

  const manifest = `runs/${runId}/manifest.json`;
  const timings = [...input.timings, done(false)];
  await writeJsonAtomic(join(deps.dataRoot, manifest), {
    runId,
    specHash: input.specHash,
    sweepId: input.sweepId ?? null,
    spec,
    seeds: { seed: spec.seed, streams: ['sample/train', 'sample/test', 'target/zeta', 'init/W1', 'init/W2'] },
    artifacts: { ...artifacts, rates: ratesArtifact },
    engine: input.engine,
    backend: input.backend,
    code: { package: prov.package, gitCommit: prov.gitCommit, codeVersion: prov.codeVersion },
    dependencies: prov.dependencies,
    host: prov.host,
    startedAt: input.startedAt,
    finishedAt: finishedAt.toISOString(),
    timings,
    rates,
  });
  return { rates, ratesArtifact, manifest };
}

/** JSON has no NaN: a rate that could not be fitted travels as null, with its note. */
function finite(v: number | null): number | null {
  return v === null || !Number.isFinite(v) ? null : v;
}
