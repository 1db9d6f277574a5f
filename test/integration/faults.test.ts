import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Prng } from '../../src/math/prng.js';

// Fault injection on the real thing: the built CLI, its dev server, its in-process worker.
// SIGKILL at checkpoints chosen by a seeded schedule; the rerun must finish with results
// identical, bit for bit, to an uninterrupted run, and leave exactly one training artifact.
const bin = join(process.cwd(), 'bin', 'specbias.js');
const dir = mkdtempSync(join(tmpdir(), 'specbias-faults-'));
const spec = join(dir, 'faults.yaml');
writeFileSync(
  spec,
  'name: faults\nseed: 2\ndata: { dim: 6, n: 160, nTest: 40 }\nmodel: { width: 256, theta: 0.1 }\n' +
    'training: { steps: 3000, learningRate: 3, logEvery: 10, engine: tfjs-wasm }\nspectrum: { maxDegree: 4 }\n',
);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runJson(data: string) {
  const r = spawnSync(process.execPath, [bin, 'run', spec, '--json', '--data', data], { encoding: 'utf8', timeout: 300_000 });
  expect(r.status, r.stderr).toBe(0);
  return { out: JSON.parse(r.stdout), stderr: r.stderr };
}

function trainDirs(data: string): string[] {
  const root = join(data, 'artifacts', 'train');
  return existsSync(root) ? readdirSync(root) : [];
}

function checkpointFiles(data: string): string[] {
  return trainDirs(data).flatMap((d) =>
    readdirSync(join(data, 'artifacts', 'train', d))
      .filter((f) => /^checkpoint-\d+\.json$/.test(f))
      .map((f) => `${d}/${f}`),
  );
}

function checkpoints(data: string): number {
  return checkpointFiles(data).length;
}

