/**
 * The supervisor of a data root's dev server: the one process that starts `temporal server
 * start-dev`, holds it, and stops it. Runs never signal the server; they lease it.
 *
 * - **One per data root.** The supervisor listens on a local socket named after the data root
 *   (`supervisorSocket`); binding it is the lock, so two runs started together get one server.
 * - **Leases are connections.** Every run holds a connection while it uses the server. The kernel
 *   closes it when the run exits, however it exits (kill -9 included).
 * - **Idle timeout.** With no connection for `idleTimeoutS` seconds the supervisor stops the
 *   server and exits (0: when the last run lets go). A foreground `specbias server` never idles.
 *
 * Protocol (JSON lines): the supervisor sends `{type:'ready',address,uiUrl,pid}`,
 * `{type:'stopping'}` (try again shortly) or `{type:'error',message}`; a run may send `release`,
 * answered with `{type:'released'}` once any stop it caused is done.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import type { Connection } from '@temporalio/client';
import { writeJsonAtomic } from '../store/atomic-file.js';
import { findTemporalCli, TemporalCliNotFoundError } from './cli-path.js';
import { isSameProcess, processIdentity, stopProcess, type ProcessIdentity } from './process-identity.js';

export interface SupervisorOptions {
  dataRoot: string;
  ip?: string;
  /** Front-end gRPC port; a free one when omitted. */
  port?: number;
  /** Web UI port; none (headless) when omitted. */
  uiPort?: number;
  namespace?: string;
  /** Seconds without a lease before the server stops; Infinity for a foreground server. */
  idleTimeoutS: number;
  /** Started by a user in the foreground (`specbias server`): never stopped by idling. */
  foreground?: boolean;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

/** `<data>/temporal/server.json`: for users and for the next supervisor's clean-up. */
export interface ServerState {
  version: 2;
  /** The supervisor's pid; it leads the process group the server runs in. */
  pid: number;
  address: string;
  uiUrl: string | null;
  dbFile: string;
  startedAt: string;
  idleTimeoutS: number | null;
  foreground: boolean;
  supervisor: ProcessIdentity | null;
  server: ProcessIdentity | null;
}

export type SupervisorMessage =
  | { type: 'ready'; address: string; uiUrl: string | null; pid: number; foreground: boolean }
  | { type: 'stopping' }
  | { type: 'error'; message: string }
  | { type: 'released' };

export const DEFAULT_IDLE_TIMEOUT_S = 300;

/** SPECBIAS_SERVER_IDLE_S, in seconds (0: stop when the last run ends). */
export function idleTimeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SPECBIAS_SERVER_IDLE_S;
  if (raw === undefined || raw === '') return DEFAULT_IDLE_TIMEOUT_S;
  const s = Number(raw);
  if (!Number.isFinite(s) || s < 0) throw new Error(`SPECBIAS_SERVER_IDLE_S must be a number of seconds >= 0, got ${raw}`);
  return s;
}

export function temporalDir(dataRoot: string): string {
  return resolve(dataRoot, 'temporal');
}

/**
 * The supervisor's socket. On Linux an abstract socket named by the data root's real path: the
 * kernel frees it when the supervisor dies, so a crash never leaves a stale lock. Elsewhere a
 * socket file in the temporal directory.
 */
export function supervisorSocket(dataRoot: string): string {
  const dir = temporalDir(dataRoot);
  if (process.platform !== 'linux') return join(dir, 'supervisor.sock');
  const real = existsSync(dir) ? realpathSync(dir) : dir;
  return `\0specbias-temporal-${createHash('sha256').update(real).digest('hex').slice(0, 32)}`;
}

/** The last error the server logged (after byte `since`), as one line ("" when none). */
export function lastServerError(logPath: string, since = 0): string {
  let text: string;
  try {
    const bytes = readFileSync(logPath);
    text = bytes.subarray(Math.max(since, bytes.length - 64 * 1024)).toString('utf8');
  } catch {
    return '';
  }
  const errors = text
    .split('\n')
    .filter((l) => /level=(ERROR|FATAL)|^(Error|error|panic|fatal)\b/i.test(l))
    .reverse();
  // The cause a user can act on, when one was logged; else the last complete error line.
  const line = errors.find((l) => KNOWN_CAUSES.test(l)) ?? errors.find((l) => /\bmsg="(?:[^"\\]|\\.)*"/.test(l)) ?? errors[0];
  if (!line) return '';
  const field = (name: string) => new RegExp(`\\b${name}="((?:[^"\\\\]|\\\\.)*)"`).exec(line)?.[1]?.replace(/\\"/g, '"');
  const msg = field('msg');
  const error = field('error') ?? field('Error');
  return msg ? [msg, error].filter(Boolean).join(': ') : line.trim().replace(/^Error: /, '');
}

