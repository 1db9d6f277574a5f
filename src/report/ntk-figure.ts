/**
 * Figure (d): how far the empirical NTK of a width-m network at initialization
 * is from the analytic kernel, against m, on log-log axes, from the `ntk_check`
 * table: rel_error = ‖Θ_m − κ‖_F / ‖κ‖_F on the first n_points samples, with
 * Θ_m = (1/m) J Jᵀ at theta = 1 (the kernel a GD step with eta = eta' / (m theta^2)
 * follows in the limit). Theory says it shrinks like m^-1/2; a dashed guide line
 * of that slope runs through the geometric mean of the points.
 *
 * ```ts
 * const rows = await db.query('SELECT run_id, width, n_points, rel_error FROM ntk_check WHERE run_id IN (...)');
 * if (rows.length) ntkFigure({ rows, subject: runId });
 * ```
 */

import type { TopLevelSpec } from 'vega-lite';
import { formatValue } from './format.js';
import { LOG_AXIS, positive, styled, type Figure } from './figure.js';

export interface NtkCheckRow {
  run_id: string;
  width: number;
  n_points: number;
  rel_error: number;
}

export interface NtkFigureInput {
  rows: NtkCheckRow[];
  subject: string;
}

const MEASURED = 'measured, per run';
const MEAN = 'mean per width';

export function ntkFigure(input: NtkFigureInput): Figure {
  const rows = input.rows.filter((r) => positive(r.rel_error) && positive(r.width));
  const widths = [...new Set(rows.map((r) => r.width))].sort((a, b) => a - b);
  const means = widths.map((w) => {
    const at = rows.filter((r) => r.width === w).map((r) => r.rel_error);
    return { width: w, rel_error: at.reduce((a, b) => a + b, 0) / at.length, series: MEAN };
  });
  // The guide c m^-1/2 through the geometric mean of the points, drawn over the plotted widths (and a little beyond with one width).
  const logMean = rows.reduce((a, r) => a + Math.log(r.rel_error * Math.sqrt(r.width)), 0) / Math.max(1, rows.length);
  const c = Math.exp(logMean);
  const span = widths.length > 1 ? [widths[0]!, widths.at(-1)!] : widths.length ? [widths[0]! / 2, widths[0]! * 2] : [];
  const guide = span.map((w) => ({ width: w, rel_error: c / Math.sqrt(w) }));
  const points = rows.map((r) => ({ ...r, series: MEASURED }));
  // A mean line only where some width has several runs (seeds); otherwise a thin line joins the points.
  const repeated = widths.length < rows.length;
  const series = [MEASURED, ...(repeated ? [MEAN] : [])];

  const x = {
    field: 'width',
    type: 'quantitative',
    title: 'network width m (log scale)',
    scale: { type: 'log', base: 2, nice: false, padding: 12 },
    axis: widths.length > 1 ? { values: widths, format: 'd' } : { format: 'd' },
  };
  const y = { field: 'rel_error', type: 'quantitative', title: '‖Θ_m − κ‖_F / ‖κ‖_F', scale: { type: 'log' }, axis: LOG_AXIS };
  const color = { field: 'series', type: 'nominal', title: null, scale: { domain: series, range: ['#4c78a8', '#1f1f1f'] } };
  const guideEnd = guide.at(-1);

  const spec = styled({
    title: {
      text: 'Empirical NTK at initialization against the analytic kernel',
      subtitle: `${input.subject} · relative Frobenius error against width, log-log`,
    },
    width: 420,
    height: 280,
    layer: [
      // The guide stays out of the legend: its label sits at its end.
      { data: { values: guide }, mark: { type: 'line', strokeDash: [6, 4], strokeWidth: 1.4, color: '#8a8a8a' }, encoding: { x, y } },
      ...(guideEnd
        ? [
            {
              data: { values: [{ ...guideEnd, label: '∝ m^-1/2' }] },
              mark: { type: 'text', align: 'right', dy: -10, fontSize: 11, color: '#666' },
              encoding: { x, y, text: { field: 'label' } },
            },
          ]
        : []),
      ...(repeated ? [{ data: { values: means }, mark: { type: 'line', strokeWidth: 1.6 }, encoding: { x, y, color } }] : []),
      ...(!repeated && widths.length > 1
        ? [{ data: { values: points }, mark: { type: 'line', strokeWidth: 1.2, color: '#4c78a8' }, encoding: { x, y } }]
        : []),
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 60, opacity: 0.85 },
        encoding: { x, y, color, tooltip: [{ field: 'run_id' }, { field: 'width' }, { field: 'n_points' }, { field: 'rel_error' }] },
      },
    ],
  } as TopLevelSpec);

  const nPoints = [...new Set(rows.map((r) => r.n_points))];
  return {
    name: 'ntk-error',
    heading: 'Empirical NTK error against width',
    caption:
      `The relative Frobenius distance between the empirical NTK Θ_m = (1/m) J Jᵀ of the network at initialization and the ` +
      `analytic kernel κ(⟨x, x′⟩), on ${nPoints.map((n) => String(n)).join('/')} sample points, against the width m (log-log). ` +
      `The dashed grey guide c·m^-1/2 has the slope that the O(m^-1/2) fluctuation predicts, fitted through the geometric mean ` +
      `of the points (c = ${formatValue(c)}). ` +
      (repeated
        ? 'The black line joins the mean error at each width.'
        : widths.length > 1
          ? 'The blue line joins the points.'
          : 'With one width the slope cannot be checked; a sweep over widths shows it.'),
    spec,
  };
}
