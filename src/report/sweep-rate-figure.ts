/**
 * Figure (c), for sweeps: the fitted decay rate against the knob the sweep
 * varies (width m, or sample size n), one line per degree, log y, from the
 * `sweep_summary` view. Points are the mean over the seeds of a grid point,
 * bars span their min to max; dashed lines are the theory rate
 * `-ln(1 - eta' mu_k)` (with `eta = eta' / (m theta^2)` the GD step on the
 * weights) and dotted lines the kernel-regime rate.
 *
 * ```ts
 * const rows = await db.query("SELECT * FROM sweep_summary WHERE sweep_id = $s AND kind = 'target'", { s });
 * sweepRateFigure({ rows, axis: sweepAxis(rows), kind: 'target', subject: sweepId });
 * ```
 *
 * When neither width nor n varies (a sweep over optimizers, say), or the grid points share a
 * value of it (models at two widths), the x axis
 * lists the grid points instead, each named by the spec fields that differ
 * between the points (`optimizer=sgd batchSize=64`, see spec/point-labels.ts):
 *
 * ```ts
 * sweepAxis(rows, new Map([[gdConfigId, 'optimizer=gd'], [sgdConfigId, 'optimizer=sgd batchSize=64']]));
 * ```
 */

import type { TopLevelSpec } from 'vega-lite';
import { DEGREE_SCHEME, LOG_AXIS, positive, styled, type Figure } from './figure.js';

/** One row of the sweep_summary view (sql/views.sql). */
export interface SweepSummaryRow {
  sweep_id: string;
  config_id: string;
  split: string;
  kind: string;
  degree: number;
  width: number | null;
  n: number | null;
  dim: number | null;
  distribution: string | null;
  target: string | null;
  learning_rate: number | null;
  n_runs: number;
  n_failed: number;
  seeds: (number | null)[];
  fitted_rate_mean: number | null;
  fitted_rate_std: number | null;
  fitted_rate_min: number | null;
  fitted_rate_max: number | null;
  theory_rate: number | null;
  kernel_rate_mean: number | null;
  fitted_over_theory_mean: number | null;
  fitted_over_theory_std: number | null;
  fitted_over_kernel_mean: number | null;
  fitted_over_kernel_std: number | null;
}

/**
 * The x axis: a knob the grid varies, or the grid points themselves, named by `labels`
 * (config_id to label, in the order the axis lists them).
 */
export type SweepAxis = { field: 'width' | 'n'; title: string } | { field: 'point'; title: string; labels: Map<string, string> };

/**
 * Width when it varies and tells the grid points apart, else n likewise, else the grid points,
 * named by `labels` (config_id to label, in grid order). A knob that two grid points share (a
 * sweep over models at two widths, say) is not the axis: it would stack different models at one x.
 */
export function sweepAxis(
  rows: (Pick<SweepSummaryRow, 'width' | 'n'> & { config_id?: string })[],
  labels: Map<string, string> = new Map(),
): SweepAxis {
  const isAxis = (f: 'width' | 'n') => {
    const values = rows.map((r) => r[f]).filter((v) => v !== null);
    if (new Set(values).size < 2) return false;
    const configsAt = new Map<unknown, Set<string>>();
    for (const r of rows) if (r.config_id !== undefined) configsAt.set(r[f], (configsAt.get(r[f]) ?? new Set()).add(r.config_id));
    return [...configsAt.values()].every((c) => c.size === 1);
  };
  if (isAxis('width')) return { field: 'width', title: 'network width m' };
  if (isAxis('n')) return { field: 'n', title: 'training points n' };
  return { field: 'point', title: 'grid point', labels };
}

export interface SweepRateFigureInput {
  rows: SweepSummaryRow[];
  axis: SweepAxis;
  kind: string;
  subject: string;
}

const FITTED = 'fitted (network)';
const THEORY = 'theory −ln(1 − η′μ_k)';
const KERNEL = 'kernel regime';

