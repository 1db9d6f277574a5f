/**
 * The sections report.md is made of: the rates table, the spec, the
 * provenance. Shared by the run report and the sweep report.
 *
 * ```ts
 * ratesSection(await queries.rateSummary(target), { perRun: false });
 * specSection(run.spec);
 * provenanceSection(run, manifest, manifestPath(dataRoot, run.run_id));
 * ```
 */

import { stringify } from 'yaml';
import { formatCount, formatValue } from './format.js';
import type { RunManifest } from './manifest.js';
import { codeBlock, markdownTable } from './markdown.js';
import type { RateSummaryRow, RunInfo } from './queries.js';
import type { SweepSummaryRow } from './sweep-rate-figure.js';

/** One row per (run, split, kind, degree) of the rate_summary view. */
export function ratesTable(rows: RateSummaryRow[], perRun: boolean): string {
  const header = [
    ...(perRun ? ['run'] : []),
    'split',
    'kind',
    'k',
    'fitted rate',
    'theory rate',
    'kernel rate',
    'fitted/theory',
    'fitted/kernel',
    'r²',
    'window (points)',
    'note',
  ];
  const body = rows.map((r) => [
    ...(perRun ? [r.run_id] : []),
    r.split,
    r.kind,
    String(r.degree),
    formatValue(r.fitted_rate),
    formatValue(r.theory_rate),
    formatValue(r.kernel_rate),
    formatValue(r.fitted_over_theory, 3),
    formatValue(r.fitted_over_kernel, 3),
    formatValue(r.r2, 3),
    r.window_start === null ? '–' : `${r.window_start}–${r.window_end} (${r.n_points})`,
    r.note ?? '',
  ]);
  const align = header.map((h) => (['split', 'kind', 'run', 'note'].includes(h) ? 'l' : 'r') as 'l' | 'r');
  return markdownTable(header, body, align);
}

/** What the rate columns mean, once per report. */
export const RATES_LEGEND =
  'Decay rates per GD step. *fitted*: `-regr_slope(ln value, step)` over the first-passage window of the ' +
  "network's projection (from the first step below 0.9x its start to the first below 1e-2x; see `sql/rates.sql`). " +
  "*theory*: `-ln(1 - η′ μ_k)`, with η′ the spec's NTK-scaled learning rate (the GD step on the weights is η′/(m θ²)). " +
  '*kernel*: the same fit on the kernel-regime twin (the linearized dynamics on the same sample). NaN: the fit was refused; the note says why.';

/**
 * The sweep_summary rows: one per grid point (seeds pooled), split, kind and degree; each point
 * named by `labels` (config_id to label, e.g. `optimizer=sgd batchSize=64`) where it has one.
 */
export function sweepTable(rows: SweepSummaryRow[], labels: ReadonlyMap<string, string> = new Map()): string {
  const header = [
    'split',
    'kind',
    'k',
    'width',
    'n',
    'point',
    'runs',
    'fitted rate (mean ± sd)',
    'theory',
    'kernel (mean)',
    'fitted/theory',
    'fitted/kernel',
  ];
  const body = rows.map((r) => [
    r.split,
    r.kind,
    String(r.degree),
    formatCount(r.width),
    formatCount(r.n),
    labels.get(r.config_id) ?? r.config_id,
    `${r.n_runs}${r.n_failed > 0 ? ` (${r.n_failed} refused)` : ''}`,
    r.fitted_rate_std === null
      ? formatValue(r.fitted_rate_mean)
      : `${formatValue(r.fitted_rate_mean)} ± ${formatValue(r.fitted_rate_std, 2)}`,
    formatValue(r.theory_rate),
    formatValue(r.kernel_rate_mean),
    formatValue(r.fitted_over_theory_mean, 3),
    formatValue(r.fitted_over_kernel_mean, 3),
  ]);
  return markdownTable(
    header,
    body,
    header.map((h) => (['split', 'kind', 'point'].includes(h) ? 'l' : 'r')),
  );
}

/** The spec as YAML, the form specbias reads. */
export function specSection(spec: unknown): string {
  return codeBlock('yaml', stringify(spec, { lineWidth: 0 }));
}

/** Code, engine, host and timings of one run: from its manifest, or from the runs table when the manifest is gone. */
export function provenanceSection(run: RunInfo, manifest: RunManifest | null, manifestFile: string): string {
  const code = manifest?.code;
  const host = manifest?.host;
  const facts: [string, string][] = [
    ['code version', code?.codeVersion ?? run.code_version],
    ['git commit', code?.gitCommit ?? '–'],
    ['package', code?.package ? `${code.package.name ?? '?'} ${code.package.version ?? '?'}` : '–'],
    ['engine', manifest?.engine ?? run.engine],
    ['backend', manifest?.backend ?? run.backend],
    ['spec hash', run.spec_hash],
    ['started', manifest?.startedAt ?? run.started_at ?? '–'],
    ['finished', manifest?.finishedAt ?? run.finished_at ?? '–'],
    [
      'host',
      host
        ? [
            host.hostname,
            host.platform && host.arch ? `${host.platform}/${host.arch}` : host.platform,
            host.cpuModel,
            host.cpus ? `${host.cpus} CPUs` : null,
            host.memoryGiB ? `${host.memoryGiB} GiB` : null,
            host.node ? `node ${host.node}` : null,
          ]
            .filter((p) => p)
            .join(', ')
        : '–',
    ],
    ['manifest', manifest ? `\`${manifestFile}\`` : `not found (\`${manifestFile}\`); the rows above come from the runs table`],
  ];
  const parts = [
    markdownTable(
      ['', run.run_id],
      facts.map(([k, v]) => [k, v]),
    ),
  ];
  if (manifest?.timings?.length) {
    const total = manifest.timings.reduce((a, t) => a + (t.seconds ?? 0), 0);
    parts.push(
      '**Timings**',
      markdownTable(
        ['step', 'seconds', 'cached'],
        [
          ...manifest.timings.map((t) => [t.step ?? '?', t.seconds === undefined ? '–' : t.seconds.toFixed(2), t.cached ? 'yes' : 'no']),
          ['total', total.toFixed(2), ''],
        ],
        ['l', 'r', 'l'],
      ),
    );
  }
  if (manifest?.artifacts && Object.keys(manifest.artifacts).length) {
    parts.push(
      '**Artifacts** (paths under the data root; sha256 shortened)',
      markdownTable(
        ['artifact', 'path', 'sha256', 'rows'],
        Object.entries(manifest.artifacts).map(([name, a]) => [
          name,
          a.path ? `\`${a.path}\`` : '–',
          a.sha256 ? `\`${a.sha256.slice(0, 16)}\`` : '–',
          formatCount(a.rows),
        ]),
        ['l', 'l', 'l', 'r'],
      ),
    );
  }
  return parts.join('\n\n');
}
