/**
 * report.html: one self-contained page that works offline. vega, vega-lite and
 * vega-embed (and the d3 modules vega's browser build expects as globals) are
 * read from node_modules and inlined; the view specs carry their data inline.
 * The page has a degree selector and a linear/log toggle that apply to every
 * view that declares them, tooltips, and zoom (drag to pan, wheel to zoom).
 *
 * ```ts
 * const html = await reportHtml({ title: 'Report: run x', intro: '<p>…</p>', views, sections });
 * ```
 *
 * Each rendered view sets `data-marks` on its container (the number of drawn
 * mark items) and the page sets `document.body.dataset.rendered` once all are
 * drawn, so a headless browser can tell when the page is done.
 */

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';

export interface HtmlView {
  /** DOM id, unique in the page. */
  id: string;
  heading: string;
  /** Plain text under the view. */
  caption: string;
  /** One spec, or one per y scale when the view follows the linear/log toggle. */
  specs: { fixed: TopLevelSpec } | { linear: TopLevelSpec; log: TopLevelSpec };
  /** Whether the view has a `selected_degree` param that the degree selector sets. */
  degrees?: boolean;
}

export interface HtmlReportInput {
  title: string;
  /** HTML shown under the title (already escaped). */
  intro: string;
  views: HtmlView[];
  /** Further sections (tables, details), already HTML. */
  sections: string[];
  /** The degrees the selector offers. */
  degrees: number[];
}

/** The browser builds, in load order: d3 modules first (each adds to the global d3), then vega, vega-lite, vega-embed. */
const SCRIPTS: [pkg: string, file: string][] = [
  ['d3-array', 'dist/d3-array.min.js'],
  ['d3-color', 'dist/d3-color.min.js'],
  ['d3-interpolate', 'dist/d3-interpolate.min.js'],
  ['d3-format', 'dist/d3-format.min.js'],
  ['d3-time', 'dist/d3-time.min.js'],
  ['d3-time-format', 'dist/d3-time-format.min.js'],
  ['d3-scale', 'dist/d3-scale.min.js'],
  ['d3-path', 'dist/d3-path.min.js'],
  ['d3-shape', 'dist/d3-shape.min.js'],
  ['d3-dsv', 'dist/d3-dsv.min.js'],
  ['d3-geo', 'dist/d3-geo.min.js'],
  ['d3-dispatch', 'dist/d3-dispatch.min.js'],
  ['d3-quadtree', 'dist/d3-quadtree.min.js'],
  ['d3-timer', 'dist/d3-timer.min.js'],
  ['d3-force', 'dist/d3-force.min.js'],
  ['d3-hierarchy', 'dist/d3-hierarchy.min.js'],
  ['d3-delaunay', 'dist/d3-delaunay.min.js'],
  ['d3-ease', 'dist/d3-ease.min.js'],
  ['topojson-client', 'dist/topojson-client.min.js'],
  ['vega', 'build/vega-core.min.js'],
  ['vega-lite', 'build/vega-lite.min.js'],
  ['vega-embed', 'build/vega-embed.min.js'],
];

let libraries: Promise<string> | null = null;

/** The inlined scripts, read once per process. */
async function libraryScripts(): Promise<string> {
  libraries ??= (async () => {
    const require = createRequire(import.meta.url);
    const parts = await Promise.all(
      SCRIPTS.map(async ([pkg, file]) => {
        const root = packageRoot(require, pkg);
        const text = await readFile(path.join(root, file), 'utf8');
        return `<script>/* ${pkg}/${file} */\n${text.replace(/<\/script/gi, '<\\/script').replace(/\n\/\/# sourceMappingURL=.*$/m, '')}\n</script>`;
      }),
    );
    return parts.join('\n');
  })();
  return libraries;
}

/** The package's folder: the first node_modules on Node's search path that has it (package "exports" maps hide files from resolve). */
function packageRoot(require: NodeJS.Require, pkg: string): string {
  for (const dir of require.resolve.paths(pkg) ?? []) {
    if (existsSync(path.join(dir, pkg, 'package.json'))) return path.join(dir, pkg);
  }
  throw new Error(`report.html: cannot find the package ${pkg} in node_modules; reinstall specbias's dependencies`);
}

