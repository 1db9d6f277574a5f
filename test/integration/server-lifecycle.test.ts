import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, serverReady } from '../../src/temporal/dev-server.js';
import { isSameProcess, processIdentity, stopProcess, type ProcessIdentity } from '../../src/temporal/process-identity.js';

// The dev server's lifecycle through the built CLI: who starts it, who may stop it, and when.
const bin = join(process.cwd(), 'bin', 'specbias.js');
const dir = mkdtempSync(join(tmpdir(), 'specbias-server-'));
const spec = join(dir, 'tiny.yaml');
writeFileSync(
  spec,
  'name: lifecycle\nseed: 1\ndata: { dim: 4, n: 40, nTest: 20 }\nmodel: { width: 48, theta: 0.1 }\ntraining: { steps: 40, learningRate: 4, logEvery: 4 }\nspectrum: { maxDegree: 4 }\n',
);
const children: ChildProcess[] = [];

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

interface State {
  pid: number;
  address: string;
  supervisor: ProcessIdentity;
  server: ProcessIdentity;
}
const stateOf = (data: string) => JSON.parse(readFileSync(join(data, 'temporal', 'server.json'), 'utf8')) as State;
const serverProcesses = (data: string) => spawnSync('pgrep', ['-f', `db-filename ${join(data, 'temporal')}`]).status === 0;

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  // Any server a failed test left: stopped only once proven to be the one recorded.
  for (const name of ['stale', 'user', 'two', 'deleted', 'killed', 'corrupt', 'full']) {
    const file = join(dir, name, 'temporal', 'server.json');
    if (!existsSync(file)) continue;
    const s = JSON.parse(readFileSync(file, 'utf8')) as Partial<State>;
    if (s.supervisor) await stopProcess(s.supervisor, 5000);
    if (s.server) await stopProcess(s.server, 5000);
  }
  if (fullMounted) spawnSync('umount', ['-l', fullMounted]);
  rmSync(dir, { recursive: true, force: true });
});
let fullMounted: string | null = null;

