/**
 * The comparison of several runs (`specbias report A B [C ...]`, each an id,
 * a unique prefix, or a sweep id): the spec fields that differ between them
 * (like `dvc exp diff`), the per-degree rates side by side, and every
 * projection curve overlaid, coloured by run.
 *
 * ```ts
 * const target = await resolveCompareTarget(db, ['quickstart-1f37', 'quickstart-9a2c']);
 * const doc = await buildCompareReport({ queries, target, dataRoot, database });
 * ```
 */

import { createHash } from 'node:crypto';
import { differingFields } from '../spec/diff.js';
import type { ResultsDb } from '../store/results-db.js';
import type { Figure } from './figure.js';
import { formatValue } from './format.js';
import { escapeHtml, htmlTable, type HtmlReportInput } from './html.js';
import { lossViewSpec, projectionViewSpec } from './html-views.js';
import { figureBlock, markdownTable } from './markdown.js';
import type { RateSummaryRow } from './queries.js';
import type { ReportDocument, ReportInput } from './run-report.js';
import { RATES_LEGEND } from './sections.js';
import { resolveReportTarget, type ReportTarget } from './target.js';

/** Resolves every id (run, sweep or prefix) and joins their runs, in the order given, without repeats. */
export async function resolveCompareTarget(db: ResultsDb, ids: string[]): Promise<ReportTarget> {
  const runIds: string[] = [];
  for (const id of ids) {
    for (const runId of (await resolveReportTarget(db, id)).runIds) if (!runIds.includes(runId)) runIds.push(runId);
  }
  const digest = createHash('sha256').update(runIds.join('\n')).digest('hex').slice(0, 12);
  return { kind: 'runs', id: `compare-${digest}`, runIds };
}

/** Columns of rate_summary that are an interval bound of the fitted rate (whatever the measure step names them). */
function intervalColumns(rows: RateSummaryRow[]): [string, string] | null {
  const cols = rows.length ? Object.keys(rows[0]!) : [];
  const lo = cols.find((c) => /fitted_rate.*(_lo|_low|_lower)$|^(ci|rate)_lo(w|wer)?$/.test(c));
  const hi = cols.find((c) => /fitted_rate.*(_hi|_high|_upper)$|^(ci|rate)_hi(gh)?$|^(ci|rate)_upper$/.test(c));
  return lo && hi ? [lo, hi] : null;
}

export async function buildCompareReport(input: ReportInput): Promise<ReportDocument> {
  const { queries, target } = input;
  const byId = new Map((await queries.runs(target)).map((r) => [r.run_id, r]));
  const runs = target.runIds.map((id) => byId.get(id)).filter((r) => r !== undefined);
  const labels = new Map(runs.map((r) => [r.run_id, r.run_id]));
  const diff = differingFields(runs.map((r) => r.spec));
  const rates = (await queries.rateSummary(target)).filter((r) => r.kind === 'target');
  const interval = intervalColumns(rates);
  const rateCell = (row: RateSummaryRow | undefined): string => {
    if (!row) return '–';
    const base = formatValue(row.fitted_rate);
    if (!interval) return base;
    const [lo, hi] = interval.map((c) => (row as unknown as Record<string, unknown>)[c]);
    return lo === null || lo === undefined ? base : `${base} [${formatValue(lo)}, ${formatValue(hi)}]`;
  };
  const keys = [
    ...new Map(rates.map((r) => [`${r.split}\u0000${r.degree}`, { split: r.split, degree: r.degree, theory: r.theory_rate }])).values(),
  ];
  const rateHeader = ['split', 'k', ...runs.map((r) => r.run_id), 'theory rate (first run)'];
  const rateRows = keys.map((k) => [
    k.split,
    String(k.degree),
    ...runs.map((r) => rateCell(rates.find((x) => x.run_id === r.run_id && x.split === k.split && x.degree === k.degree))),
    formatValue(k.theory),
  ]);
  const paramHeader = ['field', ...runs.map((r) => r.run_id)];
  const paramRows = diff.map((d) => [d.path, ...d.values.map((v) => v ?? '(absent)')]);

  const figures: Figure[] = [];
  const kinds = await queries.projectionKinds(target);
  const kind = kinds.includes('target') ? 'target' : kinds[0];
  const rows = kind === undefined ? [] : await queries.projections(target, kind);
  const subject = `${runs.length} runs`;
  if (kind !== undefined) {
    figures.push({
      name: `compare-projection-${kind}-log`,
      heading: `Projection per degree (${kind}), every run overlaid`,
      caption:
        'Every projection curve of every run, coloured by run; solid the trained network, dashed its kernel-regime twin. Pick a degree in report.html to see one degree at a time.',
      spec: projectionViewSpec({ rows, rates: [], kind, scale: 'log', subject, runLabels: labels }),
    });
  }
  const losses = await queries.losses(target);
  if (losses.length) {
    figures.push({
      name: 'compare-loss',
      heading: 'Loss, every run overlaid',
      caption: 'The loss of each run against the GD step, coloured by run.',
      spec: lossViewSpec(losses, 'log', subject, labels),
    });
  }

  const markdown = [
    `# Comparison of ${runs.length} runs`,
    '',
    runs.map((r) => `- \`${r.run_id}\` (${r.name}, ${r.status})`).join('\n'),
    '',
    '## Parameters that differ',
    '',
    paramRows.length ? markdownTable(paramHeader, paramRows) : '_The runs have the same spec._',
    '',
    '## Fitted rates (train and test, kind target)',
    '',
    RATES_LEGEND,
    '',
    rateRows.length
      ? markdownTable(
          rateHeader,
          rateRows,
          rateHeader.map((_, j) => (j === 0 ? 'l' : 'r')),
        )
      : '_No rates._',
    '',
    '## Figures',
    '',
    ...figures.flatMap((f) => [figureBlock(f), '']),
  ].join('\n');

  const html: HtmlReportInput = {
    title: `Comparison of ${runs.length} runs`,
    intro: `<ul>${runs.map((r) => `<li><code>${escapeHtml(r.run_id)}</code> (${escapeHtml(r.name)}, ${escapeHtml(r.status)})</li>`).join('')}</ul>`,
    views: [
      ...(kind !== undefined
        ? [
            {
              id: `compare-projection-${kind}`,
              heading: figures[0]!.heading,
              caption: figures[0]!.caption,
              specs: {
                linear: projectionViewSpec({ rows, rates: [], kind, scale: 'linear', subject, runLabels: labels }),
                log: figures[0]!.spec,
              },
              degrees: true,
            },
          ]
        : []),
      ...(losses.length
        ? [
            {
              id: 'compare-loss',
              heading: 'Loss',
              caption: 'The loss of each run, coloured by run.',
              specs: { linear: lossViewSpec(losses, 'linear', subject, labels), log: lossViewSpec(losses, 'log', subject, labels) },
            },
          ]
        : []),
    ],
    sections: [
      '<h2 id="parameters">Parameters that differ</h2>',
      paramRows.length ? htmlTable(paramHeader, paramRows) : '<p><em>The runs have the same spec.</em></p>',
      '<h2 id="rates">Fitted rates</h2>',
      htmlTable(
        rateHeader,
        rateRows,
        rateHeader.map((_, j) => j > 0),
      ),
    ],
    degrees: [...new Set(rates.map((r) => r.degree))].sort((a, b) => a - b),
  };
  return { figures, markdown, html };
}
