/**
 * The interactive views of report.html, as vega-lite specs with inline data:
 * projections (with the fit window and fitted line where the rates carry a
 * window), losses, and any static figure made interactive (tooltips on every
 * mark). Pure: rows in, specs out.
 *
 * ```ts
 * projectionViewSpecs({ rows, rates, kind: 'target', scale: 'log', subject: runId });
 * withTooltips(spectrumFigure(...).spec);
 * ```
 */

import type { TopLevelSpec } from 'vega-lite';
import { DEGREE_SCHEME, LOG_AXIS, positive, styled } from './figure.js';
import { KIND_LABELS, signChanges, SOURCE_DASHES, SOURCE_LABELS, stepAxis, valueAxis, type ProjectionPoint } from './projection-figure.js';

/** What the fitted-line layer needs of a rate row (columns of the rates table). */
export interface FitWindowRow {
  run_id?: string;
  split: string;
  kind: string;
  degree: number;
  fitted_rate: number | null;
  window_start: number | null;
  window_end: number | null;
  /** The fit's intercept (rates.fit_intercept): ln v = fit_intercept − fitted_rate·t. Absent or null: the least-squares intercept of the window's points. */
  fit_intercept?: number | null;
}

export interface LossPoint {
  run_id?: string;
  split: string;
  step: number;
  loss: number;
}

const CURVES: Record<string, string> = { ...SOURCE_LABELS, fit: 'fitted rate over its window' };
const DASHES: Record<string, number[]> = { ...SOURCE_DASHES, fit: [2, 2] };
const DEGREE_FILTER = { filter: 'selected_degree < 0 || datum.degree == selected_degree' };
const MAX_POINTS = 300;

/**
 * The fitted line of each (run, split, degree): value = exp(a − rate·t) over the window, with a
 * the fit's own intercept (rates.fit_intercept) or, where the row has none, the least-squares
 * intercept for the fitted slope (the line through the means of t and ln value over the window's
 * points). Sampled evenly in ln(1 + t), as the step axis is symlog.
 */
export function fitLines(rows: ProjectionPoint[], rates: FitWindowRow[], kind: string): (ProjectionPoint & { curve: string })[] {
  const out: (ProjectionPoint & { curve: string })[] = [];
  for (const r of rates) {
    if (r.kind !== kind || r.window_start === null || r.window_end === null || r.fitted_rate === null || !Number.isFinite(r.fitted_rate))
      continue;
    let lnA = r.fit_intercept ?? Number.NaN;
    if (!Number.isFinite(lnA)) {
      const inWindow = rows.filter(
        (p) =>
          (p.run_id ?? r.run_id) === r.run_id &&
          p.split === r.split &&
          p.degree === r.degree &&
          p.source === 'network' &&
          p.step >= r.window_start! &&
          p.step <= r.window_end! &&
          p.value > 0,
      );
      if (inWindow.length < 2) continue;
      const meanT = inWindow.reduce((a, p) => a + p.step, 0) / inWindow.length;
      const meanLn = inWindow.reduce((a, p) => a + Math.log(p.value), 0) / inWindow.length;
      lnA = meanLn + r.fitted_rate * meanT;
    }
    const u0 = Math.log1p(r.window_start);
    const u1 = Math.log1p(r.window_end);
    for (let i = 0; i <= 24; i++) {
      const step = i === 0 ? r.window_start : i === 24 ? r.window_end : Math.expm1(u0 + ((u1 - u0) * i) / 24);
      out.push({
        run_id: r.run_id,
        split: r.split,
        degree: r.degree,
        source: 'fit',
        step,
        value: Math.exp(lnA - r.fitted_rate * step),
        curve: CURVES.fit!,
      });
    }
  }
  return out;
}

export interface ProjectionViewInput {
  rows: ProjectionPoint[];
  /** Rate rows with windows: draws the fitted line; none (or no window columns) draws none. */
  rates: FitWindowRow[];
  kind: string;
  scale: 'linear' | 'log';
  subject: string;
  /** Comparison: colour by run (label per run id) instead of by degree. */
  runLabels?: Map<string, string>;
}

