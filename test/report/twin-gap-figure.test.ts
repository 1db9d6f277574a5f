import { describe, expect, it } from 'vitest';
import type { RateSummaryRow } from '../../src/report/queries.js';
import { TWIN_PANELS, twinGapFigure, twinGaps } from '../../src/report/twin-gap-figure.js';

function row(width: number, seed: number, degree: number, fitted: number, kernel: number | null, init: number | null): RateSummaryRow {
  return {
    run_id: `w${width}-s${seed}`,
    name: 'width',
    sweep_id: 'sw',
    split: 'train',
    kind: 'target',
    degree,
    fitted_rate: fitted,
    theory_rate: null,
    kernel_rate: kernel,
    init_kernel_rate: init,
    fitted_over_theory: null,
    fitted_over_kernel: kernel === null ? null : fitted / kernel,
    fitted_over_init_kernel: init === null ? null : fitted / init,
    r2: 1,
    n_points: 10,
    window_start: 0,
    window_end: 10,
    note: null,
    width,
    n: 100,
    dim: 10,
    seed,
    learning_rate: 2,
  };
}

describe('twin-gap figure', () => {
  const rows = [
    row(256, 0, 1, 1.1, 1.0, 1.01),
    row(256, 1, 1, 0.8, 1.0, 0.79),
    row(1024, 0, 1, 1.05, 1.0, 1.04),
    row(1024, 1, 1, 0.95, 1.0, NaN),
    row(1024, 2, 2, NaN, 1.0, 1.0),
  ];

  it('pools |fitted / twin − 1| over the seeds of a width: mean, min and max; refused fits and missing twins are left out', () => {
    const gaps = twinGaps(rows);
    const at = (twin: string, width: number, degree: number) =>
      gaps.find((g) => g.twin === twin && g.width === width && g.degree === degree);
    const k256 = at(TWIN_PANELS.kernel, 256, 1)!;
    expect(k256.gap).toBeCloseTo((0.1 + 0.2) / 2, 12);
    expect([k256.lo, k256.hi, k256.runs]).toEqual([expect.closeTo(0.1, 12), expect.closeTo(0.2, 12), 2]);
    const i256 = at(TWIN_PANELS.init, 256, 1)!;
    expect(i256.gap).toBeCloseTo((Math.abs(1.1 / 1.01 - 1) + Math.abs(0.8 / 0.79 - 1)) / 2, 12);
    // The NaN init rate of seed 1 at 1024 is left out; degree 2's refused fit gives no point at all.
    expect(at(TWIN_PANELS.init, 1024, 1)!.runs).toBe(1);
    expect(at(TWIN_PANELS.kernel, 1024, 2)).toBeUndefined();
  });

  it('draws both panels on log-log axes with a reference line of slope −1/2', () => {
    const figure = twinGapFigure({ rows, subject: 'sw' })!;
    const values = (figure.spec as { data: { values: { reference?: boolean; width: number; gap: number }[] } }).data.values;
    const reference = values.filter((v) => v.reference);
    expect(reference.map((v) => v.width)).toEqual([256, 1024]);
    expect(reference[1]!.gap / reference[0]!.gap).toBeCloseTo(0.5, 12);
    expect(JSON.stringify(figure.spec)).toContain('"type":"log","base":2');
  });

  it('is left out with fewer than two widths', () => {
    expect(twinGapFigure({ rows: rows.filter((r) => r.width === 256), subject: 'sw' })).toBeNull();
  });
});
