import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A rerun with nothing to compute is answered from the store without Temporal; anything not
// verified (a corrupt or deleted artifact, a results database without the run) goes through it.
const bin = join(process.cwd(), 'bin', 'specbias.js');
const dir = mkdtempSync(join(tmpdir(), 'specbias-cached-'));
const data = join(dir, 'data');
const spec = join(dir, 'tiny.yaml');
writeFileSync(
  spec,
  'name: cachedtiny\nseed: 3\ndata: { dim: 4, n: 40, nTest: 20 }\nmodel: { width: 48, theta: 0.1 }\ntraining: { steps: 40, learningRate: 4, logEvery: 4 }\nspectrum: { maxDegree: 4, gram: true }\n',
);
const STEPS = ['sample', 'spectrum', 'ntk-check', 'train', 'project', 'analyze'];

afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Nothing listens on port 1: a run that tried Temporal would fail with "cannot reach Temporal".
const NO_TEMPORAL = { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' };

function specbias(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [bin, 'run', spec, '--json', '--data', data, ...args], { encoding: 'utf8', timeout: 120_000, env });
}

/** The state each step's progress line shows (non-TTY lines: `  sample     cached   0.0 s`). */
function states(stderr: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of stderr.matchAll(/^ {2}(\S+)\s+(cached|done)\b/gm)) out[m[1]!] = m[2]!;
  return out;
}

const allCached = Object.fromEntries(STEPS.map((s) => [s, 'cached']));