/** One panel per split, side by side; zoom and pan each, tooltips on the points, degree filter from the page. */
export function projectionViewSpec(input: ProjectionViewInput): TopLevelSpec {
  const { kind, scale, runLabels } = input;
  const keep = (v: number) => (scale === 'log' ? positive(v) : Number.isFinite(v));
  const curveOf = (source: string) => CURVES[source] ?? source;
  const data = thin(input.rows.filter((r) => keep(r.value))).map((r) => ({
    ...r,
    curve: curveOf(r.source),
    ...(runLabels ? { run: runLabels.get(r.run_id ?? '') ?? r.run_id } : {}),
  }));
  const fits = runLabels ? [] : fitLines(input.rows, input.rates, kind).filter((r) => keep(r.value));
  // |v̂ᵀr| crossing zero draws a V on a log axis: mark those points (see signChanges).
  const dips =
    kind === 'target' && scale === 'log'
      ? [...signChanges(input.rows.filter((r) => keep(r.value)))].map((r) => ({
          ...r,
          ...(runLabels ? { run: runLabels.get(r.run_id ?? '') ?? r.run_id } : {}),
        }))
      : [];
  const splits = [...new Set(data.map((r) => r.split))].sort((a, b) => (a === 'train' ? -1 : b === 'train' ? 1 : a.localeCompare(b)));
  const degrees = [...new Set(data.map((r) => r.degree))].sort((a, b) => a - b);
  const curves = Object.values(CURVES).filter((c) => data.some((r) => r.curve === c) || fits.some((r) => r.curve === c));
  const label = KIND_LABELS[kind] ?? { axis: `projection (${kind})` };
  const x = stepAxis(Math.max(1, ...data.map((r) => r.step)));
  const y = valueAxis(label.axis, scale);
  const color = runLabels
    ? {
        field: 'run',
        type: 'nominal',
        title: 'run',
        legend: { symbolType: 'stroke' },
        scale: { domain: [...new Set(runLabels.values())], scheme: 'tableau10' },
      }
    : {
        field: 'degree',
        type: 'nominal',
        title: 'degree k',
        legend: { symbolType: 'stroke' },
        scale: { domain: degrees, scheme: DEGREE_SCHEME },
      };
  const strokeDash = {
    field: 'curve',
    type: 'nominal',
    title: 'curve',
    legend: { symbolType: 'stroke', symbolSize: 300 },
    scale: { domain: curves, range: curves.map((c) => DASHES[Object.keys(CURVES).find((k) => CURVES[k] === c) ?? ''] ?? [1, 0]) },
  };
  const detail = [
    { field: 'degree', type: 'nominal' },
    { field: 'source', type: 'nominal' },
    ...(runLabels ? [{ field: 'run', type: 'nominal' }] : []),
  ];
  const tooltip = [
    ...(runLabels ? [{ field: 'run', title: 'run' }] : []),
    { field: 'degree', title: 'degree k' },
    { field: 'curve', title: 'curve' },
    { field: 'step', title: 'step' },
    { field: 'value', title: label.axis, format: '.4~e' },
  ];
  const panel = (split: string, i: number) => ({
    title: `split: ${split}`,
    width: runLabels ? 420 : 330,
    height: 240,
    layer: [
      {
        data: { values: data.filter((r) => r.split === split) },
        transform: [DEGREE_FILTER],
        params: [{ name: `zoom${i}`, select: { type: 'interval', encodings: ['x', 'y'] }, bind: 'scales' }],
        mark: { type: 'line', clip: true },
        encoding: { x, y, color, strokeDash, detail },
      },
      {
        data: { values: data.filter((r) => r.split === split) },
        transform: [DEGREE_FILTER],
        mark: { type: 'point', filled: true, size: 14, opacity: 0.35, clip: true },
        encoding: { x, y, color, detail, tooltip },
      },
      ...(dips.some((r) => r.split === split)
        ? [
            {
              data: { values: dips.filter((r) => r.split === split) },
              transform: [DEGREE_FILTER],
              mark: { type: 'point', shape: 'cross', size: 70, filled: true, clip: true },
              encoding: {
                x,
                y,
                color,
                tooltip: [
                  { field: 'degree', title: 'degree k' },
                  { field: 'step', title: 'sign change near step' },
                ],
              },
            },
          ]
        : []),
      ...(fits.some((r) => r.split === split)
        ? [
            {
              data: { values: fits.filter((r) => r.split === split) },
              transform: [DEGREE_FILTER],
              mark: { type: 'line', clip: true, strokeWidth: 4, opacity: 0.45 },
              encoding: {
                x,
                y,
                color,
                strokeDash,
                detail,
                tooltip: [
                  { field: 'degree', title: 'degree k' },
                  { field: 'curve', title: 'curve' },
                ],
              },
            },
          ]
        : []),
    ],
  });
  return styled({
    title: {
      text: `Residual per degree (${kind}), ${scale} scale`,
      subtitle: `${input.subject} · ${label.axis}${fits.length ? ' · thick dotted: the fitted rate over its window' : ''}${dips.length ? ' · ✚: sign change' : ''}`,
    },
    params: [{ name: 'selected_degree', value: -1 }],
    hconcat: splits.map(panel),
    resolve: { scale: { y: 'shared', x: 'shared' } },
  } as unknown as TopLevelSpec);
}

