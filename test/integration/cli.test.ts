import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// These drive the built CLI (`npm test` builds first) as a user would: real dev server, real worker.
const bin = join(process.cwd(), 'bin', 'specbias.js');
const dir = mkdtempSync(join(tmpdir(), 'specbias-cli-'));
const data = join(dir, 'data');
const spec = join(dir, 'tiny.yaml');
writeFileSync(
  spec,
  'name: clitiny\nseed: 1\ndata: { dim: 4, n: 40, nTest: 20 }\nmodel: { width: 48, theta: 0.1 }\ntraining: { steps: 40, learningRate: 4, logEvery: 4 }\nspectrum: { maxDegree: 4 }\n',
);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function specbias(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args, '--data', data], { encoding: 'utf8', timeout: 120_000 });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the specbias command', () => {
  it('run --json prints exactly one JSON object with the rates, and leaves no server behind', () => {
    const r = specbias(['run', spec, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['manifest', 'rates', 'replicates', 'runId', 'status']);
    expect(out.status).toBe('completed');
    expect(out.runId).toMatch(/^clitiny-[0-9a-f]{12}$/);
    expect(out.rates.map((x: { degree: number }) => x.degree)).toEqual([1, 2, 4]);
    const fields = ['degree', 'fittedRate', 'ci95', 'n', 'theoryRate', 'kernelRate', 'initKernelRate', 'r2', 'stderr', 'window', 'note'];
    for (const rate of out.rates) expect(Object.keys(rate)).toEqual(expect.arrayContaining(fields));
    // theory rate of degree 1: -ln(1 - eta' * 3/(4D)) with eta' = 4, D = 4
    expect(out.rates[0].theoryRate).toBeCloseTo(-Math.log(1 - 4 * (3 / 16)), 10);
    expect(existsSync(out.manifest)).toBe(true);
    expect(existsSync(join(data, 'temporal', 'server.json'))).toBe(false);
    expect(spawnSync('pgrep', ['-f', `db-filename ${join(data, 'temporal')}`]).status).toBe(1);
  }, 120_000);

  it('sql reads the results database while nothing runs, as JSON and CSV', () => {
    const j = specbias([
      'sql',
      "SELECT count(*) AS n FROM projections WHERE run_id LIKE 'clitiny-%' AND kind = 'target' AND source = 'network'",
      '--json',
    ]);
    expect(j.status, j.stderr).toBe(0);
    // Logged steps: every 4th of 40 (11), plus the geometric floor(1.25^k) <= 16 not among them: 1, 2, 3, 5, 7, 9, 11, 14 (8).
    expect(JSON.parse(j.stdout)).toEqual([{ n: (11 + 8) * 2 * 3 }]);
    const c = specbias([
      'sql',
      "SELECT degree FROM rates WHERE run_id LIKE 'clitiny-%' AND split = 'train' AND kind = 'target' ORDER BY degree",
      '--csv',
    ]);
    expect(c.stdout).toBe('degree\n1\n2\n4\n');
  });

  it('a bad spec gets one line naming the field, exit 2, and writes nothing', () => {
    const fresh = join(dir, 'untouched');
    const r = spawnSync(process.execPath, [bin, 'run', spec, '--set', 'data.dim=1', '--data', fresh], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([`specbias: ${spec}: invalid spec at data.dim: must be >= 2, got 1`]);
    expect(existsSync(fresh)).toBe(false);
  });

  it('training that diverges fails the run at once with one line suggesting a smaller learning rate', () => {
    const r = spawnSync(
      process.execPath,
      [bin, 'run', spec, '--set', 'training.learningRate=1000', '--set', 'name=diverge', '--data', data],
      {
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(
      /^specbias: run diverge-[0-9a-f]{12} failed: training diverged at step \d+ \(loss is NaN\/inf\); try a smaller training\.learningRate \(now 1000\)$/,
    );
    expect(lines.filter((l) => /^\s+at |Error:/.test(l))).toEqual([]); // no stack trace
  });

  it('Ctrl-C stops the worker and the dev server it started', async () => {
    const child = spawn(
      process.execPath,
      [bin, 'run', spec, '--set', 'training.steps=200000', '--set', 'training.learningRate=1', '--set', 'name=sigint', '--data', data],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    // Wait until training is under way, then interrupt.
    const deadline = Date.now() + 60_000;
    while (!/train\s+running/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const server = JSON.parse(readFileSync(join(data, 'temporal', 'server.json'), 'utf8')) as { pid: number };
    expect(alive(server.pid)).toBe(true);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(130);
    // With SPECBIAS_SERVER_IDLE_S=0 (vitest.config.ts) its supervisor stops the server before answering the release.
    const deadline2 = Date.now() + 10_000;
    while (alive(server.pid) && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 50));
    expect(alive(server.pid)).toBe(false);
    expect(existsSync(join(data, 'temporal', 'server.json'))).toBe(false);
    // Nothing half-written: every artifact file has its checksum sidecar.
    const files = readdirSync(join(data, 'artifacts'), { recursive: true, encoding: 'utf8' });
    expect(files.filter((f) => f.includes('.tmp'))).toEqual([]);
  }, 120_000);
});
