/**
 * The report of one run: its rates (rate_summary), figures (a) projections
 * per degree, linear and log, (b) the spectrum with the Gram eigenvalues,
 * (d) the empirical-NTK error when the run has an ntk_check row, then the
 * spec and the provenance.
 *
 * ```ts
 * const doc = await buildRunReport({ queries, target, dataRoot, database: 'data/results.duckdb' });
 * doc.figures;  // Figure[] to render
 * doc.markdown; // report.md, linking `<figure.name>.png` and `.svg`
 * ```
 */

import type { Figure } from './figure.js';
import { escapeHtml, type HtmlReportInput, type HtmlView } from './html.js';
import { manifestHtml, ratesHtml } from './html-sections.js';
import { lossViewSpec, projectionViewSpec, withTooltips } from './html-views.js';
import { readManifest, manifestPath } from './manifest.js';
import { codeBlock, figureBlock } from './markdown.js';
import { ntkFigure } from './ntk-figure.js';
import { projectionFigure } from './projection-figure.js';
import type { ReportQueries } from './queries.js';
import { provenanceSection, RATES_LEGEND, ratesTable, specSection } from './sections.js';
import { spectrumFigure } from './spectrum-figure.js';
import type { ReportTarget } from './target.js';

export interface ReportInput {
  queries: ReportQueries;
  target: ReportTarget;
  /** The data root, for manifests. */
  dataRoot: string;
  /** The results database as shown to the reader. */
  database: string;
}

export interface ReportDocument {
  figures: Figure[];
  markdown: string;
  /** report.html's content (views, tables), turned into a page by reportHtml. */
  html: HtmlReportInput;
}

export async function buildRunReport(input: ReportInput): Promise<ReportDocument> {
  const { queries, target } = input;
  const [run] = await queries.runs(target);
  if (!run) throw new Error(`run ${target.id} vanished from ${input.database} while the report was being built`);
  const rates = await queries.rateSummary(target);
  const manifestFile = manifestPath(input.dataRoot, run.run_id);
  const manifest = await readManifest(input.dataRoot, run.run_id);

  const figures: Figure[] = [];
  const views: HtmlView[] = [];
  for (const kind of await queries.projectionKinds(target)) {
    const rows = await queries.projections(target, kind);
    const fits = await queries.fits(target, kind);
    // The paper's measurement (kind target) on both scales; the others on the log scale, where rates show.
    const scales = kind === 'target' ? (['linear', 'log'] as const) : (['log'] as const);
    for (const scale of scales) figures.push(projectionFigure({ rows, fits, kind, scale, subject: run.run_id }));
    const view = (scale: 'linear' | 'log') => projectionViewSpec({ rows, rates: fits, kind, scale, subject: run.run_id });
    views.push({
      id: `projection-${kind}`,
      heading: `Projection per degree (${kind})`,
      caption:
        figures.at(-1)!.caption.replace(/`/g, '') + ' Thick dotted lines: the fitted rate over its window (where the fit was not refused).',
      specs: { linear: view('linear'), log: view('log') },
      degrees: true,
    });
  }
  const losses = await queries.losses(target);
  if (losses.length) {
    figures.push({
      name: 'loss',
      heading: 'Loss, log scale',
      caption: 'The mean squared error of the network against the GD step, one line per split.',
      spec: lossViewSpec(losses, 'log', run.run_id),
    });
    views.push({
      id: 'loss',
      heading: 'Loss',
      caption: figures.at(-1)!.caption,
      specs: { linear: lossViewSpec(losses, 'linear', run.run_id), log: lossViewSpec(losses, 'log', run.run_id) },
    });
  }
  const spectrum = await queries.spectrum(run.run_id);
  if (spectrum.length) figures.push(spectrumFigure({ spectrum, gram: await queries.gram(run.run_id), subject: run.run_id }));
  const ntk = await queries.ntkChecks(target);
  if (ntk.length) figures.push(ntkFigure({ rows: ntk, subject: run.run_id }));

  const finished = run.finished_at ? `, finished ${run.finished_at}` : '';
  for (const f of figures.slice(figures.findIndex((f) => f.name === 'loss') + 1)) {
    views.push({ id: f.name, heading: f.heading, caption: f.caption.replace(/`/g, ''), specs: { fixed: withTooltips(f.spec) } });
  }
  const html: HtmlReportInput = {
    title: `Report: run ${run.run_id}`,
    intro:
      `<p>Run <code>${escapeHtml(run.run_id)}</code> of spec <b>${escapeHtml(run.name)}</b>: ${escapeHtml(run.status)}${escapeHtml(finished)}; ` +
      `engine ${escapeHtml(run.engine)} (${escapeHtml(run.backend)}). Width m = ${run.width ?? '?'}, n = ${run.n ?? '?'}, D = ${run.dim ?? '?'}, ` +
      `η′ = ${run.learning_rate ?? '?'}, seed ${run.seed ?? '?'}${run.sweep_id ? `, sweep <code>${escapeHtml(run.sweep_id)}</code>` : ''}.</p>`,
    views,
    sections: [
      '<h2>Rates</h2>',
      `<p class="caption">${escapeHtml(RATES_LEGEND.replace(/[`*]/g, ''))}</p>`,
      ratesHtml(rates as unknown as Record<string, unknown>[], false),
      '<h2>Provenance</h2>',
      manifestHtml(run.spec, manifest, manifestFile),
    ],
    degrees: [...new Set(rates.map((r) => r.degree))].sort((a, b) => a - b),
  };
  const markdown = [
    `# Report: run ${run.run_id}`,
    '',
    `Run \`${run.run_id}\` of spec **${run.name}**: ${run.status}${finished}; engine ${run.engine} (${run.backend}).` +
      (run.sweep_id ? ` It is a point of sweep \`${run.sweep_id}\`.` : ''),
    `Width m = ${run.width ?? '?'}, n = ${run.n ?? '?'} training points on S^${run.dim === null ? '?' : run.dim - 1}, ` +
      `inputs ${run.distribution ?? '?'}, target ${run.target ?? '?'}, η′ = ${run.learning_rate ?? '?'}, seed ${run.seed ?? '?'}.`,
    `Tables and figures come from \`${input.database}\`.`,
    '',
    '## Rates',
    '',
    RATES_LEGEND,
    '',
    rates.length ? ratesTable(rates, false) : '_This run has no fitted rates._',
    '',
    'The same rows in SQL:',
    '',
    codeBlock('sql', `SELECT * FROM rate_summary WHERE run_id = '${run.run_id}' ORDER BY split, kind, degree;`),
    '',
    '## Figures',
    '',
    ...figures.flatMap((f) => [figureBlock(f), '']),
    '## Spec',
    '',
    specSection(run.spec),
    '',
    '## Provenance',
    '',
    provenanceSection(run, manifest, manifestFile),
    '',
  ].join('\n');
  return { figures, markdown, html };
}
