/**
 * Figure (a): the per-degree projection of the residual against the GD step,
 * the paper's Figs. 1-2. Train and test side by side, one colour per degree;
 * the trained network solid, its infinite-width twin (the analytic kernel)
 * dashed, its finite-width twin (the empirical NTK at init) dotted. The step
 * axis is symlog: linear below one step, logarithmic above, so step 0 stays on
 * it and degree 1's fall in the first tens of steps is as wide as the slow
 * degrees' fall over thousands.
 *
 * ```ts
 * const rows = await db.query('SELECT split, step, degree, source, value FROM projections WHERE run_id = $r AND kind = $k', ...);
 * const fits = await queries.fits(target, 'target'); // rates: window and fitted line per (split, degree)
 * projectionFigure({ rows, fits, kind: 'target', scale: 'log', subject: runId });
 * ```
 *
 * The twins are `U (1 - eta' Λ)^t Uᵀ r_0` projected the same way, Λ, U from the
 * analytic Gram K/n (source 'kernel') or from the network's empirical NTK at its
 * initial weights Θ̂₀/n (source 'init'), with `eta = eta' / (m theta^2)` the GD
 * step on the weights; a source without rows is left out. On the log figures,
 * each fit of `rates` (sql/rates.sql) is drawn: its window shaded, and the
 * network's fitted line `ln v = fit_intercept − fitted_rate · t` over it.
 */

import type { TopLevelSpec } from 'vega-lite';
import { DEGREE_SCHEME, LOG_AXIS, positive, styled, type Figure } from './figure.js';

export interface ProjectionPoint {
  /** Only in sweep figures, where each run gets a row of panels. */
  run_id?: string;
  split: string;
  step: number;
  degree: number;
  source: string;
  value: number;
}

/** What the fit overlay needs of a `rates` row. */
export interface FitRow {
  run_id?: string;
  split: string;
  kind: string;
  degree: number;
  /** NaN when the fit was refused. */
  fitted_rate: number | null;
  /** ln v(t) = fit_intercept − fitted_rate · t over the window; null when refused (or in a database without the column). */
  fit_intercept: number | null;
  window_start: number | null;
  window_end: number | null;
}

export interface ProjectionFigureInput {
  rows: ProjectionPoint[];
  /** projections.kind: 'target', 'eigenspace' or 'harmonic'. */
  kind: string;
  scale: 'linear' | 'log';
  /** The run or sweep id, shown in the subtitle. */
  subject: string;
  /**
   * Sweeps: one row of panels per run, in this order, labelled (e.g. 'width 256');
   * rows of runs not listed are left out.
   */
  panels?: { runId: string; label: string }[];
  /** The `rates` rows of the runs: on the log scale, each fit's window and fitted line are drawn. */
  fits?: FitRow[];
}

/** What each kind measures, as the y-axis title and the caption phrase. */
export const KIND_LABELS: Record<string, { axis: string; phrase: string }> = {
  target: {
    axis: '|v̂_kᵀ r_t|',
    phrase: 'the length of the residual r_t = y − ŷ_t along v̂_k, the unit vector of the degree-k target component on the sample',
  },
  eigenspace: {
    axis: '‖U_kᵀ r_t‖',
    phrase: "the norm of the residual on U_k, the K/n eigenvectors of degree k's eigenvalue cluster (Theorem 4.2's V_rk)",
  },
  harmonic: {
    axis: '‖Π_k r_t‖',
    phrase: 'the norm of the residual on the degree-k spherical harmonics evaluated on the sample',
  },
};

/** The legend name of each projections.source, in legend order, and its dash. */
export const SOURCE_LABELS: Record<string, string> = {
  network: 'network (trained)',
  kernel: 'infinite-width twin (analytic kernel)',
  init: 'finite-width twin (empirical NTK at init)',
};
export const SOURCE_DASHES: Record<string, number[]> = { network: [1, 0], kernel: [7, 4], init: [1.5, 3] };
/** How the caption names each source's line. */
const SOURCE_LINES: Record<string, string> = {
  network: 'solid lines the trained network',
  kernel: 'dashed lines its infinite-width twin (the linearized dynamics on the analytic kernel, same sample and r_0)',
  init: 'dotted lines its finite-width twin (the same on the empirical NTK at init)',
};
const SPLIT_ORDER = ['train', 'test'];

