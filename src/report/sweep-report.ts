/**
 * The report of one sweep (the runs sharing a sweep_id): which spec fields the
 * grid varies (each grid point named by them, spec/point-labels.ts), the sweep_summary table (seeds pooled), the per-run rates of kind
 * target, figures (c) fitted rate against the varied knob, (e) for width
 * sweeps, the fitted rate's distance from its twins against width, (d) the
 * empirical-NTK error against width, (a) the log-scale projections of each
 * run, (b) the spectrum of the first run, then the spec of the first run and
 * the provenance of every run.
 *
 * ```ts
 * const doc = await buildSweepReport({ queries, target, dataRoot, database });
 * ```
 */

import { differingFields } from '../spec/diff.js';
import { pointLabels } from '../spec/point-labels.js';
import type { Figure } from './figure.js';
import { escapeHtml, type HtmlReportInput } from './html.js';
import { manifestHtml, ratesHtml } from './html-sections.js';
import { withTooltips } from './html-views.js';
import { formatCount } from './format.js';
import { manifestPath, readManifest } from './manifest.js';
import { codeBlock, figureBlock, markdownTable } from './markdown.js';
import { ntkFigure } from './ntk-figure.js';
import { projectionFigure } from './projection-figure.js';
import type { RunInfo } from './queries.js';
import type { ReportDocument, ReportInput } from './run-report.js';
import { RATES_LEGEND, ratesTable, specSection, sweepTable } from './sections.js';
import { spectrumFigure } from './spectrum-figure.js';
import { sweepAxis, sweepRateFigure } from './sweep-rate-figure.js';
import { twinGapFigure } from './twin-gap-figure.js';

/** Runs drawn in the per-run projection figure; beyond that the panels get too small to read. */
const MAX_PROJECTION_RUNS = 8;