/** Train (and test, when logged) loss against the step. */
export function lossViewSpec(rows: LossPoint[], scale: 'linear' | 'log', subject: string, runLabels?: Map<string, string>): TopLevelSpec {
  const values = rows
    .filter((r) => (scale === 'log' ? positive(r.loss) : Number.isFinite(r.loss)))
    .map((r) => ({ ...r, ...(runLabels ? { run: runLabels.get(r.run_id ?? '') ?? r.run_id } : {}) }));
  const colorField = runLabels ? 'run' : 'split';
  return styled({
    title: { text: `Loss, ${scale} scale`, subtitle: `${subject} · mean squared error of the network on each split` },
    width: 520,
    height: 260,
    data: { values: thinBy(values, (r) => `${r.run_id ?? ''}\u0000${r.split}`) },
    params: [{ name: 'zoom', select: { type: 'interval', encodings: ['x', 'y'] }, bind: 'scales' }],
    mark: { type: 'line', point: { size: 10, filled: true }, clip: true, tooltip: true },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'gradient-descent step t' },
      y: {
        field: 'loss',
        type: 'quantitative',
        title: 'loss',
        scale: scale === 'log' ? { type: 'log' } : { zero: true },
        axis: scale === 'log' ? LOG_AXIS : {},
      },
      color: {
        field: colorField,
        type: 'nominal',
        title: colorField,
        legend: { symbolType: 'stroke' },
        // train first, so it gets the first colour, as in the projection figures
        scale: runLabels
          ? { scheme: 'tableau10' }
          : {
              domain: [...new Set(values.map((r) => r.split))].sort((a, b) =>
                a === 'train' ? -1 : b === 'train' ? 1 : a.localeCompare(b),
              ),
              scheme: 'tableau10',
            },
      },
      ...(runLabels ? { strokeDash: { field: 'split', type: 'nominal', title: 'split', legend: { symbolType: 'stroke' } } } : {}),
    },
  } as unknown as TopLevelSpec);
}

/** A copy of `spec` with tooltips on every mark (vega-embed's tooltip handler shows them). */
export function withTooltips(spec: TopLevelSpec): TopLevelSpec {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!node || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === 'data' || k === 'config') out[k] = v;
      else if (k === 'mark') out[k] = typeof v === 'string' ? { type: v, tooltip: true } : { ...(v as object), tooltip: true };
      else out[k] = walk(v);
    }
    return out;
  };
  return walk(spec) as TopLevelSpec;
}

function thin(rows: ProjectionPoint[]): ProjectionPoint[] {
  return thinBy(rows, (r) => `${r.run_id ?? ''}\u0000${r.split}\u0000${r.degree}\u0000${r.source}`);
}

/** Every s-th point of each curve (and its last), at most {@link MAX_POINTS} per curve. */
function thinBy<T extends { step: number }>(rows: T[], key: (r: T) => string): T[] {
  const curves = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    let c = curves.get(k);
    if (!c) curves.set(k, (c = []));
    c.push(r);
  }
  const kept: T[] = [];
  for (const c of curves.values()) {
    c.sort((a, b) => a.step - b.step);
    const stride = Math.ceil(c.length / MAX_POINTS);
    c.forEach((p, i) => {
      if (i % stride === 0 || i === c.length - 1) kept.push(p);
    });
  }
  return kept;
}
