/**
 * The non-figure parts of report.html: the rates table (every column the
 * database has, so intervals show where the rates carry them), the parameter
 * table, and the manifest in a collapsible section.
 *
 * ```ts
 * ratesHtml(await queries.rateSummary(target));
 * manifestHtml(run.spec, manifest);
 * ```
 */

import { stringify } from 'yaml';
import { formatValue } from './format.js';
import { escapeHtml, htmlTable } from './html.js';
import type { RunManifest } from './manifest.js';

/** Columns of rate_summary that describe the run, not the rate: shown elsewhere in the page. */
const RUN_COLUMNS = new Set(['name', 'sweep_id', 'width', 'n', 'dim', 'seed', 'learning_rate']);

/** Every row and column of the rate rows, numbers formatted; `run_id` kept only when several runs are shown. */
export function ratesHtml(rows: Record<string, unknown>[], perRun: boolean): string {
  if (rows.length === 0) return '<p><em>No fitted rates.</em></p>';
  const columns = Object.keys(rows[0]!).filter((c) => !RUN_COLUMNS.has(c) && (perRun || c !== 'run_id'));
  const numeric = columns.map((c) => rows.some((r) => typeof r[c] === 'number'));
  const body = rows.map((r) =>
    columns.map((c) => (c === 'degree' || c.endsWith('points') || c.startsWith('window') ? formatCount(r[c]) : formatValue(r[c]))),
  );
  return htmlTable(columns, body, numeric);
}

function formatCount(v: unknown): string {
  return v === null || v === undefined ? '–' : String(v);
}

/** The spec as YAML and the whole manifest as JSON, collapsed; the step timings as a table. */
export function manifestHtml(spec: unknown, manifest: RunManifest | null, manifestFile: string): string {
  const timings = manifest?.timings?.length
    ? htmlTable(
        ['step', 'seconds', 'cached'],
        manifest.timings.map((t) => [t.step ?? '?', t.seconds === undefined ? '–' : t.seconds.toFixed(2), t.cached ? 'yes' : 'no']),
        [false, true, false],
      )
    : '';
  const versions = manifest
    ? htmlTable(
        ['', ''],
        [
          ['code version', manifest.code?.codeVersion ?? '–'],
          ['git commit', manifest.code?.gitCommit ?? '–'],
          ['engine', `${manifest.engine ?? '–'} (${manifest.backend ?? '–'})`],
          ...Object.entries(manifest.dependencies ?? {}).map(([k, v]) => [k, v]),
        ],
      )
    : `<p>No manifest at ${escapeHtml(manifestFile)}.</p>`;
  return [
    '<details id="manifest">',
    '<summary>Manifest: spec, versions, timings</summary>',
    '<h3>Spec</h3>',
    `<pre>${escapeHtml(stringify(spec, { lineWidth: 0 }))}</pre>`,
    '<h3>Versions</h3>',
    versions,
    ...(timings ? ['<h3>Timings</h3>', timings] : []),
    ...(manifest ? [`<h3>${escapeHtml(manifestFile)}</h3>`, `<pre>${escapeHtml(JSON.stringify(manifest, null, 2))}</pre>`] : []),
    '</details>',
  ].join('\n');
}