/** Start `specbias run` in its own process group; SIGKILL it (or the group) once `atCheckpoint` exist. */
async function killAt(data: string, atCheckpoint: number, wholeGroup: boolean): Promise<void> {
  const child = spawn(process.execPath, [bin, 'run', spec, '--json', '--data', data], { detached: true, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const deadline = Date.now() + 240_000;
  while (checkpoints(data) < atCheckpoint && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  expect(checkpoints(data)).toBeGreaterThanOrEqual(atCheckpoint);
  if (wholeGroup) {
    // The CLI's group and the dev server's own group: everything it started dies at once.
    const server = JSON.parse(readFileSync(join(data, 'temporal', 'server.json'), 'utf8')) as { pid: number };
    process.kill(-child.pid!, 'SIGKILL');
    process.kill(-server.pid, 'SIGKILL');
  } else {
    process.kill(child.pid!, 'SIGKILL');
  }
  await exited;
}

function trajectorySha(manifestPath: string): string {
  return JSON.parse(readFileSync(manifestPath, 'utf8')).artifacts.trajectory.sha256;
}

describe('fault injection', () => {
  it('a 6-point sweep SIGKILLed four times (twice the CLI, twice its whole process group) ends with the rates of a clean run', async () => {
    const sweepSpec = join(dir, 'sweep.yaml');
    writeFileSync(
      sweepSpec,
      'name: faultsweep\ndata: { dim: 6, n: 160, nTest: 40 }\nmodel: { width: 512, theta: 0.1 }\n' +
        'training: { steps: 8000, learningRate: 3, logEvery: 20, engine: tfjs-wasm }\nspectrum: { maxDegree: 4 }\n' +
        'sweep: { grid: { seed: [0, 1, 2, 3, 4, 5] }, concurrency: 2 }\n',
    );
    const sweepJson = (data: string) => {
      const r = spawnSync(process.execPath, [bin, 'run', sweepSpec, '--json', '--data', data], { encoding: 'utf8', timeout: 400_000 });
      expect(r.status, r.stderr).toBe(0);
      return { out: JSON.parse(r.stdout), stderr: r.stderr };
    };
    const clean = sweepJson(join(dir, 'sweep-clean'));
    expect(clean.out.points).toHaveLength(6);

    const data = join(dir, 'sweep-faulty');
    const schedule = new Prng(7, 'faults/sweep-schedule');
    let resumed = 0;
    for (const wholeGroup of [false, true, false, true]) {
      const child = spawn(process.execPath, [bin, 'run', sweepSpec, '--json', '--data', data], {
        detached: true,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
      const exited = new Promise((resolve) => child.on('exit', resolve));
      // Kill while this run is mid-training (it wrote a new checkpoint), after a seeded extra delay.
      const seen = new Set(checkpointFiles(data));
      const deadline = Date.now() + 240_000;
      while (!checkpointFiles(data).some((f) => !seen.has(f)) && child.exitCode === null && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, schedule.uniform() * 2000));
      if (child.exitCode === null) {
        const serverFile = join(data, 'temporal', 'server.json');
        if (wholeGroup && existsSync(serverFile))
          process.kill(-(JSON.parse(readFileSync(serverFile, 'utf8')) as { pid: number }).pid, 'SIGKILL');
        process.kill(wholeGroup ? -child.pid! : child.pid!, 'SIGKILL');
      }
      await exited;
      resumed += (stderr.match(/resuming [0-9a-f]{12} from its checkpoint/g) ?? []).length;
    }
    const final = sweepJson(data);
    resumed += (final.stderr.match(/resuming [0-9a-f]{12} from its checkpoint/g) ?? []).length;

    expect(final.out.status).toBe('completed');
    expect(final.out.points).toEqual(clean.out.points);
    // Every kill came with a checkpoint on disk, so at least one training resumed from one.
    expect(resumed).toBeGreaterThanOrEqual(1);
    const dirs = trainDirs(data);
    expect(dirs).toHaveLength(6);
    for (const d of dirs)
      expect(
        readdirSync(join(data, 'artifacts', 'train', d))
          .filter((f) => !f.endsWith('.meta.json'))
          .sort(),
      ).toEqual(['losses.arrow', 'trajectory.arrow']);
    expect(spawnSync('pgrep', ['-f', `db-filename ${join(data, 'temporal')}`]).status).toBe(1);
  }, 600_000);

  it('a run SIGKILLed twice (the CLI, then its whole process group) finishes with identical results and one training artifact', async () => {
    const clean = runJson(join(dir, 'clean'));

    const data = join(dir, 'faulty');
    const schedule = new Prng(2026, 'faults/schedule');
    const first = 1 + Math.floor(schedule.uniform() * 3); // after checkpoint 1..3
    await killAt(data, first, false);
    const afterFirst = checkpoints(data);
    await killAt(data, afterFirst + 1 + Math.floor(schedule.uniform() * 2), true);
    const final = runJson(data);

    expect(final.out.rates).toEqual(clean.out.rates);
    expect(trajectorySha(final.out.manifest)).toBe(trajectorySha(clean.out.manifest));
    // Resumed from a checkpoint, not from step 0.
    expect(final.stderr).toMatch(/resuming [0-9a-f]{12} from its checkpoint at step [1-9]\d*/);
    // One training folder, holding only the final artifacts.
    const dirs = trainDirs(data);
    expect(dirs).toHaveLength(1);
    expect(readdirSync(join(data, 'artifacts', 'train', dirs[0]!)).sort()).toEqual([
      'losses.arrow',
      'losses.arrow.meta.json',
      'trajectory.arrow',
      'trajectory.arrow.meta.json',
    ]);
    expect(spawnSync('pgrep', ['-f', `db-filename ${join(data, 'temporal')}`]).status).toBe(1);
  }, 480_000);

  it('an unreachable TEMPORAL_ADDRESS is one clear line and a non-zero exit', () => {
    const r = spawnSync(process.execPath, [bin, 'run', spec, '--data', join(dir, 'unreachable')], {
      encoding: 'utf8',
      env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' },
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      'specbias: cannot reach Temporal at 127.0.0.1:1 (TEMPORAL_ADDRESS): is the server running and the namespace registered?',
    ]);
  });
});
