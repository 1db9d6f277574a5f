/**
 * The rate-dependent facts of a run: the theory rate per degree, computed in analysis from the
 * learning rate (the spectrum artifact holds only mu_k, so a learning-rate sweep shares it), and
 * the per-degree summary a run returns.
 */
import type * as arrow from 'apache-arrow';
import { tableFromColumns } from '../store/arrow-columns.js';
import type { RateRow } from '../store/index.js';

export type { RateRow };

/**
 * One degree of a run's train-split target rates, as a run returns it: the store's
 * {@link RateRow} less its keys and fit window, with every non-finite rate as null (JSON has no NaN;
 * `note` says why a rate is missing).
 */
export type RateSummary = Pick<RateRow, 'degree' | 'theoryRate' | 'kernelRate' | 'ratio' | 'r2' | 'note'> & {
  fittedRate: number | null;
  /** The finite-width twin's rate (the network's empirical NTK at init); absent in results from before it existed. */
  initKernelRate?: number | null;
  /** The slope's standard error, the fit window [start, end] and its number of points. */
  stderr?: number | null;
  window?: [number, number] | null;
  nPoints?: number | null;
  /** Absent: the target projections. File data: 'eigenspace' or 'eigen-band' (docs/real-data.md). */
  kind?: string;
};

export { degreeTheoryRate, withTheoryRates } from '../store/spectrum-table.js';

/** `rates.arrow`: every fitted row of the run (train first, then by kind and degree), NaN where a rate is missing. */
export function ratesTable(fitted: RateRow[]): arrow.Table {
  const nan = (v: number | null) => v ?? Number.NaN;
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  const rows = [...fitted].sort((a, b) => cmp(b.split, a.split) || cmp(a.kind, b.kind) || a.degree - b.degree);
  return tableFromColumns({
    split: rows.map((r) => r.split),
    kind: rows.map((r) => r.kind),
    degree: Int32Array.from(rows, (r) => r.degree),
    fitted_rate: Float64Array.from(rows, (r) => nan(r.fittedRate)),
    theory_rate: Float64Array.from(rows, (r) => nan(r.theoryRate)),
    kernel_rate: Float64Array.from(rows, (r) => nan(r.kernelRate)),
    init_kernel_rate: Float64Array.from(rows, (r) => nan(r.initKernelRate)),
    ratio: Float64Array.from(rows, (r) => nan(r.ratio)),
    r2: Float64Array.from(rows, (r) => nan(r.r2)),
    stderr: Float64Array.from(rows, (r) => nan(r.stderr)),
  });
}

/**
 * The train-split target rows, as the summary a run returns. File data has no target parts: its
 * summary is the eigenspace rows (or eigen-band rows, when the Gram shows no degree structure),
 * and each row's `kind` says which.
 */
export function rateSummary(rows: RateRow[]): RateSummary[] {
  const train = rows.filter((r) => r.split === 'train');
  const kind = ['target', 'eigenspace', 'eigen-band'].find((k) => train.some((r) => r.kind === k)) ?? 'target';
  return train
    .filter((r) => r.kind === kind)
    .sort((a, b) => a.degree - b.degree)
    .map((r) => ({
      degree: r.degree,
      fittedRate: finite(r.fittedRate),
      theoryRate: finite(r.theoryRate),
      kernelRate: finite(r.kernelRate),
      initKernelRate: finite(r.initKernelRate),
      ratio: finite(r.ratio),
      r2: finite(r.r2),
      stderr: finite(r.stderr),
      window: r.windowStart === null || r.windowEnd === null ? null : [r.windowStart, r.windowEnd],
      nPoints: r.nPoints,
      note: r.note,
      ...(kind === 'target' ? {} : { kind }),
    }));
}

function finite(v: number | null): number | null {
  return v === null || !Number.isFinite(v) ? null : v;
}