describe('a rerun with nothing to compute', () => {
  let first: { runId: string; manifest: string; rates: unknown[] };
  beforeAll(() => {
    const r = specbias([]);
    expect(r.status, r.stderr).toBe(0);
    first = JSON.parse(r.stdout);
  }, 120_000);

  const manifest = () =>
    JSON.parse(readFileSync(first.manifest, 'utf8')) as { artifacts: Record<string, { path: string }>; reruns: unknown[] };

  it('is answered from the store without reaching Temporal, every step marked cached, the same JSON printed', () => {
    const before = manifest().reruns.length;
    const r = specbias([], NO_TEMPORAL);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(first);
    expect(r.stderr).toContain('without Temporal');
    expect(states(r.stderr)).toEqual(allCached);
    expect(existsSync(join(data, 'temporal', 'server.json'))).toBe(false);
    // Recorded as a rerun, in the manifest and in the runs row.
    expect(manifest().reruns.length).toBe(before + 1);
    const q = spawnSync(
      process.execPath,
      [bin, 'sql', `SELECT reruns FROM runs WHERE run_id = '${first.runId}'`, '--json', '--data', data],
      {
        encoding: 'utf8',
      },
    );
    expect(JSON.parse(q.stdout)).toEqual([{ reruns: before + 1 }]);
  });

  it('--via-temporal runs it through Temporal all the same', () => {
    const r = specbias(['--via-temporal'], NO_TEMPORAL);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('cannot reach Temporal');
  });

  it('a corrupt artifact goes through Temporal, which recomputes that step; the next rerun is cached again', () => {
    const projections = join(data, manifest().artifacts.projections!.path);
    appendFileSync(projections, 'x');
    const offline = specbias([], NO_TEMPORAL);
    expect(offline.stderr).toContain('cannot reach Temporal');
    const r = specbias([]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('without Temporal');
    expect(states(r.stderr)).toEqual({ ...allCached, project: 'done', analyze: 'done' });
    const again = specbias([], NO_TEMPORAL);
    expect(again.status, again.stderr).toBe(0);
    expect(states(again.stderr)).toEqual(allCached);
  }, 120_000);

  it('a corrupt init-twin.arrow goes through Temporal: the train step writes the twin again without training, and project stays cached', () => {
    const twin = join(data, manifest().artifacts.initTwin!.path);
    const bytes = readFileSync(twin);
    const trained = statSync(join(data, manifest().artifacts.trajectory!.path)).mtimeMs;
    appendFileSync(twin, 'x');
    expect(specbias([], NO_TEMPORAL).stderr).toContain('cannot reach Temporal');
    const r = specbias([]);
    expect(r.status, r.stderr).toBe(0);
    expect(states(r.stderr)).toEqual({ ...allCached, train: 'done', analyze: 'done' });
    expect(readFileSync(twin).equals(bytes)).toBe(true);
    expect(statSync(join(data, manifest().artifacts.trajectory!.path)).mtimeMs).toBe(trained);
    expect(specbias([], NO_TEMPORAL).status).toBe(0);
  }, 120_000);

  it('a deleted artifact, or a results database without the run, goes through Temporal', () => {
    unlinkSync(join(data, manifest().artifacts.losses!.path));
    expect(specbias([], NO_TEMPORAL).stderr).toContain('cannot reach Temporal');
    const r = specbias([]);
    expect(r.status, r.stderr).toBe(0);
    expect(states(r.stderr)).toMatchObject({ sample: 'cached', train: 'done', analyze: 'done' });

    rmSync(join(data, 'results.duckdb'));
    expect(specbias([], NO_TEMPORAL).stderr).toContain('cannot reach Temporal');
    const rebuilt = specbias([]);
    expect(rebuilt.status, rebuilt.stderr).toBe(0);
    expect(states(rebuilt.stderr)).toEqual({ ...allCached, analyze: 'done' });
    expect(specbias([], NO_TEMPORAL).status).toBe(0);
  }, 240_000);
});

describe('a sweep with nothing to compute', () => {
  const sweepData = join(dir, 'sweep-data');
  const sweepSpec = join(dir, 'sweep.yaml');
  writeFileSync(
    sweepSpec,
    'name: cachedsweep\nseed: 3\ndata: { dim: 4, n: 40, nTest: 20 }\nmodel: { width: 48, theta: 0.1 }\ntraining: { steps: 40, learningRate: 1, logEvery: 4 }\nspectrum: { maxDegree: 4, gram: true }\nsweep: { grid: { model.width: [32, 48] } }\nreplicates: 2\n',
  );
  const sweep = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
    spawnSync(process.execPath, [bin, 'run', sweepSpec, '--data', sweepData, ...args], { encoding: 'utf8', timeout: 180_000, env });

  it('is answered from the store, the same table and JSON as through Temporal, each point recorded as a rerun', () => {
    const first = sweep(['--json']);
    expect(first.status, first.stderr).toBe(0);
    const viaTemporal = sweep(['--via-temporal']);
    expect(viaTemporal.status, viaTemporal.stderr).toBe(0);
    expect(viaTemporal.stderr).not.toContain('without Temporal');
    const json = sweep(['--json'], NO_TEMPORAL);
    expect(json.status, json.stderr).toBe(0);
    expect(json.stderr).toContain('every point cached');
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(first.stdout));
    const table = sweep([], NO_TEMPORAL);
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toBe(viaTemporal.stdout);
    const q = spawnSync(
      process.execPath,
      [bin, 'sql', 'SELECT count(*) AS n, min(reruns) AS lo FROM runs', '--json', '--data', sweepData],
      {
        encoding: 'utf8',
      },
    );
    // Every point: one rerun through Temporal, two from the store.
    expect(JSON.parse(q.stdout)).toEqual([{ n: 4, lo: 3 }]);
  }, 240_000);

  it('goes through Temporal when one point is missing', () => {
    const { points } = JSON.parse(sweep(['--json'], NO_TEMPORAL).stdout) as { points: { replicates: string[] }[] };
    rmSync(join(sweepData, 'runs', points[1]!.replicates[0]!, 'manifest.json'));
    const offline = sweep([], NO_TEMPORAL);
    expect(offline.status).not.toBe(0);
    expect(offline.stderr).toContain('cannot reach Temporal');
  }, 120_000);
});