/** The projection's value axis: log with labelled decades, or linear from zero. */
export function valueAxis(title: string, scale: 'linear' | 'log') {
  return {
    field: 'value',
    type: 'quantitative',
    title,
    scale: scale === 'log' ? { type: 'log' } : { zero: true },
    axis: scale === 'log' ? LOG_AXIS : {},
  };
}

/** The step axis: symlog (linear below 1, log above), ticks at 0 and every power of ten, unlabelled ones at 2-9 x 10^j. */
export function stepAxis(maxStep: number): { field: string; type: 'quantitative'; title: string; scale: object; axis: object } {
  const values = [0];
  for (let decade = 1; decade <= Math.max(maxStep, 1); decade *= 10) {
    for (const m of [1, 2, 3, 4, 5, 6, 7, 8, 9]) if (m * decade <= maxStep || m === 1) values.push(m * decade);
  }
  return {
    field: 'step',
    type: 'quantitative',
    title: 'gradient-descent step t (symlog)',
    scale: { type: 'symlog', constant: 1, nice: false, domain: [0, Math.max(maxStep, 1)] },
    axis: {
      values,
      labelExpr:
        // log(1000) / log(10) is 2.9999999999999996: compare powers of ten with a tolerance.
        "datum.value == 0 || abs(log(datum.value) / log(10) - round(log(datum.value) / log(10))) < 1e-9 ? format(datum.value, '~g') : ''",
      labelFlush: false,
      tickCount: values.length,
    },
  };
}

/** Height in pixels of each degree's lane of fit windows along the bottom of a panel. */
const LANE = 5;

/** Points of each fitted line on the symlog step axis: evenly spaced in ln(1 + t) over the window. */
const FIT_SAMPLES = 32;

/**
 * The overlay of the fits: per usable `rates` row of `kind`, one 'window' row (step = window_start,
 * step_end = window_end) and the network's fitted line v = exp(fit_intercept − fitted_rate · t) as
 * FIT_SAMPLES + 1 'fit' rows from window_start to window_end. A refused fit (rate NaN) or a row
 * without a window or intercept draws nothing.
 */
export function fitOverlay(fits: FitRow[], kind: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const f of fits) {
    const { fitted_rate: rate, fit_intercept: a, window_start: t0, window_end: t1 } = f;
    if (f.kind !== kind || rate === null || a === null || t0 === null || t1 === null) continue;
    if (!Number.isFinite(rate) || !Number.isFinite(a) || t1 < t0) continue;
    const base = { ...(f.run_id === undefined ? {} : { run_id: f.run_id }), split: f.split, degree: f.degree };
    out.push({ ...base, layer: 'window', step: t0, step_end: t1, fitted_rate: rate });
    const u0 = Math.log1p(t0);
    const u1 = Math.log1p(t1);
    for (let i = 0; i <= FIT_SAMPLES; i++) {
      const step = i === 0 ? t0 : i === FIT_SAMPLES ? t1 : Math.expm1(u0 + ((u1 - u0) * i) / FIT_SAMPLES);
      out.push({ ...base, layer: 'fit', step, value: Math.exp(a - rate * step), fitted_rate: rate });
    }
  }
  return out;
}

