import { existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Bool, Float64, Int32, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  ArtifactStore,
  ResultsCorruptError,
  ResultsDb,
  manifestPath,
  rebuildResultsDb,
  runRecord,
  runRowFromManifest,
  withResultsDb,
  writeJsonAtomic,
  type RunManifest,
} from '../../src/store/index.js';
import { useTempDir } from './temp-dir.js';

// ---------------------------------------------------------------- A data root with three recorded runs

const STEPS = Array.from({ length: 60 }, (_, i) => i * 5);

/** Artifacts of a run whose degree-k target projection decays as exp(-rate_k t), written through the store. */
async function writeArtifacts(store: ArtifactStore, key: string, rates: number[]) {
  const rows = rates.flatMap((rate, degree) => STEPS.map((step) => ({ degree, step, value: Math.exp(-rate * step) })));
  const spectrum = new Table({
    degree: vectorFromArray(
      rates.map((_, k) => k),
      new Int32(),
    ),
    mu: vectorFromArray(
      rates.map((r) => r / 2),
      new Float64(),
    ),
    multiplicity: vectorFromArray(
      rates.map(() => 1),
      new Float64(),
    ),
    numerical_zero: vectorFromArray(
      rates.map(() => false),
      new Bool(),
    ),
    theory_rate: vectorFromArray(rates, new Float64()),
  });
  const gram = new Table({
    idx: vectorFromArray([0, 1], new Int32()),
    eigenvalue: vectorFromArray([0.5, 0.25], new Float64()),
    cluster: vectorFromArray([0, 1], new Int32()),
  });
  const ntkCheck = new Table({
    width: vectorFromArray([64], new Int32()),
    n_points: vectorFromArray([10], new Int32()),
    rel_error: vectorFromArray([0.125], new Float64()),
  });
  const losses = new Table({
    split: vectorFromArray(
      STEPS.map(() => 'train'),
      new Utf8(),
    ),
    step: vectorFromArray(STEPS, new Int32()),
    loss: vectorFromArray(
      STEPS.map((s) => 1 / (1 + s)),
      new Float64(),
    ),
  });
  const projections = new Table({
    split: vectorFromArray(
      rows.map(() => 'train'),
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
      rows.map(() => 'target'),
      new Utf8(),
    ),
    source: vectorFromArray(
      rows.map(() => 'network'),
      new Utf8(),
    ),
    value: vectorFromArray(
      rows.map((r) => r.value),
      new Float64(),
    ),
  });
  return {
    spectrum: await store.writeTable('spectrum', key, 'spectrum.arrow', spectrum),
    gram: await store.writeTable('spectrum', key, 'gram.arrow', gram),
    ntkCheck: await store.writeTable('ntk-check', key, 'ntk-check.arrow', ntkCheck),
    losses: await store.writeTable('train', key, 'losses.arrow', losses),
    projections: await store.writeTable('project', key, 'projections.arrow', projections),
  };
}

function manifest(runId: string, fields: Partial<RunManifest>): RunManifest {
  return {
    runId,
    specHash: `hash-${runId}`,
    sweepId: null,
    spec: { name: runId.split('-')[0]!, seed: 1, model: { width: 64 } },
    engine: 'native',
    backend: 'native float64',
    code: { codeVersion: 'test' },
    startedAt: '2026-01-02T03:04:05.000Z',
    finishedAt: '2026-01-02T03:05:00.000Z',
    timings: [{ step: 'train', seconds: 12.5, cached: false }],
    ...fields,
  };
}

