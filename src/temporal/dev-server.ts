/**
 * The embedded Temporal dev server, as a run sees it: a lease on the data root's shared server.
 *
 *   const server = await acquireDevServer({ dataRoot: 'data' });   // reuses the running one, or starts one
 *   ... server.address ...
 *   await server.release();                                          // never stops it: its supervisor does
 *
 * The server belongs to a supervisor process (server-supervisor.ts), one per data root, which
 * stops it after SPECBIAS_SERVER_IDLE_S seconds without a lease. A run never signals a server;
 * its lease is a socket connection that the kernel closes however the run ends.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, openSync, closeSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../provenance.js';
import {
  idleTimeoutFromEnv,
  lastServerError,
  supervisorSocket,
  temporalDir,
  type SupervisorMessage,
  type SupervisorOptions,
} from './server-supervisor.js';

export { freePort, serverReady } from './server-supervisor.js';

export interface DevServerOptions {
  dataRoot: string;
  namespace?: string;
  log?: (line: string) => void;
  /** How long to wait for the server to accept requests. */
  readyTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface DevServer {
  address: string;
  uiUrl: string | null;
  /** The supervisor's pid. */
  pid: number;
  /** True when this lease found the server already running. */
  reused: boolean;
  /** A server a user started with `specbias server`. */
  foreground: boolean;
  /** What went wrong on the server since this lease began, in one line: its supervisor's word, or its log's last error. */
  lastError(): string | null;
  /** Let go of the lease; resolves once any stop it caused (idle timeout 0) is done. */
  release(): Promise<void>;
}

export class DataRootNotWritableError extends Error {
  constructor(
    readonly dir: string,
    code: string,
  ) {
    super(
      `cannot write to the data root: ${dir} is ${code === 'EROFS' ? 'on a read-only file system' : 'not writable by this user'} (${code}); choose another with --data DIR or SPECBIAS_DATA`,
    );
    this.name = 'DataRootNotWritableError';
  }
}

/** Create `<data>/temporal` or say, in one line, which directory cannot be written and why. */
export function ensureWritableDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS') throw new DataRootNotWritableError(e.path ?? dir, e.code);
    throw err;
  }
}

/** The supervisor's entry: compiled JS next to this module, or dist/ under vitest. */
function supervisorEntry(): string {
  const here = fileURLToPath(new URL('./supervisor-main.js', import.meta.url));
  if (existsSync(here)) return here;
  return join(packageRoot(), 'dist', 'src', 'temporal', 'supervisor-main.js');
}

function spawnSupervisor(opts: DevServerOptions, idleTimeoutS: number): { pid: number | undefined; exited: () => boolean } {
  const dir = temporalDir(opts.dataRoot);
  const logFd = openSync(join(dir, 'server.log'), 'a');
  const options: SupervisorOptions = {
    dataRoot: opts.dataRoot,
    namespace: opts.namespace,
    idleTimeoutS,
    readyTimeoutMs: opts.readyTimeoutMs,
  };
  // Its own process group and session, so a Ctrl-C or a kill of the run's group does not reach it.
  const child = spawn(process.execPath, [supervisorEntry(), JSON.stringify(options)], {
    detached: true,
    stdio: ['ignore', 'ignore', logFd],
  });
  closeSync(logFd);
  child.unref();
  let gone = false;
  child.once('exit', () => (gone = true));
  child.once('error', () => (gone = true));
  return { pid: child.pid, exited: () => gone };
}

type Attempt =
  | { kind: 'ready'; socket: Socket; msg: Extract<SupervisorMessage, { type: 'ready' }> }
  | { kind: 'absent' }
  | { kind: 'retry' }
  | { kind: 'error'; message: string };

