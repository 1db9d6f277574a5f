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
}

export async function buildRunReport(input: ReportInput): Promise<ReportDocument> {
  const { queries, target } = input;
  const [run] = await queries.runs(target);
  if (!run) throw new Error(`run ${target.id} vanished from ${input.database} while the report was being built`);
  const rates = await queries.rateSummary(target);
  const manifestFile = manifestPath(input.dataRoot, run.run_id);
  const manifest = await readManifest(input.dataRoot, run.run_id);

  const figures: Figure[] = [];
  for (const kind of await queries.projectionKinds(target)) {
    const rows = await queries.projections(target, kind);
    // The paper's measurement (kind target) on both scales; the others on the log scale, where rates show.
    const scales = kind === 'target' ? (['linear', 'log'] as const) : (['log'] as const);
    for (const scale of scales) figures.push(projectionFigure({ rows, kind, scale, subject: run.run_id }));
  }
  const spectrum = await queries.spectrum(run.run_id);
  if (spectrum.length) figures.push(spectrumFigure({ spectrum, gram: await queries.gram(run.run_id), subject: run.run_id }));
  const ntk = await queries.ntkChecks(target);
  if (ntk.length) figures.push(ntkFigure({ rows: ntk, subject: run.run_id }));

  const finished = run.finished_at ? `, finished ${run.finished_at}` : '';
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
  return { figures, markdown };
}