/** Records runs `alpha-1` and `beta-2` (completed) and `gamma-3` (failed) the way the pipeline does: manifest, then database. */
async function recordRuns(dataRoot: string): Promise<void> {
  const store = await ArtifactStore.create(dataRoot);
  const manifests = [
    manifest('alpha-1', { status: 'completed', artifacts: await writeArtifacts(store, 'a', [0.1, 0.02]) }),
    manifest('beta-2', {
      status: 'completed',
      artifacts: await writeArtifacts(store, 'b', [0.05, 0.01, 0.03]),
      reruns: [{ startedAt: '2026-02-01T00:00:00.000Z', finishedAt: '2026-02-01T00:00:02.000Z', codeVersion: 'test', timings: [] }],
    }),
    manifest('gamma-3', { status: 'failed', error: 'training diverged at step 7 (loss is NaN/inf)', engine: null, backend: null }),
  ];
  for (const m of manifests) await writeJsonAtomic(path.join(dataRoot, manifestPath(m.runId)), m);
  await withResultsDb(path.join(dataRoot, 'results.duckdb'), {}, async (db) => {
    for (const m of manifests) {
      if (m.status === 'failed') {
        await db.recordFailedRun(runRowFromManifest(m));
        continue;
      }
      const read = (ref: unknown) => store.readTable(ref as Parameters<ArtifactStore['readTable']>[0]);
      const a = m.artifacts!;
      await db.ingestRun({
        run: runRowFromManifest(m),
        spectrum: await read(a.spectrum),
        gram: await read(a.gram),
        ntkCheck: await read(a.ntkCheck),
        losses: await read(a.losses),
        projections: await read(a.projections),
      });
      await db.fitRates(m.runId);
    }
  });
}

const SNAPSHOT = `SELECT
  (SELECT list((run_id, status, error, engine, started_at, finished_at, reruns, last_rerun_at) ORDER BY run_id) FROM runs) AS runs,
  (SELECT list((run_id, degree, round(fitted_rate, 12), window_start, window_end) ORDER BY run_id, degree) FROM rates) AS rates,
  (SELECT count(*) FROM projections) AS projections, (SELECT count(*) FROM gram_eigenvalues) AS gram,
  (SELECT count(*) FROM ntk_check) AS ntk, (SELECT count(*) FROM losses) AS losses, (SELECT count(*) FROM spectrum) AS spectrum`;

function logger() {
  const lines: string[] = [];
  return { lines, warn: (line: string) => void lines.push(line) };
}

// ---------------------------------------------------------------- Tests

