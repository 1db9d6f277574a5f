/**
 * The report's reads from the results database, all through the views of
 * `sql/views.sql`. It works on any database specbias has written:
 *
 * - a database last opened read-write by an older specbias lacks the views;
 *   read-only, they cannot be created, so their SELECTs are inlined as common
 *   table expressions of the same names (see {@link viewDefinitions});
 * - `ntk_check` may be missing (older files) or empty: {@link ntkChecks} then
 *   returns no rows, and the report leaves the figure out.
 *
 * ```ts
 * const q = await ReportQueries.create(db);
 * const rates = await q.rateSummary(await resolveReportTarget(db, 'quickstart-1f37'));
 * ```
 */

import type { DuckDBValue } from '@duckdb/node-api';
import { viewDefinitions, type ResultsDb } from '../store/results-db.js';
import type { LossPoint } from './html-views.js';
import type { NtkCheckRow } from './ntk-figure.js';
import type { FitRow, ProjectionPoint } from './projection-figure.js';
import type { ReportTarget } from './target.js';
import type { GramPoint, SpectrumPoint } from './spectrum-figure.js';
import type { SweepSummaryRow } from './sweep-rate-figure.js';

export type Row = Record<string, unknown>;

/** One row of the rate_summary view. */
export interface RateSummaryRow {
  run_id: string;
  name: string;
  sweep_id: string | null;
  split: string;
  kind: string;
  degree: number;
  fitted_rate: number;
  theory_rate: number | null;
  kernel_rate: number | null;
  init_kernel_rate: number | null;
  fitted_over_theory: number | null;
  fitted_over_kernel: number | null;
  fitted_over_init_kernel: number | null;
  r2: number | null;
  n_points: number | null;
  window_start: number | null;
  window_end: number | null;
  note: string | null;
  width: number | null;
  n: number | null;
  dim: number | null;
  seed: number | null;
  learning_rate: number | null;
}

/** One row of runs joined with run_params. */
export interface RunInfo {
  run_id: string;
  name: string;
  sweep_id: string | null;
  status: string;
  engine: string;
  backend: string;
  started_at: string | null;
  finished_at: string | null;
  code_version: string;
  spec_hash: string;
  /** The spec, parsed. */
  spec: unknown;
  width: number | null;
  n: number | null;
  dim: number | null;
  seed: number | null;
  distribution: string | null;
  target: string | null;
  learning_rate: number | null;
  config_id: string;
}

export class ReportQueries {
  private constructor(
    private readonly db: ResultsDb,
    /** `WITH ...` inlining the views the database lacks, or ''. */
    private readonly prefix: string,
    private readonly tables: Set<string>,
  ) {}

