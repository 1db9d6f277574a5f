import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The built CLI (`npm test` builds first), a real dev server and worker, real training, DuckDB and
// Arrow files: the results database as users meet it after a run, a failure, a rerun and damage.
const bin = join(process.cwd(), 'bin', 'specbias.js');
const dir = mkdtempSync(join(tmpdir(), 'specbias-heal-'));
const data = join(dir, 'data');
const spec = join(dir, 'tiny.yaml');
writeFileSync(
  spec,
  'name: healtiny\nseed: 1\ndata: { dim: 4, n: 40, nTest: 20 }\nmodel: { width: 48, theta: 0.1 }\ntraining: { steps: 40, learningRate: 4, logEvery: 4 }\nspectrum: { maxDegree: 4 }\n',
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function specbias(args: string[], options: SpawnSyncOptions = {}) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 180_000, ...options }) as ReturnType<typeof spawnSync> & {
    stdout: string;
    stderr: string;
  };
}

interface Manifest {
  runId: string;
  status: string;
  startedAt: string;
  finishedAt: string;
  timings: { step: string; seconds: number; cached: boolean }[];
  reruns?: { startedAt: string; timings: { step: string; cached: boolean }[] }[];
}
const manifestOf = (runId: string) => JSON.parse(readFileSync(join(data, 'runs', runId, 'manifest.json'), 'utf8')) as Manifest;
const runsTable = () => {
  const r = specbias([
    'sql',
    'SELECT run_id, status, error, started_at, finished_at, reruns FROM runs ORDER BY run_id',
    '--json',
    '--data',
    data,
  ]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as {
    run_id: string;
    status: string;
    error: string | null;
    started_at: string;
    finished_at: string;
    reruns: number;
  }[];
};

let runId = '';
let divergedId = '';

describe('the results database after runs, failures, reruns and damage', () => {
  it('a cached rerun keeps the compute timings and started_at of the run that did the work, and counts as a rerun', () => {
    const first = specbias(['run', spec, '--json', '--data', data]);
    expect(first.status, first.stderr).toBe(0);
    runId = (JSON.parse(first.stdout) as { runId: string }).runId;
    const computed = manifestOf(runId);
    expect(computed.status).toBe('completed');
    expect(computed.timings.find((t) => t.step === 'train')!.cached).toBe(false);
    expect(computed.reruns).toEqual([]);

    const again = specbias(['run', spec, '--json', '--data', data]);
    expect(again.status, again.stderr).toBe(0);
    const after = manifestOf(runId);
    expect({ startedAt: after.startedAt, finishedAt: after.finishedAt, timings: after.timings }).toEqual({
      startedAt: computed.startedAt,
      finishedAt: computed.finishedAt,
      timings: computed.timings,
    });
    expect(after.reruns).toHaveLength(1);
    expect(after.reruns![0]!.startedAt > computed.startedAt).toBe(true);
    expect(after.reruns![0]!.timings.filter((t) => t.step !== 'analyze').every((t) => t.cached)).toBe(true);
    const [row] = runsTable();
    expect(row).toEqual({
      run_id: runId,
      status: 'completed',
      error: null,
      started_at: computed.startedAt,
      finished_at: computed.finishedAt,
      reruns: 1,
    });
  }, 300_000);

  it('a run that fails is recorded in runs with its status and one-line error, and status shows it', () => {
    const r = specbias(['run', spec, '--set', 'training.learningRate=1000', '--set', 'name=diverge', '--data', data]);
    expect(r.status).toBe(1);
    divergedId = /run (diverge-[0-9a-f]{12}) failed/.exec(r.stderr)![1]!;
    const row = runsTable().find((x) => x.run_id === divergedId)!;
    expect(row.status).toBe('failed');
    expect(row.error).toMatch(/^training diverged at step \d+ \(loss is NaN\/inf\); try a smaller training\.learningRate \(now 1000\)$/);
    expect(manifestOf(divergedId)).toMatchObject({ status: 'failed', error: row.error });

    const status = specbias(['status', '--data', data]);
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toContain(`${divergedId} failed: ${row.error}`);
    const json = JSON.parse(specbias(['status', '--json', '--data', data]).stdout) as {
      runId: string;
      status: string;
      error: string | null;
    }[];
    expect(json.find((x) => x.runId === divergedId)?.error).toBe(row.error);
    expect(json.map((x) => `${x.runId} ${x.status}`).sort()).toEqual([`${divergedId} failed`, `${runId} completed`]);
  }, 300_000);

  it('a zeroed results.duckdb is moved aside and rebuilt on the next read, with every earlier run and one line saying so', () => {
    const before = runsTable();
    const file = join(data, 'results.duckdb');
    writeFileSync(file, Buffer.alloc(statSync(file).size));
    const r = specbias([
      'sql',
      'SELECT run_id, status, error, started_at, finished_at, reruns FROM runs ORDER BY run_id',
      '--json',
      '--data',
      data,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(before);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^results database .*results\.duckdb was unreadable \(IO Error: .*not a valid DuckDB database file.*\); moved it to .*results\.duckdb\.corrupt-\d{8}T\d{6}Z and rebuilt it from the run manifests: 1 completed, 1 failed$/,
      ),
    ]);
    expect(readdirSync(data).filter((f) => /^results\.duckdb\.corrupt-/.test(f))).toHaveLength(1);
  }, 120_000);

  it('a garbage results.duckdb does not fail the next run: it is rebuilt, and the run lands beside the earlier ones', () => {
    const rates = specbias([
      'sql',
      `SELECT degree, fitted_rate FROM rates WHERE run_id = '${runId}' AND split = 'train' AND kind = 'target' ORDER BY degree`,
      '--json',
      '--data',
      data,
    ]);
    writeFileSync(join(data, 'results.duckdb'), 'not a database\n'.repeat(1000));
    const r = specbias(['run', spec, '--set', 'seed=2', '--json', '--data', data]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/results\.duckdb was unreadable .* rebuilt it from the run manifests: 1 completed, 1 failed\n/);
    const ids = runsTable().map((x) => x.run_id);
    expect(ids).toHaveLength(3);
    expect(ids).toEqual(expect.arrayContaining([runId, divergedId, (JSON.parse(r.stdout) as { runId: string }).runId]));
    // the rebuilt rates are the ones fitted before
    const again = specbias([
      'sql',
      `SELECT degree, fitted_rate FROM rates WHERE run_id = '${runId}' AND split = 'train' AND kind = 'target' ORDER BY degree`,
      '--json',
      '--data',
      data,
    ]);
    expect(again.stdout).toBe(rates.stdout);
  }, 300_000);

  it('specbias db rebuild rebuilds on demand and keeps the previous file', () => {
    const before = runsTable();
    const directionsSql = `SELECT degree, n_points, rel_diff FROM ntk_directions WHERE run_id = '${runId}' ORDER BY degree`;
    const directions = specbias(['sql', directionsSql, '--json', '--data', data]);
    expect(directions.status, directions.stderr).toBe(0);
    // One row per target degree of the run, on all 40 training points.
    expect((JSON.parse(directions.stdout) as { n_points: number }[]).map((r) => r.n_points)).toEqual([40, 40, 40]);
    const r = specbias(['db', 'rebuild', '--json', '--data', data]);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { completed: number; failed: number; skipped: unknown[]; movedTo: string };
    expect(summary).toMatchObject({ completed: 2, failed: 1, skipped: [] });
    expect(existsSync(summary.movedTo.startsWith('/') ? summary.movedTo : join(process.cwd(), summary.movedTo))).toBe(true);
    expect(runsTable()).toEqual(before);
    // The manifests name ntk-directions.arrow: the rebuild ingests it as it was.
    expect(specbias(['sql', directionsSql, '--json', '--data', data]).stdout).toBe(directions.stdout);
    const bad = specbias(['db', 'rebuid', '--data', data]);
    expect([bad.status, bad.stderr.trim()]).toEqual([
      2,
      'specbias: db: expected the subcommand rebuild, got "rebuid" (usage: specbias db rebuild [--json] [--data DIR])',
    ]);
  }, 120_000);

  it('specbias sql can neither write nor read files outside the database', () => {
    const target = join(dir, 'leak.csv');
    const secret = join(dir, 'secret.txt');
    writeFileSync(secret, 'secret\n');
    for (const query of [`COPY runs TO '${target}'`, `SELECT * FROM read_text('${secret}')`, `SELECT * FROM read_csv('${secret}')`]) {
      const r = specbias(['sql', query, '--data', data]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim()).toMatch(
        /^specbias: sql: file access is disabled: SQL on the results database cannot read or write files \(Cannot access file ".+"\)$/,
      );
    }
    expect(existsSync(target)).toBe(false);
    const lift = specbias(['sql', 'SET enable_external_access = true', '--data', data]);
    expect(lift.stderr).toMatch(/the configuration has been locked/);
  }, 60_000);

  it('a read-only data root is one line naming the directory and why, before anything starts', () => {
    chmodSync(dir, 0o755); // mkdtemp's 0700 would keep the other user from the spec
    const ro = join(dir, 'readonly');
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    // root ignores permission bits: run the CLI as nobody then
    const as = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    for (const args of [
      ['run', spec],
      ['db', 'rebuild'],
    ]) {
      const r = specbias([...args, '--data', join(ro, 'data')], as);
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(
        `specbias: ${join(ro, 'data')} is not writable (permission denied): specbias needs it to write its artifacts, run manifests and results.duckdb; pass --data DIR naming a writable data root, or fix its permissions`,
      );
    }
    expect(readdirSync(ro)).toEqual([]);
  }, 60_000);
});
