/**
 * A session for one CLI command: a Temporal client, and — in the embedded default — the dev
 * server and an in-process worker, all closed by `close()`.
 *
 *   const session = await openSession({ dataRoot: 'data', log: say });
 *   const handle = await session.client.workflow.start(...);
 *   await session.close();
 *
 * With TEMPORAL_ADDRESS set, no server is started: the session connects there and (unless
 * `worker: false`) still runs one worker in-process.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { quietRuntime } from './worker.js';
import { ensureDevServer, serverReady, type DevServer } from './dev-server.js';
import { createSpecbiasWorker } from './worker.js';

export interface SessionOptions {
  dataRoot: string;
  worker?: boolean;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface Session {
  client: Client;
  address: string;
  namespace: string;
  server: DevServer | null;
  worker: Worker | null;
  /** Drain the worker, close connections, stop an owned server. */
  close(): Promise<void>;
  /**
   * For signal handlers: drain the worker and stop an owned server, but leave the connections
   * alone (closing a gRPC channel under in-flight calls throws from its retry timers); the
   * process is about to exit anyway.
   */
  abort(): Promise<void>;
}

export class TemporalUnreachableError extends Error {
  constructor(readonly address: string) {
    super(`cannot reach Temporal at ${address} (TEMPORAL_ADDRESS): is the server running and the namespace registered?`);
    this.name = 'TemporalUnreachableError';
  }
}

export async function openSession(opts: SessionOptions): Promise<Session> {
  const env = opts.env ?? process.env;
  const namespace = env.TEMPORAL_NAMESPACE ?? 'default';
  let server: DevServer | null = null;
  let address: string;
  if (env.TEMPORAL_ADDRESS) {
    address = env.TEMPORAL_ADDRESS;
    if (!(await serverReady(address, namespace, 5000))) throw new TemporalUnreachableError(address);
  } else {
    server = await ensureDevServer({ dataRoot: opts.dataRoot, namespace, log: opts.log });
    address = server.address;
  }
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  let worker: Worker | null = null;
  let workerRun: Promise<void> | null = null;
  let nativeConnection: NativeConnection | null = null;
  if (opts.worker !== false) {
    quietRuntime();
    nativeConnection = await NativeConnection.connect({ address });
    worker = await createSpecbiasWorker({ connection: nativeConnection, namespace, dataRoot: opts.dataRoot, client, log: opts.log });
    workerRun = worker.run();
  }
  let closed = false;
  const stopWorkerAndServer = async () => {
    if (worker && worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun?.catch(() => undefined);
    if (server?.owned) await server.stop();
  };
  return {
    client,
    address,
    namespace,
    server,
    worker,
    async close() {
      if (closed) return;
      closed = true;
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun?.catch(() => undefined);
      await nativeConnection?.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
      if (server?.owned) await server.stop();
    },
    async abort() {
      if (closed) return;
      closed = true;
      await stopWorkerAndServer();
    },
  };
}