/** Text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** An HTML table; cells are text (escaped here). */
export function htmlTable(header: string[], rows: string[][], numeric: boolean[] = []): string {
  const th = header.map((h, j) => `<th${numeric[j] ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${r.map((c, j) => `<td${numeric[j] ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 24px auto; max-width: 1200px; padding: 0 16px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; } h3 { font-size: 1.05em; }
.controls { position: sticky; top: 0; background: #fff; padding: 8px 0; border-bottom: 1px solid #ddd; z-index: 2; }
.controls label { margin-right: 1.5em; }
.view { margin: 8px 0 4px; overflow-x: auto; }
.caption { color: #444; font-size: 0.9em; max-width: 70em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 8px 0; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 3px 8px; text-align: left; vertical-align: top; }
td:last-child { min-width: 16em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
details { margin: 1em 0; } summary { cursor: pointer; font-weight: 600; }
pre { background: #f6f6f6; padding: 8px; overflow-x: auto; font-size: 0.8em; }
`;

/** The page's own script: draws every view, and redraws on the controls. */
const PAGE_SCRIPT = `
(function () {
  var views = JSON.parse(document.getElementById('specbias-views').textContent);
  var state = { scale: 'log', degree: -1 };
  var drawn = 0;
  function marks(view) {
    var n = 0;
    (function walk(item) {
      if (!item) return;
      if (item.marktype && item.marktype !== 'group') n += (item.items || []).length;
      (item.items || []).forEach(walk);
    })(view.scenegraph().root);
    return n;
  }
  function draw(v) {
    var spec = v.specs.fixed || v.specs[state.scale];
    var el = document.getElementById(v.id);
    if (v.result) v.result.finalize();
    return vegaEmbed(el, spec, { renderer: 'svg', actions: { export: true, source: false, compiled: false, editor: false }, tooltip: true })
      .then(function (result) {
        v.result = result;
        return v.degrees ? result.view.signal('selected_degree', state.degree).runAsync() : result.view;
      })
      .then(function () { el.dataset.marks = String(marks(v.result.view)); });
  }
  function drawAll(which) {
    return Promise.all(views.filter(which).map(draw)).catch(function (err) { console.error('specbias report: ' + (err && err.message || err)); });
  }
  var scale = document.getElementById('scale');
  var degree = document.getElementById('degree');
  if (scale) scale.addEventListener('change', function (e) {
    state.scale = e.target.value;
    drawAll(function (v) { return !v.specs.fixed; });
  });
  if (degree) degree.addEventListener('change', function (e) {
    state.degree = Number(e.target.value);
    views.filter(function (v) { return v.degrees && v.result; }).forEach(function (v) {
      v.result.view.signal('selected_degree', state.degree).runAsync().then(function () {
        document.getElementById(v.id).dataset.marks = String(marks(v.result.view));
      });
    });
  });
  drawAll(function () { return true; }).then(function () { document.body.dataset.rendered = String(views.length); });
})();
`;

export async function reportHtml(input: HtmlReportInput): Promise<string> {
  const views = input.views.map((v) =>
    [
      `<h3>${escapeHtml(v.heading)}</h3>`,
      `<div class="view" id="${escapeHtml(v.id)}"></div>`,
      `<p class="caption">${escapeHtml(v.caption)}</p>`,
    ].join('\n'),
  );
  const degreeOptions = ['<option value="-1">all</option>', ...input.degrees.map((d) => `<option value="${d}">k = ${d}</option>`)].join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>${STYLE}</style>
${await libraryScripts()}
</head>
<body>
<h1>${escapeHtml(input.title)}</h1>
${input.intro}
<div class="controls">
${input.views.some((v) => v.degrees) ? `<label>degree <select id="degree">${degreeOptions}</select></label>` : ''}
${input.views.some((v) => !('fixed' in v.specs)) ? '<label>y scale <select id="scale"><option value="log" selected>log</option><option value="linear">linear</option></select></label>' : ''}
<span class="caption">Hover for values; drag to pan and scroll to zoom a plot, double-click to reset.</span>
</div>
<h2>Figures</h2>
${views.join('\n')}
${input.sections.join('\n')}
<script type="application/json" id="specbias-views">${scriptJson(input.views.map((v) => ({ id: v.id, specs: v.specs, degrees: Boolean(v.degrees) })))}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
