import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, commandHelp } from '../../src/cli/main.js';
import { optionHelp } from '../../src/cli/help.js';
import { buildFixture, RATES, RUNS } from '../report/fixture.js';

// The built CLI (`npm test` builds first), on the report fixture's database: three runs of sweep sw-1.
const bin = path.join(process.cwd(), 'bin', 'specbias.js');

describe('specbias CLI habits', () => {
  let dir: string;
  let dataRoot: string;
  const specbias = (args: string[], input?: string) =>
    spawnSync(process.execPath, [bin, ...args], {
      encoding: 'utf8',
      timeout: 60_000,
      input,
      env: { ...process.env, SPECBIAS_DATA: dataRoot },
    });
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'specbias-commands-'));
    dataRoot = await buildFixture(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('--version prints the package version on stdout', () => {
    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    const r = specbias(['--version']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`specbias ${version}\n`);
  });

  it('--help goes to stdout, and every option of every command is described', () => {
    const r = specbias(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('runs ');
    expect(r.stderr).toBe('');
    for (const [name, command] of Object.entries(COMMANDS)) {
      for (const option of Object.keys(command.options)) {
        expect(optionHelp(name, option), `${name} --${option}`).toBeTruthy();
        expect(commandHelp(name)).toContain(`--${option}`);
      }
    }
    expect(specbias(['sql', '--help']).stdout).toContain('-f, --file VALUE');
  });

  it('status writes its table to stdout, so `status > f` keeps it; it takes prefixes and lists ambiguous ones', async () => {
    const file = path.join(dir, 'status.txt');
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" status > "${file}"`], {
      encoding: 'utf8',
      env: { ...process.env, SPECBIAS_DATA: dataRoot },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const table = await readFile(file, 'utf8');
    for (const run of RUNS) expect(table).toContain(run.runId);

    const one = specbias(['status', 'run-c', '--json']);
    expect(one.status, one.stderr).toBe(0);
    const parsed = JSON.parse(one.stdout) as { runId: string; params: { width: number }; rates: { degree: number; fittedRate: number }[] };
    expect(parsed.runId).toBe('run-c');
    expect(parsed.params.width).toBe(1024);
    expect(parsed.rates.find((x) => x.degree === 1)!.fittedRate).toBeCloseTo(RATES[1]! / 2, 10);

    const ambiguous = specbias(['status', 'run-']);
    expect(ambiguous.status).toBe(1);
    expect(ambiguous.stderr).toContain('run-a, run-b, run-c');
  });

  it('runs --json lists every run with params and rates; --where, --sort and --csv', () => {
    const r = specbias(['runs', '--json', '--sort', 'run_id']);
    expect(r.status, r.stderr).toBe(0);
    const runs = JSON.parse(r.stdout) as {
      runId: string;
      sweepId: string;
      status: string;
      params: Record<string, unknown>;
      rates: { degree: number; fittedRate: number }[];
      startedAt: string;
      seconds: number;
    }[];
    expect(runs.map((x) => x.runId)).toEqual(RUNS.map((f) => f.runId));
    for (const [i, f] of RUNS.entries()) {
      const run = runs[i]!;
      expect(run).toMatchObject({ sweepId: 'sw-1', status: 'completed', startedAt: '2024-05-06T07:00:00.000Z', seconds: 300 });
      expect(run.params).toMatchObject({
        width: f.width,
        seed: f.seed,
        dim: 10,
        n: 300,
        steps: 2000,
        learningRate: 1,
        theta: 1,
        depth: 2,
        bias: 0,
        activation: 'relu',
        engine: 'tfjs',
      });
      expect(run.rates.map((x) => x.degree)).toEqual([1, 2, 4]);
      for (const x of run.rates) expect(x.fittedRate).toBeCloseTo(RATES[x.degree]! * f.factor, 10);
    }
    const wide = JSON.parse(specbias(['runs', '--json', '--where', 'width >= 1024']).stdout) as { runId: string }[];
    expect(wide.map((x) => x.runId)).toEqual(['run-c']);
    const sorted = JSON.parse(specbias(['runs', '--json', '--sort', 'seed DESC, width DESC']).stdout) as { runId: string }[];
    expect(sorted.map((x) => x.runId)).toEqual(['run-b', 'run-c', 'run-a']);
    const csv = specbias(['runs', '--csv', '--sort', 'run_id']).stdout.trim().split('\n');
    expect(csv[0]).toBe(
      'runId,name,sweepId,status,seconds,dim,n,width,depth,bias,activation,theta,learningRate,steps,seed,engine,startedAt,rateK1,rateK2,rateK4',
    );
    expect(csv).toHaveLength(4);
    const bad = specbias(['runs', '--where', 'no_such_column = 1']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^specbias: runs: --where\/--sort: .*no_such_column/);
    const table = specbias(['runs']);
    expect(table.stdout).toContain('rate k=1');
  });

  it('sql takes several statements, -f FILE, stdin, and a query that begins with a -- comment', async () => {
    const multi = specbias(['sql', 'SELECT 1 AS a; SELECT count(*) AS n FROM runs', '--json']);
    expect(multi.status, multi.stderr).toBe(0);
    expect(JSON.parse(multi.stdout)).toEqual([{ n: RUNS.length }]);

    const comment = specbias(['sql', '-- how many runs are wide?\nSELECT count(*) AS n FROM run_params WHERE width = 1024', '--json']);
    expect(comment.status, comment.stderr).toBe(0);
    expect(JSON.parse(comment.stdout)).toEqual([{ n: 1 }]);

    const file = path.join(dir, 'q.sql');
    await writeFile(file, '-- the seeds\nSELECT seed FROM run_params\n ORDER BY seed, run_id;\n');
    const fromFile = specbias(['sql', '-f', file, '--csv']);
    expect(fromFile.status, fromFile.stderr).toBe(0);
    expect(fromFile.stdout).toBe('seed\n0\n0\n1\n');

    const fromStdin = specbias(['sql', '--json'], "SELECT run_id FROM runs WHERE run_id = 'run-b'");
    expect(fromStdin.status, fromStdin.stderr).toBe(0);
    expect(JSON.parse(fromStdin.stdout)).toEqual([{ run_id: 'run-b' }]);

    const spec = JSON.parse(specbias(['sql', "SELECT spec FROM runs WHERE run_id = 'run-c'", '--json']).stdout) as {
      spec: { model: { width: number } };
    }[];
    expect(spec[0]!.spec.model.width).toBe(1024);

    const missing = specbias(['sql', '-f', path.join(dir, 'nope.sql')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('nope.sql');
  });

  it('spectrum prints its table on stdout', () => {
    const r = specbias(['spectrum', '--dim', '10', '--max-degree', '2']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('N(D,k)');
    expect(r.stderr).toBe('');
  });
});