  static async create(db: ResultsDb): Promise<ReportQueries> {
    const tables = new Set(
      (await db.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")).map((r) => r.table_name as string),
    );
    const views = await viewDefinitions();
    // All or nothing: a CTE shadows a view of the same name, so inlining all keeps the definitions consistent.
    const prefix = views.every((v) => tables.has(v.name)) ? '' : `WITH ${views.map((v) => `${v.name} AS (\n${v.select}\n)`).join(',\n')}\n`;
    return new ReportQueries(db, prefix, tables);
  }

  /** Whether the database has this table or view (before any inlining). */
  has(table: string): boolean {
    return this.tables.has(table);
  }

  /** Runs `sql` (one SELECT, without its own WITH) with the views available. */
  async select(sql: string, params?: Record<string, DuckDBValue>): Promise<Row[]> {
    return this.db.query(this.prefix + sql, params);
  }

  /** The runs of the target, ordered by width, n, seed, run_id. */
  async runs(target: ReportTarget): Promise<RunInfo[]> {
    const rows = await this.select(
      `SELECT r.run_id, r.name, r.sweep_id, r.status, r.engine, r.backend,
              CAST(r.started_at AS VARCHAR) AS started_at, CAST(r.finished_at AS VARCHAR) AS finished_at,
              r.code_version, r.spec_hash, CAST(r.spec AS VARCHAR) AS spec,
              p.width, p.n, p.dim, p.seed, p.distribution, p.target, p.learning_rate, p.config_id
         FROM runs AS r JOIN run_params AS p USING (run_id)
        WHERE r.${inScope(target)}
        ORDER BY p.width NULLS LAST, p.n NULLS LAST, p.seed NULLS LAST, r.run_id`,
      { scope: scopeOf(target) },
    );
    return rows.map((r) => ({ ...(r as unknown as RunInfo), spec: JSON.parse(r.spec as string) as unknown }));
  }

  async rateSummary(target: ReportTarget): Promise<RateSummaryRow[]> {
    return (await this.select(
      `SELECT * FROM rate_summary WHERE ${inScope(target)}
        ORDER BY width NULLS LAST, n NULLS LAST, seed NULLS LAST, run_id,
                 CASE split WHEN 'train' THEN 0 WHEN 'test' THEN 1 ELSE 2 END, split,
                 CASE kind WHEN 'target' THEN 0 WHEN 'eigenspace' THEN 1 ELSE 2 END, kind, degree`,
      { scope: scopeOf(target) },
    )) as unknown as RateSummaryRow[];
  }

  async sweepSummary(sweepId: string): Promise<SweepSummaryRow[]> {
    return (await this.select(
      `SELECT * FROM sweep_summary WHERE sweep_id = $s
        ORDER BY CASE split WHEN 'train' THEN 0 WHEN 'test' THEN 1 ELSE 2 END, split,
                 CASE kind WHEN 'target' THEN 0 WHEN 'eigenspace' THEN 1 ELSE 2 END, kind, degree,
                 width NULLS LAST, n NULLS LAST, config_id`,
      { s: sweepId },
    )) as unknown as SweepSummaryRow[];
  }

  /** The projection kinds a run has, 'target' first. */
  async projectionKinds(target: ReportTarget): Promise<string[]> {
    const rows = await this.select(
      `SELECT kind FROM projections WHERE ${inScope(target)}
        GROUP BY kind ORDER BY CASE kind WHEN 'target' THEN 0 WHEN 'eigenspace' THEN 1 ELSE 2 END, kind`,
      { scope: scopeOf(target) },
    );
    return rows.map((r) => r.kind as string);
  }

  async projections(target: ReportTarget, kind: string): Promise<ProjectionPoint[]> {
    return (await this.select(
      `SELECT run_id, split, step, degree, source, value FROM projections
        WHERE ${inScope(target)} AND kind = $kind
        ORDER BY run_id, split, source, degree, step`,
      { scope: scopeOf(target), kind },
    )) as unknown as ProjectionPoint[];
  }

  /**
   * The fits of `rates` for the projection figures' overlay: window and fitted line per (run, split, degree).
   * `SELECT *`, so a rates table from before fit_intercept (a file opened without healing) reads as no line.
   */
  async fits(target: ReportTarget, kind: string): Promise<FitRow[]> {
    const rows = await this.select(`SELECT * FROM rates WHERE ${inScope(target)} AND kind = $kind ORDER BY run_id, split, degree`, {
      scope: scopeOf(target),
      kind,
    });
    return rows.map((r) => ({
      run_id: r.run_id as string,
      split: r.split as string,
      kind: r.kind as string,
      degree: r.degree as number,
      fitted_rate: r.fitted_rate as number | null,
      fit_intercept: (r.fit_intercept as number | null | undefined) ?? null,
      window_start: r.window_start as number | null,
      window_end: r.window_end as number | null,
    }));
  }

  async spectrum(runId: string): Promise<SpectrumPoint[]> {
    return (await this.select('SELECT degree, mu, multiplicity, numerical_zero FROM spectrum WHERE run_id = $r ORDER BY degree', {
      r: runId,
    })) as unknown as SpectrumPoint[];
  }

  async gram(runId: string): Promise<GramPoint[]> {
    return (await this.select('SELECT eigenvalue, cluster FROM gram_eigenvalues WHERE run_id = $r ORDER BY idx', {
      r: runId,
    })) as unknown as GramPoint[];
  }

  /** The losses of the runs (train, and test where logged); none when the table does not exist. */
  async losses(target: ReportTarget): Promise<LossPoint[]> {
    if (!this.has('losses')) return [];
    return (await this.select(`SELECT run_id, split, step, loss FROM losses WHERE ${inScope(target)} ORDER BY run_id, split, step`, {
      scope: scopeOf(target),
    })) as unknown as LossPoint[];
  }

  /** The ntk_check rows of the runs; none when the table does not exist. */
  async ntkChecks(target: ReportTarget): Promise<NtkCheckRow[]> {
    if (!this.has('ntk_check')) return [];
    return (await this.select(`SELECT run_id, width, n_points, rel_error FROM ntk_check WHERE ${inScope(target)} ORDER BY width, run_id`, {
      scope: scopeOf(target),
    })) as unknown as NtkCheckRow[];
  }
}

/** `run_id IN (the runs of the target)`, reading the parameter $scope (see {@link scopeOf}). */
function inScope(target: ReportTarget): string {
  if (target.kind === 'runs') return `run_id IN (SELECT unnest(string_split($scope, chr(10))))`;
  return `run_id IN (SELECT run_id FROM runs WHERE ${target.kind === 'run' ? 'run_id' : 'sweep_id'} = $scope)`;
}

/** The value of $scope: the run or sweep id, or the compared run ids one per line. */
function scopeOf(target: ReportTarget): string {
  return target.kind === 'runs' ? target.runIds.join('\n') : target.id;
}