export async function buildSweepReport(input: ReportInput): Promise<ReportDocument> {
  const { queries, target } = input;
  const runs = await queries.runs(target);
  const summary = await queries.sweepSummary(target.id);
  const rates = (await queries.rateSummary(target)).filter((r) => r.kind === 'target');
  const points = gridPoints(runs);
  const seeds = new Set(runs.map((r) => r.seed)).size > 1;
  // The spec fields the grid varies (the seed last: replicates are not grid points).
  const varied = [
    ...differingFields(runs.map((r) => ({ ...(r.spec as object), seed: undefined }))).map((d) => d.path),
    ...(seeds ? ['seed'] : []),
  ];

  const figures: Figure[] = [];
  const kinds = [...new Set(summary.map((s) => s.kind))];
  const rateKind = kinds.includes('target') ? 'target' : kinds[0];
  if (rateKind !== undefined) {
    figures.push(sweepRateFigure({ rows: summary, axis: sweepAxis(summary, points), kind: rateKind, subject: target.id }));
  }
  const gaps =
    sweepAxis(summary).field === 'width' ? twinGapFigure({ rows: rates.filter((r) => r.split === 'train'), subject: target.id }) : null;
  if (gaps) figures.push(gaps);
  const ntk = await queries.ntkChecks(target);
  if (ntk.length) figures.push(ntkFigure({ rows: ntk, subject: target.id }));
  const shown = runs.slice(0, MAX_PROJECTION_RUNS);
  const projectionKinds = await queries.projectionKinds(target);
  const projectionKind = projectionKinds.includes('target') ? 'target' : projectionKinds[0];
  if (projectionKind !== undefined) {
    const rows = await queries.projections(target, projectionKind);
    const panels = shown.map((r) => ({ runId: r.run_id, label: panelLabel(r, points, seeds) }));
    const fits = await queries.fits(target, projectionKind);
    const figure = projectionFigure({ rows, fits, kind: projectionKind, scale: 'log', subject: target.id, panels });
    if (runs.length > shown.length)
      figure.caption += ` Only the first ${shown.length} of ${runs.length} runs (by width, n, seed) are drawn.`;
    figures.push(figure);
  }
  const first = runs[0];
  if (first) {
    const spectrum = await queries.spectrum(first.run_id);
    if (spectrum.length) {
      const figure = spectrumFigure({ spectrum, gram: await queries.gram(first.run_id), subject: first.run_id });
      figure.caption += ` Drawn for the first run, ${first.run_id}; μ_k depends only on the dimension, the Gram eigenvalues on each run's sample.`;
      figures.push(figure);
    }
  }

  const provenance = await Promise.all(
    runs.map(async (r) => {
      const m = await readManifest(input.dataRoot, r.run_id);
      const seconds = m?.timings?.reduce((a, t) => a + (t.seconds ?? 0), 0);
      return [
        r.run_id,
        m?.code?.codeVersion ?? r.code_version,
        `${m?.engine ?? r.engine} (${m?.backend ?? r.backend})`,
        m?.host ? `${m.host.hostname ?? '?'}, ${m.host.cpus ?? '?'} CPUs` : '–',
        m?.startedAt ?? r.started_at ?? '–',
        seconds === undefined ? '–' : seconds.toFixed(1),
        m ? `\`${manifestPath(input.dataRoot, r.run_id)}\`` : 'not found',
      ];
    }),
  );

  const markdown = [
    `# Report: sweep ${target.id}`,
    '',
    `Sweep \`${target.id}\`: ${runs.length} run${runs.length === 1 ? '' : 's'}` +
      (varied.length ? `; the grid varies ${varied.map((k) => `**${k}**`).join(', ')}.` : '.') +
      ` Tables and figures come from \`${input.database}\`.`,
    '',
    '## Runs',
    '',
    markdownTable(
      ['run', 'width', 'n', 'dim', 'seed', 'inputs', 'target', 'η′', 'point', 'config_id', 'status'],
      runs.map((r) => [
        r.run_id,
        formatCount(r.width),
        formatCount(r.n),
        formatCount(r.dim),
        formatCount(r.seed),
        r.distribution ?? '–',
        r.target ?? '–',
        formatCount(r.learning_rate),
        points.get(r.config_id) ?? '–',
        r.config_id,
        r.status,
      ]),
      ['l', 'r', 'r', 'r', 'r', 'l', 'l', 'r', 'l', 'l', 'l'],
    ),
    '',
    '_point_ names a grid point by the spec fields that differ between points; _config_id_ identifies it up to its seed in SQL: runs that differ only in seed share it, and `sweep_summary` pools them.',
    '',
    '## Rates across the sweep',
    '',
    RATES_LEGEND,
    '',
    summary.length ? sweepTable(summary, points) : '_No rates yet._',
    '',
    codeBlock('sql', `SELECT * FROM sweep_summary WHERE sweep_id = '${target.id}' ORDER BY split, kind, degree, width, n;`),
    '',
    '### Per run (kind target)',
    '',
    rates.length ? ratesTable(rates, true) : '_No rates of kind target._',
    '',
    '## Figures',
    '',
    ...figures.flatMap((f) => [figureBlock(f), '']),
    '## Spec',
    '',
    first
      ? `The spec of the first run, \`${first.run_id}\`${varied.length ? `; the other runs differ in ${varied.join(', ')} (see Runs)` : ''}.`
      : '_No runs._',
    '',
    ...(first ? [specSection(first.spec), ''] : []),
    '## Provenance',
    '',
    markdownTable(['run', 'code version', 'engine', 'host', 'started', 'seconds', 'manifest'], provenance, [
      'l',
      'l',
      'l',
      'l',
      'l',
      'r',
      'l',
    ]),
    '',
  ].join('\n');
  const html: HtmlReportInput = {
    title: `Report: sweep ${target.id}`,
    intro: `<p>Sweep <code>${escapeHtml(target.id)}</code>: ${runs.length} run${runs.length === 1 ? '' : 's'}${varied.length ? `; the grid varies ${escapeHtml(varied.join(', '))}` : ''}.</p>`,
    views: figures.map((f) => ({
      id: f.name,
      heading: f.heading,
      caption: f.caption.replace(/`/g, ''),
      specs: { fixed: withTooltips(f.spec) },
    })),
    sections: [
      '<h2>Rates per run</h2>',
      ratesHtml(rates as unknown as Record<string, unknown>[], true),
      ...(first
        ? [
            '<h2>Provenance of the first run</h2>',
            manifestHtml(first.spec, await readManifest(input.dataRoot, first.run_id), manifestPath(input.dataRoot, first.run_id)),
          ]
        : []),
    ],
    degrees: [...new Set(rates.map((r) => r.degree))].sort((a, b) => a - b),
  };
  return { figures, markdown, html };
}

/**
 * Each grid point's label (config_id to label), in the order the sweep started them, which is
 * the grid's (the sweep workflow launches its points in grid order; ties keep the runs' order).
 */
function gridPoints(runs: RunInfo[]): Map<string, string> {
  const byStart = runs
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (a.r.started_at ?? '\uffff').localeCompare(b.r.started_at ?? '\uffff') || a.i - b.i)
    .map(({ r }) => r);
  const labels = pointLabels(
    byStart.map((r) => r.spec),
    byStart.map((r) => r.config_id),
  );
  const points = new Map<string, string>();
  // One grid point: nothing differs to name it by, so its spec's name does.
  byStart.forEach((r, i) => points.has(r.config_id) || points.set(r.config_id, labels[i] || r.name));
  return points;
}

/** A run's panel label: its grid point (e.g. "width=256"), with the seed when seeds vary, else its run_id. */
function panelLabel(run: RunInfo, points: Map<string, string>, seeds: boolean): string {
  const parts = [...(points.size > 1 ? [points.get(run.config_id) ?? run.config_id] : []), ...(seeds ? [`seed ${run.seed ?? '?'}`] : [])];
  return parts.length ? parts.join(', ') : run.run_id;
}
