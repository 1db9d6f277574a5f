/**
 * Reports: figures (vega-lite → SVG with vega → PNG with resvg) and a
 * Markdown report for a run or a sweep, from the results database.
 *
 * ```ts
 * import { writeReport } from '../report/index.js';
 *
 * const written = await writeReport({ dataRoot: 'data', id: 'quickstart-1f37' });
 * for (const f of written.files) console.log(f.path);
 * ```
 *
 * The figure builders are pure (rows in, vega-lite spec out) and can be used alone:
 * `projectionFigure`, `spectrumFigure`, `spectraFigure`, `sweepRateFigure`, `ntkFigure`, rendered with `renderFigure`.
 */

export { writeReport, type WriteReportOptions, type WrittenFile, type WrittenReport } from './write-report.js';
export { resolveReportTarget, type ReportTarget } from './target.js';
export { AmbiguousReportTargetError, ReportTargetError } from './errors.js';
export { ReportQueries, type RateSummaryRow, type RunInfo } from './queries.js';
export { buildRunReport, type ReportDocument, type ReportInput } from './run-report.js';
export { buildSweepReport } from './sweep-report.js';
export { buildCompareReport, resolveCompareTarget } from './compare-report.js';
export { differingFields, flattenSpec } from '../spec/diff.js';
export { reportHtml, type HtmlReportInput, type HtmlView } from './html.js';
export { renderFigure, renderSvg, svgToPng, type RenderedFigure } from './render.js';
export { resolveFonts, FONT_FAMILY, type ResolvedFonts } from './fonts.js';
export { type Figure } from './figure.js';
export { projectionFigure, type ProjectionFigureInput, type ProjectionPoint } from './projection-figure.js';
export { spectrumFigure, type GramPoint, type SpectrumFigureInput, type SpectrumPoint } from './spectrum-figure.js';
export { spectraFigure, type ModelSpectrum, type SpectraFigureInput } from './spectra-figure.js';
export { sweepAxis, sweepRateFigure, type SweepAxis, type SweepSummaryRow } from './sweep-rate-figure.js';
export { ntkFigure, type NtkCheckRow } from './ntk-figure.js';
export { readManifest, manifestPath, type RunManifest } from './manifest.js';
