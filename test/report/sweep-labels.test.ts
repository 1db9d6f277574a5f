import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepAxis, sweepRateFigure, writeReport, type SweepSummaryRow } from '../../src/report/index.js';
import { renderFigure } from '../../src/report/render.js';
import { loadSpec } from '../../src/spec/load.js';
import { pointLabels, sweepPointLabels } from '../../src/spec/point-labels.js';
import { gridPointSpecs } from '../../src/spec/grid.js';
import { parseSpec, type PipelineSpec } from '../../src/spec/schema.js';
import { replicatesAsSweep, sweepPoints } from '../../src/spec/sweep.js';
import { canonicalJson } from '../../src/store/canonical-json.js';
import { ingestRuns, specOf } from './fixture.js';

const OPTIMIZERS = path.join(import.meta.dirname, '..', '..', 'pipelines', 'optimizers.yaml');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The validated spec of every point of a sweep, as the results database holds it (canonical JSON, keys sorted). */
function pointSpecs(spec: PipelineSpec): Record<string, unknown>[] {
  return [...gridPointSpecs(spec as unknown as Record<string, unknown>)].map(
    (p) => JSON.parse(canonicalJson(parseSpec(p.spec))) as Record<string, unknown>,
  );
}

/** pipelines/optimizers.yaml as the CLI runs it: its replicates as a seed grid (9 runs). */
async function optimizersSweep(): Promise<PipelineSpec> {
  return parseSpec(replicatesAsSweep((await loadSpec(OPTIMIZERS)) as unknown as Record<string, unknown>));
}

/** A sweep over `grid`, on the report fixture's spec. */
function sweepOver(grid: Record<string, unknown[]>): PipelineSpec {
  return parseSpec({ ...specOf(256, 0), sweep: { grid } });
}

describe('sweep point labels', () => {
  it('name the points of pipelines/optimizers.yaml by optimizer (gd as the schema reads its absence), seeds pooled', async () => {
    const specs = pointSpecs(await optimizersSweep());
    expect(specs).toHaveLength(9);
    // gd is stored as absent; the training mappings of the points share steps, learningRate, logEvery, engine.
    expect((specs[0]!.training as Record<string, unknown>).optimizer).toBeUndefined();
    // Grid order: keys sorted, so seed varies slowest, then training in the YAML's order.
    expect(pointLabels(specs)).toEqual([0, 1, 2].flatMap(() => ['optimizer=gd', 'optimizer=sgd batchSize=64', 'optimizer=adam']));
  });

  it('name a learning-rate grid by the rate, and a two-field grid by both fields in the order a spec lists them', () => {
    expect(pointLabels(pointSpecs(sweepOver({ 'training.learningRate': [0.5, 1, 4] })))).toEqual([
      'learningRate=0.5',
      'learningRate=1',
      'learningRate=4',
    ]);
    // The fields in the order of the schema (model before training), whatever order the grid names them in.
    expect(pointLabels(pointSpecs(sweepOver({ 'training.learningRate': [1, 4], 'model.theta': [0.1, 1] })))).toEqual([
      'theta=0.1 learningRate=1',
      'theta=0.1 learningRate=4',
      'theta=1 learningRate=1',
      'theta=1 learningRate=4',
    ]);
    // Inside one mapping too: steps before learningRate, as the schema (and docs/spec.md) lists training's fields.
    const training = (steps: number, learningRate: number) => ({ steps, learningRate, logEvery: 10, engine: 'auto' });
    expect(pointLabels(pointSpecs(sweepOver({ training: [training(2000, 1), training(4000, 2)] })))).toEqual([
      'steps=2000 learningRate=1',
      'steps=4000 learningRate=2',
    ]);
  });

  it('keep parents where leaves clash, read a kind as its mapping, and leave out what equals across points', () => {
    const mixture = (weight: number) => ({
      kind: 'gaussian-mixture',
      components: [
        { weight, mean: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0], scale: 0.5 },
        { weight: 1 - weight, mean: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0], scale: 0.5 },
      ],
    });
    const specs = pointSpecs(sweepOver({ 'data.distribution': [mixture(0.5), mixture(0.25), { kind: 'uniform' }] }));
    const labels = pointLabels(specs);
    // The kind first (the schema lists it first), read as its mapping; then the components, absent from the uniform point.
    // data.target.components shares their leaf but is equal across the points: the short name stands.
    expect(labels[0]).toMatch(/^distribution=gaussian-mixture components=\[\{.*"weight":0\.5[,}]/);
    expect(labels[1]).toMatch(/^distribution=gaussian-mixture components=\[\{.*"weight":0\.25[,}]/);
    expect(labels[2]).toBe('distribution=uniform');
    // Two fields with one leaf: each keeps its parent.
    const both = pointLabels([
      { data: { distribution: { components: [1] }, target: { components: [2] } } },
      { data: { distribution: { components: [3] }, target: { components: [4] } } },
    ]);
    expect(both).toEqual(['distribution.components=[1] target.components=[2]', 'distribution.components=[3] target.components=[4]']);
  });

  it('append the point id only when two different points would read alike', () => {
    expect(pointLabels([{ a: 64 }, { a: '64' }, { a: 1 }], ['aaaaaa11', 'bbbbbb22', 'cccccc33'])).toEqual([
      'a=64 aaaaaa',
      'a=64 bbbbbb',
      'a=1',
    ]);
    // A point whose differing fields are all absent (at defaults the schema does not name).
    expect(pointLabels([{ training: { momentum: 0.9 } }, { training: {} }])).toEqual(['momentum=0.9', 'defaults']);
    // Nothing differs: no label (callers name the one point otherwise).
    expect(pointLabels([specOf(256, 0), specOf(256, 1)])).toEqual(['', '']);
  });

  it('name every run id of a sweep spec, as the CLI shows running points', async () => {
    const spec = await optimizersSweep();
    const labels = sweepPointLabels(spec);
    const points = sweepPoints(spec);
    expect([...labels.keys()]).toEqual(points.map((p) => p.runId));
    expect(points.map((p) => labels.get(p.runId))).toEqual(pointLabels(pointSpecs(spec)));
  });
});

