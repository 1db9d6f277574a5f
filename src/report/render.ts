/**
 * Figure rendering: a vega-lite spec compiles to a vega spec, vega draws it
 * headless to SVG, and resvg rasterizes the SVG to PNG. All offline: no
 * browser, no canvas, no network (data is inlined in the spec).
 *
 * ```ts
 * const svg = await renderSvg(spec);     // vega-lite TopLevelSpec with inline data
 * const { png, width, height } = svgToPng(svg);
 * ```
 *
 * {@link renderSvg} and {@link svgToPng} are the two halves; {@link renderFigure} does both.
 */

import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { resolveFonts } from './fonts.js';

export interface RenderedFigure {
  svg: string;
  png: Buffer;
  /** PNG size in pixels. */
  width: number;
  height: number;
}

/** Compiles `spec` (vega-lite) and draws it to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec).spec;
  // renderer 'none': no DOM; toSVG builds the markup from the scenegraph.
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Rasterizes an SVG to PNG at `scale` times its size (2 by default, for
 * crisp text on high-density screens), on a white background, with the fonts
 * of {@link resolveFonts}.
 */
export function svgToPng(svg: string, scale = 2): { png: Buffer; width: number; height: number } {
  const resvg = new Resvg(svg, {
    font: resolveFonts().resvg,
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
  });
  const image = resvg.render();
  return { png: image.asPng(), width: image.width, height: image.height };
}

/** {@link renderSvg} then {@link svgToPng}. */
export async function renderFigure(spec: TopLevelSpec, scale = 2): Promise<RenderedFigure> {
  const svg = await renderSvg(spec);
  return { svg, ...svgToPng(svg, scale) };
}
