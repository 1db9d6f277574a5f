/**
 * What a report figure is: a file name, a caption for report.md, and a
 * vega-lite spec with its data inline, drawn in one house style.
 *
 * ```ts
 * const fig: Figure = { name: 'spectrum', caption: '...', spec: styled({ title: ..., data: { values }, mark: 'line', encoding }) };
 * const { svg, png } = await renderFigure(fig.spec);
 * ```
 */

import type { Config, TopLevelSpec } from 'vega-lite';
import { FONT_FAMILY } from './fonts.js';

export interface Figure {
  /** File stem: `<name>.svg` and `<name>.png`. */
  name: string;
  /** One line, used as the heading above the figure in report.md. */
  heading: string;
  /** What is plotted and how to read it (Markdown). */
  caption: string;
  spec: TopLevelSpec;
}

/** The house style: one font stack (see fonts.ts), white background, readable sizes. */
export const FIGURE_CONFIG: Config = {
  font: FONT_FAMILY,
  background: 'white',
  padding: 12,
  title: { fontSize: 15, subtitleFontSize: 11, subtitleColor: '#444', anchor: 'start', offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', symbolStrokeWidth: 2, labelLimit: 320 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: '#bbb' },
  line: { strokeWidth: 1.8 },
};

/** Categorical colours for degrees k = 0, 1, 2, ...: Tableau 10, which stays apart in print. */
export const DEGREE_SCHEME = 'tableau10';

/**
 * Axis options for a log scale: plain numbers from 0.01 to 1000 and 1e-5 style
 * outside, rather than vega's SI prefixes (1m, 100µ), which read badly in
 * science. vega leaves the label of a minor tick empty; that stays empty.
 */
export const LOG_AXIS = {
  format: '~e',
  labelExpr:
    "datum.label == '' ? '' : (datum.value >= 0.01 && datum.value < 1000 ? format(datum.value, '~g') : replace(datum.label, 'e+', 'e'))",
} as const;

/** Adds the house style to a spec. */
export function styled(spec: TopLevelSpec): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...spec,
    config: { ...FIGURE_CONFIG, ...(spec.config ?? {}) },
  } as TopLevelSpec;
}

/** Positive finite numbers only: what a log scale can show. */
export function positive(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0;
}
