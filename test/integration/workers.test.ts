import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { freePort, serverReady } from '../../src/temporal/dev-server.js';

// Scale-out as a user does it: `specbias server`, two `specbias worker` processes on one task
// queue and one data root, and `specbias run --no-worker` submitting a sweep.
const bin = join(process.cwd(), 'bin', 'specbias.js');
const dir = mkdtempSync(join(tmpdir(), 'specbias-workers-'));
const data = join(dir, 'data');
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const c of children.reverse()) {
    c.kill('SIGINT');
    await new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.on('exit', resolve)));
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('several workers', () => {
  it('two specbias workers share a sweep with no duplicate artifacts, and both do work', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const env = { ...process.env, TEMPORAL_ADDRESS: address };
    children.push(
      spawn(process.execPath, [bin, 'server', '--port', String(port), '--ui-port', String(await freePort()), '--data', data], {
        stdio: 'ignore',
      }),
    );
    const deadline = Date.now() + 60_000;
    while (!(await serverReady(address)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    for (let i = 0; i < 2; i++) children.push(spawn(process.execPath, [bin, 'worker', '--data', data], { env, stdio: 'ignore' }));

    const spec = join(dir, 'sweep.yaml');
    writeFileSync(
      spec,
      'name: twoworkers\ndata: { dim: 5, n: 60, nTest: 20 }\nmodel: { width: 64, theta: 0.1 }\n' +
        'training: { steps: 300, learningRate: 2, logEvery: 10 }\nspectrum: { maxDegree: 4 }\n' +
        'sweep: { grid: { seed: [0, 1, 2, 3], model.width: [64, 96] }, concurrency: 4 }\n',
    );
    const r = spawnSync(process.execPath, [bin, 'run', spec, '--json', '--no-worker', '--data', data], {
      env,
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { sweepId: string; status: string; points: { runId: string; status: string }[] };
    expect(out.status).toBe('completed');
    expect(out.points.map((p) => p.status)).toEqual(Array(8).fill('completed'));

    // One training folder per point, holding only the final artifacts.
    const trainDirs = readdirSync(join(data, 'artifacts', 'train'));
    expect(trainDirs).toHaveLength(8);
    for (const d of trainDirs)
      expect(
        readdirSync(join(data, 'artifacts', 'train', d))
          .filter((f) => !f.endsWith('.meta.json'))
          .sort(),
      ).toEqual(['losses.arrow', 'trajectory.arrow']);

    // Both workers ran activities: the histories name two worker identities.
    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    const identities = new Set<string>();
    // Each child's workflow id is its run id, and its memo names it for the Web UI.
    for (const point of out.points) {
      const handle = client.workflow.getHandle(point.runId);
      const memo = (await handle.describe()).memo as { name: string; sweep: string; width: number; point: string };
      expect(memo).toMatchObject({ sweep: out.sweepId });
      expect(memo.point).toMatch(/=/);
      const history = await handle.fetchHistory();
      for (const e of history.events ?? [])
        if (e.activityTaskStartedEventAttributes?.identity) identities.add(e.activityTaskStartedEventAttributes.identity);
    }
    await connection.close();
    expect(identities.size).toBe(2);
  }, 300_000);
});
