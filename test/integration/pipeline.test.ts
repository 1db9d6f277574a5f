import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableFromIPC } from 'apache-arrow';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createSpecbiasWorker, TASK_QUEUE } from '../../src/temporal/worker.js';
import { parseSpec } from '../../src/spec/schema.js';
import { runIdFor } from '../../src/spec/hash.js';
import { expandGrid, pointSpec } from '../../src/spec/sweep.js';
import { withResultsDb } from '../../src/store/results-db.js';
import { degreeTheoryRate } from '../../src/pipeline/rates.js';
import { familySpectrum } from '../../src/math/ntk-family.js';
import type { PipelineResult, SweepResult } from '../../src/pipeline/types.js';
import { startTestServer } from '../helpers/temporal.js';

// A tiny but real run: D=5 so mu_1 = 3/(4D) = 0.15 is a closed form to check against.
const tiny = {
  name: 'tiny',
  seed: 3,
  data: { dim: 5, n: 48, nTest: 32 },
  model: { width: 64 },
  training: { steps: 60, learningRate: 4, logEvery: 5, engine: 'tfjs-cpu' },
  spectrum: { maxDegree: 4 },
};

let env: TestWorkflowEnvironment;
const dataRoot = mkdtempSync(join(tmpdir(), 'specbias-it-'));

async function execute(spec: unknown, workflowId: string): Promise<PipelineResult> {
  const worker = await createSpecbiasWorker({ connection: env.nativeConnection, dataRoot, client: env.client });
  return worker.runUntil(
    env.client.workflow.execute('spectralBiasPipeline', { args: [spec], taskQueue: TASK_QUEUE, workflowId }),
  ) as Promise<PipelineResult>;
}

function arrowFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.arrow'))
    .map((f) => join(dir, f));
}

beforeAll(async () => {
  env = await startTestServer();
});
afterAll(async () => {
  await env?.teardown();
  rmSync(dataRoot, { recursive: true, force: true });
});