describe('the dev server lifecycle', () => {
  it('a stale server.json naming a live unrelated process never harms it', async () => {
    const data = join(dir, 'stale');
    mkdirSync(join(data, 'temporal'), { recursive: true });
    const bystander = spawn('sleep', ['600'], { stdio: 'ignore' });
    children.push(bystander);
    const id = processIdentity(bystander.pid!)!;
    // As after a crash and pid reuse: the recorded identities are the bystander's pid with the
    // start time and command line of a server that is gone.
    const gone = (cmdline: string[]) => ({ ...id, startTime: String(Number(id.startTime) - 7), cmdline });
    writeFileSync(
      join(data, 'temporal', 'server.json'),
      JSON.stringify({
        version: 2,
        pid: bystander.pid,
        address: '127.0.0.1:1',
        supervisor: gone([process.execPath, 'supervisor-main.js']),
        server: gone(['temporal', 'server', 'start-dev']),
      }),
    );
    const r = await runAsync(['run', spec, '--json', '--data', data]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe('completed');
    expect(bystander.exitCode).toBeNull();
    expect(isSameProcess(id)).toBe(true);
    bystander.kill('SIGKILL');
  }, 180_000);

  it("a user's `specbias server` serves runs beside it, survives them, and stops on Ctrl-C", async () => {
    const data = join(dir, 'user');
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const server = spawn(process.execPath, [bin, 'server', '--port', String(port), '--ui-port', String(await freePort()), '--data', data], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(server);
    let log = '';
    server.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    expect(await waitFor(() => log.includes('Ctrl-C to stop'), 90_000)).toBe(true);
    for (const seed of [1, 2]) {
      const r = await runAsync(['run', spec, '--json', '--set', `seed=${seed}`, '--data', data]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain(`using the running Temporal dev server at ${address}`);
      expect(r.stderr).toContain('started by `specbias server`');
      expect(JSON.parse(r.stdout).status).toBe('completed');
    }
    expect(await serverReady(address)).toBe(true);
    expect(server.exitCode).toBeNull();
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(join(data, 'temporal', 'server.json'))).toBe(false);
    expect(serverProcesses(data)).toBe(false);
  }, 300_000);

  it('two runs started together on one data root, identical and then different, all complete on one server that stops after the last', async () => {
    const data = join(dir, 'two');
    const same = await Promise.all([runAsync(['run', spec, '--json', '--data', data]), runAsync(['run', spec, '--json', '--data', data])]);
    for (const r of same) expect(r.status, r.stderr).toBe(0);
    const [a, b] = same.map((r) => JSON.parse(r.stdout) as { runId: string; status: string; rates: unknown });
    expect(a!.status).toBe('completed');
    expect(b).toEqual(a);
    // One server: exactly one of the two started it.
    expect(same.filter((r) => r.stderr.includes('started a Temporal dev server'))).toHaveLength(1);
    expect(serverProcesses(data)).toBe(false);

    const different = await Promise.all([3, 4].map((seed) => runAsync(['run', spec, '--json', '--set', `seed=${seed}`, '--data', data])));
    for (const r of different) expect(r.status, r.stderr).toBe(0);
    const ids = different.map((r) => (JSON.parse(r.stdout) as { runId: string }).runId);
    expect(new Set(ids).size).toBe(2);
    expect(serverProcesses(data)).toBe(false);
    expect(existsSync(join(data, 'temporal', 'server.json'))).toBe(false);
  }, 300_000);

  it('a data root deleted under its idling server: the next run stops that server and starts a fresh one', async () => {
    const data = join(dir, 'deleted');
    const first = await runAsync(['run', spec, '--json', '--data', data], { SPECBIAS_SERVER_IDLE_S: '60' });
    expect(first.status, first.stderr).toBe(0);
    const old = stateOf(data);
    expect(isSameProcess(old.supervisor) && isSameProcess(old.server)).toBe(true);
    rmSync(data, { recursive: true, force: true });
    const second = await runAsync(['run', spec, '--json', '--data', data], { SPECBIAS_SERVER_IDLE_S: '0' });
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toContain('started a Temporal dev server');
    expect((JSON.parse(second.stdout) as { status: string }).status).toBe('completed');
    expect(await waitFor(() => !isSameProcess(old.supervisor) && !isSameProcess(old.server), 30_000)).toBe(true);
    expect(serverProcesses(data)).toBe(false);
  }, 180_000);

  it('after kill -9 of its run, the server stops within its idle timeout', async () => {
    const data = join(dir, 'killed');
    const child = spawn(
      process.execPath,
      [bin, 'run', spec, '--set', 'training.steps=200000', '--set', 'training.learningRate=1', '--data', data],
      {
        env: { ...process.env, SPECBIAS_SERVER_IDLE_S: '2' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    expect(await waitFor(() => /train\s+running/.test(stderr), 90_000)).toBe(true);
    const state = stateOf(data);
    expect(isSameProcess(state.supervisor) && isSameProcess(state.server)).toBe(true);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(await waitFor(() => !isSameProcess(state.supervisor) && !isSameProcess(state.server), 60_000)).toBe(true);
    expect(existsSync(join(data, 'temporal', 'server.json'))).toBe(false);
  }, 180_000);

  it('a server that cannot start (a corrupt dev.sqlite) is one line from its log, and stdout stays empty under --json', async () => {
    const data = join(dir, 'corrupt');
    mkdirSync(join(data, 'temporal'), { recursive: true });
    writeFileSync(join(data, 'temporal', 'dev.sqlite'), Buffer.alloc(65536, 0x5a));
    const r = await runAsync(['run', spec, '--json', '--data', data]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^specbias: the Temporal dev server exited during start-up: .*file is not a database/);
    expect(serverProcesses(data)).toBe(false);
  }, 120_000);

  it('a full disk under the dev server is one line, with stdout empty under --json', async (ctx) => {
    const temporal = join(dir, 'full', 'temporal');
    mkdirSync(temporal, { recursive: true });
    // A 160 KiB tmpfs holds the server's state; mounting needs root, so elsewhere this case is skipped.
    if (process.getuid?.() !== 0 || spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=160k', 'tmpfs', temporal]).status !== 0) {
      ctx.skip();
      return;
    }
    fullMounted = temporal;
    const r = await runAsync(['run', spec, '--json', '--data', join(dir, 'full')]);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/disk is full|no space left/i);
    expect(serverProcesses(join(dir, 'full'))).toBe(false);
  }, 180_000);

  it('a read-only data root is one line naming the directory', async () => {
    const data = join(dir, 'readonly');
    mkdirSync(data);
    chmodSync(data, 0o555);
    chmodSync(dir, 0o755); // the spec stays readable to that user
    // root ignores file modes: run the CLI as nobody then.
    const asUser =
      process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath] : [process.execPath];
    const r = spawnSync(asUser[0]!, [...asUser.slice(1), bin, 'run', spec, '--json', '--data', data], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      `specbias: ${data} is not writable (permission denied): specbias needs it to write its artifacts, run manifests and results.duckdb; pass --data DIR naming a writable data root, or fix its permissions`,
    ]);
    expect(r.status).toBe(1);
  }, 60_000);
});
