import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The mini-batch optimizers through the whole pipeline (the built CLI, its dev server, its
// in-process worker, the native engine): the quickstart's SGD rates against GD's and the twins,
// and resume after SIGKILL, bit for bit, for heavy-ball SGD and Adam.
const bin = join(process.cwd(), 'bin', 'specbias.js');
const dir = mkdtempSync(join(tmpdir(), 'specbias-optimizers-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Rate {
  degree: number;
  fittedRate: number;
  ci95: [number, number] | null;
  initKernelRate: number | null;
  nPoints: number;
  note: string | null;
}

function runJson(spec: string, data: string, ...set: string[]) {
  const args = [bin, 'run', spec, '--json', '--data', data, ...set.flatMap((s) => ['--set', s])];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 300_000 });
  expect(r.status, r.stderr).toBe(0);
  return { out: JSON.parse(r.stdout) as { rates: Rate[]; manifest: string }, stderr: r.stderr };
}

function checkpoints(data: string): number {
  const root = join(data, 'artifacts', 'train');
  if (!existsSync(root)) return 0;
  return readdirSync(root).flatMap((d) => readdirSync(join(root, d)).filter((f) => /^checkpoint-\d+\.json$/.test(f))).length;
}

function trajectorySha(manifestPath: string): string {
  return JSON.parse(readFileSync(manifestPath, 'utf8')).artifacts.trajectory.sha256;
}

describe('optimizers through the pipeline', () => {
  it("quickstart under sgd (batch 64): degrees 1 and 2 within 20% of the finite-width twin, and each 95% interval holds gd's rate", () => {
    const data = join(dir, 'quickstart');
    const sgd = runJson('pipelines/quickstart.yaml', data, 'training.optimizer=sgd', 'training.batchSize=64').out.rates;
    const gd = runJson('pipelines/quickstart.yaml', data).out.rates;
    for (const degree of [1, 2]) {
      const s = sgd.find((r) => r.degree === degree)!;
      const g = gd.find((r) => r.degree === degree)!;
      // The twins are gd at the same eta', so sgd and gd share them.
      expect(s.initKernelRate).toBe(g.initKernelRate);
      // 20%: gd's own network sits 11% (degree 1) and 14% (degree 2) above the twin at m = 1024.
      expect(Math.abs(s.fittedRate / s.initKernelRate! - 1)).toBeLessThan(0.2);
      // SGD's expected dynamics are gd's: its interval, which carries the sampling noise, holds gd's rate.
      expect(s.ci95![0]).toBeLessThan(g.fittedRate);
      expect(s.ci95![1]).toBeGreaterThan(g.fittedRate);
    }
    // Degree 2 spans dozens of epochs of 6 steps (fitted by epoch); degree 1 is learned in about two.
    expect(sgd.find((r) => r.degree === 2)!.note).toMatch(/^fitted on \d+ per-epoch means of ln value \(6 steps per epoch\)/);
    expect(sgd.find((r) => r.degree === 1)!.note).toMatch(/^window spans fewer than 5 epochs of 6 steps/);
  }, 120_000);

  for (const [name, training] of [
    ['sgd with momentum', 'optimizer: sgd, batchSize: 32, momentum: 0.5'],
    ['adam', 'optimizer: adam, batchSize: 32'],
  ] as const) {
    it(`${name}: a run whose whole process group is SIGKILLed mid-training resumes to the uninterrupted trajectory, bit for bit`, async () => {
      const spec = join(dir, `${name.split(' ')[0]}.yaml`);
      writeFileSync(
        spec,
        `name: optresume\nseed: 3\ndata: { dim: 8, n: 320, nTest: 40 }\nmodel: { width: 1024, theta: 0.1 }\n` +
          `training: { steps: 3000, learningRate: 2, logEvery: 20, ${training} }\nspectrum: { maxDegree: 4 }\n`,
      );
      const clean = runJson(spec, join(dir, `${name}-clean`));

      const data = join(dir, `${name}-faulty`);
      const child = spawn(process.execPath, [bin, 'run', spec, '--json', '--data', data], { detached: true, stdio: 'ignore' });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      const deadline = Date.now() + 120_000;
      while (checkpoints(data) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(checkpoints(data)).toBeGreaterThanOrEqual(2);
      const server = JSON.parse(readFileSync(join(data, 'temporal', 'server.json'), 'utf8')) as { pid: number };
      process.kill(-child.pid!, 'SIGKILL');
      process.kill(-server.pid, 'SIGKILL');
      await exited;

      const final = runJson(spec, data);
      expect(final.stderr).toMatch(/resuming [0-9a-f]{12} from its checkpoint at step [1-9]\d*/);
      expect(trajectorySha(final.out.manifest)).toBe(trajectorySha(clean.out.manifest));
      expect(final.out.rates).toEqual(clean.out.rates);
      expect(spawnSync('pgrep', ['-f', `db-filename ${join(data, 'temporal')}`]).status).toBe(1);
    }, 240_000);
  }
});
