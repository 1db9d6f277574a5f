/**
 * Figure (e), for sweeps over the width: how far the trained network's fitted rate is from each
 * kernel-regime twin, |fitted / twin − 1|, against the width m on log-log axes. One panel per
 * twin (the infinite-width one on the analytic kernel, the finite-width one on the network's own
 * NTK at its initial weights), one colour per degree; points are the mean over the seeds of a
 * width, bars span min to max. A grey dashed line of slope −1/2 is drawn in the infinite-width
 * panel for reference: the kernel's own fluctuation at initialisation is O(m^-1/2).
 *
 * ```ts
 * const rows = (await queries.rateSummary(target)).filter((r) => r.kind === 'target' && r.split === 'train');
 * twinGapFigure({ rows, subject: sweepId });
 * ```
 */
import type { TopLevelSpec } from 'vega-lite';
import { DEGREE_SCHEME, LOG_AXIS, positive, styled, type Figure } from './figure.js';
import type { RateSummaryRow } from './queries.js';

export const TWIN_PANELS = {
  kernel: 'vs the infinite-width twin (analytic kernel)',
  init: 'vs the finite-width twin (NTK at init)',
} as const;

export interface TwinGapPoint {
  twin: string;
  width: number;
  degree: number;
  /** Mean, min and max over the seeds of |fitted / twin − 1|. */
  gap: number;
  lo: number;
  hi: number;
  runs: number;
}

/** |fitted / twin − 1| per run, pooled over the seeds of each (twin, width, degree). */
export function twinGaps(rows: RateSummaryRow[]): TwinGapPoint[] {
  const groups = new Map<string, { twin: string; width: number; degree: number; gaps: number[] }>();
  for (const r of rows) {
    if (r.width === null || !positive(r.fitted_rate)) continue;
    for (const [twin, rate] of [
      [TWIN_PANELS.kernel, r.kernel_rate],
      [TWIN_PANELS.init, r.init_kernel_rate],
    ] as const) {
      if (!positive(rate)) continue;
      const key = `${twin}\u0000${r.width}\u0000${r.degree}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { twin, width: r.width, degree: r.degree, gaps: [] }));
      g.gaps.push(Math.abs(r.fitted_rate / rate - 1));
    }
  }
  return [...groups.values()]
    .filter((g) => g.gaps.length > 0)
    .map((g) => ({
      twin: g.twin,
      width: g.width,
      degree: g.degree,
      gap: g.gaps.reduce((a, b) => a + b, 0) / g.gaps.length,
      lo: Math.min(...g.gaps),
      hi: Math.max(...g.gaps),
      runs: g.gaps.length,
    }))
    .sort((a, b) => a.twin.localeCompare(b.twin) || a.degree - b.degree || a.width - b.width);
}

export interface TwinGapFigureInput {
  /** rate_summary rows of one split and kind (train, target in the reproduction). */
  rows: RateSummaryRow[];
  subject: string;
}

/** Null when fewer than two widths have a gap to draw. */
export function twinGapFigure(input: TwinGapFigureInput): Figure | null {
  const points = twinGaps(input.rows).filter((p) => p.gap > 0);
  const widths = [...new Set(points.map((p) => p.width))].sort((a, b) => a - b);
  if (widths.length < 2) return null;
  const degrees = [...new Set(points.map((p) => p.degree))].sort((a, b) => a - b);
  const panels = Object.values(TWIN_PANELS).filter((t) => points.some((p) => p.twin === t));
  const seeds = Math.max(...points.map((p) => p.runs));
  // The reference m^-1/2 line through the median infinite-width gap at the smallest width.
  const atFirst = points
    .filter((p) => p.twin === TWIN_PANELS.kernel && p.width === widths[0])
    .map((p) => p.gap)
    .sort((a, b) => a - b);
  const anchor = atFirst[Math.floor(atFirst.length / 2)];
  const reference =
    anchor === undefined
      ? []
      : widths.map((w) => ({ twin: TWIN_PANELS.kernel, width: w, gap: anchor * Math.sqrt(widths[0]! / w), reference: true }));

  const x = {
    field: 'width',
    type: 'quantitative',
    title: 'network width m (log scale)',
    scale: { type: 'log', base: 2, nice: false, padding: 12 },
    axis: { values: widths, format: 'd' },
  };
  const y = { field: 'gap', type: 'quantitative', title: '|fitted / twin − 1|', scale: { type: 'log' }, axis: LOG_AXIS };
  const color = { field: 'degree', type: 'nominal', title: 'degree k', scale: { domain: degrees, scheme: DEGREE_SCHEME } };

  const spec = styled({
    title: {
      text: 'Fitted rate against its kernel-regime twins, by width',
      subtitle: `${input.subject}${seeds > 1 ? ` · mean over ${seeds} seeds, bars min to max` : ''}`,
    },
    data: { values: [...points, ...reference] },
    facet: { column: { field: 'twin', type: 'nominal', sort: panels, title: null } },
    spec: {
      width: 300,
      height: 240,
      layer: [
        { transform: [{ filter: '!datum.reference' }], mark: { type: 'line' }, encoding: { x, y, color } },
        {
          transform: [{ filter: '!datum.reference' }],
          mark: { type: 'point', filled: true, size: 45, opacity: 1 },
          encoding: { x, y, color },
        },
        ...(seeds > 1
          ? [
              {
                transform: [{ filter: '!datum.reference' }],
                mark: { type: 'rule', strokeWidth: 1.5 },
                encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color },
              },
            ]
          : []),
        {
          transform: [{ filter: 'datum.reference' }],
          mark: { type: 'line', color: '#888', strokeDash: [4, 4] },
          encoding: { x, y },
        },
      ],
    },
    resolve: { scale: { y: 'shared' } },
  } as TopLevelSpec);

  return {
    name: 'twin-gap',
    heading: 'Fitted rate against its twins, by width',
    caption:
      'How far the rate fitted to the trained network is from the same fit to each kernel-regime twin, |fitted / twin − 1|, ' +
      'against the width m, log-log, one colour per degree' +
      (seeds > 1 ? ' (mean over the seeds of a width; bars span min to max)' : '') +
      '. Left: the infinite-width twin (analytic kernel κ); right: the finite-width twin (the network’s own NTK at its initial weights). ' +
      'The grey dashed line has slope −1/2, the order of the kernel’s fluctuation at initialisation.',
    spec,
  };
}
