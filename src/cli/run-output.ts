/**
 * What `specbias run` prints for one run, and `status` for one run: the per-degree rates read
 * back from results.duckdb, as a table or as JSON. No Temporal here: a fully cached rerun prints
 * through this module without loading it.
 */
import { join } from 'node:path';
import type { RateSummary } from '../pipeline/types.js';
import { withResultsDb, type ResultsDb } from '../store/results-db.js';
import { formatNumber, formatTable } from './io.js';
import { slopeInterval } from '../math/student-t.js';

/** One degree's rates as the summary shows them: the same shape the workflow returns. */
export type RateRow = RateSummary;

/** The summary comes from the database, not from the workflow's return value. */
export async function readRates(dataRoot: string, runId: string): Promise<RateRow[]> {
  return withResultsDb(join(dataRoot, 'results.duckdb'), { readOnly: true }, (db) => queryRates(db, runId));
}

/** {@link readRates} on an open handle. */
export async function queryRates(db: ResultsDb, runId: string): Promise<RateRow[]> {
  const rows = await db.query(
    `SELECT kind, degree, fitted_rate, theory_rate, kernel_rate, init_kernel_rate, ratio, r2, stderr, window_start, window_end, n_points, note
         FROM rates WHERE run_id = $run_id AND split = 'train' AND kind IN ('target', 'eigenspace', 'eigen-band') ORDER BY degree`,
    { run_id: runId },
  );
  // The target's projections; file data has none, so its Gram eigenspaces (or index bands) stand in.
  const kind = KIND_ORDER.find((k) => rows.some((r) => r.kind === k)) ?? 'target';
  const num = (v: unknown) => (v === null || v === undefined || !Number.isFinite(Number(v)) ? null : Number(v));
  return rows
    .filter((r) => r.kind === kind)
    .map((r) => ({
      degree: Number(r.degree),
      fittedRate: num(r.fitted_rate),
      theoryRate: num(r.theory_rate),
      kernelRate: num(r.kernel_rate),
      initKernelRate: num(r.init_kernel_rate),
      ratio: num(r.ratio),
      r2: num(r.r2),
      stderr: num(r.stderr),
      window: r.window_start === null || r.window_end === null ? null : [Number(r.window_start), Number(r.window_end)],
      nPoints: num(r.n_points),
      note: kind === 'eigenspace' ? [EIGENSPACE_NOTE, r.note].filter(Boolean).join('; ') : ((r.note as string | null) ?? null),
      ...(kind === 'target' ? {} : { kind }),
    }));
}

const KIND_ORDER = ['target', 'eigenspace', 'eigen-band'];
const EIGENSPACE_NOTE = 'projection onto the Gram eigenvectors of this degree by zonal energy (a column target has no degree parts)';

/** One run's rate as `run --json` prints it: ci95 is the slope's 95% interval (t with n_points - 2 degrees of freedom). */
export function jsonRate(r: RateRow) {
  const ci95 = r.fittedRate === null || r.stderr == null || r.nPoints == null ? null : slopeInterval(r.fittedRate, r.stderr, r.nPoints);
  return {
    degree: r.degree,
    fittedRate: r.fittedRate,
    ci95,
    n: 1,
    kernelRate: r.kernelRate,
    initKernelRate: r.initKernelRate ?? null,
    theoryRate: r.theoryRate,
    ratio: r.ratio,
    r2: r.r2,
    stderr: r.stderr ?? null,
    window: r.window ?? null,
    nPoints: r.nPoints ?? null,
    note: r.note,
  };
}

export function summaryTable(rates: RateRow[]): string {
  const over = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b);
  return formatTable(
    [
      'degree',
      'fitted rate',
      'init kernel rate',
      'kernel rate',
      'theory rate',
      'fitted/init',
      'fitted/kernel',
      'fitted/theory',
      'r2',
      'points',
      'note',
    ],
    rates.map((r) => [
      r.degree,
      formatNumber(r.fittedRate),
      formatNumber(r.initKernelRate ?? null),
      formatNumber(r.kernelRate),
      formatNumber(r.theoryRate),
      formatNumber(over(r.fittedRate, r.initKernelRate ?? null), 4),
      formatNumber(over(r.fittedRate, r.kernelRate), 3),
      formatNumber(r.ratio, 3),
      formatNumber(r.r2, 3),
      r.nPoints ?? '',
      r.note ?? '',
    ]),
  );
}
