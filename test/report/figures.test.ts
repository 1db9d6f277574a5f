import { describe, expect, it } from 'vitest';
import { projectionFigure, spectraFigure, spectrumFigure, sweepAxis } from '../../src/report/index.js';
import { familySpectrum } from '../../src/math/ntk-family.js';
import { fitOverlay, SOURCE_LABELS, type FitRow } from '../../src/report/projection-figure.js';
import { formatValue } from '../../src/report/format.js';
import { renderSvg } from '../../src/report/render.js';
import { cell, codeBlock, markdownTable } from '../../src/report/markdown.js';

/** The inline data rows of a figure spec (top level or per layer). */
function dataOf(spec: unknown): Record<string, unknown>[][] {
  const s = spec as { data?: { values: Record<string, unknown>[] }; layer?: { data?: { values: Record<string, unknown>[] } }[] };
  return [s.data?.values ?? [], ...(s.layer ?? []).map((l) => l.data?.values ?? [])];
}

/** The layers of a faceted figure spec. */
function layersOf(spec: unknown): { transform?: { filter?: string }[]; mark: unknown; encoding: Record<string, unknown> }[] {
  return (spec as { spec: { layer: ReturnType<typeof layersOf> } }).spec.layer;
}

describe('report figures', () => {
  it('the spectrum figure leaves out k = 0, numerical zeros and unclustered Gram eigenvalues, and says so', () => {
    const fig = spectrumFigure({
      subject: 'r',
      spectrum: [
        { degree: 0, mu: 0.35, multiplicity: 1, numerical_zero: false },
        { degree: 1, mu: 0.075, multiplicity: 10, numerical_zero: false },
        { degree: 2, mu: 0.0057, multiplicity: 54, numerical_zero: false },
        { degree: 3, mu: -4e-20, multiplicity: 210, numerical_zero: true },
      ],
      gram: [
        { eigenvalue: 0.36, cluster: 0 },
        { eigenvalue: 0.07, cluster: 1 },
        { eigenvalue: 0.005, cluster: 2 },
        { eigenvalue: 1e-6, cluster: null },
      ],
    });
    const [, gram, mu] = dataOf(fig.spec);
    expect(mu!.map((r) => r.degree)).toEqual([1, 2]);
    expect(gram!.map((r) => [r.degree, r.value])).toEqual([
      [1, 0.07],
      [2, 0.005],
    ]);
    expect(fig.caption).toContain('k = 0 has no place on a log axis and is left out: μ_0 = 0.3500, its Gram cluster 0.3600');
    expect(fig.caption).toContain('μ_k is zero (to rounding) for k = 3');
    expect(fig.caption).toContain('1 Gram eigenvalue not assigned to a cluster');
    // 1 eigenvalue in cluster 1 for N = 10: the cluster is cut short.
    expect(fig.caption).toContain('clusters 1 (1 eigenvalue for N = 10), 2 (1 eigenvalue for N = 54) are cut short');
  });

  it("the spectra figure draws every model's nonzero mu_k (k >= 1) in both panels and lists the numerical zeros it leaves out", async () => {
    const paper = familySpectrum(10, 8, { depth: 2, bias: 0, activation: 'relu' });
    const erf = familySpectrum(10, 8, { depth: 2, bias: 0.5, activation: 'erf' });
    const fig = spectraFigure({
      subject: 's',
      name: 'activation-spectra',
      models: [
        { label: 'paper', spectrum: paper },
        { label: 'erf', spectrum: erf },
      ],
    });
    const panels = (fig.spec as unknown as { hconcat: { data: { values: { model: string; degree: number; mu: number }[] } }[] }).hconcat;
    expect(panels).toHaveLength(2);
    for (const panel of panels) {
      const of = (m: string) => panel.data.values.filter((p) => p.model === m);
      // The paper's odd k >= 3 are rounding noise: left out; erf (with bias) has every k.
      expect(of('paper').map((p) => p.degree)).toEqual([1, 2, 4, 6, 8]);
      expect(of('erf').map((p) => [p.degree, p.mu])).toEqual(erf.filter((e) => e.degree >= 1).map((e) => [e.degree, e.mu]));
    }
    expect(fig.name).toBe('activation-spectra');
    expect(fig.caption).toContain('paper at k = 3, 5, 7');
    expect(fig.caption).not.toContain('erf at');
    expect(await renderSvg(fig.spec)).toContain('<svg');
  });

  it('the log projection figure drops values a log axis cannot show and names the twins in the caption', () => {
    const rows = [0, 10, 20].flatMap((step) => [
      { split: 'train', step, degree: 1, source: 'network', value: step === 20 ? 0 : Math.exp(-step) },
      { split: 'train', step, degree: 1, source: 'kernel', value: Math.exp(-step) },
    ]);
    const log = projectionFigure({ rows, kind: 'target', scale: 'log', subject: 'r' });
    const linear = projectionFigure({ rows, kind: 'target', scale: 'linear', subject: 'r' });
    expect(dataOf(log.spec)[0]).toHaveLength(5);
    expect(dataOf(linear.spec)[0]).toHaveLength(6);
    expect(log.name).toBe('projection-target-log');
    expect(log.caption).toContain('dashed lines its infinite-width twin');
    expect(log.caption).toContain('(this run has no finite-width twin (empirical NTK at init) rows)');
    const noKernel = projectionFigure({ rows: rows.filter((r) => r.source === 'network'), kind: 'target', scale: 'linear', subject: 'r' });
    expect(noKernel.caption).toContain(
      'this run has no infinite-width twin (analytic kernel) or finite-width twin (empirical NTK at init) rows',
    );
  });

  it('the projection figures have a symlog step axis with 0 on it, and three named sources with distinct dashes', async () => {
    const rows = [0, 1, 5, 30, 300, 3000].flatMap((step) =>
      ['network', 'kernel', 'init'].map((source) => ({ split: 'train', step, degree: 1, source, value: Math.exp(-0.1 * step) + 1e-3 })),
    );
    for (const scale of ['log', 'linear'] as const) {
      const fig = projectionFigure({ rows, kind: 'target', scale, subject: 'r' });
      const line = layersOf(fig.spec).find((l) => l.transform?.[0]?.filter === "datum.layer == 'curve'")!;
      const x = line.encoding.x as { scale: { type: string }; axis: { values: number[] } };
      expect(x.scale.type).toBe('symlog');
      expect(x.axis.values.filter((v) => v === 0 || Number.isInteger(Math.log10(v)))).toEqual([0, 1, 10, 100, 1000]);
      expect(Math.max(...x.axis.values)).toBeLessThanOrEqual(3000);
      const dash = line.encoding.strokeDash as { scale: { domain: string[]; range: number[][] } };
      expect(dash.scale.domain).toEqual([
        'network (trained)',
        'infinite-width twin (analytic kernel)',
        'finite-width twin (empirical NTK at init)',
      ]);
      expect(dash.scale.domain).toEqual([SOURCE_LABELS.network, SOURCE_LABELS.kernel, SOURCE_LABELS.init]);
      expect(dash.scale.range[0]).toEqual([1, 0]); // solid
      expect(new Set(dash.scale.range.map((d) => JSON.stringify(d))).size).toBe(3);
      expect(dash.scale.range[2]![0]!).toBeLessThan(dash.scale.range[1]![0]!); // dots shorter than dashes
      expect(fig.caption).toContain('solid lines the trained network');
      expect(fig.caption).toContain('dashed lines its infinite-width twin');
      expect(fig.caption).toContain('dotted lines its finite-width twin');
      expect(fig.caption).toContain('symlog');
      // Every power of ten is labelled, 1000 included (log(1000) / log(10) is not exactly 3).
      const svg = await renderSvg(fig.spec);
      for (const label of ['>0<', '>1<', '>10<', '>100<', '>1000<']) expect(svg).toContain(label);
    }
  });

  it('the log figure shades each fit window and draws the fitted line from the rates row, on the curve for an exact exponential', () => {
    // v = 2 e^{-0.05 t} exactly: its fit over any window is ln v = ln 2 - 0.05 t.
    const v = (t: number) => 2 * Math.exp(-0.05 * t);
    const rows = Array.from({ length: 61 }, (_, i) => i * 5).flatMap((step) => [
      { split: 'train', step, degree: 1, source: 'network', value: v(step) },
      { split: 'train', step, degree: 2, source: 'network', value: Math.exp(-0.001 * step) },
    ]);
    const fits: FitRow[] = [
      { split: 'train', kind: 'target', degree: 1, fitted_rate: 0.05, fit_intercept: Math.log(2), window_start: 5, window_end: 95 },
      // refused: no line, no window
      { split: 'train', kind: 'target', degree: 2, fitted_rate: Number.NaN, fit_intercept: null, window_start: 5, window_end: 300 },
      // another kind: not this figure's
      { split: 'train', kind: 'eigenspace', degree: 1, fitted_rate: 0.05, fit_intercept: 0, window_start: 5, window_end: 95 },
    ];
    const fig = projectionFigure({ rows, fits, kind: 'target', scale: 'log', subject: 'r' });
    const values = (fig.spec as unknown as { data: { values: Record<string, unknown>[] } }).data.values;
    const windows = values.filter((r) => r.layer === 'window');
    expect(windows).toEqual([expect.objectContaining({ split: 'train', degree: 1, step: 5, step_end: 95, lane: 0 })]);
    const line = values.filter((r) => r.layer === 'fit') as { step: number; value: number; degree: number }[];
    expect(line.length).toBeGreaterThan(10);
    expect(line.every((p) => p.degree === 1 && p.step >= 5 && p.step <= 95)).toBe(true);
    expect([line[0]!.step, line.at(-1)!.step]).toEqual([5, 95]);
    // the endpoints are exp(fit_intercept - fitted_rate * t), and lie on the measured points
    expect(line[0]!.value).toBeCloseTo(2 * Math.exp(-0.25), 12);
    expect(line.at(-1)!.value).toBeCloseTo(2 * Math.exp(-4.75), 12);
    expect(line[0]!.value).toBeCloseTo(rows.find((r) => r.degree === 1 && r.step === 5)!.value, 12);
    for (const p of line) expect(Math.abs(p.value / v(p.step) - 1)).toBeLessThan(1e-12);
    // the layers: shaded windows, window bars, curves, the fitted line
    const layers = layersOf(fig.spec).map((l) => `${l.transform?.[0]?.filter ?? ''}:${(l.mark as { type: string }).type}`);
    expect(layers).toEqual([
      "datum.layer == 'window':rect",
      "datum.layer == 'window':rect",
      "datum.layer == 'curve':line",
      "datum.layer == 'fit':line",
    ]);
    expect(fig.caption).toContain('fit_intercept − fitted_rate · t');
    // fitOverlay alone: the same rows
    expect(fitOverlay(fits, 'target').filter((r) => r.layer === 'fit')).toHaveLength(line.length);
    // the linear figure has no overlay; nor does a figure without fits
    const linear = projectionFigure({ rows, fits, kind: 'target', scale: 'linear', subject: 'r' });
    expect((linear.spec as unknown as { data: { values: Record<string, unknown>[] } }).data.values.some((r) => r.layer !== 'curve')).toBe(
      false,
    );
    expect(layersOf(projectionFigure({ rows, kind: 'target', scale: 'log', subject: 'r' }).spec)).toHaveLength(1);
  });

  it('sweep figures draw the fits of each run in its own row of panels', () => {
    const rows = ['a', 'b'].flatMap((run_id) =>
      [0, 10, 20, 30, 40].map((step) => ({ run_id, split: 'train', step, degree: 1, source: 'network', value: Math.exp(-0.1 * step) })),
    );
    const fits: FitRow[] = ['a', 'b', 'c'].map((run_id) => ({
      run_id,
      split: 'train',
      kind: 'target',
      degree: 1,
      fitted_rate: 0.1,
      fit_intercept: 0,
      window_start: 10,
      window_end: 40,
    }));
    const fig = projectionFigure({
      rows,
      fits,
      kind: 'target',
      scale: 'log',
      subject: 's',
      panels: [
        { runId: 'a', label: 'width 1' },
        { runId: 'b', label: 'width 2' },
      ],
    });
    const values = (fig.spec as unknown as { data: { values: Record<string, unknown>[] } }).data.values;
    expect(values.filter((r) => r.layer === 'window').map((r) => r.panel)).toEqual(['width 1', 'width 2']);
    expect(new Set(values.filter((r) => r.layer === 'fit').map((r) => r.panel))).toEqual(new Set(['width 1', 'width 2']));
  });

  it('a sweep is plotted against width when width varies, else n, else per grid point', () => {
    expect(
      sweepAxis([
        { width: 256, n: 100 },
        { width: 1024, n: 100 },
      ]).field,
    ).toBe('width');
    expect(
      sweepAxis([
        { width: 256, n: 100 },
        { width: 256, n: 400 },
      ]).field,
    ).toBe('n');
    expect(
      sweepAxis([
        { width: 256, n: 100 },
        { width: 256, n: 100 },
      ]).field,
    ).toBe('point');
    // Models at two widths (pipelines/bias-odd-degrees.yaml): three points share m = 1024, so width is not the axis.
    const models = (['a', 'b', 'c', 'd'] as const).map((config_id, i) => ({ config_id, width: i < 3 ? 1024 : 2048, n: 400 }));
    expect(sweepAxis(models).field).toBe('point');
    expect(sweepAxis(models.filter((m) => m.config_id !== 'b' && m.config_id !== 'c')).field).toBe('width');
    // Seeds of one point share its config and its width: still a width axis.
    expect(sweepAxis([...models.slice(2), ...models.slice(2)]).field).toBe('width');
  });
});

describe('report text', () => {
  it('numbers keep their significant digits; missing and refused values are marked', () => {
    expect(formatValue(0.05)).toBe('0.05000');
    expect(formatValue(0.000056)).toBe('5.600e-5');
    expect(formatValue(123456.7)).toBe('1.235e5');
    expect(formatValue(0.99999, 3)).toBe('1.00');
    expect(formatValue(Number.NaN)).toBe('NaN');
    expect(formatValue(null)).toBe('–');
  });

  it('Markdown cells escape pipes, and code fences outgrow the backticks inside', () => {
    expect(cell('a|b\nc')).toBe('a\\|b c');
    expect(markdownTable(['x', 'y'], [['1', '2']], ['l', 'r'])).toBe('| x | y |\n| --- | ---: |\n| 1 | 2 |');
    expect(codeBlock('sql', 'SELECT 1;\n')).toBe('```sql\nSELECT 1;\n```');
    expect(codeBlock('', 'a ``` b')).toBe('````\na ``` b\n````');
  });
});
