import path from 'node:path';
import { Bool, Dictionary, Float64, Int32, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  ResultsDb,
  ResultsLockedError,
  ResultsMissingError,
  TableSchemaError,
  ratesSqlPath,
  withResultsDb,
  type IngestRunInput,
  type RunRow,
} from '../../src/store/index.js';
import { Prng } from '../../src/math/prng.js';
import { studentTQuantile } from '../../src/math/student-t.js';
import { useTempDir } from './temp-dir.js';

// ---------------------------------------------------------------- Fixtures

interface ProjectionRow {
  split: string;
  step: number;
  degree: number;
  kind: string;
  source: string;
  value: number;
}

function runRow(runId: string, learningRate = 0.5): RunRow {
  return {
    runId,
    name: 'quickstart',
    specHash: `hash-${runId}`,
    spec: { name: 'quickstart', training: { learningRate, steps: 5000 }, data: { dim: 10 } },
    sweepId: null,
    status: 'completed',
    engine: 'tfjs',
    backend: 'cpu',
    startedAt: new Date('2024-05-06T07:08:09.123Z'),
    finishedAt: new Date('2024-05-06T08:00:00.000Z'),
    codeVersion: 'test',
  };
}

function spectrumTable(mu: number[]): Table {
  return new Table({
    degree: vectorFromArray(
      mu.map((_, k) => k),
      new Int32(),
    ),
    mu: vectorFromArray(mu, new Float64()),
    multiplicity: vectorFromArray(
      mu.map((_, k) => k + 1),
      new Float64(),
    ),
    numerical_zero: vectorFromArray(
      mu.map((m) => m === 0),
      new Bool(),
    ),
    theory_rate: vectorFromArray(
      mu.map(() => Number.NaN),
      new Float64(),
    ),
  });
}

function gramTable(n: number): Table {
  return new Table({
    idx: vectorFromArray(
      Array.from({ length: n }, (_, i) => i),
      new Int32(),
    ),
    eigenvalue: vectorFromArray(
      Array.from({ length: n }, (_, i) => 1 / (i + 1)),
      new Float64(),
    ),
    cluster: vectorFromArray(
      Array.from({ length: n }, (_, i) => (i % 3 === 2 ? null : i % 3)),
      new Int32(),
    ),
  });
}

function lossesTable(steps: number[]): Table {
  return new Table({
    split: vectorFromArray(
      steps.map(() => 'train'),
      new Utf8(),
    ),
    step: vectorFromArray(steps, new Int32()),
    loss: vectorFromArray(
      steps.map((s) => Math.exp(-s / 100)),
      new Float64(),
    ),
  });
}

function projectionsTable(rows: ProjectionRow[]): Table {
  return new Table({
    split: vectorFromArray(
      rows.map((r) => r.split),
      new Utf8(),
    ),
    step: vectorFromArray(
      rows.map((r) => r.step),
      new Int32(),
    ),
    degree: vectorFromArray(
      rows.map((r) => r.degree),
      new Int32(),
    ),
    kind: vectorFromArray(
      rows.map((r) => r.kind),
      new Utf8(),
    ),
    source: vectorFromArray(
      rows.map((r) => r.source),
      new Utf8(),
    ),
    value: vectorFromArray(
      rows.map((r) => r.value),
      new Float64(),
    ),
  });
}

const STEPS = Array.from({ length: 501 }, (_, i) => i * 10); // 0, 10, ..., 5000

function series(degree: number, value: (step: number) => number, extra: Partial<ProjectionRow> = {}): ProjectionRow[] {
  return STEPS.map((step) => ({ split: 'train', kind: 'target', source: 'network', degree, step, value: value(step), ...extra }));
}

function smallRun(runId: string, projectionRows = 40): IngestRunInput {
  return {
    run: runRow(runId),
    spectrum: spectrumTable([0.4, 0.2, 0.1]),
    gram: gramTable(7),
    losses: lossesTable([0, 10, 20]),
    projections: projectionsTable(series(1, (s) => Math.exp(-0.01 * s)).slice(0, projectionRows)),
  };
}

async function counts(db: ResultsDb, runId: string): Promise<Record<string, unknown>> {
  const [row] = await db.query(
    `SELECT
       (SELECT count(*) FROM runs WHERE run_id = $r) AS runs,
       (SELECT count(*) FROM spectrum WHERE run_id = $r) AS spectrum,
       (SELECT count(*) FROM gram_eigenvalues WHERE run_id = $r) AS gram_eigenvalues,
       (SELECT count(*) FROM losses WHERE run_id = $r) AS losses,
       (SELECT count(*) FROM projections WHERE run_id = $r) AS projections,
       (SELECT count(*) FROM rates WHERE run_id = $r) AS rates`,
    { r: runId },
  );
  return row!;
}