export function projectionFigure(input: ProjectionFigureInput): Figure {
  const { kind, scale, subject } = input;
  const panelOf = new Map((input.panels ?? []).map((p) => [p.runId, p.label]));
  const byRun = input.panels !== undefined;
  const inPanel = (runId: string | undefined) => !byRun || panelOf.has(runId ?? '');
  const kept = input.rows.filter((r) => (scale === 'log' ? positive(r.value) : Number.isFinite(r.value)) && inPanel(r.run_id));
  const dips = kind === 'target' && scale === 'log' ? signChanges(kept) : new Set<ProjectionPoint>();
  const curveRows = thin(kept, dips).map((r) => ({
    ...(dips.has(r) ? { dip: true } : {}),
    ...r,
    layer: 'curve',
    curve: SOURCE_LABELS[r.source] ?? r.source,
    ...(byRun ? { panel: panelOf.get(r.run_id ?? '') } : {}),
  }));
  const splitsDrawn = new Set(curveRows.map((r) => r.split));
  // Fits only where their panel has curves: a window with nothing to fit would stand alone.
  const overlay: Record<string, unknown>[] =
    scale === 'log'
      ? fitOverlay(input.fits ?? [], kind)
          .filter((r) => inPanel(r.run_id as string | undefined) && splitsDrawn.has(r.split as string))
          .map((r) => ({ ...r, ...(byRun ? { panel: panelOf.get((r.run_id as string | undefined) ?? '') } : {}) }))
      : [];
  const lanes = [...new Set(overlay.map((r) => r.degree as number))].sort((a, b) => a - b);
  for (const r of overlay) if (r.layer === 'window') r.lane = lanes.indexOf(r.degree as number);
  const values = [...overlay.filter((r) => r.layer === 'window'), ...curveRows, ...overlay.filter((r) => r.layer === 'fit')];
  const degrees = [...new Set(curveRows.map((r) => r.degree))].sort((a, b) => a - b);
  const sources = Object.keys(SOURCE_LABELS).filter((s) => curveRows.some((r) => r.source === s));
  const others = [...new Set(curveRows.map((r) => r.source))].filter((s) => !(s in SOURCE_LABELS)).sort();
  const curves = [...sources.map((s) => SOURCE_LABELS[s]!), ...others];
  const dashes = [...sources.map((s) => SOURCE_DASHES[s]!), ...others.map(() => [3, 2, 1, 2])];
  const splits = [...splitsDrawn].sort((a, b) => order(SPLIT_ORDER, a) - order(SPLIT_ORDER, b));
  const hasFits = overlay.length > 0;
  const label = KIND_LABELS[kind] ?? { axis: `projection (${kind})`, phrase: `the projections of kind ${kind}` };
  const maxStep = Math.max(1, ...curveRows.map((r) => r.step));

  const x = stepAxis(maxStep);
  const height = byRun ? 150 : 230;
  const y = valueAxis(label.axis, scale);
  const color = {
    field: 'degree',
    type: 'nominal',
    title: 'degree k',
    // symbolOpacity: the shaded windows, drawn first, would lend the legend their faintness.
    legend: { symbolType: 'stroke', symbolOpacity: 1, symbolStrokeWidth: 2 },
    scale: { domain: degrees, scheme: DEGREE_SCHEME },
  };
  const lineEncoding = {
    x,
    y,
    color,
    strokeDash: {
      field: 'curve',
      type: 'nominal',
      title: 'curve',
      legend: { symbolType: 'stroke', symbolSize: 300, symbolStrokeWidth: 2, labelLimit: 0 },
      scale: { domain: curves, range: dashes },
    },
  };
  const only = (layer: string) => ({ filter: `datum.layer == '${layer}'` });

  const spec = styled({
    title: {
      text: `Residual per degree, ${scale === 'log' ? 'log' : 'linear'} scale`,
      subtitle: [
        `${subject} · ${label.axis} against the step t, symlog axis`,
        ...(hasFits ? ['shaded, and a bar per degree at the bottom: the fit window · wide pale line: the network’s fitted line'] : []),
      ],
    },
    data: { values },
    facet: {
      column: { field: 'split', type: 'nominal', sort: splits, title: null, header: { labelExpr: "'split: ' + datum.value" } },
      ...(byRun
        ? {
            row: {
              field: 'panel',
              type: 'nominal',
              title: null,
              sort: input.panels!.map((p) => p.label),
              header: { labelAngle: 0, labelAlign: 'left', labelLimit: 0, labelPadding: 8 },
            },
          }
        : {}),
    },
    spec: {
      width: byRun ? 260 : 330,
      height,
      layer: [
        ...(hasFits
          ? [
              {
                transform: [only('window')],
                mark: { type: 'rect', opacity: 0.07, clip: true },
                encoding: { x, x2: { field: 'step_end' }, color },
              },
              {
                // One lane per degree along the bottom: where each window starts and ends, whatever overlaps.
                transform: [
                  only('window'),
                  { calculate: `${height} - ${LANE} * (datum.lane + 1) - 2`, as: 'lane_top' },
                  { calculate: `datum.lane_top + ${LANE - 1.5}`, as: 'lane_bottom' },
                ],
                mark: { type: 'rect', opacity: 0.75, clip: true },
                encoding: {
                  x,
                  x2: { field: 'step_end' },
                  y: { field: 'lane_top', type: 'quantitative', scale: null },
                  y2: { field: 'lane_bottom' },
                  color,
                },
              },
            ]
          : []),
        { transform: [only('curve')], mark: { type: 'line', clip: true }, encoding: lineEncoding },
        ...(hasFits
          ? [
              {
                transform: [only('fit')],
                mark: { type: 'line', clip: true, strokeWidth: 6, opacity: 0.3, strokeCap: 'round' },
                encoding: { x, y, color, detail: { field: 'degree', type: 'nominal' } },
              },
            ]
          : []),
        ...(dips.size
          ? [
              {
                transform: [{ filter: 'datum.dip' }],
                mark: { type: 'point', shape: 'cross', size: 60, filled: true, clip: true },
                encoding: { x, y, color },
              },
            ]
          : []),
      ],
    },
    resolve: { scale: { y: 'shared' } },
  } as TopLevelSpec);

  const missing = ['kernel', 'init'].filter((s) => !sources.includes(s)).map((s) => SOURCE_LABELS[s]!);
  const name = `projection-${kind}-${scale}`;
  return {
    name,
    heading: `Projection per degree (${kind}), ${scale} scale`,
    caption:
      `The projection ${label.axis} against the GD step t: ${label.phrase}. ` +
      'The step axis is symlog (linear below t = 1, logarithmic above), on the linear and the log figures alike, so t = 0 stays on it ' +
      'and the fast degrees, which fall in the first tens of steps, get as much width as the slow ones. ' +
      `One colour per degree; ${sources.map((s) => SOURCE_LINES[s]!).join(', ')}` +
      (missing.length ? ` (this run has no ${missing.join(' or ')} rows)` : '') +
      '. ' +
      `Panels: ${splits.join(' and ')} split${byRun ? ', one row per run' : ''}.` +
      (scale === 'log'
        ? ' On the log y scale geometric decay e^{−rate·t} is a straight line against t, but on this log-like step axis it bends down ever faster; ' +
          'read rates off the fitted lines, not off slopes.'
        : '') +
      (hasFits
        ? ' Shaded, and marked by a bar in the degree’s colour along the bottom of the panel: each degree’s fit window [window_start, window_end] of `rates` (sql/rates.sql, the same window for the network and both twins); ' +
          'the wide pale line over it is the network’s fitted line ln v(t) = fit_intercept − fitted_rate · t.'
        : '') +
      (dips.size
        ? ' Crosses mark where v̂_kᵀ r_t changes sign: the absolute value dips towards zero there, a V on the log axis, not a change of rate.'
        : ''),
    spec,
  };
}

