/**
 * Figure (a): the per-degree projection of the residual against the GD step,
 * the paper's Figs. 1-2. Train and test side by side, one colour per degree,
 * the trained network solid and its kernel-regime twin dashed.
 *
 * ```ts
 * const rows = await db.query('SELECT split, step, degree, source, value FROM projections WHERE run_id = $r AND kind = $k', ...);
 * projectionFigure({ rows, kind: 'target', scale: 'log', subject: runId });
 * ```
 *
 * The kernel-regime curve is `U (1 - eta' Λ)^t Uᵀ r_0` projected the same way,
 * with `eta = eta' / (m theta^2)` the GD step on the weights; when a run has no
 * `source = 'kernel'` rows only the network curves are drawn.
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

const SOURCE_LABELS: Record<string, string> = { network: 'network (trained)', kernel: 'kernel regime (linearized)' };
const SPLIT_ORDER = ['train', 'test'];

export function projectionFigure(input: ProjectionFigureInput): Figure {
  const { kind, scale, subject } = input;
  const panelOf = new Map((input.panels ?? []).map((p) => [p.runId, p.label]));
  const byRun = input.panels !== undefined;
  const kept = input.rows.filter(
    (r) => (scale === 'log' ? positive(r.value) : Number.isFinite(r.value)) && (!byRun || panelOf.has(r.run_id ?? '')),
  );
  const dips = kind === 'target' && scale === 'log' ? signChanges(kept) : new Set<ProjectionPoint>();
  const values = thin(kept, dips).map((r) => ({
    ...(dips.has(r) ? { dip: true } : {}),
    ...r,
    curve: SOURCE_LABELS[r.source] ?? r.source,
    ...(byRun ? { panel: panelOf.get(r.run_id ?? '') } : {}),
  }));
  const degrees = [...new Set(values.map((r) => r.degree))].sort((a, b) => a - b);
  const curves = Object.values(SOURCE_LABELS).filter((c) => values.some((r) => r.curve === c));
  const splits = [...new Set(values.map((r) => r.split))].sort((a, b) => order(SPLIT_ORDER, a) - order(SPLIT_ORDER, b));
  const hasKernel = values.some((r) => r.source === 'kernel');
  const label = KIND_LABELS[kind] ?? { axis: `projection (${kind})`, phrase: `the projections of kind ${kind}` };

  const lineEncoding = {
    x: { field: 'step', type: 'quantitative', title: 'gradient-descent step t' },
    y: {
      field: 'value',
      type: 'quantitative',
      title: label.axis,
      scale: scale === 'log' ? { type: 'log' } : { zero: true },
      axis: scale === 'log' ? LOG_AXIS : {},
    },
    color: {
      field: 'degree',
      type: 'nominal',
      title: 'degree k',
      legend: { symbolType: 'stroke' },
      scale: { domain: degrees, scheme: DEGREE_SCHEME },
    },
    strokeDash: {
      field: 'curve',
      type: 'nominal',
      title: 'curve',
      legend: { symbolType: 'stroke', symbolSize: 300 },
      scale: { domain: curves, range: curves.map((c) => (c === SOURCE_LABELS.kernel ? [6, 4] : [1, 0])) },
    },
  };

  const spec = styled({
    title: {
      text: `Residual per degree, ${scale === 'log' ? 'log' : 'linear'} scale`,
      subtitle: `${subject} · ${label.axis} · network solid${hasKernel ? ', kernel regime dashed' : ''}`,
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
      height: byRun ? 150 : 230,
      layer: [
        { mark: { type: 'line', clip: true }, encoding: lineEncoding },
        ...(dips.size
          ? [
              {
                transform: [{ filter: 'datum.dip' }],
                mark: { type: 'point', shape: 'cross', size: 60, filled: true, clip: true },
                encoding: { x: lineEncoding.x, y: lineEncoding.y, color: lineEncoding.color },
              },
            ]
          : []),
      ],
    },
    resolve: { scale: { y: 'shared' } },
  } as TopLevelSpec);

  const name = `projection-${kind}-${scale}`;
  return {
    name,
    heading: `Projection per degree (${kind}), ${scale} scale`,
    caption:
      `The projection ${label.axis} against the GD step: ${label.phrase}. One colour per degree; ` +
      (hasKernel
        ? 'solid lines are the trained network, dashed lines its kernel-regime twin (the linearized dynamics on the same sample). '
        : 'solid lines are the trained network (this run has no kernel-regime rows). ') +
      `Panels: ${splits.join(' and ')} split${byRun ? ', one row per run' : ''}.` +
      (scale === 'log' ? ' On the log scale a straight stretch is geometric decay; its slope is the fitted rate.' : '') +
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