describe('the sweep rate figure per grid point', () => {
  /** sweep_summary rows for three grid points, rates falling by degree. */
  function summaryRows(configs: string[]): SweepSummaryRow[] {
    return configs.flatMap((config_id, i) =>
      [1, 2, 4].map((degree) => ({
        sweep_id: 's',
        config_id,
        split: 'train',
        kind: 'target',
        degree,
        width: 1024,
        n: 400,
        dim: 10,
        distribution: 'uniform',
        target: 'harmonics',
        learning_rate: 4,
        n_runs: 3,
        n_failed: 0,
        seeds: [0, 1, 2],
        fitted_rate_mean: (0.3 / degree ** 2) * (i + 1),
        fitted_rate_std: 0.01,
        fitted_rate_min: (0.25 / degree ** 2) * (i + 1),
        fitted_rate_max: (0.35 / degree ** 2) * (i + 1),
        theory_rate: 0.3 / degree ** 2,
        kernel_rate_mean: null,
        fitted_over_theory_mean: i + 1,
        fitted_over_theory_std: null,
        fitted_over_kernel_mean: null,
        fitted_over_kernel_std: null,
      })),
    );
  }

  it('labels the x axis by the grid values, in grid order, and renders to SVG and PNG', async () => {
    // Config ids that sort against the grid order: the axis must not sort them.
    const configs = ['ffff01', '000002', '888803'];
    const labels = pointLabels(pointSpecs(await optimizersSweep())).slice(0, 3);
    const axis = sweepAxis(summaryRows(configs), new Map(configs.map((c, i) => [c, labels[i]!])));
    expect(axis).toMatchObject({ field: 'point', title: 'grid point' });
    const fig = sweepRateFigure({ rows: summaryRows(configs), axis, kind: 'target', subject: 'optimizers-x' });
    const { svg, png, width } = await renderFigure(fig.spec);
    const at = ['optimizer=gd', 'optimizer=sgd batchSize=64', 'optimizer=adam'].map((l) => svg.indexOf(`>${l}<`));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(svg).not.toContain('harmonics');
    expect(svg).not.toContain('ffff01');
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(width).toBeGreaterThan(600);
  });

  it('keeps width and n as numeric axes', () => {
    const rows = summaryRows(['a', 'b']);
    rows.forEach((r, i) => (r.width = i < 3 ? 256 : 1024));
    expect(sweepAxis(rows, new Map([['a', 'width=256']]))).toEqual({ field: 'width', title: 'network width m' });
  });
});

describe('the report of a sweep over optimizers', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'specbias-sweep-labels-'));
    const specs = pointSpecs(await optimizersSweep());
    // Run ids that sort against the grid; started in grid order, as the sweep workflow launches them.
    await ingestRuns(
      path.join(dir, 'data'),
      specs.map((spec, i) => ({
        runId: `opt-${String.fromCharCode(105 - i)}`,
        spec,
        sweepId: 'opt-sweep',
        startedAt: new Date(Date.UTC(2024, 4, 6, 7, 0, i)),
        factor: 1 + (i % 3),
      })),
    );
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names grid points and panels by optimizer, says what the grid varies, and keeps the hash out of the figure', async () => {
    const out = path.join(dir, 'report');
    await writeReport({ dataRoot: path.join(dir, 'data'), id: 'opt-sweep', outDir: out });
    const rates = await readFile(path.join(out, 'sweep-rates-target.svg'), 'utf8');
    const at = ['optimizer=gd', 'optimizer=sgd batchSize=64', 'optimizer=adam'].map((l) => rates.indexOf(`>${l}<`));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(rates).not.toContain('uniform/harmonics');
    const md = await readFile(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain('the grid varies **training.batchSize**, **training.optimizer**, **seed**.');
    // The markdown tables name points the same way: each run's row, and each pooled row of sweep_summary.
    const runRow = md.split('\n').find((l) => l.startsWith('| opt-i |'))!;
    expect(runRow).toContain('| optimizer=gd |');
    const summaryRows = md.split('\n').filter((l) => /^\| train \| target \| 1 \|/.test(l));
    expect(summaryRows.map((l) => l.split(' | ')[5])).toEqual(['optimizer=gd', 'optimizer=sgd batchSize=64', 'optimizer=adam']);
    // Panels: one per run (the first 8), named by point and seed.
    const panels = await readFile(path.join(out, 'projection-target-log.svg'), 'utf8');
    for (const l of ['optimizer=gd, seed 0', 'optimizer=gd, seed 1', 'optimizer=sgd batchSize=64, seed 2', 'optimizer=adam, seed 2'])
      expect(panels).toContain(`>${l}<`);
    const html = await readFile(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('optimizer=sgd batchSize=64');
  });
});