/** Most points drawn per curve: more add file size, not detail, at this figure's width. */
export const MAX_POINTS_PER_CURVE = 400;

/** The points of each curve, in step order, keyed as thin() keys them. */
function curvesOf(rows: ProjectionPoint[]): Map<string, ProjectionPoint[]> {
  const curves = new Map<string, ProjectionPoint[]>();
  for (const r of rows) {
    const key = `${r.run_id ?? ''}\u0000${r.split}\u0000${r.degree}\u0000${r.source}`;
    let curve = curves.get(key);
    if (!curve) curves.set(key, (curve = []));
    curve.push(r);
  }
  for (const curve of curves.values()) curve.sort((a, b) => a.step - b.step);
  return curves;
}

/**
 * Where |v̂ᵀr| dips through zero: a logged point below half of both neighbours. A smooth
 * geometric decay never does that (it would need a rate above ln 2 per logged interval on
 * both sides); a signed projection crossing zero does, and its absolute value draws a V.
 */
export function signChanges(rows: ProjectionPoint[]): Set<ProjectionPoint> {
  const dips = new Set<ProjectionPoint>();
  for (const curve of curvesOf(rows).values()) {
    for (let i = 1; i + 1 < curve.length; i++) {
      const v = curve[i]!.value;
      if (v < 0.5 * curve[i - 1]!.value && v < 0.5 * curve[i + 1]!.value) dips.add(curve[i]!);
    }
  }
  return dips;
}

/** Keeps every s-th point of each curve (and its last, and every point in `keep`), so no curve has more than {@link MAX_POINTS_PER_CURVE} thinned points. */
function thin(rows: ProjectionPoint[], keep: Set<ProjectionPoint> = new Set()): ProjectionPoint[] {
  const kept: ProjectionPoint[] = [];
  for (const curve of curvesOf(rows).values()) {
    const stride = Math.ceil(curve.length / MAX_POINTS_PER_CURVE);
    curve.forEach((p, i) => {
      if (i % stride === 0 || i === curve.length - 1 || keep.has(p)) kept.push(p);
    });
  }
  return kept;
}

function order(list: string[], value: string): number {
  const i = list.indexOf(value);
  return i === -1 ? list.length : i;
}
