import { describe, expect, it } from 'vitest';
import { projectionFigure, spectrumFigure, sweepAxis } from '../../src/report/index.js';
import { formatValue } from '../../src/report/format.js';
import { cell, codeBlock, markdownTable } from '../../src/report/markdown.js';

/** The inline data rows of a figure spec (top level or per layer). */
function dataOf(spec: unknown): Record<string, unknown>[][] {
  const s = spec as { data?: { values: Record<string, unknown>[] }; layer?: { data?: { values: Record<string, unknown>[] } }[] };
  return [s.data?.values ?? [], ...(s.layer ?? []).map((l) => l.data?.values ?? [])];
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

  it('the log projection figure drops values a log axis cannot show and marks kernel curves dashed', () => {
    const rows = [0, 10, 20].flatMap((step) => [
      { split: 'train', step, degree: 1, source: 'network', value: step === 20 ? 0 : Math.exp(-step) },
      { split: 'train', step, degree: 1, source: 'kernel', value: Math.exp(-step) },
    ]);
    const log = projectionFigure({ rows, kind: 'target', scale: 'log', subject: 'r' });
    const linear = projectionFigure({ rows, kind: 'target', scale: 'linear', subject: 'r' });
    expect(dataOf(log.spec)[0]).toHaveLength(5);
    expect(dataOf(linear.spec)[0]).toHaveLength(6);
    expect(log.name).toBe('projection-target-log');
    expect(log.caption).toContain('dashed lines its kernel-regime twin');
    const noKernel = projectionFigure({ rows: rows.filter((r) => r.source === 'network'), kind: 'target', scale: 'linear', subject: 'r' });
    expect(noKernel.caption).toContain('this run has no kernel-regime rows');
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
