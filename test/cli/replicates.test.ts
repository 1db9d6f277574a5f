import { describe, it, expect } from 'vitest';
import { summarizeReplicates } from '../../src/cli/replicates.js';
import { parseSpec } from '../../src/spec/schema.js';
import { expandGrid, pointSpec, replicatesAsSweep } from '../../src/spec/sweep.js';
import type { RateSummary } from '../../src/pipeline/types.js';

const rate = (degree: number, fittedRate: number | null, over: Partial<RateSummary> = {}): RateSummary => ({
  degree,
  fittedRate,
  theoryRate: 0.16,
  kernelRate: 0.16,
  initKernelRate: 0.155,
  ratio: null,
  r2: 0.99,
  stderr: 0.001,
  window: [1, 30],
  nPoints: 15,
  note: null,
  ...over,
});

describe('replicates', () => {
  it('a spec with replicates: 3 becomes a sweep over seed, seed+1, seed+2 whose points drop replicates', () => {
    const spec = parseSpec({ seed: 7, replicates: 3, training: { steps: 10 } });
    const sweep = replicatesAsSweep(spec as unknown as Record<string, unknown>)!;
    expect((sweep.sweep as { grid: unknown }).grid).toEqual({ seed: [7, 8, 9] });
    const points = expandGrid((sweep.sweep as { grid: Record<string, unknown[]> }).grid);
    const children = points.map((p) => parseSpec(pointSpec(sweep, p)));
    expect(children.map((c) => c.seed)).toEqual([7, 8, 9]);
    expect(children.every((c) => c.replicates === undefined && c.sweep === undefined)).toBe(true);
    expect(replicatesAsSweep(parseSpec({ replicates: 1 }) as unknown as Record<string, unknown>)).toBeNull();
    expect(() => replicatesAsSweep({ replicates: 2, sweep: { grid: { seed: [0, 1] } } })).toThrow('already varies seed');
    // With a grid of its own: every point gets every seed, and the result is a valid sweep spec.
    const widths = parseSpec({ seed: 0, replicates: 3, sweep: { grid: { 'model.width': [64, 128] } } });
    const replicated = parseSpec(replicatesAsSweep(widths as unknown as Record<string, unknown>)!);
    expect(replicated.replicates ?? 1).toBe(1);
    expect(expandGrid(replicated.sweep!.grid)).toHaveLength(6);
  });

  it('summarizes each degree: the mean, its 95% t-interval over the fitted replicates, refused ones noted', () => {
    const runs = [
      [rate(1, 0.15, { window: [1, 28] }), rate(2, 0.012)],
      [rate(1, 0.16, { window: [2, 30] }), rate(2, null, { note: 'fewer than 5 points' })],
      [rate(1, 0.14), rate(2, 0.011)],
    ];
    const [one, two] = summarizeReplicates(runs);
    expect(one!.fittedRate).toBeCloseTo(0.15, 14);
    // s = 0.01 over n = 3: t_{0.975,2} = 4.302652729749464
    const half = (4.302652729749464 * 0.01) / Math.sqrt(3);
    expect(one!.ci95![0]).toBeCloseTo(0.15 - half, 12);
    expect(one!.ci95![1]).toBeCloseTo(0.15 + half, 12);
    expect(one!.stderr).toBeCloseTo(0.01 / Math.sqrt(3), 14);
    expect(one!.n).toBe(3);
    expect(one!.window).toEqual([1, 30]);
    expect(one!.initKernelRate).toBeCloseTo(0.155, 14);
    expect(two!.n).toBe(2);
    expect(two!.fittedRate).toBeCloseTo(0.0115, 14);
    expect(two!.note).toBe('1 of 3 replicates refused the fit');
  });
});