// ---------------------------------------------------------------- Independent reference for the rate rule

interface ReferenceFit {
  windowStart: number | null;
  windowEnd: number;
  nPoints: number;
  rate: number;
  r2: number;
  stderr: number;
  /** ln value = intercept - rate * step, the least-squares line. */
  intercept: number;
}

/**
 * The rule of sql/rates.sql, written again in plain TS: the window from the reference curve's
 * peak (first below 0.9x the peak, to first below 1e-2x it or the end), then least squares of
 * ln(value) on step for the fitted curve over exactly those steps.
 */
function referenceFit(reference: { step: number; value: number }[], fitted = reference): ReferenceFit {
  const ref = [...reference].sort((a, b) => a.step - b.step);
  const peak = Math.max(...ref.map((p) => p.value));
  const peakStep = ref.find((p) => p.value === peak)!.step;
  const start = ref.find((p) => p.step >= peakStep && p.value < 0.9 * peak)?.step ?? null;
  const end = (start === null ? undefined : ref.find((p) => p.step >= start && p.value < 1e-2 * peak)?.step) ?? ref[ref.length - 1]!.step;
  if (start === null)
    return { windowStart: null, windowEnd: end, nPoints: 0, rate: Number.NaN, r2: Number.NaN, stderr: Number.NaN, intercept: Number.NaN };
  return { windowStart: start, windowEnd: end, ...lineFit(fitted.filter((p) => p.step >= start && p.step <= end && p.value > 0)) };
}

/** Least squares of ln(value) on step. */
function lineFit(used: { step: number; value: number }[]): Omit<ReferenceFit, 'windowStart' | 'windowEnd'> {
  const n = used.length;
  const mx = used.reduce((a, p) => a + p.step, 0) / n;
  const my = used.reduce((a, p) => a + Math.log(p.value), 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const p of used) {
    const dx = p.step - mx;
    const dy = Math.log(p.value) - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const slope = sxy / sxx;
  let sse = 0;
  for (const p of used) sse += (Math.log(p.value) - my - slope * (p.step - mx)) ** 2;
  return {
    nPoints: n,
    rate: -slope,
    r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy),
    stderr: Math.sqrt(sse / (n - 2) / sxx),
    intercept: my - slope * mx,
  };
}

function expectRelative(actual: number | null | undefined, expected: number, tolerance: number): void {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected) / Math.abs(expected)).toBeLessThan(tolerance);
}

// ---------------------------------------------------------------- Tests

