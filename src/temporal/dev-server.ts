/**
 * The embedded Temporal dev server: `temporal server start-dev` on loopback with a persistent
 * SQLite file under the data root.
 *
 *   const server = await ensureDevServer({ dataRoot: 'data' });   // starts one, or reuses a live one
 *   ... server.address ...
 *   await server.stop();                                             // only stops what it owns
 *
 * A state file (`<data>/temporal/server.json`) records the pid and ports, so a later `specbias
 * run` finds a server left behind by a killed process and reuses it instead of starting a
 * second one on the same SQLite file.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { writeJsonAtomic } from '../store/atomic-file.js';
import { findTemporalCli, TemporalCliNotFoundError } from './cli-path.js';

export interface DevServerOptions {
  dataRoot: string;
  ip?: string;
  /** Front-end gRPC port; a free one when omitted. */
  port?: number;
  uiPort?: number;
  headless?: boolean;
  namespace?: string;
  log?: (line: string) => void;
  /** How long to wait for the server to accept requests. */
  readyTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl: string | null;
  pid: number;
  /** True when this process is responsible for stopping it. */
  owned: boolean;
  reused: boolean;
  stop(): Promise<void>;
}

interface ServerState {
  pid: number;
  address: string;
  uiUrl: string | null;
  dbFile: string;
  startedAt: string;
}

export async function freePort(ip = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, ip, () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolvePort(addr.port) : reject(new Error('no port'))));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True once the server answers and the namespace exists. */
export async function serverReady(address: string, namespace = 'default', timeoutMs = 2000): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

async function waitReady(address: string, namespace: string, timeoutMs: number, pid: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) throw new Error('the Temporal dev server exited during start-up; see its log');
    if (await serverReady(address, namespace, 1000)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the Temporal dev server did not answer on ${address} within ${Math.round(timeoutMs / 1000)} s`);
}

async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig); // the whole process group: start-dev is its leader
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) signal('SIGKILL');
  while (alive(pid)) await new Promise((r) => setTimeout(r, 50));
}

/** Start a server, or reuse the live one this data root's state file names. */
export async function ensureDevServer(opts: DevServerOptions): Promise<DevServer> {
  const dir = resolve(opts.dataRoot, 'temporal');
  const statePath = join(dir, 'server.json');
  const namespace = opts.namespace ?? 'default';
  let state: ServerState | null = null;
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8')) as ServerState;
  } catch {
    state = null;
  }
  if (state && alive(state.pid) && (await serverReady(state.address, namespace))) {
    opts.log?.(`reusing the Temporal dev server at ${state.address} (pid ${state.pid})`);
    const s = state;
    return {
      address: s.address,
      uiUrl: s.uiUrl,
      pid: s.pid,
      owned: true,
      reused: true,
      stop: async () => {
        await stopPid(s.pid);
        rmSync(statePath, { force: true });
      },
    };
  }
  if (state && alive(state.pid)) {
    // A stale server that no longer answers still holds the SQLite file: replace it.
    opts.log?.(`stopping an unresponsive Temporal dev server (pid ${state.pid})`);
    await stopPid(state.pid, 3000);
  }
  rmSync(statePath, { force: true });
  return startDevServer(opts);
}

/** Start a fresh server in its own process group; its output goes to `<data>/temporal/server.log`. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const cli = findTemporalCli();
  if (!cli) throw new TemporalCliNotFoundError(null);
  const dir = resolve(opts.dataRoot, 'temporal');
  mkdirSync(dir, { recursive: true });
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port ?? (await freePort(ip));
  const uiPort = opts.headless ? null : (opts.uiPort ?? (await freePort(ip)));
  const dbFile = join(dir, 'dev.sqlite');
  const logPath = join(dir, 'server.log');
  const logFd = openSync(logPath, 'a');
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--db-filename', dbFile, '--log-level', 'warn'];
  if (uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  // No shell: arguments go to the CLI as they are.
  const child = spawn(cli, args, { detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${cli}`);
  const address = `${ip}:${port}`;
  const uiUrl = uiPort === null ? null : `http://${ip}:${uiPort}`;
  try {
    await waitReady(address, opts.namespace ?? 'default', opts.readyTimeoutMs ?? 60_000, pid);
  } catch (err) {
    await stopPid(pid, 2000);
    throw new Error(`${(err as Error).message} (log: ${logPath})`);
  }
  const statePath = join(dir, 'server.json');
  await writeJsonAtomic(statePath, { pid, address, uiUrl, dbFile, startedAt: new Date().toISOString() } satisfies ServerState);
  opts.log?.(`started the Temporal dev server at ${address}${uiUrl ? `, Web UI ${uiUrl}` : ''} (pid ${pid})`);
  return {
    address,
    uiUrl,
    pid,
    owned: true,
    reused: false,
    stop: async () => {
      await stopPid(pid);
      rmSync(statePath, { force: true });
    },
  };
}