/** One connection attempt: wait for the supervisor's first word. */
function attempt(socketName: string, timeoutMs: number): Promise<Attempt> {
  return new Promise((resolveAttempt) => {
    const socket = connect(socketName);
    socket.setEncoding('utf8');
    let buffered = '';
    let settled = false;
    const settle = (a: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      if (a.kind !== 'ready') socket.destroy();
      resolveAttempt(a);
    };
    const timer = setTimeout(
      () => settle({ kind: 'error', message: `the Temporal dev server did not start within ${Math.round(timeoutMs / 1000)} s` }),
      timeoutMs,
    );
    socket.on('error', (err: NodeJS.ErrnoException) =>
      settle(err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? { kind: 'absent' } : { kind: 'retry' }),
    );
    socket.on('close', () => settle({ kind: 'retry' }));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      const msg = JSON.parse(buffered.slice(0, nl)) as SupervisorMessage;
      if (msg.type === 'ready') settle({ kind: 'ready', socket, msg });
      else if (msg.type === 'error') settle({ kind: 'error', message: msg.message });
      else settle({ kind: 'retry' });
    });
  });
}

/** Lease the data root's dev server, starting its supervisor when none runs. */
export async function acquireDevServer(opts: DevServerOptions): Promise<DevServer> {
  const dir = temporalDir(opts.dataRoot);
  ensureWritableDir(dir);
  const idleTimeoutS = idleTimeoutFromEnv(opts.env);
  const socketName = supervisorSocket(opts.dataRoot);
  const readyTimeoutMs = opts.readyTimeoutMs ?? 90_000;
  const deadline = Date.now() + readyTimeoutMs;
  let spawned: ReturnType<typeof spawnSupervisor> | null = null;
  let spawns = 0;
  for (;;) {
    const a = await attempt(socketName, Math.max(1000, deadline - Date.now()));
    if (a.kind === 'ready') return lease(a.socket, a.msg, a.msg.pid !== spawned?.pid, join(dir, 'server.log'), opts.log);
    if (a.kind === 'error') throw new Error(a.message);
    if (Date.now() > deadline)
      throw new Error(
        `the Temporal dev server did not start within ${Math.round(readyTimeoutMs / 1000)} s (log: ${join(dir, 'server.log')})`,
      );
    if (a.kind === 'absent' && (spawned === null || spawned.exited())) {
      // No supervisor (or ours lost a race and left, or is stopping its old server): start one.
      if (spawns++ > 20) throw new Error(`the Temporal dev server's supervisor keeps exiting (log: ${join(dir, 'server.log')})`);
      spawned = spawnSupervisor(opts, idleTimeoutS);
    }
    await new Promise((r) => setTimeout(r, a.kind === 'absent' ? 30 : 100));
  }
}

function lease(
  socket: Socket,
  msg: Extract<SupervisorMessage, { type: 'ready' }>,
  reused: boolean,
  logPath: string,
  log?: (line: string) => void,
): DevServer {
  // The lease must not keep the process alive on its own.
  socket.unref();
  socket.on('error', () => undefined);
  let logOffset = 0;
  try {
    logOffset = statSync(logPath).size;
  } catch {
    /* no log yet */
  }
  let failure: string | null = null;
  let buffered = '';
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        const m = JSON.parse(line) as SupervisorMessage;
        if (m.type === 'error') failure = m.message;
      } catch {
        /* not ours to judge */
      }
    }
  });
  log?.(
    `${reused ? 'using the running' : 'started a'} Temporal dev server at ${msg.address}${msg.uiUrl ? `, Web UI ${msg.uiUrl}` : ''}${msg.foreground ? ' (started by `specbias server`)' : ''}`,
  );
  let released: Promise<void> | null = null;
  return {
    address: msg.address,
    uiUrl: msg.uiUrl,
    pid: msg.pid,
    reused,
    foreground: msg.foreground,
    lastError: () => failure ?? (lastServerError(logPath, logOffset) || null),
    release() {
      released ??= new Promise<void>((resolveRelease) => {
        if (socket.destroyed) return resolveRelease();
        socket.ref();
        const timer = setTimeout(() => socket.destroy(), 20_000);
        socket.on('data', (chunk: string) => {
          if (chunk.includes('"released"')) socket.destroy();
        });
        socket.once('close', () => {
          clearTimeout(timer);
          resolveRelease();
        });
        socket.write('release\n');
      });
      return released;
    },
  };
}