describe('ResultsDb', () => {
  const tmp = useTempDir();
  const dbPath = () => path.join(tmp(), 'data', 'results.duckdb');

  it('ingestRun stores every table with run_id added, and is idempotent', async () => {
    await withResultsDb(dbPath(), {}, async (db) => {
      await db.ingestRun(smallRun('run-a'));
      const first = await counts(db, 'run-a');
      expect(first).toEqual({ runs: 1, spectrum: 3, gram_eigenvalues: 7, losses: 3, projections: 40, rates: 0 });
      await db.ingestRun(smallRun('run-a'));
      expect(await counts(db, 'run-a')).toEqual(first);

      const [run] = await db.query("SELECT *, json_extract(spec, '$.training.learningRate')::DOUBLE AS lr FROM runs");
      expect(run).toEqual({
        run_id: 'run-a',
        name: 'quickstart',
        spec_hash: 'hash-run-a',
        spec: '{"data":{"dim":10},"name":"quickstart","training":{"learningRate":0.5,"steps":5000}}',
        sweep_id: null,
        status: 'completed',
        engine: 'tfjs',
        backend: 'cpu',
        started_at: '2024-05-06T07:08:09.123Z',
        finished_at: '2024-05-06T08:00:00.000Z',
        code_version: 'test',
        error: null,
        reruns: 0,
        last_rerun_at: null,
        lr: 0.5,
      });
      const clusters = await db.query('SELECT idx, cluster FROM gram_eigenvalues ORDER BY idx LIMIT 3');
      expect(clusters).toEqual([
        { idx: 0, cluster: 0 },
        { idx: 1, cluster: 1 },
        { idx: 2, cluster: null },
      ]);
      const [spectrum] = await db.query('SELECT * FROM spectrum WHERE degree = 0');
      expect(spectrum).toMatchObject({ run_id: 'run-a', degree: 0, mu: 0.4, multiplicity: 1, numerical_zero: false });
      expect(Number.isNaN(spectrum!.theory_rate)).toBe(true);
    });
  });

  it('ingestRun reads string columns exactly: plain or dictionary-encoded, over several batches, with more distinct words than it keeps', async () => {
    const words = Array.from({ length: 70 }, (_, i) => `w${i}-é`); // beyond the 64 words decoded once per batch
    const rows = (offset: number) =>
      Array.from({ length: 150 }, (_, i) => ({
        split: i % 3 === 0 ? 'test' : 'train',
        step: offset + i,
        degree: 1,
        kind: words[i % 70]!,
        source: 'network',
        value: i,
      }));
    const plain = projectionsTable(rows(0)).concat(projectionsTable(rows(150)));
    const dictionary = new Table({
      ...Object.fromEntries(plain.schema.fields.map((f) => [f.name, plain.getChild(f.name)!])),
      split: vectorFromArray(
        [...rows(0), ...rows(150)].map((r) => r.split),
        new Dictionary(new Utf8(), new Int32()),
      ),
    });
    for (const projections of [plain, dictionary]) {
      await withResultsDb(dbPath(), {}, async (db) => {
        await db.ingestRun({ ...smallRun('run-s'), projections });
        const got = await db.query("SELECT split, kind, step FROM projections WHERE run_id = 'run-s' ORDER BY step");
        expect(got).toEqual([...rows(0), ...rows(150)].map((r) => ({ split: r.split, kind: r.kind, step: r.step })));
      });
    }
  });

  it('ingestRun keeps the rows in their order, and NULLs in a string column beside columns of repeated words', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => ({
      split: i % 7 === 3 ? null : i % 2 === 0 ? 'train' : 'test',
      step: (i * 7919) % 5000, // not sorted
      degree: i % 5,
      kind: i % 3 === 0 ? 'target' : 'harmonic',
      source: ['network', 'kernel', 'init'][i % 3]!,
      value: i / 3,
    }));
    const projections = projectionsTable(rows as ProjectionRow[]);
    await withResultsDb(dbPath(), {}, async (db) => {
      await db.ingestRun({ ...smallRun('run-n'), projections });
      const got = await db.query("SELECT * EXCLUDE (run_id) FROM projections WHERE run_id = 'run-n' ORDER BY rowid");
      expect(got).toEqual(rows);
      expect(await db.query('SELECT * FROM duckdb_tables() WHERE temporary')).toEqual([]);
    });
  });

  it('ingestRun refuses a table whose column count differs from what it writes, and leaves the database unchanged', async () => {
    for (const table of ['projections', 'spectrum']) {
      await withResultsDb(dbPath(), {}, async (db) => {
        await db.ingestRun(smallRun('run-a'));
        const before = await counts(db, 'run-a');
        await db.query(`ALTER TABLE ${table} ADD COLUMN extra INTEGER`);
        const [columns] = await db.query(`SELECT count(*) AS n FROM duckdb_columns() WHERE table_name = '${table}'`);
        await expect(db.ingestRun(smallRun('run-a', 25))).rejects.toThrow(
          `has ${columns!.n as number} columns, expected ${(columns!.n as number) - 1}; it was created by another version of specbias`,
        );
        expect(await counts(db, 'run-a')).toEqual(before);
        await db.query(`ALTER TABLE ${table} DROP COLUMN extra`);
      });
    }
  });

  it('ingestRun replaces the rows of its run only, rates included', async () => {
    await withResultsDb(dbPath(), {}, async (db) => {
      await db.ingestRun(smallRun('run-a'));
      await db.ingestRun(smallRun('run-b'));
      await db.fitRates('run-a');
      await db.fitRates('run-b');
      const b = await counts(db, 'run-b');
      expect(b.rates).toBe(1);

      await db.ingestRun({ ...smallRun('run-a', 25), gram: null });
      expect(await counts(db, 'run-a')).toEqual({ runs: 1, spectrum: 3, gram_eigenvalues: 0, losses: 3, projections: 25, rates: 0 });
      expect(await counts(db, 'run-b')).toEqual(b);
    });
  });

  it('ingestRun refuses an artifact table with a missing or mistyped column and leaves the database unchanged', async () => {
    await withResultsDb(dbPath(), {}, async (db) => {
      await db.ingestRun(smallRun('run-a'));
      const before = await counts(db, 'run-a');
      const noMu = new Table({ degree: vectorFromArray([0], new Int32()) });
      await expect(db.ingestRun({ ...smallRun('run-a'), spectrum: noMu })).rejects.toThrow(TableSchemaError);
      await expect(db.ingestRun({ ...smallRun('run-a'), spectrum: noMu })).rejects.toThrow(
        'spectrum table: column "mu" must be float64, got no such column (columns: degree)',
      );
      const textStep = new Table({
        split: vectorFromArray(['train'], new Utf8()),
        step: vectorFromArray(['0'], new Utf8()),
        loss: vectorFromArray([1], new Float64()),
      });
      await expect(db.ingestRun({ ...smallRun('run-a'), losses: textStep })).rejects.toThrow(
        'losses table: column "step" must be int32, got Utf8',
      );
      expect(await counts(db, 'run-a')).toEqual(before);
    });
  });

  it('fitRates fits network and both twins on one window from the finite-width twin, from its peak, as an independent fit does', async () => {
    const lr = 0.5;
    const mu = [0.4, 0.2, 0.02, 0.001, 3.0, 0.1, 0.05, 0.03, 0.01];
    const rising = (r: number) => (s: number) => (s < 100 ? 0.1 + s / 100 : 1.1 * Math.exp(-r * (s - 100)));
    const rows: ProjectionRow[] = [
      // degree 0: an exponential on a floor; the window stops before the floor dominates
      ...series(0, (s) => Math.exp(-0.05 * s) + 1e-4),
      // degree 1: network and both twins, each a pure exponential; the init twin sets the window
      ...series(1, (s) => 2 * Math.exp(-0.1 * s)),
      ...series(1, (s) => 2 * Math.exp(-0.101 * s), { source: 'kernel' }),
      ...series(1, (s) => 2 * Math.exp(-0.1005 * s), { source: 'init' }),
      // degree 2: only the infinite-width twin beside the network: it sets the window
      ...series(2, (s) => Math.exp(-0.01 * s)),
      ...series(2, (s) => Math.exp(-0.0098 * s), { source: 'kernel' }),
      // degree 3: no twin; never reaches 1e-2x: the window ends at the last step
      ...series(3, (s) => 0.5 * Math.exp(-0.0005 * s)),
      // degree 4: flat; degree 5: drops below 1e-2x at the first logged step
      ...series(4, () => 0.3),
      ...series(4, () => 0.3, { source: 'init' }),
      ...series(5, (s) => Math.exp(-1 * s)),
      // degree 6: rises to its peak at step 100, then decays: measured from the peak
      ...series(6, rising(0.02)),
      ...series(6, rising(0.021), { source: 'init' }),
      // degree 7: four points in the window [10, 40]: refused
      ...series(7, (s) => Math.exp(-0.125 * s)),
      // degree 8: a noisy decay, for the standard error
      ...series(8, (s) => Math.exp(-0.01 * s + 0.05 * Math.sin(1.7 * s))),
      // another split and kind, to check the grouping and order
      ...series(2, (s) => 3 * Math.exp(-0.02 * s), { split: 'test' }),
      ...series(2, (s) => Math.exp(-0.03 * s), { kind: 'eigenspace' }),
    ];
    const pick = (degree: number, extra: Partial<ProjectionRow> = {}) =>
      rows.filter(
        (r) =>
          r.degree === degree &&
          r.split === (extra.split ?? 'train') &&
          r.kind === (extra.kind ?? 'target') &&
          r.source === (extra.source ?? 'network'),
      );

    await withResultsDb(dbPath(), {}, async (db) => {
      await db.ingestRun({
        run: runRow('run-fit', lr),
        spectrum: spectrumTable(mu),
        gram: null,
        losses: lossesTable([0]),
        projections: projectionsTable(rows),
      });
      // a second run with other data must not disturb this one
      await db.ingestRun(smallRun('run-other'));
      await db.fitRates('run-other');
      const rates = await db.fitRates('run-fit');

      expect(rates.map((r) => `${r.split}/${r.kind}/${r.degree}`)).toEqual([
        'test/target/2',
        'train/eigenspace/2',
        ...[0, 1, 2, 3, 4, 5, 6, 7, 8].map((k) => `train/target/${k}`),
      ]);
      const rate = (split: string, kind: string, degree: number) =>
        rates.find((r) => r.split === split && r.kind === kind && r.degree === degree)!;
      const theory = (k: number) => -Math.log(1 - lr * mu[k]!);

      // pure exponentials: the true rate to 1e-6, and the window the rule prescribes
      for (const [degree, r, extra, reference] of [
        [1, 0.1, {}, { source: 'init' }],
        [2, 0.01, {}, { source: 'kernel' }],
        [3, 0.0005, {}, {}],
        [2, 0.02, { split: 'test' }, { split: 'test' }],
        [2, 0.03, { kind: 'eigenspace' }, { kind: 'eigenspace' }],
        [6, 0.02, {}, { source: 'init' }],
      ] as const) {
        const e = extra as Partial<ProjectionRow>;
        const row = rate(e.split ?? 'train', e.kind ?? 'target', degree);
        const ref = referenceFit(pick(degree, reference as Partial<ProjectionRow>), pick(degree, e));
        expectRelative(row.fittedRate, r, 1e-6);
        expect(row.r2).toBeCloseTo(1, 9);
        expect(row.stderr!).toBeLessThan(1e-7 * r);
        expect([row.windowStart, row.windowEnd, row.nPoints]).toEqual([ref.windowStart, ref.windowEnd, ref.nPoints]);
        expect(Math.abs(row.fitIntercept! - ref.intercept)).toBeLessThan(1e-6);
        expect(row.nPoints).toBeGreaterThanOrEqual(5);
        expectRelative(row.theoryRate, theory(degree), 1e-12);
        expectRelative(row.ratio, r / theory(degree), 1e-6);
      }
      // windows by hand. Degree 1, from the init twin 2 e^{-0.1005 t}: < 0.9x at t = 10, < 1e-2x first at t = 50 (45.8)
      const one = rate('train', 'target', 1);
      expect([one.windowStart, one.windowEnd, one.nPoints]).toEqual([10, 50, 5]);
      expectRelative(one.kernelRate, 0.101, 1e-6);
      expectRelative(one.initKernelRate, 0.1005, 1e-6);
      expect(one.note).toBeNull();
      // degree 2, from the kernel twin e^{-0.0098 t}: 10 gives 0.907, 20 gives 0.822; 1e-2x first at 470 (469.9)
      const two = rate('train', 'target', 2);
      expect([two.windowStart, two.windowEnd]).toEqual([20, 470]);
      expectRelative(two.kernelRate, 0.0098, 1e-6);
      expect(two.initKernelRate).toBeNull();
      expect(two.note).toBe('window from the infinite-width twin');
      // e^{-0.0005 t}: below 0.9 from 220, never below 1e-2 before the last step 5000
      expect([rate('train', 'target', 3).windowStart, rate('train', 'target', 3).windowEnd]).toEqual([220, 5000]);
      expect(rate('train', 'target', 3).note).toBe(
        'the window ends at the last step (the reference did not fall below 1e-2x its peak); window from the network',
      );
      expect(rate('train', 'target', 3).kernelRate).toBeNull();
      // degree 6 from its peak 1.1 at t = 100, window from the init twin 1.1 e^{-0.021 (t - 100)}:
      // < 0.99 first at t = 110 (105.0), < 0.011 first at t = 320 (319.3); both curves fitted there
      const six = rate('train', 'target', 6);
      expect([six.windowStart, six.windowEnd, six.nPoints]).toEqual([110, 320, 22]);
      expectRelative(six.initKernelRate, 0.021, 1e-6);

      // on a floor: the same numbers as the independent fit, and close to the underlying rate
      const floored = rate('train', 'target', 0);
      const ref0 = referenceFit(pick(0));
      expectRelative(floored.fittedRate, ref0.rate, 1e-9);
      expectRelative(floored.r2, ref0.r2, 1e-9);
      expectRelative(floored.stderr, ref0.stderr, 1e-6);
      expect([floored.windowStart, floored.windowEnd, floored.nPoints]).toEqual([ref0.windowStart, ref0.windowEnd, ref0.nPoints]);
      expectRelative(floored.fittedRate, 0.05, 1e-2);

      // noisy: slope and standard error as the independent least squares gives them
      const noisy = rate('train', 'target', 8);
      const ref8 = referenceFit(pick(8));
      expectRelative(noisy.fittedRate, ref8.rate, 1e-9);
      expectRelative(noisy.stderr, ref8.stderr, 1e-6);
      expect(noisy.stderr!).toBeGreaterThan(1e-6);
      expect(Math.abs(noisy.fitIntercept! - ref8.intercept)).toBeLessThan(1e-9 * Math.max(1, Math.abs(ref8.intercept)));
      expect(Math.abs(noisy.fittedRate - 0.01)).toBeLessThan(4 * noisy.stderr!);

      // flat: NaN with a reason, and its flat init twin is NaN as well
      const flat = rate('train', 'target', 4);
      expect(Number.isNaN(flat.fittedRate)).toBe(true);
      expect(Number.isNaN(flat.initKernelRate)).toBe(true);
      expect(flat.windowStart).toBeNull();
      expect(flat.r2).toBeNull();
      expect(flat.fitIntercept).toBeNull();
      expect(flat.note).toBe('the finite-width twin did not fall below 0.9x its peak; no theory rate: needs mu > 0 and lr*mu < 1');
      expect(flat.theoryRate).toBeNull(); // lr * mu = 1.5 >= 1
      expect(flat.ratio).toBeNull();

      // too fast: one point in the window; four points: still refused
      const fast = rate('train', 'target', 5);
      expect(Number.isNaN(fast.fittedRate)).toBe(true);
      expect([fast.windowStart, fast.windowEnd, fast.nPoints]).toEqual([10, 10, 1]);
      expect(fast.note).toBe('fewer than 5 points in window [10, 10] (1)');
      expect(fast.fitIntercept).toBeNull();
      expectRelative(fast.theoryRate, theory(5), 1e-12);
      expect(Number.isNaN(fast.ratio)).toBe(true);
      const four = rate('train', 'target', 7);
      expect(Number.isNaN(four.fittedRate)).toBe(true);
      expect(four.note).toBe('fewer than 5 points in window [10, 40] (4)');

      // stored rows equal the returned ones; the other run's rates are untouched
      const stored = await db.query('SELECT count(*) AS n FROM rates WHERE run_id = $run_id', { run_id: 'run-fit' });
      expect(stored).toEqual([{ n: 11 }]);
      expect(await db.query('SELECT count(*) AS n FROM rates WHERE run_id = $run_id', { run_id: 'run-other' })).toEqual([{ n: 1 }]);
      // refitting replaces rather than appends
      await db.fitRates('run-fit');
      expect(await db.query('SELECT count(*) AS n FROM rates WHERE run_id = $run_id', { run_id: 'run-fit' })).toEqual([{ n: 11 }]);
      // and the session variable does not leak out of fitRates
      expect(await db.query("SELECT getvariable('run_id') AS v")).toEqual([{ v: null }]);
    });
  });

  it("under sgd, fitRates fits the network on per-epoch means of ln value, whose stderr covers the true rate where the raw points' does not", async () => {
    // 40 noisy exponentials e^{-r t} (one per degree), logged every step, with SGD-like noise: a
    // multiplicative factor e^{eps_e} shared by the 20 steps of each epoch (eps_e ~ N(0, 0.2^2)) and
    // e^{delta_t} per step (delta_t ~ N(0, 0.02^2)). The init twin is the noiseless curve and sets
    // the window. Points of one epoch are not independent, so the raw-point stderr is too small.
    const r = 0.01;
    const batch = 20;
    const n = 400; // E = n / B = 20 steps per epoch
    const prng = new Prng(7, 'test/sgd-noise');
    const steps = Array.from({ length: 801 }, (_, i) => i);
    const rows: ProjectionRow[] = [];
    const curves: { step: number; value: number }[][] = [];
    const degrees = 40;
    for (let k = 0; k < degrees; k++) {
      const epochNoise = Array.from({ length: 41 }, () => 0.2 * prng.normal());
      const curve = steps.map((t) => ({ step: t, value: Math.exp(-r * t + epochNoise[Math.floor(t / 20)]! + 0.02 * prng.normal()) }));
      curves.push(curve);
      for (const p of curve) rows.push({ split: 'train', kind: 'target', source: 'network', degree: k, ...p });
      for (const t of steps) rows.push({ split: 'train', kind: 'target', source: 'init', degree: k, step: t, value: Math.exp(-r * t) });
    }
    const run = runRow('run-sgd');
    run.spec = {
      ...(run.spec as object),
      data: { dim: 10, n },
      training: { learningRate: 0.5, steps: 800, optimizer: 'sgd', batchSize: batch },
    };
    await withResultsDb(dbPath(), {}, async (db) => {
      await db.ingestRun({
        run,
        spectrum: spectrumTable([0.4]),
        gram: null,
        losses: lossesTable([0]),
        projections: projectionsTable(rows),
      });
      const rates = await db.fitRates('run-sgd');
      expect(rates).toHaveLength(degrees);
      let coveredEpoch = 0;
      let coveredRaw = 0;
      for (const row of rates) {
        const curve = curves[row.degree]!;
        // the window from the twin e^{-0.01 t}: below 0.9 first at t = 11, below 1e-2 first at t = 461
        expect([row.windowStart, row.windowEnd]).toEqual([11, 461]);
        // independently: mean step and mean ln value per epoch floor(t / 20) of the window, then least squares
        const used = curve.filter((p) => p.step >= 11 && p.step <= 461);
        const groups = new Map<number, { step: number; value: number }[]>();
        for (const p of used) groups.set(Math.floor(p.step / 20), [...(groups.get(Math.floor(p.step / 20)) ?? []), p]);
        const means = [...groups.values()].map((g) => ({
          step: g.reduce((a, p) => a + p.step, 0) / g.length,
          value: Math.exp(g.reduce((a, p) => a + Math.log(p.value), 0) / g.length),
        }));
        const byEpoch = lineFit(means);
        expect(row.nPoints).toBe(24); // epochs 0..23 meet [11, 461]
        expect(Math.abs(row.fittedRate - byEpoch.rate)).toBeLessThan(1e-9 * r);
        expectRelative(row.stderr, byEpoch.stderr, 1e-6);
        expect(row.note!.split('; ')[0]).toBe('fitted on 24 per-epoch means of ln value (20 steps per epoch)');
        const raw = referenceFit(
          curve.map((p) => ({ step: p.step, value: Math.exp(-r * p.step) })),
          curve,
        );
        if (Math.abs(row.fittedRate - r) < studentTQuantile(0.975, row.nPoints! - 2) * row.stderr!) coveredEpoch++;
        if (Math.abs(raw.rate - r) < studentTQuantile(0.975, raw.nPoints - 2) * raw.stderr) coveredRaw++;
      }
      // the per-epoch 95% intervals cover the true rate about 95% of the time (38 of 40 expected,
      // 37 here; P(< 34 | p = 0.95) = 1.4%); the raw points' intervals, several times too narrow,
      // cover it in 17 of 40
      expect(coveredEpoch).toBeGreaterThanOrEqual(34);
      expect(coveredRaw).toBeLessThan(20);
      const mean = rates.reduce((a, x) => a + x.fittedRate, 0) / degrees;
      const sd = Math.sqrt(rates.reduce((a, x) => a + (x.fittedRate - mean) ** 2, 0) / (degrees - 1));
      expect(Math.abs(mean - r)).toBeLessThan((3 * sd) / Math.sqrt(degrees));
    });
  });

  it('a network curve that is not one exponential over its window keeps its rate, with a poor-fit note naming its r2', async () => {
    const twin = (s: number) => Math.exp(-0.002 * s);
    // Degree 1 follows its twin; degree 2 falls in steps (flat, then a drop), a staircase whose line fit is poor.
    const staircase = (s: number) => Math.exp(-0.002 * 400 * Math.floor(s / 400)) * (1 + 0.8 * Math.sin(s / 60));
    const projections = projectionsTable([
      ...series(1, twin),
      ...series(1, twin, { source: 'init' }),
      ...series(2, staircase),
      ...series(2, twin, { source: 'init' }),
    ]);
    await withResultsDb(dbPath(), {}, async (db) => {
      await db.ingestRun({ ...smallRun('run-r2'), projections });
      const rows = await db.fitRates('run-r2');
      const clean = rows.find((r) => r.degree === 1)!;
      const poor = rows.find((r) => r.degree === 2)!;
      expect(clean.r2).toBeGreaterThan(0.99);
      expect(clean.note ?? '').not.toContain('poor fit');
      expect(poor.r2).toBeLessThan(0.9);
      expect(Number.isFinite(poor.fittedRate)).toBe(true);
      expect(poor.note).toContain(`poor fit (r2 ${Math.round(poor.r2! * 100) / 100})`);
    });
  });

  it('sql/rates.sql runs as-is after SET VARIABLE run_id, and over every run when it is unset', async () => {
    const { readFile } = await import('node:fs/promises');
    const sql = await readFile(ratesSqlPath(), 'utf8');
    expect(path.relative(process.cwd(), ratesSqlPath())).toBe(path.join('sql', 'rates.sql'));
    await withResultsDb(dbPath(), {}, async (db) => {
      await db.ingestRun(smallRun('run-a'));
      await db.ingestRun(smallRun('run-b'));
      const all = await db.query(sql);
      expect(all.map((r) => r.run_id)).toEqual(['run-a', 'run-b']);
      const one = await db.query(`SET VARIABLE run_id = 'run-b';\n${sql}`);
      expect(one.map((r) => r.run_id)).toEqual(['run-b']);
      expect(Object.keys(one[0]!)).toEqual([
        'run_id',
        'split',
        'kind',
        'degree',
        'fitted_rate',
        'theory_rate',
        'kernel_rate',
        'init_kernel_rate',
        'ratio',
        'r2',
        'stderr',
        'fit_intercept',
        'window_start',
        'window_end',
        'n_points',
        'note',
      ]);
    });
  });

  it('query returns plain values: safe BIGINT as number, big BIGINT as string, NaN kept, TIMESTAMP as ISO, JSON as text', async () => {
    await withResultsDb(dbPath(), {}, async (db) => {
      const [row] = await db.query(
        `SELECT 42::BIGINT AS small, 9007199254740993::BIGINT AS big, -9007199254740993::HUGEINT AS huge,
                'NaN'::DOUBLE AS nan, TIMESTAMP '2024-01-02 03:04:05.678' AS ts, DATE '2024-01-02' AS d,
                '{"b":1,"a":[1,2]}'::JSON AS j, [1, 2]::BIGINT[] AS list, {'x': 3::BIGINT} AS struct, NULL AS nothing,
                ? AS param`,
        ['p'],
      );
      expect(row).toEqual({
        small: 42,
        big: '9007199254740993',
        huge: '-9007199254740993',
        nan: Number.NaN,
        ts: '2024-01-02T03:04:05.678Z',
        d: '2024-01-02',
        j: '{"b":1,"a":[1,2]}',
        list: [1, 2],
        struct: { x: 3 },
        nothing: null,
        param: 'p',
      });
    });
  });

  it('a read-only handle cannot write, and a read-only open of a missing file says so', async () => {
    await expect(ResultsDb.open(dbPath(), { readOnly: true })).rejects.toThrow(ResultsMissingError);
    await expect(ResultsDb.open(dbPath(), { readOnly: true })).rejects.toThrow(/does not exist yet; run a pipeline first/);
    await withResultsDb(dbPath(), {}, (db) => db.ingestRun(smallRun('run-a')));
    await withResultsDb(dbPath(), { readOnly: true }, async (db) => {
      expect(await db.query('SELECT run_id FROM runs')).toEqual([{ run_id: 'run-a' }]);
      await expect(db.ingestRun(smallRun('run-b'))).rejects.toThrow(/open read-only; ingestRun needs a read-write open/);
      await expect(db.query('DELETE FROM runs')).rejects.toThrow();
    });
  });

  it('handles on one file share an instance in this process, and a read-only one on it refuses writes', async () => {
    const writer = await ResultsDb.open(dbPath());
    try {
      await writer.ingestRun(smallRun('run-a'));
      const reader = await ResultsDb.open(dbPath(), { readOnly: true, lockTimeoutMs: 1000 });
      try {
        expect(await reader.query('SELECT count(*) AS n FROM projections')).toEqual([{ n: 40 }]);
        await expect(reader.query('DELETE FROM runs')).rejects.toThrow(/is open read-only; statement 1 \(DELETE\) would write/);
        expect(await reader.query("SET VARIABLE run_id = 'run-a'; SELECT getvariable('run_id') AS v")).toEqual([{ v: 'run-a' }]);
      } finally {
        reader.closeSync();
      }
      // the writer survives its reader closing
      await writer.ingestRun(smallRun('run-b'));
      expect(await writer.query('SELECT count(*) AS n FROM runs')).toEqual([{ n: 2 }]);
    } finally {
      writer.closeSync();
    }
  });

  it("a read-write open waits for this process's read-only handles to close, or gives up with ResultsLockedError", async () => {
    await withResultsDb(dbPath(), {}, (db) => db.ingestRun(smallRun('run-a')));
    const reader = await ResultsDb.open(dbPath(), { readOnly: true });
    const refused = await ResultsDb.open(dbPath(), { lockTimeoutMs: 150 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ResultsLockedError);
    expect((refused as ResultsLockedError).message).toMatch(/is locked by a read-only handle in this process; waited 0\.\d s/);

    const writerOpened = ResultsDb.open(dbPath(), { lockTimeoutMs: 10_000 });
    setTimeout(() => reader.closeSync(), 200);
    const writer = await writerOpened;
    try {
      await writer.ingestRun(smallRun('run-b'));
      expect(await writer.query('SELECT count(*) AS n FROM runs')).toEqual([{ n: 2 }]);
    } finally {
      writer.closeSync();
    }
  });

  it('concurrent writers in one process are serialized', async () => {
    await withResultsDb(dbPath(), {}, async (first) => {
      await withResultsDb(dbPath(), {}, async (second) => {
        await Promise.all([
          first.ingestRun(smallRun('run-a')),
          second.ingestRun(smallRun('run-a', 10)),
          first.ingestRun(smallRun('run-b')),
          second.fitRates('run-b'),
          first.fitRates('run-a'),
        ]);
        expect((await counts(first, 'run-a')).runs).toBe(1);
        expect(await first.query('SELECT count(*) AS n FROM runs')).toEqual([{ n: 2 }]);
      });
    });
  });
});