describe('the results database heals itself', () => {
  const tmp = useTempDir('specbias-heal-');
  const root = () => path.join(tmp(), 'data');
  const dbFile = () => path.join(root(), 'results.duckdb');
  const asides = (label: string) => readdirSync(root()).filter((f) => f.startsWith(`results.duckdb.${label}-`) && !f.endsWith('.wal'));

  const corruptions: [string, (file: string) => void][] = [
    ['truncated', (f) => truncateSync(f, 5000)],
    ['zeroed', (f) => writeFileSync(f, Buffer.alloc(statSync(f).size))],
    ['garbage', (f) => writeFileSync(f, Buffer.from('this is not a DuckDB file\n'.repeat(4000)))],
    ['emptied', (f) => truncateSync(f, 0)],
  ];

  for (const [what, corrupt] of corruptions) {
    it(`results.duckdb ${what}: moved aside and rebuilt with every earlier run, in one line`, async () => {
      await recordRuns(root());
      const before = await withResultsDb(dbFile(), { readOnly: true }, (db) => db.query(SNAPSHOT));
      expect((before[0]!.runs as unknown[]).length).toBe(3);
      corrupt(dbFile());
      const damaged = readFileSync(dbFile());
      await expect(ResultsDb.open(dbFile(), { heal: false })).rejects.toThrow(ResultsCorruptError);

      const log = logger();
      const after = await withResultsDb(dbFile(), { logger: log }, (db) => db.query(SNAPSHOT));
      expect(after).toEqual(before);
      expect(log.lines).toHaveLength(1);
      expect(log.lines[0]).toMatch(
        /^results database .*results\.duckdb was unreadable \(IO Error: .+\); moved it to .*results\.duckdb\.corrupt-\d{8}T\d{6}Z and rebuilt it from the run manifests: 2 completed, 1 failed$/,
      );
      // kept byte for byte, never deleted
      const [aside] = asides('corrupt');
      expect(readFileSync(path.join(root(), aside!)).equals(damaged)).toBe(true);
      expect(readdirSync(root()).filter((f) => f.includes('.rebuild-'))).toEqual([]);
    });
  }

  it('concurrent opens in one process heal once', async () => {
    await recordRuns(root());
    const before = await withResultsDb(dbFile(), { readOnly: true }, (db) => db.query(SNAPSHOT));
    truncateSync(dbFile(), 0);
    const log = logger();
    const seen = await Promise.all([
      withResultsDb(dbFile(), { logger: log }, (db) => db.query(SNAPSHOT)),
      withResultsDb(dbFile(), { logger: log }, (db) => db.query(SNAPSHOT)),
      withResultsDb(dbFile(), { readOnly: true, logger: log }, (db) => db.query(SNAPSHOT)),
    ]);
    expect(seen).toEqual([before, before, before]);
    expect(log.lines).toHaveLength(1);
    expect(asides('corrupt')).toHaveLength(1);
  });

  it('a read-only open (sql, status, report) heals a corrupt file too', async () => {
    await recordRuns(root());
    const before = await withResultsDb(dbFile(), { readOnly: true }, (db) => db.query(SNAPSHOT));
    writeFileSync(dbFile(), Buffer.alloc(statSync(dbFile()).size));
    const log = logger();
    expect(await withResultsDb(dbFile(), { readOnly: true, logger: log }, (db) => db.query(SNAPSHOT))).toEqual(before);
    expect(log.lines).toHaveLength(1);
  });

  it('a file whose tables are not those of sql/schema.sql (an older specbias) is moved aside as incompatible and rebuilt', async () => {
    await recordRuns(root());
    const before = await withResultsDb(dbFile(), { readOnly: true }, (db) => db.query(SNAPSHOT));
    await rm(dbFile());
    // the runs table as specbias wrote it before failures and reruns were recorded
    const old = await DuckDBInstance.create(dbFile());
    const c = await old.connect();
    await c.run(`CREATE TABLE runs (run_id VARCHAR PRIMARY KEY, name VARCHAR, spec_hash VARCHAR, spec JSON, sweep_id VARCHAR, status VARCHAR,
      engine VARCHAR, backend VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, code_version VARCHAR)`);
    c.closeSync();
    old.closeSync();

    const log = logger();
    expect(await withResultsDb(dbFile(), { logger: log }, (db) => db.query(SNAPSHOT))).toEqual(before);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatch(
      /was incompatible \(table runs has columns \(run_id VARCHAR, .*code_version VARCHAR\), this specbias expects \(.*error VARCHAR, reruns INTEGER, last_rerun_at TIMESTAMP\)\); moved it to .*results\.duckdb\.incompatible-/,
    );
    expect(asides('incompatible')).toHaveLength(1);
  });

  it('a file whose rates table predates fit_intercept is rebuilt on a read-only open, and the intercepts are filled', async () => {
    await recordRuns(root());
    const before = await withResultsDb(dbFile(), { readOnly: true }, (db) => db.query(SNAPSHOT));
    // the rates table as specbias wrote it before fit_intercept, with its rows
    const old = await DuckDBInstance.create(dbFile());
    const c = await old.connect();
    await c.run(`CREATE TABLE rates_old AS SELECT * EXCLUDE (fit_intercept) FROM rates;
      DROP TABLE rates; ALTER TABLE rates_old RENAME TO rates; CHECKPOINT`);
    c.closeSync();
    old.closeSync();

    const log = logger();
    const query = `${SNAPSHOT.replace(/ AS spectrum$/, ' AS spectrum, (SELECT list(fit_intercept ORDER BY run_id, degree) FROM rates) AS intercepts')}`;
    const [after] = await withResultsDb(dbFile(), { readOnly: true, logger: log }, (db) => db.query(query));
    const { intercepts, ...rest } = after!;
    expect(rest).toEqual(before[0]);
    // every curve is exp(-rate t): ln v = 0 - rate t
    expect((intercepts as number[]).length).toBeGreaterThan(0);
    for (const a of intercepts as number[]) expect(Math.abs(a)).toBeLessThan(1e-9);
    expect(log.lines[0]).toMatch(
      /was incompatible \(table rates has columns \(.*stderr DOUBLE, window_start INTEGER.*this specbias expects \(.*stderr DOUBLE, fit_intercept DOUBLE, window_start/,
    );
    expect(asides('incompatible')).toHaveLength(1);
  });

  it('rebuildResultsDb (specbias db rebuild) replaces a healthy file, keeps the old one, and names a run it had to skip', async () => {
    await recordRuns(root());
    const before = await withResultsDb(dbFile(), { readOnly: true }, (db) => db.query(SNAPSHOT));
    const summary = await rebuildResultsDb(dbFile(), { logger: logger() });
    expect(summary).toMatchObject({ completed: 2, failed: 1, skipped: [] });
    expect(summary.movedTo).toMatch(/results\.duckdb\.replaced-\d{8}T\d{6}Z$/);
    // the old file is kept, with its rows
    const kept = path.join(root(), asides('replaced')[0]!);
    expect(await withResultsDb(kept, { readOnly: true, heal: false }, (db) => db.query(SNAPSHOT))).toEqual(before);
    expect(await withResultsDb(dbFile(), { readOnly: true }, (db) => db.query(SNAPSHOT))).toEqual(before);

    // an artifact gone: that run is skipped with its reason, the others are rebuilt
    const beta = JSON.parse(readFileSync(path.join(root(), manifestPath('beta-2')), 'utf8')) as RunManifest;
    await rm(path.join(root(), beta.artifacts!.projections!.path));
    const second = await rebuildResultsDb(dbFile(), { logger: logger() });
    expect(second.completed).toBe(1);
    expect(second.skipped).toEqual([
      { runId: 'beta-2', reason: expect.stringMatching(/^artifact .*projections\.arrow is missing/) as unknown },
    ]);
    const runs = await withResultsDb(dbFile(), { readOnly: true }, (db) => db.query('SELECT run_id FROM runs ORDER BY run_id'));
    expect(runs).toEqual([{ run_id: 'alpha-1' }, { run_id: 'gamma-3' }]);
    expect(asides('replaced')).toHaveLength(2);
  });

  it('a run recorded as failed shows its status and error, and a failure never overwrites a completed run', async () => {
    await recordRuns(root());
    await withResultsDb(dbFile(), {}, async (db) => {
      expect(await db.query("SELECT status, error, engine FROM runs WHERE run_id = 'gamma-3'")).toEqual([
        { status: 'failed', error: 'training diverged at step 7 (loss is NaN/inf)', engine: null },
      ]);
      const failedAgain = runRowFromManifest(manifest('alpha-1', { status: 'failed', error: 'boom' }));
      expect(await db.recordFailedRun(failedAgain)).toBe(false);
      expect(await db.query("SELECT status, error FROM runs WHERE run_id = 'alpha-1'")).toEqual([{ status: 'completed', error: null }]);
      expect(await db.query("SELECT count(*) AS n FROM rates WHERE run_id = 'alpha-1'")).toEqual([{ n: 2 }]);
    });
  });
});

describe('SQL stays inside the database', () => {
  const tmp = useTempDir('specbias-sandbox-');

  for (const readOnly of [true, false]) {
    it(`${readOnly ? 'a read-only' : 'a read-write'} handle cannot read or write files, nor lift the ban; the views still work`, async () => {
      const root = path.join(tmp(), 'data');
      await recordRuns(root);
      const file = path.join(root, 'results.duckdb');
      const outside = path.join(tmp(), 'outside.txt');
      writeFileSync(outside, 'secret\n');
      const written = path.join(tmp(), 'copied.csv');
      await withResultsDb(file, { readOnly }, async (db) => {
        const refused = /^file access is disabled: SQL on the results database cannot read or write files \(Cannot access file ".*"\)$/;
        await expect(db.query(`COPY runs TO '${written}'`)).rejects.toThrow(refused);
        await expect(db.query(`SELECT * FROM read_text('${outside}')`)).rejects.toThrow(refused);
        await expect(db.query(`SELECT * FROM read_csv('${outside}')`)).rejects.toThrow(refused);
        await expect(db.query(`ATTACH '${path.join(tmp(), 'other.duckdb')}'`)).rejects.toThrow(refused);
        await expect(db.query('SET enable_external_access = true')).rejects.toThrow(/the configuration has been locked/);
        await expect(db.query('SET lock_configuration = false')).rejects.toThrow(/the configuration has been locked/);
        expect(existsSync(written)).toBe(false);
        // everything the schema's views need still works
        expect(await db.query('SELECT run_id, status, width, seed FROM run_params ORDER BY run_id')).toEqual([
          { run_id: 'alpha-1', status: 'completed', width: 64, seed: 1 },
          { run_id: 'beta-2', status: 'completed', width: 64, seed: 1 },
          { run_id: 'gamma-3', status: 'failed', width: 64, seed: 1 },
        ]);
        const [alpha] = await db.query("SELECT fitted_rate FROM rate_summary WHERE run_id = 'alpha-1' AND degree = 0");
        expect(alpha!.fitted_rate as number).toBeCloseTo(0.1, 9);
      });
    });
  }
});

describe('runRecord: a cached rerun keeps the record of the run that did the work', () => {
  const refs = { spectrum: { path: 'artifacts/spectrum/k/spectrum.arrow', sha256: 'aa', rows: 3 } };
  const computed = manifest('alpha-1', { status: 'completed', artifacts: refs, timings: [{ step: 'train', seconds: 42, cached: false }] });
  const cached = (startedAt: string) => ({
    startedAt,
    finishedAt: startedAt.replace('00.000Z', '01.000Z'),
    codeVersion: 'test',
    artifacts: refs,
    timings: [
      { step: 'train', seconds: 0.01, cached: true },
      { step: 'analyze', seconds: 0.2, cached: false },
    ],
  });

  it('appends each cached rerun and keeps started_at, finished_at and the timings', () => {
    const first = runRecord(computed, cached('2026-03-01T00:00:00.000Z'));
    expect(first).toMatchObject({ startedAt: computed.startedAt, finishedAt: computed.finishedAt, timings: computed.timings });
    expect(first.reruns!.map((r) => r.startedAt)).toEqual(['2026-03-01T00:00:00.000Z']);
    const second = runRecord({ ...computed, ...first }, cached('2026-03-02T00:00:00.000Z'));
    expect(second.reruns!.map((r) => r.startedAt)).toEqual(['2026-03-01T00:00:00.000Z', '2026-03-02T00:00:00.000Z']);
    // the same rerun recorded twice (a retried activity) is one rerun
    expect(runRecord({ ...computed, ...second }, cached('2026-03-02T00:00:00.000Z')).reruns).toHaveLength(2);
    expect(runRowFromManifest({ ...computed, ...second })).toMatchObject({
      startedAt: new Date(computed.startedAt),
      reruns: 2,
      lastRerunAt: new Date('2026-03-02T00:00:01.000Z'),
    });
  });

  it('an execution that computed a step, or used other artifacts, or follows a failure, starts a fresh record', () => {
    const recomputed = { ...cached('2026-03-01T00:00:00.000Z'), timings: [{ step: 'train', seconds: 40, cached: false }] };
    expect(runRecord(computed, recomputed)).toEqual({
      startedAt: recomputed.startedAt,
      finishedAt: recomputed.finishedAt,
      timings: recomputed.timings,
      reruns: [],
    });
    const other = { ...cached('2026-03-01T00:00:00.000Z'), artifacts: { spectrum: { ...refs.spectrum, sha256: 'bb' } } };
    expect(runRecord(computed, other).startedAt).toBe(other.startedAt);
    expect(runRecord({ ...computed, status: 'failed' }, cached('2026-03-01T00:00:00.000Z')).startedAt).toBe('2026-03-01T00:00:00.000Z');
    expect(runRecord(null, cached('2026-03-01T00:00:00.000Z')).reruns).toEqual([]);
  });
});