export function sweepRateFigure(input: SweepRateFigureInput): Figure {
  const { axis } = input;
  const rows = input.rows.filter((r) => r.kind === input.kind);
  // A point without a label (a row the caller did not name) falls back on its config_id.
  const xOf = (r: SweepSummaryRow): number | string | null =>
    axis.field === 'point' ? (axis.labels.get(r.config_id) ?? r.config_id.slice(0, 6)) : (r[axis.field] as number | null);
  const points: Record<string, unknown>[] = [];
  for (const r of rows) {
    const x = xOf(r);
    if (x === null) continue;
    const base = { x, degree: r.degree, split: r.split, n_runs: r.n_runs };
    if (positive(r.fitted_rate_mean)) {
      points.push({
        ...base,
        curve: FITTED,
        rate: r.fitted_rate_mean,
        lo: positive(r.fitted_rate_min) ? r.fitted_rate_min : r.fitted_rate_mean,
        hi: positive(r.fitted_rate_max) ? r.fitted_rate_max : r.fitted_rate_mean,
      });
    }
    // The theory describes the training residual: no theory line on the test panel.
    if (positive(r.theory_rate) && r.split === 'train') points.push({ ...base, curve: THEORY, rate: r.theory_rate });
    if (positive(r.kernel_rate_mean)) points.push({ ...base, curve: KERNEL, rate: r.kernel_rate_mean });
  }
  const degrees = [...new Set(points.map((p) => p.degree as number))].sort((a, b) => a - b);
  const splits = [...new Set(points.map((p) => p.split as string))].sort((a, b) =>
    a === 'train' ? -1 : b === 'train' ? 1 : a.localeCompare(b),
  );
  const curves = [FITTED, THEORY, KERNEL].filter((c) => points.some((p) => p.curve === c));
  const seeds = Math.max(0, ...rows.map((r) => r.n_runs));
  const numeric = axis.field !== 'point';
  const xValues = numeric ? [...new Set(points.map((p) => p.x as number))].sort((a, b) => a - b) : undefined;

  const x = numeric
    ? {
        field: 'x',
        type: 'quantitative',
        title: `${axis.title} (log scale)`,
        scale: { type: 'log', base: 2, nice: false, padding: 12 },
        axis: { values: xValues, format: 'd' },
      }
    : {
        field: 'x',
        type: 'nominal',
        title: axis.title,
        // Grid order, not alphabetical: gd, sgd, adam as the spec lists them.
        sort: [...new Set([...axis.labels.values(), ...points.map((p) => p.x as string)])],
        axis: { labelAngle: -30, labelLimit: 240 },
      };
  const y = { field: 'rate', type: 'quantitative', title: 'decay rate per step', scale: { type: 'log' }, axis: LOG_AXIS };
  const color = { field: 'degree', type: 'nominal', title: 'degree k', scale: { domain: degrees, scheme: DEGREE_SCHEME } };
  const strokeDash = {
    field: 'curve',
    type: 'nominal',
    title: 'rate',
    legend: { symbolType: 'stroke', symbolSize: 300 },
    scale: { domain: curves, range: curves.map((c) => (c === THEORY ? [6, 4] : c === KERNEL ? [2, 3] : [1, 0])) },
  };

  const spec = styled({
    title: {
      text:
        axis.field === 'point'
          ? 'Fitted decay rate per grid point'
          : `Fitted decay rate against ${axis.field === 'width' ? 'width m' : 'sample size n'}`,
      subtitle: `${input.subject} · kind ${input.kind}${seeds > 1 ? ' · mean over seeds, bars min to max' : ''}`,
    },
    data: { values: points },
    facet: { column: { field: 'split', type: 'nominal', sort: splits, title: null, header: { labelExpr: "'split: ' + datum.value" } } },
    spec: {
      width: numeric ? 300 : Math.max(300, 40 * new Set(points.map((p) => p.x)).size),
      height: 240,
      layer: [
        { mark: { type: 'line' }, encoding: { x, y, color, strokeDash } },
        {
          transform: [{ filter: `datum.curve === '${FITTED}'` }],
          mark: { type: 'point', filled: true, size: 45, opacity: 1 },
          encoding: { x, y, color },
        },
        ...(seeds > 1
          ? [
              {
                transform: [{ filter: `datum.curve === '${FITTED}'` }],
                mark: { type: 'rule', strokeWidth: 1.5 },
                encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color },
              },
            ]
          : []),
      ],
    },
    resolve: { scale: { y: 'shared' } },
  } as TopLevelSpec);

  return {
    name: `sweep-rates-${input.kind}`,
    heading: axis.field === 'point' ? `Fitted rates per grid point (${input.kind})` : `Fitted rates against ${axis.title} (${input.kind})`,
    caption:
      `The decay rate fitted to each degree's projection (kind ${input.kind}) by sql/rates.sql, ` +
      (axis.field === 'point' ? 'for each grid point of the sweep' : `against ${axis.title}`) +
      ', one colour per degree, log y. Solid: the trained network' +
      (seeds > 1 ? ' (mean over the seeds of a grid point; bars span min to max)' : '') +
      (curves.includes(THEORY) ? '; dashed (train only): the theory rate −ln(1 − η′μ_k)' : '') +
      (curves.includes(KERNEL) ? '; dotted: the kernel-regime rate on the same samples' : '') +
      '. Refused fits (NaN) are left out.',
    spec,
  };
}