describe('spectralBiasPipeline on a real dev server', () => {
  it('runs sample, spectrum, train, project and analyze, and lands Arrow files and DuckDB rows', async () => {
    const result = await execute(tiny, 'it-tiny-1');
    const spec = parseSpec(tiny);
    expect(result.runId).toBe(runIdFor(spec));
    expect(result.status).toBe('completed');
    expect(result.rates.map((r) => r.degree)).toEqual([1, 2, 4]);

    // Every artifact is a real Arrow IPC file under artifacts/<step>/<hash>/.
    const files = arrowFiles(join(dataRoot, 'artifacts'));
    const names = files.map((f) => f.split('/').slice(-3, -2)[0] + '/' + f.split('/').at(-1));
    expect(names.sort()).toEqual(
      [
        'analyze/rates.arrow',
        'init-twin/init-twin.arrow',
        'ntk-check/ntk-check.arrow',
        'ntk-check/ntk-directions.arrow',
        'project/projections.arrow',
        'sample/samples.arrow',
        'spectrum/gram.arrow',
        'spectrum/spectrum.arrow',
        'train/losses.arrow',
        'train/trajectory.arrow',
      ].sort(),
    );
    for (const f of files) {
      const bytes = readFileSync(f);
      expect(bytes.subarray(0, 6).toString()).toBe('ARROW1');
      expect(tableFromIPC(bytes).numRows).toBeGreaterThan(0);
    }
    // The geometric schedule: 0, 1, 2, 3, 4, 5, 7, 9, 11, 14, 18 and every 5th step up to 60 (log-schedule.ts).
    const logs = new Set([0, 1, 2, 3, 4, 5, 7, 9, 11, 14, 18, ...Array.from({ length: 13 }, (_, i) => 5 * i)]).size;
    const trajectory = tableFromIPC(readFileSync(files.find((f) => f.endsWith('trajectory.arrow'))!));
    expect(trajectory.numRows).toBe(logs * (48 + 32));
    // The finite-width twin's trajectory: a row per logged step, the same steps.
    const twin = tableFromIPC(readFileSync(files.find((f) => f.endsWith('init-twin.arrow'))!));
    expect(twin.numRows).toBe(logs);
    expect(Array.from(twin.getChild('step')!.toArray() as Int32Array)).toEqual([
      ...new Set(trajectory.getChild('step')!.toArray() as Int32Array),
    ]);

    const manifest = JSON.parse(readFileSync(join(dataRoot, result.manifest), 'utf8'));
    expect(manifest.specHash).toBe(result.specHash);
    expect(manifest.engine).toBe('tfjs-cpu');
    expect(manifest.backend).toMatch(/^tfjs .* cpu/);
    expect(Object.keys(manifest.artifacts).sort()).toEqual([
      'gram',
      'initTwin',
      'losses',
      'ntkCheck',
      'ntkDirections',
      'projections',
      'rates',
      'samples',
      'spectrum',
      'trajectory',
      'vectors',
    ]);

    await withResultsDb(join(dataRoot, 'results.duckdb'), { readOnly: true }, async (db) => {
      // target and harmonic kinds on both splits, eigenspace on train; network, init and kernel sources
      const counts = await db.query(
        `SELECT kind, source, count(*) AS n FROM projections WHERE run_id = $run_id GROUP BY ALL ORDER BY ALL`,
        { run_id: result.runId },
      );
      expect(counts).toEqual([
        { kind: 'eigenspace', source: 'init', n: logs * 3 },
        { kind: 'eigenspace', source: 'kernel', n: logs * 3 },
        { kind: 'eigenspace', source: 'network', n: logs * 3 },
        { kind: 'harmonic', source: 'init', n: logs * 2 * 3 },
        { kind: 'harmonic', source: 'kernel', n: logs * 2 * 3 },
        { kind: 'harmonic', source: 'network', n: logs * 2 * 3 },
        { kind: 'target', source: 'init', n: logs * 2 * 3 },
        { kind: 'target', source: 'kernel', n: logs * 2 * 3 },
        { kind: 'target', source: 'network', n: logs * 2 * 3 },
      ]);
      // Per target degree, the empirical NTK at init against kappa along the target part: a few percent at m = 64.
      const dirs = await db.query(`SELECT degree, rel_diff FROM ntk_directions WHERE run_id = $run_id ORDER BY degree`, {
        run_id: result.runId,
      });
      expect(dirs.map((d) => d.degree)).toEqual([1, 2, 4]);
      for (const d of dirs) expect(Math.abs(Number(d.rel_diff))).toBeLessThan(1);
      // At step 0 both twins start from the network's own residual.
      const start = await db.query(
        `SELECT (max(value) - min(value)) / max(value) AS spread, count(*) AS n FROM projections
          WHERE run_id = $run_id AND step = 0 AND kind = 'target' AND split = 'train' AND degree = 1`,
        { run_id: result.runId },
      );
      expect(start[0]!.n).toBe(3);
      expect(Number(start[0]!.spread)).toBeLessThan(1e-12);
      const [ntk] = await db.query(`SELECT width, rel_error FROM ntk_check WHERE run_id = $run_id`, { run_id: result.runId });
      expect(ntk!.width).toBe(64);
      expect(Number(ntk!.rel_error)).toBeGreaterThan(0.01);
      expect(Number(ntk!.rel_error)).toBeLessThan(1);
      const [mu1] = await db.query(`SELECT mu FROM spectrum WHERE run_id = $run_id AND degree = 1`, { run_id: result.runId });
      expect(Number(mu1!.mu)).toBeCloseTo(3 / 20, 12);
      const gram = await db.query(`SELECT count(*) AS n, max(eigenvalue) AS top FROM gram_eigenvalues WHERE run_id = $run_id`, {
        run_id: result.runId,
      });
      expect(Number(gram[0]!.n)).toBe(48);
      const rates = await db.query(
        `SELECT degree, fitted_rate, theory_rate FROM rates WHERE run_id = $run_id AND split = 'train' AND kind = 'target' ORDER BY degree`,
        {
          run_id: result.runId,
        },
      );
      expect(rates.map((r) => Number(r.degree))).toEqual([1, 2, 4]);
      // theory_rate = -ln(1 - eta' mu_1) with eta' = 4, mu_1 = 3/20
      expect(Number(rates[0]!.theory_rate)).toBeCloseTo(-Math.log(1 - 4 * 0.15), 10);
      // Degree 1 is learned fastest: it decays within 60 steps at eta' = 4.
      expect(Number(rates[0]!.fitted_rate)).toBeGreaterThan(0.02);
      const [runs] = await db.query(`SELECT count(*) AS n FROM runs WHERE run_id = $run_id AND status = 'completed'`, {
        run_id: result.runId,
      });
      expect(Number(runs!.n)).toBe(1);
    });
  });

  it('a second execution of the same spec reuses every artifact', async () => {
    const before = arrowFiles(join(dataRoot, 'artifacts')).length;
    const result = await execute(tiny, 'it-tiny-2');
    const manifest = JSON.parse(readFileSync(join(dataRoot, result.manifest), 'utf8'));
    // recorded as a rerun: the manifest keeps the timings of the execution that computed
    expect(manifest.timings.find((t: { step: string }) => t.step === 'train').cached).toBe(false);
    const cached = Object.fromEntries(manifest.reruns.at(-1).timings.map((t: { step: string; cached: boolean }) => [t.step, t.cached]));
    expect(cached).toMatchObject({ sample: true, spectrum: true, train: true, project: true });
    expect(arrowFiles(join(dataRoot, 'artifacts')).length).toBe(before);
  });

  it('every input distribution and target kind runs end to end', async () => {
    const cases = [
      { distribution: { kind: 'piecewise-uniform' }, target: { kind: 'cosine', omega: 3 }, degrees: [0, 2, 4] },
      { distribution: { kind: 'anisotropic-gaussian' }, target: { kind: 'even-poly', coefficients: [0, 1, 1] }, degrees: [0, 2, 4] },
      {
        distribution: { kind: 'gaussian-mixture' },
        target: {
          kind: 'harmonics',
          components: [
            { degree: 1, amplitude: 1 },
            { degree: 2, amplitude: 3 },
          ],
        },
        degrees: [1, 2],
      },
    ];
    for (const [i, c] of cases.entries()) {
      const spec = { ...tiny, name: `kinds${i}`, data: { ...tiny.data, distribution: c.distribution, target: c.target } };
      const result = await execute(spec, `it-kinds-${i}`);
      expect(result.rates.map((r) => r.degree)).toEqual(c.degrees);
      await withResultsDb(join(dataRoot, 'results.duckdb'), { readOnly: true }, async (db) => {
        const kinds = await db.query(`SELECT DISTINCT kind FROM projections WHERE run_id = $run_id ORDER BY kind`, {
          run_id: result.runId,
        });
        // No harmonic kind off the uniform measure: the harmonics are not the eigenfunctions there.
        expect(kinds.map((k) => k.kind)).toEqual(['eigenspace', 'target']);
        const [spec] = await db.query(`SELECT spec->>'$.data.distribution.kind' AS kind FROM runs WHERE run_id = $run_id`, {
          run_id: result.runId,
        });
        expect(spec!.kind).toBe(c.distribution.kind);
      });
    }
  }, 180_000);

  it('a sweep runs each grid point as a child whose workflow id is its run id, with a memo, and a rerun recomputes nothing', async () => {
    const sweep = { ...tiny, name: 'sw', sweep: { grid: { seed: [5, 6], 'model.width': [32] }, concurrency: 2 } };
    const run = async (id: string) =>
      (await createSpecbiasWorker({ connection: env.nativeConnection, dataRoot, client: env.client })).runUntil(
        env.client.workflow.execute('spectralBiasSweep', { args: [sweep], taskQueue: TASK_QUEUE, workflowId: id }),
      ) as Promise<SweepResult>;
    const first = await run('it-sweep');
    expect(first).toMatchObject({ status: 'completed', pointsTotal: 2, pointsDone: 2, failed: [] });
    // The children's ids are the run ids of the grid points, computed here from the spec alone.
    const children = expandGrid(sweep.sweep.grid).map((params) =>
      runIdFor(parseSpec(pointSpec(sweep as unknown as Record<string, unknown>, params))),
    );
    expect(new Set(children).size).toBe(2);
    for (const id of children) {
      const described = await env.client.workflow.getHandle(id).describe();
      expect(described.status.name).toBe('COMPLETED');
      expect(described.parentExecution?.workflowId).toBe('it-sweep');
      expect(described.memo).toMatchObject({ name: 'sw', width: 32, sweep: 'it-sweep' });
    }
    await withResultsDb(join(dataRoot, 'results.duckdb'), { readOnly: true }, async (db) => {
      const rows = await db.query(`SELECT count(*) AS n FROM runs WHERE sweep_id = 'it-sweep'`);
      expect(rows[0]!.n).toBe(2);
    });
    const trainDirs = () => readdirSync(join(dataRoot, 'artifacts', 'train')).length;
    const before = trainDirs();
    const again = await run('it-sweep-again');
    expect(again.pointsDone).toBe(2);
    expect(trainDirs()).toBe(before);
  });

  it('a learning-rate sweep eigendecomposes the Gram matrix once, and analysis gives each point its own theory rates', async () => {
    // Degrees 1..4: mu_3 is a numerical zero (rounding noise), the edge of the theory-rate rule.
    const components = [1, 2, 3, 4].map((degree) => ({ degree, amplitude: 1 }));
    const rates = [2, 4];
    const sweep = {
      ...tiny,
      name: 'lr',
      seed: 17,
      data: { ...tiny.data, target: { kind: 'harmonics', components } },
      sweep: { grid: { 'training.learningRate': rates }, concurrency: 2 },
    };
    const spectrumDirs = () =>
      existsSync(join(dataRoot, 'artifacts', 'spectrum')) ? readdirSync(join(dataRoot, 'artifacts', 'spectrum')) : [];
    const before = new Set(spectrumDirs());
    const worker = await createSpecbiasWorker({ connection: env.nativeConnection, dataRoot, client: env.client });
    const result = (await worker.runUntil(
      env.client.workflow.execute('spectralBiasSweep', { args: [sweep], taskQueue: TASK_QUEUE, workflowId: 'it-lr-sweep' }),
    )) as SweepResult;
    expect(result).toMatchObject({ status: 'completed', pointsTotal: 2, pointsDone: 2, failed: [] });

    // One new spectrum folder, holding the one eigendecomposition both points use.
    const added = spectrumDirs().filter((d) => !before.has(d));
    expect(added).toHaveLength(1);
    expect(readdirSync(join(dataRoot, 'artifacts', 'spectrum', added[0]!))).toContain('gram-vectors.f64');
    await withResultsDb(join(dataRoot, 'results.duckdb'), { readOnly: true }, async (db) => {
      const runs = await db.query(
        `SELECT run_id, CAST(spec->>'$.training.learningRate' AS DOUBLE) AS lr FROM runs WHERE sweep_id = 'it-lr-sweep' ORDER BY lr`,
      );
      expect(runs.map((r) => Number(r.lr))).toEqual(rates);
      const manifests = runs.map((r) => JSON.parse(readFileSync(join(dataRoot, 'runs', String(r.run_id), 'manifest.json'), 'utf8')));
      // The eigensolve ran in exactly one of the two points; the other found or shared its result.
      const computed = manifests.flatMap((m) =>
        m.timings.filter((t: { step: string; cached: boolean }) => t.step === 'spectrum' && !t.cached),
      );
      expect(computed).toHaveLength(1);
      expect(new Set(manifests.map((m) => m.artifacts.vectors.sha256)).size).toBe(1);
      expect(new Set(manifests.map((m) => m.artifacts.trajectory.sha256)).size).toBe(2);

      // The theory rate has one definition: the TypeScript one fills spectrum.theory_rate at
      // ingestion, sql/rates.sql computes its own; they agree on every target degree of both runs.
      for (const { run_id, lr } of runs) {
        const rows = await db.query(
          `SELECT s.degree, s.mu, s.numerical_zero, s.theory_rate AS ts, r.theory_rate AS sql FROM spectrum s
             JOIN rates r ON r.run_id = s.run_id AND r.degree = s.degree AND r.split = 'train' AND r.kind = 'target'
            WHERE s.run_id = $run_id ORDER BY s.degree`,
          { run_id: String(run_id) },
        );
        expect(rows.map((r) => Number(r.degree))).toEqual([1, 2, 3, 4]);
        for (const r of rows) {
          const want = degreeTheoryRate(Number(r.mu), Number(lr), Boolean(r.numerical_zero));
          if (Number.isNaN(want)) {
            expect(Number.isNaN(Number(r.ts))).toBe(true);
            expect(r.sql).toBeNull();
          } else {
            expect(Number(r.ts)).toBe(want);
            expect(Math.abs(Number(r.sql) - want)).toBeLessThanOrEqual(1e-15 * want);
          }
        }
        // mu_1 = 3/(4D) = 3/20 in closed form.
        expect(Number(rows[0]!.ts)).toBeCloseTo(-Math.log(1 - Number(lr) * 0.15), 12);
      }
    });
  });

  it("a model-family run (depth 3, bias 0.5, erf) trains, gets both twins and the model's theory, and is named in run_params", async () => {
    const family = {
      ...tiny,
      name: 'tiny-family',
      model: { width: 64, depth: 3, bias: 0.5, activation: 'erf' },
      training: { ...tiny.training, learningRate: 1, engine: 'auto' },
    };
    const result = await execute(family, 'it-family');
    expect(result.status).toBe('completed');
    const spectrum = familySpectrum(5, 4, { depth: 3, bias: 0.5, activation: 'erf' });
    await withResultsDb(join(dataRoot, 'results.duckdb'), { readOnly: true }, async (db) => {
      const [params] = await db.query(`SELECT depth, bias, activation FROM run_params WHERE run_id = $run_id`, { run_id: result.runId });
      expect(params).toEqual({ depth: 3, bias: 0.5, activation: 'erf' });
      const rows = await db.query(
        `SELECT degree, theory_rate, kernel_rate, init_kernel_rate FROM rates
          WHERE run_id = $run_id AND split = 'train' AND kind = 'target' ORDER BY degree`,
        { run_id: result.runId },
      );
      expect(rows.map((r) => r.degree)).toEqual([1, 2, 4]);
      for (const r of rows) {
        // The theory is this model's mu_k, not the paper's kernel.
        const mu = spectrum.find((e) => e.degree === r.degree)!.mu;
        expect(r.theory_rate as number).toBeCloseTo(-Math.log1p(-1 * mu), 12);
      }
      // Both twins exist where their curves could be fitted (degree 1 falls within 60 steps).
      expect(rows[0]!.kernel_rate as number).toBeGreaterThan(0);
      expect(rows[0]!.init_kernel_rate as number).toBeGreaterThan(0);
    });
  });

  it('an invalid spec fails the workflow at once with the field named, without retries', async () => {
    const bad = { ...tiny, data: { ...tiny.data, n: 0 } };
    const err = await execute(bad, 'it-bad').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as Error & { cause?: Error };
    expect(cause.cause?.message ?? cause.message).toBe('invalid spec at data.n: must be >= 2, got 0');
    const history = await env.client.workflow.getHandle('it-bad').fetchHistory();
    const attempts = history
      .events!.filter((e) => e.activityTaskStartedEventAttributes)
      .map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 0);
    expect(Math.max(...attempts)).toBe(1);
    expect(existsSync(join(dataRoot, 'runs', 'tiny-bad'))).toBe(false);
  });
});