const KNOWN_CAUSES =
  /disk is full|no space left|database is locked|readonly database|read-only file system|permission denied|not a database/i;

export function freePort(ip = '127.0.0.1'): Promise<number> {
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

/** True when something accepts TCP connections on ip:port (within 250 ms). */
export function portOpen(ip: string, port: number): Promise<boolean> {
  return new Promise((resolveOpen) => {
    const socket = netConnect({ host: ip, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolveOpen(open);
    };
    socket.setTimeout(250, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** True once the server answers and the namespace exists. */
export async function serverReady(address: string, namespace = 'default', timeoutMs = 2000): Promise<boolean> {
  const { Connection } = await import('@temporalio/client');
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

function readState(path: string): Partial<ServerState> | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Partial<ServerState>;
  } catch {
    return null;
  }
}

export class SupervisorBusyError extends Error {
  constructor(readonly dataRoot: string) {
    super(`a dev server already runs for the data root ${dataRoot} (see ${join(temporalDir(dataRoot), 'server.json')})`);
    this.name = 'SupervisorBusyError';
  }
}

/**
 * Become the data root's supervisor and start its server. Resolves with the server's state once
 * it answers; `done` settles when the supervisor has stopped the server and let go of the socket.
 * Rejects with SupervisorBusyError when another supervisor holds the data root.
 */
export async function superviseDevServer(
  opts: SupervisorOptions,
): Promise<{ state: ServerState; done: Promise<void>; stop: () => Promise<void> }> {
  const log = opts.log ?? (() => undefined);
  const dir = temporalDir(opts.dataRoot);
  mkdirSync(dir, { recursive: true });
  const statePath = join(dir, 'server.json');
  const logPath = join(dir, 'server.log');
  const socketName = supervisorSocket(opts.dataRoot);
  const clients = new Set<Socket>();
  /** Leases let go whose answer waits for the stop they caused. */
  const releasing = new Set<Socket>();
  let phase: 'starting' | 'ready' | 'stopping' = 'starting';
  let ready: Extract<SupervisorMessage, { type: 'ready' }> | null = null;
  let idleTimer: NodeJS.Timeout | null = null;
  let child: ChildProcess | null = null;
  let stopped: Promise<void> | null = null;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));
  /** The server's SQLite file as it started; a data root deleted (or replaced) under it no longer has it. */
  let db: { path: string; dev: number; ino: number } | null = null;
  const dbIntact = () => {
    if (!db) return true;
    try {
      const st = statSync(db.path);
      return st.dev === db.dev && st.ino === db.ino;
    } catch {
      return false;
    }
  };

  const send = (s: Socket, m: SupervisorMessage) => {
    if (!s.destroyed) s.write(`${JSON.stringify(m)}\n`);
  };
  const armIdle = () => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
    if (opts.foreground || phase !== 'ready' || clients.size > 0 || !Number.isFinite(opts.idleTimeoutS)) return;
    idleTimer = setTimeout(() => void stop(), opts.idleTimeoutS * 1000);
  };

  const listener: Server = createServer((socket) => {
    socket.setEncoding('utf8');
    if (phase === 'ready' && !dbIntact()) {
      // Its data root was deleted: a run leasing this server would fail after minutes of retries.
      log(`the dev server's ${db!.path} is gone (data root deleted?): stopping it; the next run starts a fresh one`);
      void stop();
    }
    if (phase === 'stopping') {
      send(socket, { type: 'stopping' });
      socket.end();
      return;
    }
    clients.add(socket);
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
    if (ready) send(socket, ready);
    let buffered = '';
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      if (!buffered.includes('\n')) return;
      if (buffered.split('\n').some((l) => l.trim() === 'release')) {
        clients.delete(socket);
        // The last lease with no idle time: stop now, and answer once the server is down.
        if (clients.size === 0 && opts.idleTimeoutS === 0 && !opts.foreground) {
          releasing.add(socket);
          void stop();
        } else {
          send(socket, { type: 'released' });
          socket.end();
          armIdle();
        }
      }
      buffered = '';
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clients.delete(socket);
      armIdle();
    });
  });
  await new Promise<void>((res, rej) => {
    listener.once('error', (err: NodeJS.ErrnoException) => rej(err.code === 'EADDRINUSE' ? new SupervisorBusyError(opts.dataRoot) : err));
    listener.listen(socketName, () => res());
  });
  listener.on('error', (err) => log(`supervisor socket: ${err.message}`));

  const broadcastError = (message: string) => {
    for (const s of clients) {
      send(s, { type: 'error', message });
      s.end();
    }
  };

  async function stop(): Promise<void> {
    stopped ??= (async () => {
      phase = 'stopping';
      if (idleTimer) clearTimeout(idleTimer);
      const c = child;
      if (c && c.exitCode === null && c.signalCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM'); // our own unreaped child: the pid cannot have been reused
        const grace = setTimeout(() => c.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(grace);
      }
      if (readState(statePath)?.pid === process.pid) rmSync(statePath, { force: true });
      for (const s of releasing) {
        send(s, { type: 'released' });
        s.end();
      }
      for (const s of clients) s.destroy();
      await new Promise((r) => listener.close(r));
      resolveDone();
    })();
    return stopped;
  }

  try {
    // A server left by a supervisor that was killed alone still holds the SQLite file. It is
    // stopped only once proven to be the process recorded (pid, start time, command line).
    const old = readState(statePath);
    if (old?.server && isSameProcess(old.server) && !isSameProcess(old.supervisor)) {
      log(`stopping the orphaned Temporal dev server (pid ${old.server.pid}) of a supervisor that is gone`);
      await stopProcess(old.server, 5000);
    }
    rmSync(statePath, { force: true });

    const cli = findTemporalCli();
    if (!cli) throw new TemporalCliNotFoundError(null);
    // The readiness check's client loads while the server boots.
    void import('@temporalio/client').catch(() => undefined);
    const ip = opts.ip ?? '127.0.0.1';
    const port = opts.port ?? (await freePort(ip));
    const uiPort = opts.uiPort ?? null;
    const dbFile = join(dir, 'dev.sqlite');
    const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--db-filename', dbFile, '--log-level', 'warn'];
    if (uiPort === null) args.push('--headless');
    else args.push('--ui-port', String(uiPort));
    // With setpriv the server gets SIGTERM when the supervisor dies, even by SIGKILL.
    const setpriv = process.platform === 'linux' && existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : null;
    const logFd = openSync(logPath, 'a');
    child = setpriv
      ? spawn(setpriv, ['--pdeathsig', 'TERM', '--', cli, ...args], { stdio: ['ignore', logFd, logFd], detached: opts.foreground })
      : spawn(cli, args, { stdio: ['ignore', logFd, logFd], detached: opts.foreground });
    closeSync(logFd);
    const c = child;
    const exitedEarly = new Promise<void>((res) => c.once('exit', () => res()));
    c.on('error', () => undefined);
    const address = `${ip}:${port}`;
    const uiUrl = uiPort === null ? null : `http://${ip}:${uiPort}`;
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
    let ok = false;
    while (!ok && Date.now() < deadline) {
      if (c.exitCode !== null || c.signalCode !== null) break;
      // Knock on the port first: a gRPC connect to a port nobody listens on yet waits out its
      // whole timeout (1 s), where the server itself is up in about 0.3 s.
      ok = (await portOpen(ip, port)) && (await serverReady(address, opts.namespace ?? 'default', 1000));
      if (!ok) await Promise.race([new Promise((r) => setTimeout(r, 25)), exitedEarly]);
    }
    if (!ok) {
      const exited = c.exitCode !== null || c.signalCode !== null;
      const why = lastServerError(logPath);
      throw new Error(
        `${exited ? 'the Temporal dev server exited during start-up' : `the Temporal dev server did not answer on ${address} within ${Math.round((opts.readyTimeoutMs ?? 60_000) / 1000)} s`}` +
          `${why ? `: ${why}` : ''} (log: ${logPath})`,
      );
    }
    const state: ServerState = {
      version: 2,
      pid: process.pid,
      address,
      uiUrl,
      dbFile,
      startedAt: new Date().toISOString(),
      idleTimeoutS: Number.isFinite(opts.idleTimeoutS) ? opts.idleTimeoutS : null,
      foreground: Boolean(opts.foreground),
      supervisor: processIdentity(process.pid),
      server: c.pid === undefined ? null : processIdentity(c.pid),
    };
    await writeJsonAtomic(statePath, state);
    try {
      const st = statSync(dbFile);
      db = { path: dbFile, dev: st.dev, ino: st.ino };
    } catch {
      db = null; // not where the server was told to keep it: nothing to watch
    }
    c.once('exit', (code, signal) => {
      if (phase === 'stopping') return;
      const why = lastServerError(logPath);
      broadcastError(`the Temporal dev server exited (${signal ?? `code ${code}`})${why ? `: ${why}` : ''} (log: ${logPath})`);
      void stop();
    });
    phase = 'ready';
    ready = { type: 'ready', address, uiUrl, pid: process.pid, foreground: Boolean(opts.foreground) };
    for (const s of clients) send(s, ready);
    armIdle();
    log(`started the Temporal dev server at ${address}${uiUrl ? `, Web UI ${uiUrl}` : ''} (supervisor pid ${process.pid})`);
    return { state, done, stop };
  } catch (err) {
    broadcastError((err as Error).message);
    await stop();
    throw err;
  }
}
