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
import { createRequire } from 'node:module';
import type * as Grpc from '@grpc/grpc-js';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { acquireDevServer, serverReady, type DevServer } from './dev-server.js';

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
  /** Drain the worker, close connections, let go of the server's lease. */
  close(): Promise<void>;
  /**
   * For signal handlers: drain the worker and let go of the lease, but leave the connections
   * alone; the process is about to exit anyway.
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
  // The client's modules load while the dev server starts (the server is another process).
  const clientModule = import('@temporalio/client');
  clientModule.catch(() => undefined); // awaited below; a failure surfaces there
  // The worker's modules (about a second of imports) load while the dev server starts; the
  // workflow bundle is read then too. Loaded only here: `--no-worker` submitters never pay for it.
  const workerModules =
    opts.worker !== false
      ? Promise.all([import('@temporalio/worker'), import('./worker.js')]).then(async ([w, specbias]) => {
          await specbias.workflowBundle();
          return [w, specbias] as const;
        })
      : null;
  workerModules?.catch(() => undefined); // awaited below; a failure surfaces there
  if (env.TEMPORAL_ADDRESS) {
    address = env.TEMPORAL_ADDRESS;
    if (!(await serverReady(address, namespace, 5000))) throw new TemporalUnreachableError(address);
  } else {
    server = await acquireDevServer({ dataRoot: opts.dataRoot, namespace, log: opts.log, env });
    address = server.address;
  }
  let closed = false;
  const temporal = await clientModule;
  const { Client, Connection } = temporal;
  const connection = await Connection.connect({
    address,
    interceptors: [retryUntilClosed(temporal, () => closed), failAfterClose(grpcOf(), () => closed)],
  });
  const client = new Client({ connection, namespace });
  let worker: Worker | null = null;
  let workerRun: Promise<void> | null = null;
  let nativeConnection: NativeConnection | null = null;
  try {
    if (workerModules) {
      const [{ NativeConnection }, { createSpecbiasWorker, quietRuntime }] = await workerModules;
      quietRuntime();
      nativeConnection = await NativeConnection.connect({ address });
      worker = await createSpecbiasWorker({ connection: nativeConnection, namespace, dataRoot: opts.dataRoot, client, log: opts.log });
      workerRun = worker.run();
    }
  } catch (err) {
    closed = true;
    await nativeConnection?.close().catch(() => undefined);
    await connection.close().catch(() => undefined);
    await server?.release();
    throw err;
  }
  const stopWorkerAndServer = async () => {
    if (worker && worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun?.catch(() => undefined);
    // Not awaited: the process exits next, which ends the lease anyway.
    void server?.release();
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
      await server?.release();
    },
    async abort() {
      if (closed) return;
      closed = true;
      await stopWorkerAndServer();
    },
  };
}

/**
 * The client's default gRPC retries, except after the session closed: a retry timer that fires
 * once the channel is shut down would throw `Channel has been shut down` from a timer, uncaught.
 * After close, a failed call fails at once instead, to a caller that is going away.
 */
function retryUntilClosed(
  { defaultGrpcRetryOptions, makeGrpcRetryInterceptor }: typeof import('@temporalio/client'),
  isClosed: () => boolean,
) {
  const defaults = defaultGrpcRetryOptions();
  return makeGrpcRetryInterceptor({
    delayFunction: defaults.delayFunction,
    retryableDecider: (attempt, status) => !isClosed() && defaults.retryableDecider(attempt, status),
  });
}

/** grpc-js exactly as the Temporal client resolves it (loaded when a session opens, not on import). */
function grpcOf(): typeof Grpc {
  return createRequire(createRequire(import.meta.url).resolve('@temporalio/client'))('@grpc/grpc-js') as typeof Grpc;
}

/**
 * Innermost: once the session closed, a call (a retry whose timer was set before the close)
 * ends with CANCELLED instead of throwing `Channel has been shut down` from that timer.
 */
function failAfterClose(grpc: typeof Grpc, isClosed: () => boolean): Grpc.Interceptor {
  const closedCall = (): Grpc.InterceptingCall =>
    new grpc.InterceptingCall({
      start: (_metadata, listener) =>
        setImmediate(() => {
          try {
            listener?.onReceiveStatus?.({
              code: grpc.status.CANCELLED,
              details: 'the session closed its connection',
              metadata: new grpc.Metadata(),
            });
          } catch {
            // The client's retry interceptor (@temporalio/client grpc-retry.js) throws a TypeError
            // when a call whose first attempt got no message ends without a retry; thrown from
            // this timer it would crash the process mid-shutdown (exit 1, not the signal's code).
          }
        }),
      cancelWithStatus: () => undefined,
      getPeer: () => '',
      sendMessageWithContext: () => undefined,
      sendMessage: () => undefined,
      startRead: () => undefined,
      halfClose: () => undefined,
      getAuthContext: () => null,
    });
  return (options, nextCall) => {
    if (!isClosed()) {
      try {
        return new grpc.InterceptingCall(nextCall(options));
      } catch (err) {
        if (!isClosed()) throw err;
      }
    }
    return closedCall();
  };
}
