/**
 * `specbias report RUN|SWEEP`: reads the results database (read-only),
 * builds the run or sweep report, renders every figure to SVG and PNG, and
 * writes them with report.md into one folder, each file atomically. report.md
 * is written last, so every file it links exists once it does.
 *
 * ```ts
 * const written = await writeReport({ dataRoot: 'data', id: 'quickstart-1f37' });
 * // { kind: 'run', id: 'quickstart-1f370a29381c', dir: 'data/reports/quickstart-1f370a29381c', files: [...] }
 * ```
 */

import { existsSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../store/atomic-file.js';
import { displayPath, ResultsMissingError } from '../store/errors.js';
import { withResultsDb } from '../store/results-db.js';
import { buildCompareReport, resolveCompareTarget } from './compare-report.js';
import { resolveFonts } from './fonts.js';
import { reportHtml } from './html.js';
import { ReportQueries } from './queries.js';
import { renderFigure } from './render.js';
import { buildRunReport, type ReportDocument } from './run-report.js';
import { buildSweepReport } from './sweep-report.js';
import { resolveReportTarget, type ReportTarget } from './target.js';

export interface WriteReportOptions {
  /** The data root holding results.duckdb and runs/. */
  dataRoot: string;
  /** A run_id or sweep_id, or a unique prefix of one. */
  id: string;
  /** More ids (runs, sweeps or prefixes): with them the report compares every run of `id` and `ids`. */
  ids?: string[];
  /** The output folder; default `<dataRoot>/reports/<full id>/`. */
  outDir?: string;
  /** Told about problems that do not stop the report, such as missing fonts. */
  log?: (line: string) => void;
}

export interface WrittenFile {
  /** Path of the file. */
  path: string;
  bytes: number;
  /** PNG only: pixel size. */
  width?: number;
  height?: number;
}

export interface WrittenReport extends ReportTarget {
  dir: string;
  /** Figures (SVG and PNG, in figure order), report.html, then report.md. */
  files: WrittenFile[];
}

export async function writeReport(options: WriteReportOptions): Promise<WrittenReport> {
  const log = options.log ?? (() => undefined);
  const database = path.join(options.dataRoot, 'results.duckdb');
  if (!existsSync(database)) throw new ResultsMissingError(displayPath(path.resolve(database)));

  const { target, doc } = await withResultsDb(database, { readOnly: true }, async (db) => {
    const target = options.ids?.length
      ? await resolveCompareTarget(db, [options.id, ...options.ids])
      : await resolveReportTarget(db, options.id);
    const queries = await ReportQueries.create(db);
    const input = { queries, target, dataRoot: options.dataRoot, database: displayPath(path.resolve(database)) };
    const doc: ReportDocument =
      target.kind === 'run'
        ? await buildRunReport(input)
        : target.kind === 'sweep'
          ? await buildSweepReport(input)
          : await buildCompareReport(input);
    return { target, doc };
  });

  const fonts = resolveFonts();
  if (!fonts.textRenders) log(`warning: ${fonts.hint}`);
  const dir = options.outDir ?? path.join(options.dataRoot, 'reports', target.id);
  const files: WrittenFile[] = [];
  for (const figure of doc.figures) {
    const rendered = await renderFigure(figure.spec);
    const svgPath = path.join(dir, `${figure.name}.svg`);
    const pngPath = path.join(dir, `${figure.name}.png`);
    await writeFileAtomic(svgPath, rendered.svg);
    await writeFileAtomic(pngPath, rendered.png);
    files.push({ path: svgPath, bytes: Buffer.byteLength(rendered.svg) });
    files.push({ path: pngPath, bytes: rendered.png.length, width: rendered.width, height: rendered.height });
  }
  const html = await reportHtml(doc.html);
  const htmlPath = path.join(dir, 'report.html');
  await writeFileAtomic(htmlPath, html);
  files.push({ path: htmlPath, bytes: Buffer.byteLength(html) });
  const mdPath = path.join(dir, 'report.md');
  await writeFileAtomic(mdPath, doc.markdown);
  files.push({ path: mdPath, bytes: Buffer.byteLength(doc.markdown) });
  return { ...target, dir, files };
}
