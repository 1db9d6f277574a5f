import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { viewDefinitions, withResultsDb } from '../../src/store/results-db.js';
import { buildFixture, KERNEL_FACTOR, LEARNING_RATE, MU, RATES, SEED1_FACTOR, specOf } from './fixture.js';

/** -ln(1 - eta' mu_k), written again here rather than read from the database. */
const theory = (k: number) => -Math.log(1 - LEARNING_RATE * MU[k]!);

function close(actual: unknown, expected: number, rel = 1e-9): void {
  expect(typeof actual).toBe('number');
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));
}

describe('results views (sql/views.sql)', () => {
  let dir: string;
  let db: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'specbias-views-'));
    db = path.join(await buildFixture(dir), 'results.duckdb');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('views.sql defines run_params, rate_summary, sweep_summary and replicate_summary, in dependency order', async () => {
    expect((await viewDefinitions()).map((v) => v.name)).toEqual(['run_params', 'rate_summary', 'sweep_summary', 'replicate_summary']);
    const views = await withResultsDb(db, { readOnly: true }, (h) =>
      h.query("SELECT table_name FROM information_schema.tables WHERE table_type = 'VIEW' ORDER BY table_name"),
    );
    expect(views.map((v) => v.table_name)).toEqual(['rate_summary', 'replicate_summary', 'run_params', 'sweep_summary']);
  });

  it('run_params exposes the knobs of each spec, and config_id ignores the seed only', async () => {
    const rows = await withResultsDb(db, { readOnly: true }, (h) => h.query('SELECT * FROM run_params ORDER BY run_id'));
    expect(rows.map(({ config_id: _, ...r }) => r)).toEqual([
      {
        run_id: 'run-a',
        name: 'synthetic',
        sweep_id: 'sw-1',
        status: 'completed',
        width: 256,
        n: 300,
        n_test: 100,
        dim: 10,
        seed: 0,
        distribution: 'uniform',
        target: 'harmonics',
        learning_rate: 1,
        steps: 2000,
        theta: 1,
        depth: 2,
        bias: 0,
        activation: 'relu',
      },
      {
        run_id: 'run-b',
        name: 'synthetic',
        sweep_id: 'sw-1',
        status: 'completed',
        width: 256,
        n: 300,
        n_test: 100,
        dim: 10,
        seed: 1,
        distribution: 'uniform',
        target: 'harmonics',
        learning_rate: 1,
        steps: 2000,
        theta: 1,
        depth: 2,
        bias: 0,
        activation: 'relu',
      },
      {
        run_id: 'run-c',
        name: 'synthetic',
        sweep_id: 'sw-1',
        status: 'completed',
        width: 1024,
        n: 300,
        n_test: 100,
        dim: 10,
        seed: 0,
        distribution: 'uniform',
        target: 'harmonics',
        learning_rate: 1,
        steps: 2000,
        theta: 1,
        depth: 2,
        bias: 0,
        activation: 'relu',
      },
    ]);
    expect(rows[0]!.config_id).toBe(rows[1]!.config_id);
    expect(rows[2]!.config_id).not.toBe(rows[0]!.config_id);
  });

  it("run_params gives a model family run's depth, bias and activation (the paper's values where the spec leaves them out)", async () => {
    const file = path.join(dir, 'family.duckdb');
    const spec = { ...specOf(256, 0), model: { width: 256, theta: 1, depth: 3, bias: 0.5, activation: 'erf' } };
    const rows = await withResultsDb(file, {}, async (h) => {
      await h.recordFailedRun({
        runId: 'run-family',
        name: 'family',
        specHash: 'hash-family',
        spec,
        sweepId: null,
        status: 'failed',
        engine: 'native',
        backend: 'cpu',
        startedAt: new Date('2024-05-06T07:00:00.000Z'),
        finishedAt: new Date('2024-05-06T07:01:00.000Z'),
        codeVersion: 'x',
        error: 'stopped',
      });
      return h.query('SELECT depth, bias, activation, width FROM run_params');
    });
    expect(rows).toEqual([{ depth: 3, bias: 0.5, activation: 'erf', width: 256 }]);
  });

  it('rate_summary gives fitted/theory and fitted/kernel for the synthetic exponentials', async () => {
    const rows = await withResultsDb(db, { readOnly: true }, (h) =>
      h.query("SELECT * FROM rate_summary WHERE run_id = 'run-a' AND kind = 'target' ORDER BY split, degree"),
    );
    expect(rows.map((r) => `${r.split}/${r.degree}`)).toEqual(['test/1', 'test/2', 'test/4', 'train/1', 'train/2', 'train/4']);
    for (const r of rows.filter((r) => r.split === 'train')) {
      const k = r.degree as number;
      close(r.fitted_rate, RATES[k]!, 1e-6);
      close(r.theory_rate, theory(k), 1e-9);
      close(r.fitted_over_theory, RATES[k]! / theory(k), 1e-6);
      close(r.fitted_over_kernel, 1 / KERNEL_FACTOR, 1e-6);
      expect(r).toMatchObject({ name: 'synthetic', sweep_id: 'sw-1', width: 256, n: 300, dim: 10, seed: 0, learning_rate: 1 });
    }
    // On test degree 4 never falls: the fit is refused, and so are its ratios.
    const stalled = rows.find((r) => r.split === 'test' && r.degree === 4)!;
    expect(Number.isNaN(stalled.fitted_rate)).toBe(true);
    expect(Number.isNaN(stalled.fitted_over_theory)).toBe(true);
    expect(stalled.note).toContain('did not fall below 0.9x its peak');
  });

  it('sweep_summary pools the seeds of a grid point: mean, sample sd, count, refused fits apart', async () => {
    const rows = await withResultsDb(db, { readOnly: true }, (h) =>
      h.query("SELECT * FROM sweep_summary WHERE sweep_id = 'sw-1' AND kind = 'target' ORDER BY split, degree, width"),
    );
    expect(rows).toHaveLength(12); // 2 splits x 3 degrees x 2 widths
    for (const k of [1, 2, 4]) {
      const pooled = rows.find((r) => r.split === 'train' && r.degree === k && r.width === 256)!;
      expect(pooled).toMatchObject({
        n_runs: 2,
        n_failed: 0,
        seeds: [0, 1],
        n: 300,
        dim: 10,
        distribution: 'uniform',
        target: 'harmonics',
        learning_rate: 1,
      });
      close(pooled.fitted_rate_mean, (RATES[k]! * (1 + SEED1_FACTOR)) / 2, 1e-6);
      close(pooled.fitted_rate_std, (RATES[k]! * (SEED1_FACTOR - 1)) / Math.SQRT2, 1e-5);
      close(pooled.fitted_rate_min, RATES[k]!, 1e-6);
      close(pooled.fitted_rate_max, RATES[k]! * SEED1_FACTOR, 1e-6);
      close(pooled.fitted_over_theory_mean, (RATES[k]! * (1 + SEED1_FACTOR)) / 2 / theory(k), 1e-6);
      close(pooled.fitted_over_kernel_mean, 1 / KERNEL_FACTOR, 1e-6);
      expect(Math.abs(pooled.fitted_over_kernel_std as number)).toBeLessThan(1e-6);

      const single = rows.find((r) => r.split === 'train' && r.degree === k && r.width === 1024)!;
      expect(single).toMatchObject({ n_runs: 1, n_failed: 0, seeds: [0], fitted_rate_std: null });
      close(single.fitted_rate_mean, RATES[k]! / 2, 1e-6);
    }
    const stalled = rows.find((r) => r.split === 'test' && r.degree === 4 && r.width === 256)!;
    expect(stalled).toMatchObject({ n_runs: 2, n_failed: 2, fitted_rate_mean: null });
  });

  it('replicate_summary gives the mean over seeds with its 95% t-interval (t_{0.975,1} = 12.7062 for two seeds)', async () => {
    const rows = await withResultsDb(db, { readOnly: true }, (h) =>
      h.query(
        "SELECT * FROM replicate_summary WHERE sweep_id = 'sw-1' AND kind = 'target' AND split = 'train' ORDER BY degree, n_runs DESC",
      ),
    );
    for (const k of [1, 2, 4]) {
      const pooled = rows.find((r) => r.degree === k && r.n_runs === 2)!;
      const values = [RATES[k]!, RATES[k]! * SEED1_FACTOR];
      const mean = (values[0]! + values[1]!) / 2;
      const sd = Math.abs(values[1]! - values[0]!) / Math.SQRT2;
      close(pooled.fitted_rate_mean, mean, 1e-6);
      close(pooled.ci95_hi, mean + (12.706204736174698 * sd) / Math.SQRT2, 1e-5);
      close(pooled.ci95_lo, mean - (12.706204736174698 * sd) / Math.SQRT2, 1e-4);
      expect(pooled.n).toBe(2);
      const single = rows.find((r) => r.degree === k && r.n_runs === 1)!;
      expect(single.ci95_lo).toBeNull();
    }
  });
});
